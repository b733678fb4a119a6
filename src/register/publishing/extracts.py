"""`make extracts`: complete downloads of the register for journalists and analysts.

Writes build/extracts/ from build/register.db: one CSV and one JSON per resource (and
per exported view), a Frictionless data package describing exactly those files, a data
dictionary (CSV and HTML), a changelog against the previous extract, one zip of those,
the files for spreadsheets (a BOM'd CSV per table and one workbook) and SHA256SUMS.
Datasette's own CSV/JSON endpoints truncate large results (PITFALLS), so complete
downloads come from here. Each set is kept as a citable release in build/releases/.

This module puts the set together; extract_tables writes each table's files and the
data package, extract_dictionary the data dictionary, extract_changelog the changelog,
extract_excel the spreadsheet files, release_store the releases.
The set is atomic: it is written into a temporary directory beside build/extracts and
swapped into place, so the site never serves a half-written set; the zip is written
file by file, so memory does not grow with the number of rows.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import resource as _resource
import shutil
import sqlite3
import sys
import time
import zipfile
from pathlib import Path

from register import settings
from register.database import older_minor
from register.publishing.extract_changelog import carry_forward, changelog_markdown, changes, console_summary
from register.publishing.extract_dictionary import dictionary_rows, write_dictionary_csv, write_dictionary_html
from register.publishing.extract_excel import excel_csv_name, write_excel_csv, write_workbook
from register.publishing.extract_tables import (
    CHANGELOG_MD,
    CHANGES_JSON,
    DESCRIPTOR_NAME,
    DICTIONARY_CSV,
    DICTIONARY_HTML,
    SUMS_NAME,
    ZIP_FOLDER,
    ZIP_NAME,
    as_of_note,
    dated_fields,
    day_of,
    descriptor,
    tables,
    write_table,
)
from register.publishing.release_store import (
    adopt,
    choose,
    content_hash,
    files_of,
    keep,
    keep_count,
    previous_set,
    prune,
)
from register.schema import standard as standard_mod
from register.schema.package import ROOT, Package
from register.schema.views import VIEWS_DIR
from register.site.downloads import WORKBOOK_NAME
from register.site.releases import RELEASE_KEY, citation, release_url, releases_root
from register.util.clock import in_england
from register.util.files import sha256_file
from register.util.guard import plain_errors
from register.util.text import command_parser

# --------------------------------------------------------------------------------------
# Zip, checksums and the atomic swap.


def write_zip(directory: Path, names: list[str]) -> Path:
    """Every file of the set in one zip, written file by file (streamed, not in memory)."""
    path = directory / ZIP_NAME
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6, allowZip64=True) as z:
        for name in names:
            z.write(directory / name, f"{ZIP_FOLDER}/{name}")
    return path


STANDARD_FOLDER = "standard"


def write_standard(schemas: Path, set_dir: Path) -> list[str]:
    """standard/: the schemas the data follows, with standard.json and CHANGELOG.md, so that
    other publishers can check their own data with them (docs/publishing.md); for a package
    whose schemas/ holds no standard.json, the register's own standard. Every file
    standard.json lists, whatever their number; returns their names in the set, which
    SHA256SUMS, the zip and the release all carry like any other file."""
    if not (schemas / standard_mod.STANDARD_FILE).is_file():
        # A merged package (the national register's) carries schemas of its own beside the
        # standard's fields, not the standard: its records follow the register's own.
        schemas = standard_mod.STANDARD_DIR
    standard = standard_mod.load(schemas)
    names = []
    for rel in (standard_mod.STANDARD_FILE, "CHANGELOG.md", *standard.schemas):
        name = f"{STANDARD_FOLDER}/{rel}"
        (set_dir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(schemas / rel, set_dir / name)
        names.append(name)
    return names


def write_sums(directory: Path, names: list[str], known: dict[str, str]) -> None:
    """SHA256SUMS in the format `sha256sum -c SHA256SUMS` checks."""
    lines = []
    for name in sorted(names):
        digest = known.get(name) or sha256_file(directory / name)
        lines.append(f"{digest}  {name}\n")
    (directory / SUMS_NAME).write_text("".join(lines), "utf-8")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE), if possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def swap_into_place(tmp: Path, final: Path) -> None:
    """Put the new set where the site serves it; the old set is removed afterwards."""
    if not final.exists():
        os.rename(tmp, final)
        return
    if _exchange(tmp, final):
        shutil.rmtree(tmp)  # now holds the old set
        return
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old)


# --------------------------------------------------------------------------------------
# The set.


def extract(
    package: Package, db_path: Path, out_dir: Path, now: dt.datetime | None = None, keep_releases: int | None = None
) -> dict:
    """Write the complete extract set for db_path into out_dir, atomically, and keep it
    as a release in out_dir/../releases/.

    Everything is written into a temporary directory beside out_dir, kept as its release
    (unless that release is already kept), then swapped into place; if anything fails,
    the temporary directory is removed and out_dir is left as it was. Returns a summary:
    created, release, rows per table, files and the changes found.
    """
    db_path, out_dir = Path(db_path), Path(out_dir)
    if not db_path.is_file():
        raise FileNotFoundError(f"{db_path} does not exist: run `make build` first")
    keep_releases = keep_count() if keep_releases is None else keep_releases
    root = releases_root(out_dir)
    created = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    created_iso = created.isoformat().replace("+00:00", "Z")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        summary = _write_set(package, db_path, tmp, out_dir, created_iso)
        for name in files_of(tmp):  # standard/ included
            with (tmp / name).open("rb") as f:
                os.fsync(f.fileno())
        summary["release_new"] = keep(tmp, root, summary["release"])
        if not summary["release_new"]:
            adopt(root / summary["release"], tmp)
            # SHA256SUMS is the file `make` takes as the set (build/extracts/SHA256SUMS): a
            # link to the release's keeps the day the release was first made, older than the
            # database made since, so make would extract again on every run. The same bytes,
            # in a file of the set's own.
            (tmp / SUMS_NAME).unlink()
            shutil.copyfile(root / summary["release"] / SUMS_NAME, tmp / SUMS_NAME)
            # What is published now is the release's own changelog: say what it says.
            summary["changes"] = json.loads((tmp / CHANGES_JSON).read_text("utf-8"))
        swap_into_place(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    summary["releases_removed"] = prune(root, keep_releases, summary["release"])
    return summary


def _write_set(package: Package, db_path: Path, tmp: Path, out_dir: Path, created_iso: str) -> dict:
    root = releases_root(out_dir)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        build_info = {}
        try:
            build_info = dict(conn.execute("SELECT key, value FROM register_build"))
        except sqlite3.Error:
            pass
        all_tables = tables(package)
        dated = dated_fields(all_tables)
        # Everything read from the database is read for one day: if the day turns while
        # it is read, it is read again, so no file states another day's figures.
        for _ in range(3):
            as_of = day_of(conn) if dated else None
            written, release, dict_rows = _from_database(
                package, conn, tmp, db_path, root, created_iso, build_info, as_of, all_tables
            )
            if as_of is None or day_of(conn) == as_of:
                break
        else:
            raise RuntimeError("the day kept turning while the extract was written: run it again")
    finally:
        conn.close()
    for w in written:
        write_excel_csv(tmp / w["csv"], tmp / excel_csv_name(w["table"].name))
    write_dictionary_csv(tmp / DICTIONARY_CSV, dict_rows)
    write_dictionary_html(tmp / DICTIONARY_HTML, package, dict_rows, written, created_iso)
    standard = write_standard(package.root / "schemas", tmp)
    version = str(package.descriptor.get("version", ""))
    previous = previous_set(out_dir, root)
    found = carry_forward(changes(previous, tmp, written, created_iso, version), previous)
    found.pop("as_of_note", None)
    if as_of:
        found["as_of_note"] = as_of_note(dated, as_of)
    (tmp / CHANGES_JSON).write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (tmp / CHANGELOG_MD).write_text(
        changelog_markdown(found, package.descriptor.get("title", "register")) + "\n", "utf-8"
    )

    known = {}
    for w in written:
        known[w["csv"]], known[w["json"]] = w["csv_sha256"], w["json_sha256"]
    # The zip is the machine-readable set (the data package and its companions, the
    # standard); the files for spreadsheets are downloads of their own.
    in_zip = [DESCRIPTOR_NAME, DICTIONARY_HTML, DICTIONARY_CSV, CHANGELOG_MD, CHANGES_JSON]
    in_zip += [n for w in written for n in (w["csv"], w["json"])] + standard
    for_excel = [WORKBOOK_NAME] + [excel_csv_name(w["table"].name) for w in written]
    write_zip(tmp, in_zip)
    write_sums(tmp, in_zip + for_excel + [ZIP_NAME], known)
    return {
        "created": created_iso,
        "as_of": as_of,
        "release": release,
        "rows": {w["table"].name: w["rows"] for w in written},
        "files": sorted(in_zip + for_excel + [ZIP_NAME, SUMS_NAME]),
        "changes": found,
    }


def _from_database(
    package: Package,
    conn: sqlite3.Connection,
    tmp: Path,
    db_path: Path,
    root: Path,
    created_iso: str,
    build_info: dict,
    as_of: str | None,
    all_tables: list,
) -> tuple[list[dict], str, list[dict]]:
    """The files read from the database (tables, data package, workbook), for day as_of."""
    added = older_minor.added_columns(package)
    written = [_write_one(conn, t, tmp, db_path, added.get(t.name, [])) for t in all_tables]
    inputs = content_hash(build_info, [w["csv_sha256"] for w in written])
    release = choose(root, inputs, created_iso, as_of)
    desc = descriptor(package, written, created_iso, build_info, as_of)
    desc[RELEASE_KEY] = release
    (tmp / DESCRIPTOR_NAME).write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    dict_rows = list(dictionary_rows(package, conn, all_tables))
    # The workbook's citation points at the data package's homepage: it is read
    # offline, far from the site that served it.
    url = release_url(str(package.descriptor.get("homepage", "")), release)
    about = {"release": release, "created": created_iso, "citation": citation(package.descriptor, release, url)}
    if as_of:
        about["as_of"] = as_of_note(dated_fields(all_tables), as_of)
    write_workbook(tmp / WORKBOOK_NAME, conn, package, written, dict_rows, about)
    return written, release, dict_rows


def _write_one(conn: sqlite3.Connection, t, tmp: Path, db_path: Path, added: list[str]) -> dict:
    """One table's CSV and JSON, after checking the database has the columns its schema says.
    A package on an older minor version of the standard publishes its own columns, not
    the ones the build added after them from the standard (register/database/older_minor.py)."""
    existing = conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?", (t.name,))
    if existing.fetchone() is None:
        raise RuntimeError(f"{db_path} has no table or view {t.name!r}: rebuild with `make build`")
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{t.name}])")]
    if columns not in (t.field_names, t.field_names + added):
        raise RuntimeError(
            f"{t.name} in {db_path} has columns {columns}, but its extract schema has "
            f"{t.field_names}. "
            + (f"Update {VIEWS_DIR / t.name}.json (or rebuild)." if t.is_view else "Rebuild with `make build`.")
        )
    csv_name, json_name = f"{t.name}.csv", f"{t.name}.json"
    rows = write_table(conn, t, tmp / csv_name, tmp / json_name)
    return {
        "table": t,
        "rows": rows,
        "csv": csv_name,
        "json": json_name,
        "csv_bytes": (tmp / csv_name).stat().st_size,
        "csv_sha256": sha256_file(tmp / csv_name),
        "json_bytes": (tmp / json_name).stat().st_size,
        "json_sha256": sha256_file(tmp / json_name),
    }


@plain_errors("making the downloads")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--root", default=str(ROOT), help="the repository whose schemas describe the data")
    parser.add_argument("--build-dir", default=None, help="where register.db is (default: ROOT/build)")
    parser.add_argument("--out", default=None, help="output directory (default: BUILD_DIR/extracts)")
    args = parser.parse_args(argv)
    settings.working()
    # The day of the figures (x-as-of, overdue, days open) is England's, as on the site,
    # wherever this runs: a machine on UTC is an hour behind in summer.
    in_england()
    package = Package(args.root)
    build_dir = Path(args.build_dir) if args.build_dir else package.root / "build"
    out = Path(args.out) if args.out else build_dir / "extracts"
    started = time.perf_counter()
    summary = extract(package, build_dir / "register.db", out)
    seconds = time.perf_counter() - started
    peak_mb = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(summary["rows"].values())
    print(
        f"Wrote {out}: {len(summary['files'])} files, {total:,} rows in {len(summary['rows'])} tables, "
        f"in {seconds:.1f} s (peak memory {peak_mb:.0f} MB)."
        + (f" Day-dependent figures are as of {summary['as_of']}." if summary["as_of"] else "")
    )
    kept = releases_root(out) / summary["release"]
    if summary["release_new"]:
        print(f"Release {summary['release']}: kept in {kept}.")
    else:
        same = "the same inputs" + (f", with figures as of {summary['as_of']}," if summary["as_of"] else "")
        print(f"Release {summary['release']}: {same} as when it was made; its files in {kept} are unchanged.")
    if summary["releases_removed"]:
        print(f"Removed older releases: {', '.join(summary['releases_removed'])} (REGISTER_KEEP_RELEASES).")
    print(console_summary(summary["changes"], out / CHANGELOG_MD))
    return 0


if __name__ == "__main__":
    sys.exit(main())
