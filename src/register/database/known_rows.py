"""The built database as an index of the rows already in datasets/, for `make append`.

An append must know which identifiers are taken, the highest number in use and the
few rows its foreign keys point at. Reading a million-row CSV for that takes seconds;
the database built from that very file answers in milliseconds, if it really was built
from it. So the build records each CSV's stamp (size, modification time in ns, inode)
as it read it, and an append trusts the database for a file only while the stamp
still matches. Every append rewrites the file as the old bytes plus its new rows, so it
notes in build/appended.json the file's new stamp and how many leading bytes the
database covers; the next append reads only the bytes after those. A file changed in
any other way (edited, replaced, restored) has a stamp nobody recorded, and the append
reads the whole file as before: slower, never wrong.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from register import settings
from register.schema.package import Package, Resource

LEDGER = "appended.json"
STAMPS_KEY = "file_stamps"
ID_MAX_KEY = "id_numbers"


def stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def stamps(package: Package) -> dict[str, list[int]]:
    return {res.name: s for res in package.resources if (s := stamp(res.path)) is not None}


def steady_stamps(before: dict, package: Package) -> dict[str, list[int]]:
    """The stamps that did not change while the build read the files."""
    after = stamps(package)
    return {name: s for name, s in before.items() if after.get(name) == s}


def id_numbers(conn: sqlite3.Connection, package: Package, since: dict[str, int] | None = None) -> dict[str, int]:
    """The highest number in use after each resource's id prefix (LOG-0042 -> 42), worked
    out once by the build rather than by every append (0.16 s at a million rows).
    `since`: only these resources, and only their rows after the given rowid (an update
    in place: the new rows' highest, 0.5 s less at a million rows than all of them)."""
    out = {}
    for res in package.resources:
        if res.id_prefix and res.primary_key and (since is None or res.name in since):
            pk, cut = res.primary_key[0], len(res.id_prefix) + 2
            out[res.name] = (
                conn.execute(
                    f"SELECT MAX(CAST(substr([{pk}], {cut}) AS INTEGER)) FROM [{res.name}] "
                    f"WHERE [{pk}] GLOB ? AND rowid > ?",
                    (f"{res.id_prefix}-[0-9]*", (since or {}).get(res.name, 0)),
                ).fetchone()[0]
                or 0
            )
    return out


class Index:
    """Read-only answers from build/register.db about the covered part of each CSV."""

    def __init__(self, package: Package, conn: sqlite3.Connection, built: dict, ledger: dict, numbers: dict):
        self.package = package
        self.conn = conn
        self.numbers = numbers  # resource -> highest id number at build
        self.built = built  # resource -> stamp at build
        self.ledger = ledger  # resource -> {"base": stamp at build, "covered": bytes, "stamp": now}

    @classmethod
    def open(cls, package: Package) -> Index | None:
        if settings.switch(settings.APPEND_SCAN):  # tests: force the whole-file path
            return None
        db = package.root / "build" / "register.db"
        if not db.exists():
            return None
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            found = dict(
                conn.execute(
                    "SELECT key, value FROM register_build WHERE key IN (?, ?)", (STAMPS_KEY, ID_MAX_KEY)
                ).fetchall()
            )
        except sqlite3.Error:
            return None
        if len(found) < 2:
            conn.close()
            return None
        try:
            ledger = json.loads((db.parent / LEDGER).read_text("utf-8"))
        except (OSError, ValueError):
            ledger = {}
        return cls(
            package,
            conn,
            json.loads(found[STAMPS_KEY]),
            ledger if isinstance(ledger, dict) else {},
            json.loads(found[ID_MAX_KEY]),
        )

    def covered(self, res: Resource) -> int | None:
        """How many leading bytes of res's CSV the database holds, or None if unknown."""
        built = self.built.get(res.name)
        now = stamp(res.path)
        if built is None or now is None:
            return None
        if now == built:
            return built[0]
        entry = self.ledger.get(res.name)
        if entry and entry.get("base") == built and entry.get("stamp") == now:
            return int(entry["covered"])
        return None

    def close(self) -> None:
        self.conn.close()


def record_append(package: Package, res: Resource, covered: int | None) -> None:
    """After res's CSV was rewritten as its old bytes plus new rows: note its new stamp,
    so the next append can keep using the database (under the append lock)."""
    path = package.root / "build" / LEDGER
    try:
        ledger = json.loads(path.read_text("utf-8"))
        if not isinstance(ledger, dict):
            ledger = {}
    except (OSError, ValueError):
        ledger = {}
    index = Index.open(package) if covered is not None else None
    base = index.built.get(res.name) if index else None
    if index:
        index.close()
    if covered is None or base is None:
        ledger.pop(res.name, None)
    else:
        ledger[res.name] = {"base": base, "covered": covered, "stamp": stamp(res.path)}
    try:
        tmp = path.with_name(f".{LEDGER}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(ledger, indent=1) + "\n", "utf-8")
        os.replace(tmp, path)
    except OSError:  # only a shortcut is lost: the next append reads the whole file
        pass
