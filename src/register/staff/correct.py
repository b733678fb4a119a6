"""`make correct ID=<record id> FIELD=<field> VALUE=<new value> REASON="..."`: the one way
to change a published record, in public.

The record is found by its identifier (its prefix says its table). The changed record
goes through every check an append of that record would (types, codes, references,
cross-row rules, the privacy gate), and the correction itself (old value, new value,
date, reason) through the checks of an append to corrections. Then the whole register
as it would be after the change is checked (register/staff/trial.py): a value right on
its own can still break other records that point at this one, such as a "You said" item
re-dated after its own updates. Only when all of that passes are they written, under the register's lock: first the correction is appended to
datasets/corrections.csv, then the record's line is replaced in its CSV (every other
line of that file is left byte for byte as it was); then the database is rebuilt.
Nothing is silently rewritten: the old value stays in the correction and in git history.

If the process is killed between the two writes, corrections.csv holds a correction
whose record does not hold its new value. That pair is inconsistent, and it is found:
`make validate` and `make build` report it (the x-applied rule, register/checks/rules.py),
and this command refuses any other correction until it is finished. Running the same
command again finishes it: it changes the record without recording the correction twice.
A kill before the first write changes nothing; after the second, everything is in place.
When the record's file cannot be written (locked, read-only, a full disk), the correction
is taken back out, so datasets/ is as it was.

PERSONAL_DATA=yes leaves the old value out of the correction, for personal data that
was published by mistake (docs/staff-guide.md: the old value must then also be removed
from git history).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys

from register import settings
from register.checks.problems import Problem
from register.checks.rules import read_rows, records_holding, unapplied_corrections
from register.schema.package import MAIN_RESOURCES, ROOT, Package, Resource, command, today
from register.staff import append as appendmod
from register.staff import trial, update_status
from register.staff.batch import Batch
from register.staff.input_file import column_key
from register.staff.normalise import Codes, id_in_capitals, normalise_cells
from register.staff.write import (
    display_path,
    line_style,
    may_write,
    open_in_spreadsheet,
    remove_stale_temps,
    temp_name,
    write_rows,
)
from register.util import locking, signals
from register.util.guard import plain_errors
from register.util.text import command_parser, not_utf8_message, printable

CORRECTIONS = "corrections"
# The tables whose records may be corrected: the corrections schema lists them.
CORRECTABLE = (*MAIN_RESOURCES, "partner_verdicts")
# What a running `make serve` does with a rebuilt database (register/site: it switches by itself).
NO_RESTART = "a running `make serve` shows the change within two seconds, no restart needed."
EXAMPLE = 'make correct ID=YS-0001 FIELD=theme VALUE=governance REASON="Filed under the wrong theme."'


class Refused(Exception):
    """The correction cannot be made as asked; nothing was changed."""


class HalfDone(Exception):
    """The correction was recorded but its record could not be changed, nor the correction
    taken back out: the state a kill between the two writes leaves, finished the same way."""


def table_of(package: Package, record_id: str) -> Resource:
    """The table whose identifiers have the record's prefix."""
    prefix = record_id.split("-", 1)[0].upper()
    for name in CORRECTABLE:
        res = package.resource(name)
        if res.id_prefix and res.id_prefix == prefix:
            return res
    prefixes = ", ".join(f"{package.resource(n).id_prefix}- ({n})" for n in CORRECTABLE)
    raise Refused(
        f"ID={printable(record_id)} is not the identifier of a record that can be corrected: one of {prefixes}"
    )


def find_record(res: Resource, record_id: str) -> tuple[int, dict]:
    for rownum, row in read_rows(res.path):
        if row.get("id") == record_id:
            return rownum, row
    raise Refused(f"{res.name} has no record {printable(record_id)}")


def replace_line(res: Resource, record_id: str, row: dict) -> None:
    """Write the CSV again with the record's line(s) replaced and every other byte kept:
    a temporary file beside it, fsynced and renamed into place."""
    path = res.path
    terminator, _ = line_style(path)
    with path.open(newline="", encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    start = reader.line_num
    for cells in reader:
        if cells and cells[header.index("id")] == record_id:
            end = reader.line_num
            break
        start = reader.line_num
    else:
        raise Refused(f"{res.name} has no record {printable(record_id)}")
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=terminator).writerow([row.get(n, "") for n in res.field_names])
    tmp = temp_name(path)
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            f.write("".join(lines[:start]) + out.getvalue() + "".join(lines[end:]))
            f.flush()
            os.fsync(f.fileno())
        shutil.copymode(path, tmp)  # a file made read-only stays so
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def pending(package: Package) -> list[tuple[int, dict]]:
    """Corrections recorded but not applied to their record (a command that was killed)."""
    res = package.resource(CORRECTIONS)
    return unapplied_corrections(read_rows(res.path), records_holding(package, CORRECTIONS))


def checked(package: Package, batch: Batch, replacing: dict | None = None) -> None:
    """The checks of an append (normalised values, then against datasets/); raise Refused."""
    normalise_cells(package, batch, Codes(package))
    appendmod.check_batch(package, batch, replacing)
    if batch.problems:
        raise Refused(problems_text(package, batch.resource, batch.problems))


def problems_text(package: Package, res: Resource, problems: list[Problem]) -> str:
    out = io.StringIO()
    appendmod.print_problems(problems, res, out)
    return f"the correction has problems:\n{out.getvalue().rstrip()}"


def correct(package: Package, record_id: str, field: str, value: str, reason: str, personal_data: bool) -> str:
    """Check and write the correction and the record; returns what was done, in words."""
    res = table_of(package, record_id)
    record_id = id_in_capitals(res.id_prefix, record_id)  # log-0003 is LOG-0003
    # "Activity date" too, and the field's title as the site shows it ("Date said")
    names = {column_key(f.title): f.name for f in res.fields} | {column_key(n): n for n in res.field_names}
    field = names.get(column_key(field), field)
    if field not in res.field_names:
        raise Refused(f"{res.name} has no field {printable(field)}; FIELD= is one of: {', '.join(res.field_names)}")
    if field in res.primary_key:
        raise Refused(f"{field} is the record's identifier, which never changes")
    if personal_data and "personal data" not in " ".join(reason.lower().split()):
        # The old value is then published empty: only the reason can say one was removed.
        raise Refused(
            "with PERSONAL_DATA=yes the old value is not kept, so the public correction shows it as empty: "
            'REASON= must say that personal data was removed, for example REASON="Personal data removed."'
        )
    corrections = package.resource(CORRECTIONS)
    with locking.exclusive(package.root):
        open_there = open_in_spreadsheet(package, corrections.path) + open_in_spreadsheet(package, res.path)
        if open_there:
            raise Refused(f"{open_there[0].file}: {open_there[0].message}")
        for path in (corrections.path, res.path):  # a read-only file is refused before either is written
            try:
                may_write(path)
            except OSError as e:
                raise Refused(not_saved(package, path, e)) from e
        rownum, old = find_record(res, record_id)
        unfinished = pending(package)
        finishing = [
            c for _, c in unfinished if (c["resource"], c["record_id"], c["field"]) == (res.name, record_id, field)
        ]
        others = [(n, c) for n, c in unfinished if c not in finishing]
        if others:
            lines = "; ".join(f"row {n}: {c['record_id']} {c['field']}" for n, c in others)
            raise Refused(
                f"{display_path(package, corrections.path)} has corrections that were recorded but not applied "
                f"({lines}). Run `{command(package, 'make validate')}` to see them, and finish each with the same `make correct` first"
            )
        new = {**old, field: value}
        record = Batch(res, display_path(package, res.path), [(rownum, new)])
        checked(package, record, replacing=old)
        new = {**old, field: record.rows[0][1][field]}  # the other fields exactly as they were
        if finishing and finishing[-1]["new_value"] == new[field]:
            whole_checked(package, res, [res.name], lambda copy: replace_line(copy.resource(res.name), record_id, new))
            replace_line(res, record_id, new)
            return f"Finished {finishing[-1]['id']}, which was recorded but not applied.", rebuild(package, res)
        if finishing:
            raise Refused(
                f"a correction of {record_id} {field} to {finishing[-1]['new_value']!r} was recorded but not applied; "
                f"finish it with that VALUE first"
            )
        if new[field] == old.get(field, ""):
            raise Refused(f"{record_id} {field} already holds {printable(new[field])!r}: there is nothing to correct")
        if personal_data and not old.get(field, ""):
            raise Refused(
                f"{record_id} {field} is empty: there is no personal data to leave out; leave out PERSONAL_DATA="
            )
        entry = {
            "id": "",
            "resource": res.name,
            "record_id": record_id,
            "field": field,
            "old_value": "" if personal_data else old.get(field, ""),
            "new_value": new[field],
            "corrected_date": today().isoformat(),
            "reason": reason,
        }
        batch = Batch(corrections, f"the correction of {record_id}", [(None, entry)])
        checked(package, batch)
        entry = batch.rows[0][1]

        def change(copy: Package) -> None:
            write_rows(copy.resource(CORRECTIONS), [entry], pause=False)
            replace_line(copy.resource(res.name), record_id, new)

        whole_checked(package, res, [CORRECTIONS, res.name], change)
        moved = current_statuses(package, res, record_id, old, new)
        with signals.held() as caught:  # Ctrl+C or kill waits for both writes, not between them
            remove_stale_temps(corrections.path)
            recorded = corrections.path.stat().st_size
            try:
                write_rows(corrections, [entry])  # first the correction...
            except OSError as e:  # a full disk: its temporary copy is gone, the file as it was
                raise Refused(not_saved(package, corrections.path, e)) from e
            try:
                replace_line(res, record_id, new)  # ...then the record (see the docstring)
            except OSError as e:  # a full disk: take the correction back out
                unsaved = f"{display_path(package, res.path)} could not be saved ({e.strerror or e})"
                try:
                    os.truncate(corrections.path, recorded)  # its old bytes are the start of the new file
                except OSError:
                    raise HalfDone(
                        f"{entry['id']} was recorded in {display_path(package, corrections.path)}, but {unsaved}. "
                        "Check there is free disk space and that you may write to datasets/, then run the same "
                        "`make correct` again to finish it"
                    ) from e
                raise Refused(
                    f"{unsaved}. Check there is free disk space and that you may write to datasets/, "
                    "then run the same command again"
                ) from e
        error = appendmod.STOPPED if caught else rebuild(package, res)
    return f"Corrected {record_id} {field} ({entry['id']}, in {display_path(package, corrections.path)}).{moved}", error


def not_saved(package: Package, path, error: OSError) -> str:
    return (
        f"{display_path(package, path)} could not be saved ({error.strerror or error}). Check there is free disk "
        "space and that you may write to it and to datasets/, then run the same command again"
    )


def current_statuses(package: Package, res: Resource, record_id: str, old: dict, new: dict) -> str:
    """What a correction of a status update does to its items' current status (the latest
    update), in words: a corrected date, status or item can reopen a closed loop or close
    an open one on the item's public page, which "Corrected" alone does not say."""
    if res.name != update_status.RESOURCE:
        return ""
    history = [r for _, r in read_rows(res.path)]
    lines = []
    for item in dict.fromkeys((old.get("you_said_id"), new.get("you_said_id"))):
        before, after = (
            max(
                (r for r in rows if r.get("you_said_id") == item),
                key=lambda r: (r.get("update_date") or "", r.get("id") or ""),
                default=None,
            )
            for rows in (history, [new if r.get("id") == record_id else r for r in history])
        )
        if before and after and (before["id"], before["status"]) != (after["id"], after["status"]):
            loop = {
                (True, False): " Its loop is open again.",
                (False, True): " Its loop is now closed.",
            }.get(tuple(update_status.closes_loop(package, r["status"]) for r in (before, after)), "")
            lines.append(
                f"{item}'s current status is now '{after['status']}' ({after['id']} of {after['update_date']}), "
                f"no longer '{before['status']}' ({before['id']}), and its page says so.{loop}"
            )
    return "".join(f"\n{line}" for line in lines)


def whole_checked(package: Package, res: Resource, changed: list[str], change) -> None:
    """Refuse a correction that would break any rule anywhere in the register (another
    record pointing at this one, say), tried on a scratch copy before anything is written."""
    problems = trial.new_problems(package, changed, change)
    if problems:
        out = io.StringIO()
        appendmod.print_problems(problems, res, out)
        raise Refused(
            "with this correction, records that depend on this one would break the register's rules. "
            f"The register would then have these problems:\n{out.getvalue().rstrip()}\n"
            "Correct those records first, or give another VALUE"
        )


def rebuild(package: Package, res: Resource) -> str | None:
    """Rebuild the database after the write; what went wrong, or None. Always the whole
    of it, since a line was changed, and said as that (not as a file changed by hand)."""
    return appendmod.rebuild_database(package.root, why=f"{display_path(package, res.path)} has a corrected record")


@plain_errors("correcting the record")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--id", default="", help="the record to correct, e.g. YS-0001")
    parser.add_argument("--field", default="", help="the field to correct, e.g. theme")
    parser.add_argument("--value", default="", help="the new value (empty to empty the field)")
    parser.add_argument("--reason", default="", help="why, in plain English (published)")
    parser.add_argument(
        "--personal-data",
        nargs="?",
        const=True,
        default=False,
        type=appendmod.yes_no("PERSONAL_DATA", False),
        help="yes: leave the old value out of the correction (PERSONAL_DATA=yes)",
    )
    parser.add_argument("--root", default=str(ROOT), help="the repository to correct (default: this one)")
    args = parser.parse_args(argv)
    settings.working()
    given = {"ID": args.id, "FIELD": args.field, "VALUE": args.value, "REASON": args.reason}
    not_text = [m for flag, value in given.items() if (m := not_utf8_message(f"{flag}=", value))]
    missing = [flag for flag in ("ID", "FIELD", "REASON") if not given[flag].strip()]
    for message in not_text + [f"{flag}= is required" for flag in missing]:
        print(f"Nothing was changed: {message}. Example: {EXAMPLE}", file=sys.stderr)
    if not_text or missing:
        return 2
    package = appendmod.open_package(args.root)
    try:
        done, error = correct(package, args.id.strip(), args.field.strip(), args.value, args.reason, args.personal_data)
    except Refused as e:
        print(f"Nothing was changed: {str(e).rstrip('.')}.", file=sys.stderr)
        print("datasets/ is unchanged.", file=sys.stderr)
        return 1
    except locking.LockTimeout as e:
        print(f"Nothing was changed: {e}.", file=sys.stderr)
        return 1
    except HalfDone as e:
        print(f"The correction is not finished: {e}.", file=sys.stderr)
        return 1
    print(done)
    if error:  # as `make append` does: the change is saved, the site is not up to date
        print(
            f"The correction is saved, but the database could not be rebuilt ({error}). "
            f"Run `{command(package, 'make validate')}` and then `{command(package, 'make build')}`.",
            file=sys.stderr,
        )
        return 3
    print(f"The database is rebuilt; {NO_RESTART}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
