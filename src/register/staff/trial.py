"""The whole register as it would be after a change, checked before the change is made.

Why: a value can be right on its own and still break other records: a "You said" item
re-dated after its own status updates, an activity moved to another project while its
items stay with the old one. Checking the one changed row misses that. So the change is
first made in a scratch copy of the package (links to every unchanged file, real copies
of the changed ones, written by the same code that will write the real files), the copy
is checked with every rule `make validate` applies, and the problems the change would
bring are returned. Problems the register already had are not blamed on the change.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from register.checks.problems import Problem
from register.checks.validate import validate
from register.schema.package import Package

# Never linked into the scratch copy: what is built from the data, and the history.
SKIPPED = {"build", ".git"}


def _key(p: Problem) -> tuple:
    """A problem without its value: the same rule broken on the same cell."""
    return (p.file, p.row, p.field, p.message)


def _mirror(src: Path, dest: Path) -> None:
    """dest/ holding a link to every file under src/ (folders made, not linked, so a file
    later replaced by a real copy never writes through a link into the register)."""
    dest.mkdir(exist_ok=True)
    for entry in src.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            _mirror(entry, dest / entry.name)
        else:
            (dest / entry.name).symlink_to(entry)


def scratch_copy(package: Package, changed: Iterable[str], where: Path) -> Package:
    """A package in `where` that reads every file of `package` and owns a real copy of
    the CSVs of the resources named in `changed`, to be changed freely."""
    parts = [Path(r.descriptor["path"]).parts for r in package.resources]
    data_dirs = {p[0] for p in parts if len(p) > 1}
    for entry in package.root.iterdir():
        if entry.name in SKIPPED:
            continue
        if entry.name in data_dirs and entry.is_dir():
            _mirror(entry, where / entry.name)
        else:
            (where / entry.name).symlink_to(entry)
    copy = Package(where)
    for name in changed:
        path = copy.resource(name).path
        if path.is_symlink() or path.exists():
            real = package.resource(name).path
            path.unlink()
            if real.exists():
                shutil.copyfile(real, path)
    return copy


def new_problems(package: Package, changed: Iterable[str], change: Callable[[Package], None]) -> list[Problem]:
    """The problems the whole package would have after `change` (applied to a scratch
    copy, never to `package`) that it does not have now; empty when the change is safe."""
    with tempfile.TemporaryDirectory(prefix="register-trial-") as tmp:
        copy = scratch_copy(package, list(changed), Path(tmp))
        change(copy)
        after = validate(copy)
    if not after:
        return []
    before = {_key(p) for p in validate(package)}
    return [p for p in after if _key(p) not in before]
