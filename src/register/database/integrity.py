"""Is build/register.db the database the last build wrote? Checked before serving.

A build writes register.db, then metadata.json and inspect.json (which records the
database's digest, a SHA-256 of the SHA-256s of its 4 MiB chunks, register/util/files.py,
and its row counts). A disk fault, a copy cut short, someone editing the
file, or a build killed between the rename and inspect.json all leave a database that
does not match what Datasette is told about it: wrong counts, wrong hashed URLs, or
pages that fail half-way. So before serving we check:

- the database and its inspect.json and metadata.json exist;
- its size and digest match inspect.json (any changed byte is caught);
- if that cannot be verified (no inspect.json, or it does not match), SQLite's own
  `PRAGMA quick_check`, to say whether the file is still a sound database.

A matching hash means every byte is what the build wrote and checked, so the start-up
cost is one read of the file (about 1-2 s per GB).

If anything is wrong, `ensure()` rebuilds from datasets/ (the source of truth) with the
normal atomic build, and checks again. Replicas that must never differ from each other
run with rebuild=False and refuse to start instead.

    python -m register.database.integrity [--build-dir build] [--root .] [--check-only]
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import ExitStack
from pathlib import Path

from register.database.build import build
from register.schema.package import ROOT, Package
from register.util import locking
from register.util.files import database_digest
from register.util.guard import plain_errors
from register.util.text import command_parser

DB_NAME = "register.db"


class IntegrityError(Exception):
    """The database is damaged and was not (or could not be) rebuilt."""


def check(build_dir: Path | str) -> list[str]:
    """Plain-English problems with the built database; an empty list means it is sound."""
    build_dir = Path(build_dir)
    db = build_dir / DB_NAME
    inspect_path = build_dir / "inspect.json"
    if not db.is_file():
        return [f"{db} is missing"]
    problems: list[str] = []
    if not (build_dir / "metadata.json").is_file():
        problems.append(f"{build_dir / 'metadata.json'} is missing")
    recorded: dict | None = None
    try:
        recorded = json.loads(inspect_path.read_text("utf-8"))["register"]
        recorded["hash"], recorded["size"]
    except FileNotFoundError:
        problems.append(f"{inspect_path} is missing, so the database cannot be checked against its build")
    except (ValueError, KeyError, TypeError) as e:
        problems.append(f"{inspect_path} is damaged ({e.__class__.__name__}) and cannot be trusted")
        recorded = None
    verified = False
    if recorded is not None:
        size = db.stat().st_size
        if size != recorded["size"]:
            problems.append(
                f"{db} is {size:,} bytes but the build wrote {recorded['size']:,} bytes: "
                "it has been cut short or changed since it was built"
            )
        elif database_digest(db) != recorded["hash"]:
            problems.append(
                f"{db} does not match the digest recorded when it was built "
                f"({inspect_path.name}): it has been changed or damaged since"
            )
        else:
            verified = True
    # A file whose every byte matches what the build wrote (and checked) is sound; SQLite's
    # own check, which reads the whole file again, is for files that cannot be verified.
    if not verified:
        problems += _quick_check(db)
    return problems


def _quick_check(db: Path) -> list[str]:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return [f"SQLite cannot read {db}: {e}"]
    if rows != ["ok"]:
        return [f"SQLite's quick_check of {db} failed: " + "; ".join(map(str, rows))]
    return []


def ensure(
    build_dir: Path | str = ROOT / "build", root: Path | str = ROOT, rebuild: bool = True, out=sys.stderr
) -> bool:
    """Check the database; rebuild it from `root`'s datasets/ if it is damaged.

    Runs under the register's write lock, so no append or build changes the database
    while it is checked, and the temporary files of writers that were killed are cleared
    (register/util/locking.py). A read-only copy (a replica) cannot take the lock; it is
    only checked. Returns True if a rebuild happened. Raises IntegrityError if the
    database is damaged and rebuild is False, or if it is still damaged after the rebuild."""
    build_dir = Path(build_dir)
    with ExitStack() as held:
        try:
            held.enter_context(locking.exclusive(root, out=out))
        except (OSError, locking.LockTimeout) as e:
            if rebuild:
                raise IntegrityError(
                    f"the register's write lock could not be taken ({getattr(e, 'strerror', None) or e}), "
                    "so the database was neither checked nor rebuilt"
                ) from e
        else:
            for path in locking.remove_stale_temps(root, build_dir):
                print(f"Removed {path.name}, left behind by a build that was stopped part-way.", file=out)
        return _check_or_rebuild(build_dir, root, rebuild, out)


def _check_or_rebuild(build_dir: Path, root: Path | str, rebuild: bool, out) -> bool:
    problems = check(build_dir)
    if not problems:
        return False
    for p in problems:
        print(f"Integrity check: {p}", file=out)
    if not rebuild:
        raise IntegrityError(
            "the built database failed its integrity check and was not rebuilt: " + "; ".join(problems)
        )
    print(f"Rebuilding {build_dir / DB_NAME} from {Path(root) / 'datasets'} ...", file=out, flush=True)

    try:
        build(Package(root), build_dir)
    except SystemExit as e:  # build() exits when the data does not validate
        raise IntegrityError(
            "the database is damaged and could not be rebuilt, because the data in "
            "datasets/ does not pass validation (see above)"
        ) from e
    problems = check(build_dir)
    if problems:
        raise IntegrityError("the database is still damaged after a rebuild: " + "; ".join(problems))
    print("Rebuilt; the database now passes its integrity check.", file=out)
    return True


@plain_errors("checking the database")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument(
        "--build-dir", default=str(ROOT / "build"), help="where register.db is (default: build/ of this one)"
    )
    parser.add_argument("--root", default=str(ROOT), help="the repository to rebuild from")
    parser.add_argument("--check-only", action="store_true", help="report problems; never rebuild")
    args = parser.parse_args(argv)
    if args.check_only:
        problems = check(args.build_dir)
        for p in problems:
            print(f"Integrity check: {p}", file=sys.stderr)
        if not problems:
            print(f"{Path(args.build_dir) / DB_NAME} passes its integrity check.")
        return 1 if problems else 0
    try:
        rebuilt = ensure(args.build_dir, args.root)
    except IntegrityError as e:
        print(f"Integrity check failed: {e}", file=sys.stderr)
        return 1
    if not rebuilt:
        print(f"{Path(args.build_dir) / DB_NAME} passes its integrity check.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
