"""`make national REGISTRY=<csv>`: the national register, built from many publishers.

For each publisher in the registry: fetch its data package, check it with the same
checker as `make validate`, and keep it as the last good copy if it passes (provenance.py).
Then merge every publisher's last good copy into one national data package with
identifiers prefixed by publisher (namespace.py), and build it with the register's own
atomic build into build/national/register.db, adding the publishers' views (quality.py).
A publisher whose rows the national build refuses is left out, with the reason, and the
rest is built again; the previous national database is served until a build succeeds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from register import settings
from register.checks.problems import report
from register.checks.validate import validate
from register.database.build import DB_NAME, build, write_inspect
from register.national import describe, provenance, quality, tables
from register.national.fetch import Limits
from register.national.namespace import Source, write_package
from register.national.registry import RegistryError, read
from register.schema import publisher as publisher_mod
from register.schema.package import ROOT, Package
from register.util import locking
from register.util.guard import plain_errors
from register.util.text import command_parser

OUTPUTS = (DB_NAME, "metadata.json", "inspect.json")
PUBLISHER_FILE = publisher_mod.FILE
# (wall s, peak MB) of each phase of the last run in this process, for `make bench`.
TIMINGS: dict[str, tuple[float, float]] = {}


def _homepage(source: Path | None) -> str:
    home = describe.own_descriptor(source).get("homepage") or ""
    return home if isinstance(home, str) and home.startswith(("http://", "https://")) else ""


def same_packages(publishers, goods: dict) -> dict[str, str]:
    """Publisher -> why it is refused, for each whose data package is, file for file, the
    one of a publisher earlier in the registry (the same SHA-256): two rows of the registry
    pointing at one package showed its records twice, the second time as another
    publisher's, and every national total counted them twice."""
    first: dict[str, str] = {}
    refused = {}
    for p in publishers:
        digest = goods[p.code][1].get("sha256") if goods[p.code] else ""
        if not digest:
            continue
        if digest in first:
            refused[p.code] = (
                f"refused: its data package is {first[digest]}'s, file for file (the same SHA-256), so its records "
                f"would be shown twice: check the package address of its row in the registry"
            )
        else:
            first[digest] = p.code
    return refused


def _blame(package: Package, merged) -> dict[str, str]:
    """Publisher -> why the national checks refuse its rows (from validate's problems)."""
    blamed: dict[str, str] = {}
    paths = {str(r.path.relative_to(package.root)): r.name for r in package.resources}
    for p in validate(package):
        resource = paths.get(p.file) or next((n for f, n in paths.items() if p.file.endswith(f)), None)
        code = merged.publisher_at(resource, p.row)  # None but for a publisher's own records
        if code and code not in blamed:
            blamed[code] = f"refused: its rows break the current standard ({p})"
    return blamed


class Timer:
    def __init__(self):
        self.start = time.perf_counter()

    def lap(self, name: str) -> None:
        import resource

        now = time.perf_counter()
        TIMINGS[name] = (now - self.start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        self.start = now


def national(
    registry: Path,
    out: Path,
    state: Path,
    limits: Limits | None = None,
    quiet: bool = False,
    workers: int | None = None,
) -> dict:
    """Build the national register; returns {publisher: attempt (with 'status')}. Publishers
    are checked and merged in `workers` processes (default: one per core).

    The national register speaks for whoever runs it, not for any one publisher: its own
    publisher.yml (who runs it, its public address, what it is) sits beside the registry.
    """
    TIMINGS.clear()
    operator = registry.parent / PUBLISHER_FILE
    publishers = read(registry)  # a registry that is missing or wrong is the first thing said
    publisher_mod.load(registry.parent)  # refused plainly, before any fetch, if missing or wrong
    timer = Timer()
    standard = Package(ROOT)
    version, _ = provenance.standard_version(standard.descriptor)
    state.mkdir(parents=True, exist_ok=True)
    attempts = {}
    for a in provenance.refresh_all(publishers, registry.parent, state, version, limits, workers):
        attempts[a["publisher"]] = a
        if not quiet:
            print(
                f"{a['publisher']}: {a['validation']}, shown: {a['served']}"
                + (f" ({a['error']})" if a["error"] else "")
            )
    timer.lap("fetch and validate")
    goods = {p.code: provenance.good_copy(state, p.code) for p in publishers}
    refused: dict[str, str] = same_packages(publishers, goods)
    package_dir = out / "package"
    staging = out / ".staging"
    while True:
        sources = [
            Source(p.code, Package(goods[p.code][0]), _homepage(goods[p.code][0]))
            for p in publishers
            if goods[p.code] and p.code not in refused
        ]
        if not sources:
            why = "; ".join(
                f"{p.code}: {refused.get(p.code) or attempts[p.code]['error'] or 'nothing to show'}" for p in publishers
            )
            raise SystemExit(
                f"The national register was not built: no publisher has data that can be shown ({why}). "
                "The previous national register, if any, is left as it was."
            )
        rows = [
            tables.publisher_row(
                p,
                attempts[p.code],
                goods[p.code][1] if goods[p.code] else None,
                _homepage(goods[p.code][0]) if goods[p.code] else "",
                refused.get(p.code),
                describe.open_licences(describe.own_descriptor(goods[p.code][0] if goods[p.code] else None)),
            )
            for p in publishers
        ]
        extra = tables.extra_resources(rows, provenance.history(state))
        names = {p.code: p.name for p in publishers}
        shown = [(names[s.code], s.homepage, s.package.root) for s in sources]
        described = describe.descriptor(standard, registry.parent, shown)
        merged = write_package(standard, sources, package_dir, extra, described, workers)
        if merged.refused:  # code conflicts: take them out and write again
            refused.update(merged.refused)
            continue
        shutil.copyfile(operator, package_dir / PUBLISHER_FILE)
        describe.site_metadata(package_dir, described)
        package = Package(package_dir)
        timer.lap("merge")
        shutil.rmtree(staging, ignore_errors=True)
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors):
                build(package, staging, progress=False, standard=False)
            break
        except SystemExit:
            blamed = _blame(package, merged)
            if not blamed:
                sys.stderr.write(errors.getvalue())
                raise SystemExit("The national register was not built: the merged data is not valid (see above).")
            refused.update(blamed)
    timer.lap("build")
    db = staging / DB_NAME
    conn = sqlite3.connect(db, isolation_level=None)
    quality.add_views(conn)
    conn.close()
    write_inspect(db, staging / "inspect.json")
    for name in OUTPUTS:  # the database first: a server re-reads metadata only on restart
        os.replace(staging / name, out / name)
    shutil.rmtree(staging, ignore_errors=True)
    timer.lap("views and publish")
    for code, reason in refused.items():
        attempts[code]["status"] = reason
        if not quiet:  # after its line above, which said what its fetch alone would show
            print(f"{code}: not shown after all, {reason}")
    return attempts


@plain_errors("building the national register")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--registry", required=True, help="the registry of publishers (CSV)")
    parser.add_argument(
        "--out", default=str(ROOT / "build" / "national"), help="where the national register is written"
    )
    parser.add_argument(
        "--state", default=None, help="where last good copies and the fetch log are kept (default: OUT/state)"
    )
    parser.add_argument(
        "--timeout", type=float, default=Limits.timeout_s, help="seconds to wait for a publisher's server"
    )
    args = parser.parse_args(argv)
    settings.working()
    registry = Path(args.registry)
    out = Path(args.out)
    state = Path(args.state) if args.state else out / "state"
    out.mkdir(parents=True, exist_ok=True)
    try:
        with locking.exclusive(out):
            attempts = national(registry, out, state, Limits(timeout_s=args.timeout))
    except publisher_mod.PublisherError as e:
        print(f"Not built: {e}. The national register's own publisher.yml goes beside the registry.", file=sys.stderr)
        return 1
    except RegistryError as e:
        print("The registry of publishers is NOT valid. Fix these and run `make national` again:", file=sys.stderr)
        report(e.problems, sys.stderr)
        return 1
    shown = sum(1 for a in attempts.values() if a["served"] != "none" and "status" not in a)
    print(f"Built {out / DB_NAME}: {shown} of {len(attempts)} publishers shown (see /publishers).")
    if settings.switch(settings.BUILD_TIMINGS):  # for `make bench`
        print("timings: " + json.dumps(TIMINGS), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
