"""A second process's share of the fast checker's work (a 2-core machine does both).

`make build` on a big register has a second process check and load some resources into
a file of its own (Loader.load_share) while this one does the rest; the first process
then copies them in (Loader.adopt). Which tables are shared changes only speed: every
check is exact both ways (tests/unit/test_generate.py builds a register both ways).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from register.schema.ddl import build_order
from register.schema.package import Package


class SideLoad:
    """Resources a second process checks and loads into its own file (register/database/search.py)."""

    def __init__(self, names: list[str], tables_path: Path, result_path: Path, process):
        self.names, self.tables_path, self.result_path, self.process = names, tables_path, result_path, process

    def result(self) -> dict:
        found = wait_for_result(self.result_path, self.process)
        return {"fallback": "the second process stopped before it finished checking"} if found is None else found


def write_result(path: Path, result: dict) -> None:
    """Write the second process's answer whole: the first reads it once the name exists."""
    part = Path(f"{path}.part")
    part.write_text(json.dumps(result), "utf-8")
    os.replace(part, path)


def wait_for_result(path: Path, process) -> dict | None:
    """The second process's answer, once written (None: it stopped without one)."""
    while not path.exists():
        if process.poll() is not None and not path.exists():
            return None
        time.sleep(0.02)
    return json.loads(path.read_text("utf-8"))


def side_share(package: Package, min_bytes: int, preload_max_bytes: int = 50_000_000) -> tuple[list[str], list[str]]:
    """(resources a second process can check and load, resources it loads first for keys).

    Big resources other than the biggest, that no big resource outside the share refers
    to, plus the small tables they refer to. The first process never needs their keys
    while it loads: a small resource that refers to one (partners' verdicts to the
    updates) has that reference checked in SQL after the tables are copied in, a join
    over a few rows. Excluding those too left the "You said" items and their history to
    the first process: 5 s of its CPU at a million log rows, while the second had time
    to spare.
    """

    size = {r.name: (r.path.stat().st_size if r.path.exists() else 0) for r in package.resources}
    biggest = max(size, key=size.get)
    share = {
        r.name
        for r in package.resources
        if not package.is_codelist(r.name) and size[r.name] >= min_bytes and r.name != biggest
    }
    changed = True
    while changed:
        changed = False
        for r in package.resources:
            if r.name in share or size[r.name] < min_bytes:
                continue
            for f in r.fields:
                if f.reference and f.reference[0] in share:
                    share.discard(f.reference[0])
                    changed = True
    preload: set[str] = set()
    stack = [r for r in package.resources if r.name in share]
    while stack:
        r = stack.pop()
        for f in r.fields:
            parent = f.reference[0] if f.reference else None
            if parent and parent not in share and parent not in preload and size[parent] <= preload_max_bytes:
                preload.add(parent)
                stack.append(package.resource(parent))
    order = [r.name for r in build_order(package)]
    return [n for n in order if n in share], [n for n in order if n in preload]
