"""`make update-status ID=YS-0001 STATUS=done NOTE="..." SOURCE=... SECTION=...`: record
a change of status of a "You said" item.

The status history (you_said_we_did_updates) is only ever added to, so the change is
one new row, appended through the same checks and write as `make append`. NOTE is what
was done (or is planned, or under way) for the statuses whose "we did" text is required,
and the reason for the statuses whose reason is required (both come from the
x-required-when rules in the schema); for any other status (open) it is kept as the
reason. SOURCE and SECTION cite the document that records the change, like every record
in the register. DATE defaults to today.

Before anything is written, the item's history is read: a status dated before its
latest update is refused (it would be recorded but never become the current status),
reopening a closed item needs a NOTE (the public reason), and closing a closed item
again is warned about. What was done is said only once it is saved.
"""

from __future__ import annotations

import sys

from register import settings
from register.checks.problems import Problem
from register.checks.rules import read_rows
from register.schema.package import ROOT, Package, command, today
from register.staff import append as appendmod
from register.staff.identifiers import id_order
from register.staff.write import display_path
from register.util.guard import plain_errors
from register.util.text import command_parser, not_utf8_message, printable

RESOURCE = "you_said_we_did_updates"
# The arguments that must be given, and the field each fills.
REQUIRED = {"ID": "you_said_id", "STATUS": "status", "SOURCE": "source", "SECTION": "source_section"}


def note_field(res, status: str) -> str:
    """The field NOTE goes in for this status, from the schema's x-required-when rules."""
    for f in res.fields:
        cond = f.descriptor.get("x-required-when")
        if cond and cond["field"] == "status" and status in cond["in"]:
            return f.name
    return "reason"


def build_row(package: Package, item: str, status: str, note: str, date: str | None, source: str, section: str) -> dict:
    res = package.resource(RESOURCE)
    codes = appendmod.Codes(package)

    def stored(name: str, text: str) -> str:
        """The value as the append will store it (a code for its name, a date as
        YYYY-MM-DD, invisible characters gone), so the item's history is read, and the
        change described, for what is saved; a value it refuses is refused there."""
        return appendmod.check_value(package, codes, res.field(name), text)[0]

    code = stored("status", status)
    row = {
        "id": "",
        "you_said_id": stored("you_said_id", item),
        "update_date": stored("update_date", date or today().isoformat()),
        "status": code,
        "we_did": "",
        "reason": "",
        "source": source.strip(),
        "source_section": section.strip(),
    }
    row[note_field(res, code)] = note
    return row


@plain_errors("recording the status change")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--id", default="", help='the "You said" item, e.g. YS-0001')
    parser.add_argument("--status", default="", help="the new status code, e.g. done")
    parser.add_argument("--note", default="", help="what was done, or why not")
    parser.add_argument("--date", default=None, help="when the status changed, YYYY-MM-DD (default: today)")
    parser.add_argument("--source", default="", help="the document that records the change (a code in sources)")
    parser.add_argument("--section", default="", help="the section or page of that document")
    parser.add_argument("--root", default=str(ROOT), help="the repository to add to (default: this one)")
    parser.add_argument("--no-build", action="store_true", help="do not rebuild the database afterwards")
    appendmod.add_allow_option(parser)
    args = parser.parse_args(argv)
    settings.working()
    package = appendmod.open_package(args.root)
    res = package.resource(RESOURCE)
    given = {
        "ID": args.id,
        "STATUS": args.status,
        "NOTE": args.note,
        "DATE": args.date or "",
        "SOURCE": args.source,
        "SECTION": args.section,
    }
    not_text = [m for flag, value in given.items() if (m := not_utf8_message(f"{flag}=", value))]
    for message in not_text:
        print(f"Nothing was changed: {message}.", file=sys.stderr)
    if not_text:
        return 2
    missing = [(flag, name) for flag, name in REQUIRED.items() if not given[flag].strip()]
    if missing:
        for flag, name in missing:
            f = res.field(name)
            print(
                f"Nothing was changed: {flag}= is required ({f.title}: {f.description}) Allowed: {appendmod.allowed(package, f)}",
                file=sys.stderr,
            )
        print(
            'Example: make update-status ID=YS-0001 STATUS=done NOTE="What was done" '
            "SOURCE=nn_icb_strategy_2025 SECTION=8.1",
            file=sys.stderr,
        )
        return 2
    row = build_row(package, args.id, args.status, args.note, args.date, args.source, args.section)
    history = item_history(package, row)
    date = update_date(package, row)
    refusal = out_of_order(package, row, history, date) or reopened_without_reason(package, row, history, args.note)
    if refusal:
        print(f"Nothing was changed: {refusal}.", file=sys.stderr)
        print(f"{display_path(package, res.path)} and the rest of datasets/ are unchanged.", file=sys.stderr)
        return 1
    label = f"the status change of {printable(row['you_said_id'])}"

    def recheck() -> list[Problem]:
        """The same checks under the write lock: another change to the item (a later
        update, a closing) may have been saved while this one waited for it."""
        now = item_history(package, row)
        again = out_of_order(package, row, now, date) or reopened_without_reason(package, row, now, args.note)
        return [Problem(label, None, None, None, again)] if again else []

    batch = appendmod.Batch(res, label, [(None, dict(row))], under_lock=recheck)
    code = appendmod.run_batch(package, batch, not args.no_build, label, args.allow_duplicates)
    if code == 1:
        print(
            f"(ID= is you_said_id, STATUS= is status, NOTE= is {note_field(res, row['status'])} for this status, "
            f"DATE= is update_date, SOURCE= is source and SECTION= is source_section.)",
            file=sys.stderr,
        )
        return code
    if code in (0, 3):  # saved: now say what it means
        kept = f"; NOTE is kept as {res.field(note_field(res, row['status'])).title!r}" if args.note.strip() else ""
        since = status_since(history, row["status"])
        if since:  # the same status again: its page still says since when it has had it
            print(
                f"{printable(row['you_said_id'])} keeps status '{printable(row['status'])}', which it has had "
                f"since {printable(since)} (its 'Status since'); this update, of {printable(row['update_date'])}, "
                f"is added to its history{kept}."
            )
        else:
            print(
                f"{printable(row['you_said_id'])} now has status '{printable(row['status'])}' "
                f"from {printable(row['update_date'])}{kept}."
            )
        closed = latest_closing(package, history)
        if closed and closes_loop(package, row["status"]):
            print(
                f"Warning: {printable(row['you_said_id'])} was already closed ('{closed['status']}' on "
                f"{closed['update_date']}, {closed['id']}); this closes it again.",
                file=sys.stderr,
            )
    return code


def item_history(package: Package, row: dict) -> list[dict]:
    """The item's status updates so far, oldest first (as the current-status view orders them)."""
    res = package.resource(RESOURCE)
    if not res.path.exists():
        return []
    found = [r for _, r in read_rows(res.path) if r.get("you_said_id") == row["you_said_id"]]
    return sorted(found, key=lambda r: (r.get("update_date") or "", id_order(r.get("id") or "")))


def status_since(history: list[dict], status: str) -> str | None:
    """When the item took `status`, if its latest updates have it: the first of them, as
    the register's 'Status since' counts (register/database/views.sql). None when the
    item's current status is another (or it has no update)."""
    since = None
    for r in reversed(history):
        if r.get("status") != status:
            break
        since = r.get("update_date")
    return since


def update_date(package: Package, row: dict) -> str | None:
    """The new update's date as the register stores it, or None when it cannot be read
    (the append then says why)."""
    f = package.resource(RESOURCE).field("update_date")
    value, problems = appendmod.check_value(package, appendmod.Codes(package), f, row["update_date"])
    return None if problems else value


def out_of_order(package: Package, row: dict, history: list[dict], date: str | None) -> str | None:
    """A status dated before the item's latest update would not become its current status:
    it would be recorded, and the item would say what it said before. Refused, with the
    ways through."""
    if not history:
        return None
    latest = history[-1]
    if date is None or date >= (latest.get("update_date") or ""):
        return None
    return (
        f"{row['you_said_id']} already has a later update ({latest['id']}, '{latest['status']}' on "
        f"{latest['update_date']}), so a status dated {date} would not become its current status: it would stay "
        f"'{latest['status']}'. To change its current status, give DATE= on or after {latest['update_date']} "
        f"(or leave DATE= out for today). To add an earlier step to its history on purpose, use "
        + command(package, f"make append TABLE={RESOURCE} FILE=<file>")
    )


def closes_loop(package: Package, status: str) -> bool:
    statuses = package.resource("statuses")
    true = statuses.field("closes_loop").true_values
    return any(r.get("code") == status and r.get("closes_loop") in true for _, r in read_rows(statuses.path))


def latest_closing(package: Package, history: list[dict]) -> dict | None:
    """The item's latest update, when it closed the loop."""
    return history[-1] if history and closes_loop(package, history[-1].get("status") or "") else None


def reopened_without_reason(package: Package, row: dict, history: list[dict], note: str) -> str | None:
    """Reopening a closed item says why: the public sees the loop open again."""
    closed = latest_closing(package, history)
    known = {r.get("code") for _, r in read_rows(package.resource("statuses").path)}
    if closed is None or row["status"] not in known or closes_loop(package, row["status"]) or note.strip():
        return None  # (a status that is no code is refused as such by the append)
    return (
        f"{row['you_said_id']} is closed ('{closed['status']}' on {closed['update_date']}, {closed['id']}); "
        f"to reopen it as '{row['status']}', say why in NOTE=\"...\" (it is published as the reason)"
    )


if __name__ == "__main__":
    sys.exit(main())
