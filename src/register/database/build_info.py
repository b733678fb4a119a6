"""What a built database says about its own build (the register_build table the build writes)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path


def build_value(db: Path | str, key: str) -> str | None:
    """One value of register_build, read without writing or locking the file (None when
    the file is missing, is not a register, or has no such key)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        try:
            row = conn.execute("SELECT value FROM register_build WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def inputs_sha256(db: Path | str) -> str | None:
    """The SHA-256 of the inputs the database was built from: it names the build."""
    return build_value(db, "inputs_sha256")


# register_build's record of every input of a build but the CSVs (which known_rows
# stamps): an incremental update is only sound while none of these has changed.
OTHER_INPUTS_KEY = "other_inputs"
# The code that decides what a database holds: the layers the build runs.
_CODE_DIRS = ("schema", "checks", "database", "util")
# The update in place, which must match what the full build writes, and its records.
_NOT_BUILD = {"incremental.py", "redo.py", "spare.py", "page_record.py", "appended.py"}


def other_inputs(package) -> dict[str, str]:
    """SHA-256 of the descriptor, the schemas, metadata.yml (its facets and sorts decide
    the stored facet counts and indexes) and the build's own code, and the versions of
    SQLite and of the bank-holiday calendar (due dates): everything besides the CSVs that
    a full build would read. A few hundred kilobytes: milliseconds."""
    from importlib.metadata import version

    register = Path(__file__).resolve().parents[1]
    paths = {package.descriptor_path, *(package.root / res.schema_path for res in package.resources)}
    paths.add(register / "settings.py")
    if (package.root / "metadata.yml").exists():
        paths.add(package.root / "metadata.yml")
    for name in _CODE_DIRS:
        paths.update(
            p for p in (register / name).rglob("*") if p.suffix in (".py", ".sql") and p.name not in _NOT_BUILD
        )
    out = {}
    for p in sorted(paths):
        key = str(p.relative_to(package.root) if p.is_relative_to(package.root) else p.relative_to(register.parent))
        out[key] = hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else ""
    out["sqlite"] = sqlite3.sqlite_version
    out["holidays"] = version("holidays")
    return out
