"""`make append TABLE=<resource> FILE=<path>`: add the records in a CSV or .xlsx file to
the register, all or nothing.

Every new row is checked against its Table Schema (types, required fields, patterns,
lengths, codes), against the rows already in datasets/ (identifiers unique, foreign
keys pointing at real rows), against the cross-row rules (register/checks/rules.py) and the
privacy gate (register/checks/privacy.py). Only when every row passes is the resource's CSV
rewritten, as a temporary file beside it that is fsynced and renamed into place, under
a lock; then the database is rebuilt so the site shows the new rows. On any problem the
command prints one line per problem (file, row, field, value, what is allowed), exits
non-zero and datasets/ is byte-for-byte unchanged.

The steps live in: register/staff/batch.py (the file's header matched to the schema),
register/staff/normalise.py (values as staff type them, then the one row checker that
`make validate` uses), register/staff/identifiers.py (what the rows already in datasets/
say: identifiers, references, cross-row rules) and register/staff/write.py (the write).

`make add` and `make update-status` build their rows and hand them to `append_rows`,
so every way of adding data goes through the same checks and the same write.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from register import settings
from register.checks.problems import Problem
from register.checks.supported import Fallback
from register.database import known_rows
from register.schema.package import ROOT, Package, Resource, command, not_a_register
from register.staff import readers, reopening, trial
from register.staff.batch import (
    Batch,
    UsageError,
    column_names,
    columns_text,
    from_table,
    generated_field,
    staff_resource,
)
from register.staff.identifiers import (
    check_against_existing,
    check_rules_across,
    existing_cells,
    give_identifiers,
    read_header,
    scan_existing,
)
from register.staff.normalise import Codes, allowed, check_cells, check_value, codelist_of, normalise_cells
from register.staff.options import add_allow_option, yes_no
from register.staff.repeats import check_repeats
from register.staff.write import (
    PAUSE_ENV,
    RELEASE_ENV,
    display_path,
    inside_datasets,
    open_in_spreadsheet,
    remove_stale_temps,
    write_rows,
)
from register.util import locking, signals
from register.util.guard import plain_errors
from register.util.text import command_parser
from register.util.words import agree

# Also importable from here, where the other staff commands and the tests look for them.
__all__ = [
    "PAUSE_ENV",
    "RELEASE_ENV",
    "Batch",
    "Codes",
    "UsageError",
    "add_allow_option",
    "yes_no",
    "allowed",
    "append_rows",
    "check_batch",
    "check_value",
    "codelist_of",
    "generated_field",
    "main",
    "open_package",
    "print_problems",
    "rebuild_database",
    "run_batch",
    "scan_existing",
    "staff_resource",
]

# Why the database was not rebuilt after the rows were saved, when Ctrl+C was pressed.
STOPPED = "it was stopped with Ctrl+C before it finished"
# Printing ten thousand lines helps nobody: show this many, then say how many more.
MAX_SHOWN = 500


class WriteError(Exception):
    """The checked rows could not be written; the register's file is as it was."""


@dataclass
class Outcome:
    ok: bool
    problems: list[Problem]
    rows: list[dict]
    given: list[str]
    build_error: str | None = None
    seconds: float = 0.0
    rebuilt: bool = False


def open_package(root: str) -> Package:
    """The register at ROOT=; a folder that is not one ends the command in one sentence
    (exit 2, as for any other usage mistake) rather than a missing-file error."""
    if refusal := not_a_register(root):
        print(f"Nothing was changed: {refusal}", file=sys.stderr)
        raise SystemExit(2)
    return Package(Path(root).expanduser())


def check_batch(package: Package, batch: Batch, replacing: dict | None = None):
    """Every check of the batch against the rows already in datasets/ (called under the
    lock, after normalise_cells); problems go to batch.problems. Returns (what datasets/
    holds, identifiers given). `replacing`: the existing row the batch's one row replaces
    (`make correct`), whose identifier and values are not counted as taken."""
    ex = scan_existing(package, batch)
    if replacing is not None:
        for name, taken in ex.taken.items():
            taken.discard(replacing.get(name, ""))
        for key, taken in ex.together.items():
            taken.discard(tuple(replacing.get(c, "") for c in key))
    given = give_identifiers(batch, ex)
    try:
        check_cells(package, batch)
    except Fallback as e:
        batch.problems.append(Problem(batch.file, None, None, None, f"the rows cannot be checked here ({e})"))
    check_against_existing(package, batch, ex)
    check_rules_across(package, batch, ex)
    return ex, given


def append_batch(
    package: Package, batch: Batch, rebuild: bool = True, out=sys.stderr, allow_repeats: bool = False
) -> Outcome:
    """Check the batch against everything, then write it and rebuild: all or nothing.
    Rows that repeat existing records are refused unless `allow_repeats`."""
    start = time.perf_counter()
    res = batch.resource
    codes = Codes(package)
    # The header does not match: row checks would only repeat it. (Problems of one row,
    # such as a number in a text cell, leave the other rows to be checked.)
    if any(p.row in (None, 1) for p in batch.problems):
        return Outcome(False, batch.problems, [], [], seconds=time.perf_counter() - start)
    normalise_cells(package, batch, codes)
    with locking.exclusive(package.root, out=out):
        if res.path.exists():
            header = read_header(res.path)
            if header != res.field_names:
                batch.problems.append(
                    Problem(
                        display_path(package, res.path),
                        1,
                        None,
                        ",".join(header),
                        "the register's own file does not have the columns its schema "
                        "lists, so nothing can be added safely; run `make validate`",
                        columns_text(res),
                    )
                )
                return Outcome(False, batch.problems, [], [], seconds=time.perf_counter() - start)
        batch.problems.extend(open_in_spreadsheet(package, res.path))  # saving it there would undo the append
        if batch.under_lock:
            batch.problems.extend(batch.under_lock())
        batch.problems.extend(reopening.problems(package, batch))  # a closed loop reopened says why
        ex, given = check_batch(package, batch)
        if not allow_repeats:  # a row with other problems is reported for those
            check_repeats(package, batch)
        if not res.id_prefix and not batch.problems:
            check_whole(package, batch)
        if batch.problems:
            return Outcome(False, batch.problems, [], [], seconds=time.perf_counter() - start)
        rows = [row for _, row in batch.rows]
        try:
            with signals.held() as caught:  # Ctrl+C or kill waits until the rows are saved
                remove_stale_temps(res.path)
                write_rows(res, rows)
                known_rows.record_append(package, res, ex.covered)
        except OSError as e:  # read-only folder, full disk: the old file is still in place
            raise WriteError(
                f"{display_path(package, res.path)} could not be saved ({e.strerror or e}). "
                f"Check there is free disk space and that you may write to "
                f"{display_path(package, res.path.parent)}/, then run the same command again"
            ) from e
        outcome = Outcome(True, [], rows, given)
        if caught and rebuild:  # Ctrl+C while they were saved: saved, and the rebuild not started
            outcome.build_error = STOPPED
        elif rebuild:
            outcome.build_error = rebuild_database(package.root)
            outcome.rebuilt = outcome.build_error is None
    outcome.seconds = time.perf_counter() - start
    return outcome


def check_whole(package: Package, batch: Batch) -> None:
    """For a table keyed by a code (sources, codelists: small, and read by every other
    table), the whole register as it would be after the append, since a rule such as
    "exactly one default response rule" looks across the whole file. Problems in the new
    rows are named by the row of the person's file; others by where they would be."""
    res = batch.resource
    rel = display_path(package, res.path)
    first = 2 + (sum(1 for _ in existing_cells(res.path, None)) if res.path.exists() else 0)
    rows = [row for _, row in batch.rows]
    found = trial.new_problems(package, [res.name], lambda copy: write_rows(copy.resource(res.name), rows, pause=False))
    for p in found:
        if p.file == rel and p.row is not None and 0 <= p.row - first < len(batch.rows):
            p = replace(p, file=batch.file, row=batch.rows[p.row - first][0])
        batch.problems.append(p)


def rebuild_database(root: Path, out=sys.stderr, why: str = "") -> str | None:
    """Bring build/register.db up to date with datasets/ (the new rows were checked just
    now; the rest was valid before): in place when only appends happened since the last
    build (register/database/incremental.py), else by a full build, saying why in one
    line (given by `make correct`, which changes a line). What went wrong, or None.

    The rows are saved by now, so Ctrl+C here stops only the rebuild (whose new database
    was not yet renamed into place): said as such, so nobody takes the records for not
    added and adds them again."""
    try:
        return _rebuild(root, out, why)
    except KeyboardInterrupt:
        print(file=out)
        return STOPPED


def _rebuild(root: Path, out, why: str) -> str | None:
    # Imported here, not at the top: the build and what it imports (numpy among them) took
    # 0.3 of the 0.9 s of an append that does not rebuild (--no-build), at a million rows.
    from register.database import incremental
    from register.database.build import build

    package = Package(root)
    try:
        if why:
            raise incremental.NotIncremental(why)
        added = incremental.update(package)
        n = sum(added.values())
        print(f"Updated build/register.db in place with {n:,} new row{'s' if n != 1 else ''}.", file=out, flush=True)
        return None
    except incremental.NotIncremental as e:
        print(f"Rebuilding the whole database: {e}.", file=out, flush=True)
    except Exception as e:  # nothing was renamed into place: the full build starts afresh
        print(f"Rebuilding the whole database: the update in place failed ({type(e).__name__}: {e}).", file=out)
    try:
        build(package, Path(root) / "build", validate_first=False)
        return None
    except SystemExit as e:
        return f"the build stopped (exit {e.code})"
    except Exception as e:  # the rows are safely written; say so, and how to finish
        return f"{type(e).__name__}: {e}"


def print_problems(problems: list[Problem], resource: Resource, out) -> None:
    order = {n: i for i, n in enumerate(resource.field_names)}
    problems = sorted(set(problems), key=lambda p: (p.file, p.row or 0, order.get(p.field or "", -1), p.message))
    for p in problems[:MAX_SHOWN]:
        print(p, file=out)
    if len(problems) > MAX_SHOWN:
        print(f"... and {len(problems) - MAX_SHOWN:,} more problems not shown: fix these and run it again.", file=out)
    rows = len({p.row for p in problems if p.row})
    print(
        f"{len(problems):,} problem{'s' if len(problems) != 1 else ''}"
        + (f" in {rows:,} row{'s' if rows != 1 else ''}" if rows else "")
        + ".",
        file=out,
    )


def report_outcome(package: Package, res: Resource, outcome: Outcome, source: str) -> int:
    """Tell the person what happened; the exit code for the command."""
    rel = display_path(package, res.path)
    if not outcome.ok:
        print(f"Nothing was added to {res.name}: {source} has problems. Fix these and try again:", file=sys.stderr)
        print_problems(outcome.problems, res, sys.stderr)
        print(f"{rel} and the rest of datasets/ are unchanged.", file=sys.stderr)
        return 1
    n = len(outcome.rows)
    pk = res.primary_key[0] if len(res.primary_key) == 1 else None
    ids = [r.get(pk, "") for r in outcome.rows] if pk else []
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10:,} more" if len(ids) > 10 else "")
    print(f"Added {n:,} record{'s' if n != 1 else ''} to {rel}" + (f": {shown}" if shown else "") + ".")
    if outcome.given and len(outcome.given) < n:
        print(
            f"Identifiers given to rows that had none: {', '.join(outcome.given[:10])}"
            + (f" and {len(outcome.given) - 10:,} more" if len(outcome.given) > 10 else "")
            + "."
        )
    build = command(package, "make build")
    them = agree(n, "it", "them")
    if outcome.build_error:
        print(
            f"The records are saved, but the database could not be rebuilt ({outcome.build_error}). "
            f"Run `{command(package, 'make validate')}` and then `{build}`.",
            file=sys.stderr,
        )
        return 3
    if outcome.rebuilt:
        print(
            f"The database is rebuilt; a running `make serve` shows {them} within two seconds, no restart needed. "
            f"({outcome.seconds:.2f} s)"
        )
    else:
        print(f"The database was not rebuilt: run `{build}` to see {them} on the site. ({outcome.seconds:.2f} s)")
    return 0


def run_batch(package: Package, batch: Batch, rebuild: bool, source: str, allow_repeats: bool = False) -> int:
    """Append a batch and tell the person what happened; the exit code."""
    res = batch.resource
    try:
        outcome = append_batch(package, batch, rebuild=rebuild, allow_repeats=allow_repeats)
    except (locking.LockTimeout, WriteError) as e:
        print(f"Nothing was added to {res.name}: {e}.", file=sys.stderr)
        return 1
    except OSError as e:  # the lock file could not be made (build/ not writable)
        print(
            f"Nothing was added to {res.name}: {e.strerror or e} ({getattr(e, 'filename', '') or ''}). "
            f"Check there is free disk space and that you may write to the register's folder.",
            file=sys.stderr,
        )
        return 1
    return report_outcome(package, res, outcome, source)


def append_rows(
    package: Package, res: Resource, rows: list[dict], source: str, rebuild: bool = True, allow_repeats: bool = False
) -> int:
    """Append rows built by a program (`make add`, `make update-status`); exit code."""
    batch = Batch(res, source, [(None, dict(r)) for r in rows])
    return run_batch(package, batch, rebuild, source, allow_repeats)


@plain_errors("adding the records")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--table", default="", help="the resource to add to, e.g. coproduction_log")
    parser.add_argument("--file", default="", help="a CSV (UTF-8 or Windows-1252) or .xlsx file of new records")
    parser.add_argument("--sheet", default=None, help="the .xlsx sheet to read (default: the first visible one)")
    parser.add_argument("--root", default=str(ROOT), help="the repository to add to (default: this one)")
    parser.add_argument("--no-build", action="store_true", help="do not rebuild the database afterwards")
    parser.add_argument(
        "--rebuild", default=True, type=yes_no("REBUILD", True), help="no: do not rebuild the database (REBUILD=no)"
    )
    add_allow_option(parser)
    args = parser.parse_args(argv)
    settings.working()
    package = open_package(args.root)
    rebuild = args.rebuild and not args.no_build
    try:
        res = staff_resource(package, args.table)
        if not args.file:
            raise UsageError("say which file to add with FILE=<path to a .csv or .xlsx file>")
    except UsageError as e:
        print(f"Nothing was added: {e}", file=sys.stderr)
        return 2
    try:
        path = Path(args.file).expanduser()
        if kept := inside_datasets(package, path):
            print(f"Nothing was added to {res.name}: {kept}.", file=sys.stderr)
            return 1
        warning = readers.open_elsewhere(path)
        if warning:
            print(f"Warning: {warning}.", file=sys.stderr)
        table = readers.read_table(path, label=args.file, sheet=args.sheet, columns=list(column_names(res)))
    except OSError as e:
        print(f"Nothing was added to {res.name}: {args.file} cannot be opened ({e.strerror or e}).", file=sys.stderr)
        return 1
    except readers.InputError as e:
        print(f"Nothing was added to {res.name}: {args.file} cannot be read. Fix this and try again:", file=sys.stderr)
        print_problems(e.problems, res, sys.stderr)
        print(f"{display_path(package, res.path)} and the rest of datasets/ are unchanged.", file=sys.stderr)
        return 1
    return run_batch(package, from_table(res, table), rebuild, args.file, args.allow_duplicates)


if __name__ == "__main__":
    sys.exit(main())
