"""Which pages of the database an update in place wrote, and the digests of its chunks.

An update in place (register/database/incremental.py) runs in SQLite's write-ahead-log
mode: every page it writes goes to the log first, and each frame of the log names its
page. So once it is done, the pages in which the new database can differ from the one it
replaces are known without reading either file (a page written back unchanged is listed
too, which only costs a copy). build/.register.db.pages.json records them, with the SHA-256
of each 4 MiB chunk of the served file (register/util/files.py), for two readers:

- register/database/spare.py: the next update turns the spare (the file this one
  replaced) into a copy of the served one by copying those pages alone, instead of
  comparing two 1.8 GB files (0.5 to 1.6 s at a million log rows);
- inspect.json's digest: only the chunks holding a written page are hashed again
  (0.7 to 1.3 s for the whole file).

The record names both files by inode, size and modification time. When it does not
describe the files there are (a full build since, a file touched by anything else, no
record), everything is read and hashed as before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from register.util.files import CHUNK
from register.util.files import file_stamp as stamp

RECORD = ".register.db.pages.json"


def wal_pages(db: Path) -> set[int]:
    """The pages written to db's write-ahead log (the frame headers of its -wal file,
    https://www.sqlite.org/fileformat.html#the_write_ahead_log), or none if it has none."""
    wal = db.with_name(db.name + "-wal")
    pages: set[int] = set()
    try:
        f = wal.open("rb")
    except FileNotFoundError:
        return pages
    with f:
        header = f.read(32)
        if len(header) < 32:
            return pages
        frame = 24 + int.from_bytes(header[8:12], "big")
        size = os.fstat(f.fileno()).st_size
        for offset in range(32, size - frame + 1, frame):
            f.seek(offset)
            pages.add(int.from_bytes(f.read(4), "big"))
    return pages


def read(build_dir: Path) -> dict:
    """The record, or {} when there is none to trust."""
    try:
        record = json.loads((Path(build_dir) / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and record.get("chunk") == CHUNK else {}


def digests_of(record: dict, served: Path) -> list[str] | None:
    """The chunk digests of the served file, if the record describes it."""
    if record.get("served") and record["served"] == stamp(served):
        return list(record.get("chunk_sha256") or []) or None
    return None


def pages_since(record: dict, spare: Path, served: Path) -> tuple[list[int], int] | None:
    """(pages, page size) in which served may differ from spare, if the record says."""
    if record.get("spare") and record["spare"] == stamp(spare) and record.get("served") == stamp(served):
        return list(record.get("pages") or []), int(record["page_size"])
    return None


def write(build_dir: Path, served: Path, digests: list[str], since: tuple | None = None) -> None:
    """Record the served file's chunk digests and, after an update in place, `since`:
    (stamp of the file it replaced, now the spare; pages written; page size)."""
    record = {"chunk": CHUNK, "served": stamp(served), "chunk_sha256": digests}
    if since:
        record.update(spare=since[0], pages=sorted(since[1]), page_size=since[2])
    out = Path(build_dir) / RECORD
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(record), "utf-8")
    os.replace(tmp, out)
