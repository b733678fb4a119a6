"""`make add TABLE=<resource>`: add one record by answering questions, one per field.

Every question and choice comes from the resource's Table Schema (the field's title and
description, its codelist as a numbered pick list), and each answer is checked as it is
given with the same checks as `make append`. A date is never assumed: today is offered
by name ("t"). "back" returns to the question before, and at the end the finished record
is shown with numbered answers, any of which can be changed; once confirmed, it is appended
through exactly the same path as a bulk append (register/staff/append.py), so it is checked
again against everything, under the lock.

When standard input is not a terminal (answers piped in, as the tests do) answers are
read one line per question, in order, and the first invalid answer stops the command
with a message instead of asking again.
"""

from __future__ import annotations

import csv
import sys

from register import settings
from register.checks import messages, privacy, rules
from register.checks.problems import Problem
from register.schema.package import ROOT, Field, Package, Resource, today
from register.staff import append as appendmod
from register.staff import reopening
from register.staff.identifiers import id_number
from register.staff.normalise import LABEL_FIELDS
from register.staff.write import display_path
from register.util.guard import plain_errors
from register.util.text import command_parser, not_utf8_message, printable

# What may be typed at a date question for today, and at any question to go back.
TODAY_WORDS = ("t", "today")
BACK = "back"
# Typed at an optional question asked again, to empty the answer Enter would keep.
BLANK = "-"
# A pick list of existing records is shown when there are at most this many choices.
MAX_PICK = 40
# What problems are said to be in (one subject, so "your record has problems").
SOURCE = "your record"
# The field that orders a codelist's or the sources' records in lists.
ORDER_FIELD = "sort_order"


class Stop(Exception):
    """A non-interactive answer was invalid, or the answers ran out."""


class Session:
    def __init__(self, package: Package, res: Resource, stdin=sys.stdin, stdout=sys.stdout):
        self.package = package
        self.res = res
        self.stdin = stdin
        self.out = stdout
        self.interactive = bool(getattr(stdin, "isatty", lambda: False)())
        self.codes = appendmod.Codes(package)
        self.row: dict[str, str] = {}
        self.lookups: dict[str, dict[str, dict]] = {}
        self._records: dict[str, list[dict]] = {}

    # -- input and output -----------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def ask(self, prompt: str) -> str:
        self.out.write(prompt)
        self.out.flush()
        try:
            line = self.stdin.readline()
        except UnicodeDecodeError as e:  # a terminal or file that is not UTF-8
            raise Stop(f"the answer is not UTF-8 text (byte {e.start + 1:,} of what was read)") from e
        if not line:
            raise Stop("the answers ran out before every question was answered")
        answer = line.rstrip("\r\n")
        if not self.interactive:
            self.out.write(answer + "\n")  # so a piped session reads like a conversation
        return answer

    # -- records other fields point at ----------------------------------------------

    def records(self, name: str) -> list[dict]:
        """Rows of another resource (for pick lists and lookups), read once."""
        if name not in self._records:
            path = self.package.resource(name).path
            rows = []
            if path.exists():
                with path.open(newline="", encoding="utf-8-sig") as f:
                    rows = list(csv.DictReader(f))
            self._records[name] = rows
        return self._records[name]

    def choices(self, f: Field) -> list[tuple[str, str]] | None:
        """(value, label) pairs to pick from by number, or None when typed."""
        cl = appendmod.codelist_of(self.package, f)
        if cl or f.list_of:
            return list((self.codes.offered(f, cl) if cl else self.codes.titles(f.list_of)).items())
        ref = f.reference
        if ref:
            rows = self.records(ref[0])
            if f.descriptor.get("x-same-project") and self.row.get("project_id"):
                rows = [r for r in rows if r.get("project_id") == self.row["project_id"]]
            if len(rows) <= MAX_PICK:
                label = next((k for k in LABEL_FIELDS if rows and k in rows[0]), None)
                return [(r[ref[1]], r.get(label, "") if label else "") for r in rows]
        return None

    # -- one field --------------------------------------------------------------------

    def either(self, f: Field) -> Field | None:
        """The field asked before this one that is given instead of it (x-one-of-with: a
        verdict is on an update or on an activity), or None."""
        return next((g for g in self.res.fields if g.descriptor.get("x-one-of-with") == f.name), None)

    def required(self, f: Field) -> bool:
        if f.required and f.name != appendmod.generated_field(self.res):
            return True
        if (first := self.either(f)) and not self.row.get(first.name, "").strip():
            return True  # the other was left empty: this one is needed
        cond = f.descriptor.get("x-required-when")
        return bool(cond and self.row.get(cond["field"]) in cond["in"])

    @staticmethod
    def shortcut(f: Field, answer: str) -> str:
        """Today's date when asked for by name: a date is never assumed on a bare Enter."""
        if f.type == "date" and answer.strip().lower() in TODAY_WORDS:
            return today().isoformat()
        return answer

    def check(self, f: Field, text: str, picks) -> tuple[str, list[str]]:
        """The answer as stored, and what is wrong with it."""
        text = text.strip()
        not_text = not_utf8_message(f.title, text)
        if not_text:
            return text, [not_text]
        if picks:
            for p in text.replace(";", ",").split(",") if f.list_of else [text]:
                p = p.strip()
                if _is_number(p) and _picked(p, picks) is None and p not in dict(picks):
                    return text, [f"{printable(p, 40)} is not one of the numbers in the list (1 to {len(picks)})"]
            text = self.pick(text, picks, many=bool(f.list_of))
        value, msgs = appendmod.check_value(self.package, self.codes, f, text)
        if msgs:
            return value, msgs
        first = self.either(f)
        if not value:  # an empty reason that reopens a closed item is said as it is asked
            if first and not self.row.get(first.name, "").strip():
                return value, [messages.one_of(first.name, f.name, False)]
            return value, ([messages.required(f)] if self.required(f) else self.reopens(f, value))
        if self.res.primary_key == [f.name] and any(r.get(f.name) == value for r in self.records(self.res.name)):
            return value, [messages.already_used(f, value, "another record")]
        ref = f.reference
        if ref and not self.package.is_codelist(ref[0]):
            match = next((r for r in self.records(ref[0]) if r.get(ref[1]) == value), None)
            if match is None:
                return value, [messages.no_such_record(value, ref[0])]
            self.lookups.setdefault(ref[0], {})[value] = match
        row = dict(self.row, **{f.name: value})
        found = rules.check_rows(self.package, self.res, [(None, row)], SOURCE, self.lookups)
        found += privacy.check_rows(self.res, [(None, row)], SOURCE)
        # Both of a pair given is said on the first (rules.py): said here, on the second, too.
        both = messages.one_of(first.name, f.name, True) if first else None
        mine = [p.message for p in found if p.field == f.name or (both and p.message == both)]
        return value, mine + self.taken_together(f, row) + self.reopens(f, value)

    def taken_together(self, f: Field, row: dict) -> list[str]:
        """A record already there with the same values of a key this field completes (one
        assessment per project and characteristic), said as it is answered."""
        found = []
        for key in self.res.schema.get("x-unique-together", []):
            values = tuple(row.get(c, "") for c in key)
            if f.name in key and all(values):
                pk = self.res.primary_key[0] if self.res.primary_key else None
                for r in self.records(self.res.name):
                    if tuple(r.get(c, "") for c in key) == values:
                        rel = display_path(self.package, self.res.path)
                        found.append(messages.together_exists(rel, key, r.get(pk, "") if pk else ""))
                        break
        return found

    def reopens(self, f: Field, value: str) -> list[str]:
        """Why the answers so far reopen a closed item without a reason (register/staff/reopening.py)."""
        batch = appendmod.Batch(self.res, SOURCE, [(0, dict(self.row, **{f.name: value}))])
        return [p.message for p in reopening.problems(self.package, batch) if p.field == f.name]

    def last_in_order(self, f: Field) -> int | None:
        """The highest place in lists (a codelist's or source's sort_order) already taken,
        so that a number can be chosen without opening the file; None for other fields."""
        if f.name != ORDER_FIELD or f.type != "integer":
            return None
        taken = [r.get(f.name, "") for r in self.records(self.res.name)]
        return max((int(v) for v in taken if v.isascii() and v.isdigit()), default=None)

    def ahead(self, value: str) -> str | None:
        """What a typed identifier skips, when it is past the next one to be given."""
        prefix = self.res.id_prefix
        numbers = [r.get(self.res.primary_key[0], "").removeprefix(f"{prefix}-") for r in self.records(self.res.name)]
        highest = max((id_number(n) for n in numbers if n.isascii() and n.isdigit()), default=0)
        typed = value.removeprefix(f"{prefix}-")
        if not (typed.isascii() and typed.isdigit()) or id_number(typed) <= highest + 1:
            return None
        return (
            f"The highest {prefix}- number in use is {highest:,}: {value} leaves the numbers between unused, "
            "and every id given from now on will follow it."
        )

    @staticmethod
    def pick(text: str, picks, many: bool) -> str:
        """Turn numbers from the pick list into codes; leave anything else as typed."""
        parts = [p.strip() for p in text.replace(";", ",").split(",")] if many else [text]
        out = []
        for p in parts:
            chosen = _picked(p, picks)
            out.append(p if chosen is None else chosen)
        return ";".join(o for o in out if o) if many else out[0]

    def field(self, f: Field, number: int, total: int, back_always: bool = False) -> bool:
        """Ask for one field until it is answered (True), or "back" is typed (False)."""
        required = self.required(f)
        # A reason that reopens a closed item is required too, though its field is not.
        reopening = [] if required else self.reopens(f, "")
        required = required or bool(reopening)
        gen = f.name == appendmod.generated_field(self.res)
        self.say()
        status = (
            " (required)"
            if required
            else (" (press Enter to have one given)" if gen else " (optional: press Enter to skip)")
        )
        self.say(f"({number}/{total}) {f.title}{status}")
        if f.description:
            self.say(f"    {f.description}")
        for why in reopening:
            self.say(f"    Required here: {why}.")
        picks = self.choices(f)
        if picks:
            what = "ids" if f.reference and not appendmod.codelist_of(self.package, f) else "codes"
            self.say(
                "    Choose "
                + ("one or more by number, separated by commas" if f.list_of else "by number")
                + f", or type the {what if f.list_of else what[:-1]}:"
            )
            for i, (code, title) in enumerate(picks, start=1):
                self.say(f"     {i:>3}. {code}" + (f"  {_short(title)}" if title and title != code else ""))
        elif not gen:
            self.say(f"    Allowed: {appendmod.allowed(self.package, f)}")
            if (last := self.last_in_order(f)) is not None:
                self.say(f"    The records already there go up to {last}: {last + 1} puts this one last.")
        hint = f" (t for today, {today().isoformat()})" if f.type == "date" else ""
        # Asked again (back, or a number at the end): Enter keeps the answer given, as
        # it used to empty it without a word.
        earlier = self.row.get(f.name, "")
        if earlier:
            blank = "" if required else f", or type {BLANK} to leave it blank"
            self.say(f"    Your answer: {_short(earlier)}")
            self.say(f"    Press Enter to keep it{blank}.")
        prompt = f"  {f.name}{hint}: "
        confirmed = earlier
        while True:
            answer = self.ask(prompt)
            if earlier and not answer.strip():
                answer = earlier
            elif earlier and not required and answer.strip() == BLANK:
                answer = ""
            if answer.strip().lower() == BACK:
                if number > 1 or back_always:
                    return False
                # Never taken as the answer (a source's code "back"): "back" always means back.
                if not self.interactive:
                    raise Stop("back was typed at the first question, which has none before it")
                self.say("    This is the first question: there is none before it. Answer it, or press Ctrl+C to stop.")
                continue
            value, msgs = self.check(f, self.shortcut(f, answer), picks)
            if not msgs and gen and value and value != confirmed and (ahead := self.ahead(value)):
                # A slip (LOG-9000 for LOG-0101) would set where every id given from then
                # on starts, and an id cannot be corrected once added: kept if typed again.
                self.say(f"    {ahead} Type it again to keep it, or press Enter to have the next one given.")
                confirmed = value
                continue
            if not msgs:
                self.row[f.name] = value
                return True
            for m in msgs:
                self.say(f"    Not accepted: {m}. Allowed: {appendmod.allowed(self.package, f)}")
            if not self.interactive:
                raise Stop(str(Problem(SOURCE, None, f.name, answer, msgs[0], appendmod.allowed(self.package, f))))

    def run(self) -> dict | None:
        res = self.res
        fields = res.fields
        self.say(f"Adding one record to {res.title} ({res.name}).")
        self.say(
            "Answer each question and press Enter; type back to return to the question before. "
            "Nothing is saved until you confirm at the end."
        )
        i = 0
        while i < len(fields):
            i = i + 1 if self.field(fields[i], i + 1, len(fields)) else i - 1
        to_summary = False
        while True:
            # A changed answer can make another wrong (a new project, and the activity
            # belongs to the old one): that one is asked again, rather than the whole
            # record refused once confirmed, with every answer lost.
            # "back" there shows the record, to change the other answer instead.
            stale = None if to_summary else self.stale(fields)
            if stale:
                self.say(
                    f"\n    {stale[0].title} no longer fits the other answers: {stale[1]}. "
                    "Answer it again, or type back to change another answer."
                )
                to_summary = not self.field(stale[0], fields.index(stale[0]) + 1, len(fields), back_always=True)
                continue
            to_summary = False
            self.summary(fields)
            answer = self.ask(
                f"Add this record to {res.name}? (yes, no, or the number of an answer to change it): "
            ).strip()
            if answer.lower() in ("y", "yes"):
                if self.stale(fields):
                    continue  # asked again, above
                return self.row
            chosen = _picked(answer, [(f, "") for f in fields])
            if chosen is not None:
                self.field(chosen, fields.index(chosen) + 1, len(fields))
                continue
            if answer.lower() in ("n", "no") or not self.interactive:
                return None
            self.say("    Please answer yes, no, or the number of an answer to change.")

    def stale(self, fields: list[Field]) -> tuple[Field, str] | None:
        """The first answer the others have made wrong, with why."""
        return next(((f, m) for f in fields for m in self.check(f, self.row.get(f.name, ""), None)[1][:1]), None)

    def summary(self, fields: list[Field]) -> None:
        self.say()
        self.say("The finished record:")
        width = max(len(f.title) for f in fields)
        for number, f in enumerate(fields, start=1):
            value = self.row.get(f.name, "")
            if not value and f.name == appendmod.generated_field(self.res):
                value = "(given when saved)"
            self.say(f"  {number:>2}. {f.title:<{width}}  {value}")


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _picked(text: str, picks) -> str | None:
    """The code numbered `text` in the pick list, or None. The length is checked first:
    int() refuses strings of thousands of digits."""
    if _is_number(text) and len(text.lstrip("0")) <= len(str(len(picks))) and 1 <= int(text) <= len(picks):
        return picks[int(text) - 1][0]
    return None


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@plain_errors("adding the record")
def main(argv=None, stdin=None, stdout=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--table", default="", help="the resource to add a record to")
    parser.add_argument("--root", default=str(ROOT), help="the repository to add to (default: this one)")
    parser.add_argument("--no-build", action="store_true", help="do not rebuild the database afterwards")
    appendmod.add_allow_option(parser)
    args = parser.parse_args(argv)
    settings.working()
    package = appendmod.open_package(args.root)
    try:
        res = appendmod.staff_resource(package, args.table)
    except appendmod.UsageError as e:
        print(f"Nothing was added: {e}", file=sys.stderr)
        return 2
    session = Session(package, res, stdin or sys.stdin, stdout or sys.stdout)
    try:
        row = session.run()
    except Stop as e:
        print(f"Nothing was added to {res.name}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nStopped: nothing was added to {res.name}.", file=sys.stderr)
        return 130
    if row is None:
        print(f"Not confirmed: nothing was added to {res.name}.", file=sys.stderr)
        return 1
    return appendmod.append_rows(
        package, res, [row], SOURCE, rebuild=not args.no_build, allow_repeats=args.allow_duplicates
    )


if __name__ == "__main__":
    sys.exit(main())
