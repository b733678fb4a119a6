"""Fetch, check and keep each publisher's package, and remember every attempt.

The state folder (build/national/state/ by default; keep it between runs) holds, per
publisher, the last good copy (`good/`, with `good.json`: where and when it came from, its
SHA-256 and standard version) and, for all publishers, `fetches.jsonl`: one line per
attempt, never rewritten. A fetch that fails, or a package that fails validation or is
not openly licensed, leaves the last good copy in place; the attempt says why.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from register.checks.privacy import as_read, findings
from register.checks.problems import Problem
from register.checks.validate import validate
from register.national.fetch import FetchError, Limits, descriptor_location, fetch
from register.national.registry import OPEN_LICENCES, Publisher
from register.schema import standard as standard_mod
from register.schema.package import Package
from register.schema.standard import DECLARATION
from register.util.workers import in_order

STANDARD_KEY = DECLARATION  # where a package says which version of the standard it follows
UNDECLARED = "1.0.0"  # what a package that does not say is taken to conform to
FIRST_PROBLEMS = 5
FETCHES = "fetches.jsonl"


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def standard_version(descriptor: dict) -> tuple[str, bool]:
    """(version, whether the package declared it)."""
    declared = descriptor.get(STANDARD_KEY)
    return (str(declared), True) if declared else (UNDECLARED, False)


def _major(version: str) -> str:
    return version.split(".", 1)[0]


# What a kept copy was checked with: the standard's version and the national checks' own
# edition, raised whenever what `check` refuses changes, so every kept copy is checked again.
CHECKS_EDITION = 2


def checks_of(standard: str) -> str:
    return f"{standard}/{CHECKS_EDITION}"


def check(copy: Path, standard: str) -> list[str]:
    """Why the fetched copy may not be loaded, in sentences (empty: it may)."""
    try:
        package = Package(copy)
    except (KeyError, TypeError, ValueError, OSError) as e:
        return [f"the data package cannot be read ({type(e).__name__}: {e})"]
    version, _ = standard_version(package.descriptor)
    if _major(version) != _major(standard):
        return [f"it conforms to version {version} of the standard; this register loads version {_major(standard)}.x"]
    licences = [lic.get("name") for lic in package.descriptor.get("licenses", []) if isinstance(lic, dict)]
    if not any(name in OPEN_LICENCES for name in licences):
        return ["its datapackage.json names no open licence (" + ", ".join(OPEN_LICENCES) + ")"]
    try:
        against = against_standard(package, version)
        if standard_mod.missing_resources(package, standard_mod.load()):
            return against  # its rows cannot be checked without the tables they point at
        problems = validate(package)
    except (KeyError, TypeError, ValueError, OSError) as e:
        return [f"the data package cannot be checked ({type(e).__name__}: {e})"]
    return against + [str(p) for p in problems]


def against_standard(package: Package, version: str) -> list[str]:
    """What `make validate` holds the package to beyond its rows: a version this register
    knows, schemas that are the standard's own on its version, no field the standard no
    longer accepts. A package that does not say its version is taken to be on UNDECLARED."""
    standard = standard_mod.load()
    why = standard_mod.refusal(version, standard) or standard_mod.missing_resources(package, standard)
    if why:
        return [why]
    errors, _ = standard_mod.deprecations(package, standard)
    if version == standard.version:
        errors += standard_mod.changed_schemas(package, standard)
    return [str(Problem(f.file, None, f.field, None, f.message, f.allowed)) for f in errors]


def redact(text: str) -> str:
    """Problems quote the values they are about: never republish personal data found in a
    publisher's package (the privacy check's own findings) on the national register. The
    findings are of the text as it reads (as_read), so that is the text redacted: a
    number with a zero-width space in it is removed, not quoted."""
    text = as_read(text)
    for _, found in findings(text):
        text = text.replace(found, "[personal data removed]")
    return text


def _replace_dir(new: Path, old: Path) -> None:
    """Put `new` where `old` was, as nearly at once as folders allow."""
    spare = old.with_name(old.name + ".old")
    shutil.rmtree(spare, ignore_errors=True)
    if old.exists():
        os.replace(old, spare)
    os.replace(new, old)
    shutil.rmtree(spare, ignore_errors=True)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), "utf-8")
    os.replace(tmp, path)


def good_copy(state: Path, code: str) -> tuple[Path, dict] | None:
    folder = state / code
    try:
        return folder / "good", json.loads((folder / "good.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def refresh_all(
    publishers: list[Publisher],
    base: Path,
    state: Path,
    standard: str,
    limits: Limits | None = None,
    workers: int | None = None,
) -> Iterator[dict]:
    """Fetch and check every publisher's package, keeping each if good, several at once
    (each touches only its own folder); their attempts recorded and yielded in registry order."""
    tasks = [(p, base, state, standard, limits) for p in publishers]
    for attempt in in_order(try_publisher, tasks, workers):
        record(state, attempt)
        yield attempt


def record(state: Path, attempt: dict) -> None:
    """Add the attempt to the fetch log (one writer: the national build's own process)."""
    with (state / FETCHES).open("a", encoding="utf-8") as f:
        f.write(json.dumps(attempt) + "\n")


def try_publisher(task: tuple) -> dict:
    """Fetch and check one publisher's package and keep it if good; the attempt, not yet
    recorded. Reads and writes only the publisher's own folder of the state, so publishers
    can be tried in parallel. One argument, a tuple, for register.util.workers."""
    publisher, base, state, standard, limits = task
    folder = state / publisher.code
    folder.mkdir(parents=True, exist_ok=True)
    location = descriptor_location(publisher.package, base)
    attempt = {
        "publisher": publisher.code,
        "attempted_at": now(),
        "url": location,
        "sha256": "",
        "bytes": 0,
        "standard_version": "",
        "version_declared": False,
        "validation": "not checked",
        "problem_count": 0,
        "first_problems": "",
        "error": "",
    }
    incoming = folder / "incoming"
    previous = good_copy(state, publisher.code)
    try:
        attempt["sha256"], attempt["bytes"] = fetch(location, incoming, limits)
    except FetchError as e:
        attempt["error"] = redact(f"could not be fetched: {e}")
    except OSError as e:
        attempt["error"] = f"could not be fetched: {e.strerror or e}"
    if not attempt["error"]:
        try:
            descriptor = json.loads((incoming / "datapackage.json").read_text("utf-8"))
        except ValueError:
            descriptor = {}
        attempt["standard_version"], attempt["version_declared"] = standard_version(descriptor)
        unchanged = previous and previous[1]["sha256"] == attempt["sha256"]
        # An unchanged copy was checked when kept: again only if the checks have changed since.
        checked = unchanged and previous[1].get("checked_with") == checks_of(standard)
        problems = [] if checked else [redact(p) for p in check(incoming, standard)]
        attempt["problem_count"] = len(problems)
        attempt["first_problems"] = "\n".join(problems[:FIRST_PROBLEMS])
        attempt["validation"] = "invalid" if problems else "valid"
        if problems:
            first = problems[0] if len(problems[0]) <= 300 else problems[0][:297] + "..."
            plural = "s" if len(problems) != 1 else ""
            attempt["error"] = f"failed validation with {len(problems)} problem{plural}, the first: {first}"
            if unchanged:  # the copy kept is this very data, which no longer passes: not shown
                (folder / "good.json").unlink(missing_ok=True)
                shutil.rmtree(folder / "good", ignore_errors=True)
        else:
            first_seen = previous[1]["first_seen"] if unchanged else attempt["attempted_at"]
            _replace_dir(incoming, folder / "good")
            _write_json(
                folder / "good.json",
                {
                    **{k: attempt[k] for k in ("url", "sha256", "bytes", "standard_version", "version_declared")},
                    "fetched_at": attempt["attempted_at"],
                    "first_seen": first_seen,
                    "checked_with": checks_of(standard),
                },
            )
    shutil.rmtree(incoming, ignore_errors=True)
    kept = good_copy(state, publisher.code)
    attempt["served"] = "none" if kept is None else ("this fetch" if not attempt["error"] else "last good copy")
    return attempt


def history(state: Path) -> list[dict]:
    """Every attempt ever recorded, oldest first."""
    try:
        lines = (state / FETCHES).read_text("utf-8").splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.strip()]
