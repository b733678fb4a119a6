"""The git host's workflows: valid against the published GitHub workflow schema (checked by
`make lint`), and running the same make targets the staff guide gives people."""

from __future__ import annotations

import re

import yaml

from register.schema.package import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def _runs(name: str) -> list[str]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text("utf-8"))
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def _make_targets(runs: list[str]) -> set[str]:
    return {t for run in runs for m in re.finditer(r"\bmake ((?:[a-z][a-z-]* ?)+)", run) for t in m.group(1).split()}


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text("utf-8"), re.M))


def test_a_proposed_change_is_validated_with_annotations_and_tested():
    runs = _runs("check.yml")
    assert any(r.startswith("make validate") and "FORMAT=github" in r for r in runs)
    assert "make test" in runs


def test_merge_to_main_and_a_daily_run_build_and_deploy_with_make():
    doc = yaml.safe_load((WORKFLOWS / "publish.yml").read_text("utf-8"))
    on = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads the key `on` as true
    assert on["push"]["branches"] == ["main"]
    assert on["schedule"] and re.fullmatch(r"[0-9]+ [0-9]+ \* \* \*", on["schedule"][0]["cron"])
    targets = _make_targets(_runs("publish.yml"))
    assert {"validate", "build", "extracts", "report", "publish"} <= targets


def test_workflows_use_only_real_targets_that_the_docs_give_staff():
    docs = "".join((ROOT / p).read_text("utf-8") for p in ("README.md", "docs/staff-guide.md", "docs/deployment.md"))
    real = _makefile_targets()
    for name in ("check.yml", "publish.yml"):
        for target in _make_targets(_runs(name)):
            assert target in real, f"{name}: make {target} is not a Makefile target"
            assert f"make {target}" in docs, f"{name}: make {target} is not in the staff guide or deployment docs"


def test_secrets_are_named_never_stored():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text("utf-8")
        for m in re.finditer(r"(?m)^\s*[A-Z0-9_]*(TOKEN|SECRET|PASSWORD|KEY)[A-Z0-9_]*:\s*(.+)$", text):
            assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", m.group(2).strip()), f"{path.name}: {m.group(0)}"
