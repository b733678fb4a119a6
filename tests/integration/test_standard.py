"""`make validate` checks a package against the version of the standard it declares, says
which, warns about a deprecated field for one minor version, and refuses a version it
does not know. The standard here is a scratch copy changed for the test (no real field
is deprecated)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from register.checks import validate
from register.publishing.extracts import write_standard
from register.schema import standard as standard_mod
from register.schema.package import ROOT, Package

VERSION = standard_mod.load().version
STANDARD = f"Checked against the Co-production Register standard {VERSION}."
CUMBRIA = ROOT / "publishers" / "north-cumbria"


def declare(repo: Path, version: str) -> None:
    path = repo / "datapackage.json"
    desc = json.loads(path.read_text("utf-8"))
    desc["x-register-standard"] = version
    path.write_text(json.dumps(desc, indent=2), "utf-8")


def scratch_standard(tmp: Path, version: str, deprecate: dict | None = None) -> Path:
    """A copy of the standard at `version`, with projects.lead_role deprecated if asked."""
    folder = tmp / f"standard-{version}"
    shutil.copytree(ROOT / "schemas", folder)
    about = json.loads((folder / "standard.json").read_text("utf-8"))
    (folder / "standard.json").write_text(json.dumps({**about, "version": version}), "utf-8")
    if deprecate:
        schema = json.loads((folder / "projects.json").read_text("utf-8"))
        for f in schema["fields"]:
            if f["name"] == "lead_role":
                f["x-deprecated"] = deprecate
        (folder / "projects.json").write_text(json.dumps(schema), "utf-8")
    return folder


def run(repo: Path, standard: Path, capsys) -> tuple[int, str, str]:
    code = validate.main(["--root", str(repo), "--standard", str(standard)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_make_validate_checks_a_package_outside_the_repository(tmp_path):
    package = tmp_path / "their-package"
    package.mkdir()
    for name in ("datapackage.json", "publisher.yml"):
        shutil.copy2(ROOT / name, package / name)
    for name in ("schemas", "datasets"):
        shutil.copytree(ROOT / name, package / name)
    done = subprocess.run(["make", "-s", "validate", f"ROOT={package}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert STANDARD in done.stdout


def test_a_changed_schema_is_not_the_standard(repo, capsys):
    schema = json.loads((repo / "schemas" / "sources.json").read_text("utf-8"))
    schema["fields"][0]["description"] = "Changed by the publisher."
    (repo / "schemas" / "sources.json").write_text(json.dumps(schema), "utf-8")
    code, out, err = run(repo, ROOT / "schemas", capsys)
    assert code == 1
    assert f"schemas/sources.json: is not the Co-production Register standard {VERSION} schema" in err


def test_a_newer_major_version_is_refused_plainly(repo, capsys):
    declare(repo, "2.0.0")
    code, out, err = run(repo, ROOT / "schemas", capsys)
    assert code == 1 and "Traceback" not in err
    assert "declares x-register-standard 2.0.0, newer than this validator knows" in err
    assert f"Co-production Register standard {VERSION}" in err


def test_a_package_without_a_version_is_refused(repo, capsys):
    desc = json.loads((repo / "datapackage.json").read_text("utf-8"))
    del desc["x-register-standard"]
    (repo / "datapackage.json").write_text(json.dumps(desc), "utf-8")
    code, out, err = run(repo, ROOT / "schemas", capsys)
    assert code == 1
    assert f'add "x-register-standard": "{VERSION}"' in err


def test_a_deprecated_field_is_warned_for_one_minor_version_then_refused(repo, tmp_path, capsys):
    deprecation = {"since": "1.1.0", "replaced_by": "lead_team"}
    # The package follows 1.0.1 and still has lead_role; the validator knows 1.1.0.
    declare(repo, "1.0.1")
    code, out, err = run(repo, scratch_standard(tmp_path, "1.1.0", deprecation), capsys)
    assert code == 0, err
    assert "Checked against the Co-production Register standard 1.0.1." in out
    assert (
        "Warning: datasets/projects.csv, field lead_role: deprecated since 1.1.0: accepted in "
        "Co-production Register standard 1.1.0, refused from 1.2.0; allowed: use lead_team instead"
    ) in err
    # One minor version later the same package is refused, naming file, field and what to use.
    code, out, err = run(repo, scratch_standard(tmp_path, "1.2.0", deprecation), capsys)
    assert code == 1
    assert (
        "datasets/projects.csv, field lead_role: deprecated since 1.1.0 and no longer accepted in "
        "Co-production Register standard 1.2.0; allowed: use lead_team instead"
    ) in err
    # A package that follows the newer minor version is checked against it and says so.
    declare(repo, "1.2.0")
    code, out, err = run(repo, scratch_standard(tmp_path, "1.3.0"), capsys)
    assert code == 0, err
    assert "Checked against the Co-production Register standard 1.2.0." in out


def test_make_build_holds_the_package_to_its_standard_too(repo, tmp_path):
    """A build never starts from data the validator would refuse: the declared version
    is checked by `make build` as by `make validate`, and nothing is written."""
    declare(repo, "2.0.0")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-m",
            "register.database.build",
            "--root",
            str(repo),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("Not building:") and "2.0.0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (out / "register.db").exists()


def test_the_standard_covers_every_schema_a_package_uses():
    """Drift: every schema the packages' datapackage.json name, and every schema file in
    schemas/, is in the standard, so none escapes "the standard's, unchanged"."""
    listed = set(standard_mod.load().schemas)
    for root in (ROOT, CUMBRIA):
        used = {r.schema_path.removeprefix("schemas/") for r in Package(root).resources}
        assert used <= listed, (root, sorted(used - listed))
    files = {p.relative_to(ROOT / "schemas").as_posix() for p in (ROOT / "schemas").rglob("*.json")}
    assert files - {standard_mod.STANDARD_FILE} == listed


def test_the_downloads_standard_folder_validates_a_package(tmp_path):
    """docs/publishing.md: copy a package, put the downloads' standard folder in as its
    schemas/, and `make validate` checks it."""
    package = tmp_path / "their-package"
    shutil.copytree(CUMBRIA, package, symlinks=False)
    shutil.rmtree(package / "schemas")
    downloads = tmp_path / "downloads"
    write_standard(ROOT / "schemas", downloads)  # the downloads' standard/ folder
    shutil.copytree(downloads / "standard", package / "schemas")
    done = subprocess.run(["make", "-s", "validate", f"ROOT={package}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert STANDARD in done.stdout


def test_every_schema_of_the_standard_must_be_unchanged(repo, capsys):
    """Loosening a field of partner_verdicts.json is refused as loosening projects.json is."""
    path = repo / "schemas" / "partner_verdicts.json"
    schema = json.loads(path.read_text("utf-8"))
    for f in schema["fields"]:
        if f["name"] == "verdict":
            f["constraints"]["required"] = False
    path.write_text(json.dumps(schema), "utf-8")
    code, out, err = run(repo, ROOT / "schemas", capsys)
    assert code == 1
    assert f"schemas/partner_verdicts.json: is not the Co-production Register standard {VERSION} schema" in err
