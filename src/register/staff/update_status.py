"""`make update-status ID=YS-0001 STATUS=done NOTE="..." SOURCE=... SECTION=...`: record
a change of status of a "You said" item.

The status history (you_said_we_did_updates) is only ever added to, so the change is
one new row, appended through the same checks and write as `make append`. NOTE is what
was done (or is planned, or under way) for the statuses whose "we did" text is required,
and the reason for the statuses whose reason is required (both come from the
x-required-when rules in the schema); for any other status (open) it is kept as the
reason. SOURCE and SECTION cite the document that records the change, like every record
in the register. DATE defaults to today.
"""

from __future__ import annotations

import argparse
import sys

from register.schema.package import ROOT, Package, today
from register.staff import append as appendmod
from register.util.guard import plain_errors
from register.util.text import not_utf8_message, printable

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
    code = codes.normalise("statuses", status) or status.strip()
    row = {
        "id": "",
        "you_said_id": item.strip(),
        "update_date": (date or today().isoformat()).strip(),
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    label = f"the status change of {printable(args.id.strip())}"
    kept_as = res.field(note_field(res, row["status"])).title
    print(
        f"Recording status '{printable(row['status'])}' for {printable(row['you_said_id'])} "
        f"on {printable(row['update_date'])}; "
        f"NOTE is kept as {kept_as!r}."
    )
    code = appendmod.append_rows(
        package, res, [row], label, rebuild=not args.no_build, allow_repeats=args.allow_duplicates
    )
    if code == 1:
        print(
            f"(ID= is you_said_id, STATUS= is status, NOTE= is {note_field(res, row['status'])} for this status, "
            f"DATE= is update_date, SOURCE= is source and SECTION= is source_section.)",
            file=sys.stderr,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
