"""Keeping each release's extracts at a fixed address: build/releases/<release>/.

`make extracts` names its set with a release (register/site/releases.py says how the
identifier is made and why), and this module keeps a copy of the complete set under that
name. A release, once kept, is never written again: rebuilding the same inputs finds
the release already there and leaves its files, and their checksums, exactly as they
were, and the current extract becomes those files again. Files are hard links to the extract's own (a copy where links are not possible),
so the current release costs no extra disk space.

Some columns are worked out on the day of the extract (`overdue`, `days_open`): a release
is the inputs *and* the day those columns were worked out for (the data package's
x-as-of), so the next day's extract is a release of its own and never serves yesterday's
figures under today's date.

Only the newest REGISTER_KEEP_RELEASES releases are kept (0: all); the current one is
never removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

from register import settings
from register.publishing.extract_tables import AS_OF_KEY
from register.site.releases import RELEASE_RE, all_releases
from register.util.clock import local_today


def keep_count() -> int:
    """How many releases to keep (0: every one); a value that is not a whole number stops
    the command in one sentence (register/settings.py)."""
    return int(settings.number(settings.KEEP_RELEASES, whole=True))


def content_hash(build_info: dict, csv_digests: list[str]) -> str:
    """The build's inputs_sha256; for a database without one, a hash of the CSV files."""
    if build_info.get("inputs_sha256"):
        return build_info["inputs_sha256"]
    return hashlib.sha256("\n".join(sorted(csv_digests)).encode()).hexdigest()


def identity(inputs_sha256: str, as_of: str | None) -> str:
    """What names a release: the inputs, and the day its day-dependent columns are for.

    Without such columns it is the inputs' hash itself. With them the day is part of it,
    so two days' extracts of the same inputs never share a release name."""
    if as_of is None:
        return inputs_sha256
    return hashlib.sha256(f"{inputs_sha256}\nas of {as_of}".encode()).hexdigest()


def choose(root: Path, inputs_sha256: str, created: str, as_of: str | None = None) -> str:
    """The release this set belongs to: the newest kept one if its inputs and its day are
    the same, otherwise a new one named by the day it was made in England, as its x-as-of
    is (the UTC date is the day before between midnight and one in summer), and identity()."""
    newest = next(iter(all_releases(root)), None)
    if newest and newest["inputs_sha256"] == inputs_sha256 and newest["package"].get(AS_OF_KEY) == as_of:
        return newest["id"]
    day = local_today(dt.datetime.fromisoformat(created.replace("Z", "+00:00")))
    return f"{day.isoformat()}-{identity(inputs_sha256, as_of)[:7]}"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def files_of(directory: Path) -> list[str]:
    """Every file under directory, as paths relative to it (standard/ included), sorted."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def keep(set_dir: Path, root: Path, release: str) -> bool:
    """Keep all of set_dir's files as release `release`; False when it is already kept."""
    if not RELEASE_RE.match(release):
        raise ValueError(f"{release!r} is not a release identifier (YYYY-MM-DD-<7 hex digits>)")
    final = root / release
    if final.exists():
        return False
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{release}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        for name in files_of(set_dir):
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(set_dir / name, tmp / name)
        os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return True


def adopt(release_dir: Path, set_dir: Path) -> None:
    """Make set_dir's files the kept release's own, byte for byte.

    The same inputs extracted again are the same release, but the new set's workbook, zip,
    data package and changelog carry the new extraction's time: served as the current
    downloads, they would not match the release they say they are. The set becomes
    exactly the release's files, standard/ included: none left out, none added."""
    kept = files_of(release_dir)
    for name in set(files_of(set_dir)) - set(kept):
        (set_dir / name).unlink()
    for name in kept:
        target = set_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        _link_or_copy(release_dir / name, target)


def prune(root: Path, keep_newest: int, current: str) -> list[str]:
    """Delete all but the newest keep_newest releases (never `current`); returns those deleted."""
    if keep_newest <= 0 or not root.is_dir():
        return []
    ids = [r["id"] for r in all_releases(root)]  # newest first
    gone = [name for name in ids[keep_newest:] if name != current]
    for name in gone:
        shutil.rmtree(root / name)
    return gone


def previous_set(out_dir: Path, root: Path) -> Path:
    """What the changelog compares with: the extract being replaced, else the newest release."""
    if (out_dir / "datapackage.json").is_file():
        return out_dir
    newest = next(iter(all_releases(root)), None)
    return root / newest["id"] if newest else out_dir
