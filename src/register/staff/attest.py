"""`make attest UPDATE=<UPD-id>|LOG=<LOG-id> PARTNER=<organisation> VERDICT=<code>
WORDS="..." SOURCE=<source> SECTION=... [DATE=YYYY-MM-DD]`: record an independent
partner's verdict on a claim in the register.

A verdict is one new row of partner_verdicts, appended through the same checks and
write as `make append` (register/staff/append.py): the partner must be an independent
partner, the claim must exist and be dated on or before the verdict, WORDS go through the
privacy gate, and nothing is written unless everything passes. DATE defaults to today.
"""

from __future__ import annotations

import sys

from register import settings
from register.schema.package import ROOT, today
from register.staff import append as appendmod
from register.util.guard import plain_errors
from register.util.text import command_parser, not_utf8_message, printable

RESOURCE = "partner_verdicts"
# The arguments and the field each fills.
FIELDS = {
    "UPDATE": "update_id",
    "LOG": "log_id",
    "PARTNER": "partner",
    "VERDICT": "verdict",
    "WORDS": "in_their_words",
    "DATE": "verdict_date",
    "SOURCE": "source",
    "SECTION": "source_section",
}
REQUIRED = ("PARTNER", "VERDICT", "WORDS", "SOURCE")
EXAMPLE = (
    'make attest UPDATE=UPD-0001 PARTNER=my_life_choices VERDICT=agrees WORDS="We saw the change made." '
    "SOURCE=<source code> SECTION=<page or section>"
)


@plain_errors("recording the verdict")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    for flag, name in FIELDS.items():
        parser.add_argument(f"--{flag.lower()}", default="", help=f"fills {name}")
    parser.add_argument("--root", default=str(ROOT), help="the repository to add to (default: this one)")
    parser.add_argument("--no-build", action="store_true", help="do not rebuild the database afterwards")
    appendmod.add_allow_option(parser)
    args = parser.parse_args(argv)
    settings.working()
    package = appendmod.open_package(args.root)
    res = package.resource(RESOURCE)
    given = {flag: getattr(args, flag.lower()) for flag in FIELDS}
    problems = [m for flag, value in given.items() if (m := not_utf8_message(f"{flag}=", value))]
    for flag in REQUIRED:
        if not given[flag].strip():
            f = res.field(FIELDS[flag])
            problems.append(f"{flag}= is required ({f.title}: {f.description}) Allowed: {f.allowed(package)}")
    if bool(given["UPDATE"].strip()) == bool(given["LOG"].strip()):
        problems.append(
            'give exactly one of UPDATE= (a "we did" update, UPD-) and LOG= (a co-production activity, LOG-)'
        )
    for message in problems:
        print(f"Nothing was changed: {message}", file=sys.stderr)
    if problems:
        print(f"Example: {EXAMPLE}", file=sys.stderr)
        return 2
    row = {name: given[flag].strip() for flag, name in FIELDS.items()}
    row.update(id="", in_their_words=given["WORDS"], verdict_date=row["verdict_date"] or today().isoformat())
    # Described as it is saved: a verdict given by name as its code, a date as YYYY-MM-DD.
    codes = appendmod.Codes(package)
    for name in ("update_id", "log_id", "partner", "verdict", "verdict_date"):
        row[name] = appendmod.check_value(package, codes, res.field(name), row[name])[0]
    claim = row["update_id"] or row["log_id"]
    label = f"the verdict on {printable(claim)}"
    code = appendmod.append_rows(
        package, res, [row], label, rebuild=not args.no_build, allow_repeats=args.allow_duplicates
    )
    if code == 1:
        names = ", ".join(f"{flag}= is {name}" for flag, name in FIELDS.items())
        print(f"({names}.)", file=sys.stderr)
    elif code in (0, 3):  # said only once it is saved
        print(
            f"Recorded {printable(row['partner'])}'s verdict '{printable(row['verdict'])}' on {printable(claim)}, "
            f"given on {printable(row['verdict_date'])}."
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
