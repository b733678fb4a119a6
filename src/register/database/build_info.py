"""What a built database says about its own build (the register_build table the build writes)."""

from __future__ import annotations

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
