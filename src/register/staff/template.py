"""`make template TABLE=<resource> [OUT=path]`: an Excel workbook to fill in and give
back to `make append`.

Everything in it is derived from the resource's Table Schema: the columns in schema
order with the field names `make append` expects, a note on each header (title,
description, whether it is required, what is allowed), drop-down lists from the
codelists (kept on a hidden sheet, so long lists work), date-formatted date columns,
text-formatted text columns (so Excel does not turn 8.1 into a number or 0001 into 1),
Excel's own checks for numbers, dates and lengths, and a second sheet, "About these
fields", that explains every field and lists every code with its meaning.
"""

from __future__ import annotations

import sys
from pathlib import Path

from register.schema.package import ROOT, Field, Package, Resource, command
from register.staff import append as appendmod
from register.staff import readers
from register.staff.batch import column_names, from_table
from register.staff.normalise import normalise_cells, record_label, record_title
from register.staff.repeats import compared, existing_matches, key_of
from register.staff.write import inside_datasets
from register.util.guard import plain_errors
from register.util.text import command_parser, printable, shell_word

ABOUT = "About these fields"
CODES = "codes"
# Drop-downs and checks cover this many record rows; more rows still append fine.
ROWS = 2000
# Existing records offered as a drop-down (a project, an activity); beyond this many
# the list is no help and bloats the workbook, so the id is simply typed.
MAX_ID_LIST = 2000
TEXT_WIDTH = 48
OTHER_WIDTH = 20


def default_out(package: Package, table: str) -> Path:
    return package.root / "build" / "templates" / f"{table}.xlsx"


def rows_not_added(package: Package, res: Resource, path: Path) -> int | None:
    """How many of the records in an existing template are not yet in the register
    (0 for an empty template, or one whose every row was added: it may be replaced);
    None when it cannot be read as one, so it is never overwritten."""
    try:
        table = readers.read_table(path, columns=list(column_names(res)))
    except readers.InputError as e:
        return 0 if any("no records" in p.message for p in e.problems) else None
    batch = from_table(res, table)
    if not batch.rows:
        return len(batch.sketched)  # rows begun (a project filled in ahead) are kept too
    normalise_cells(package, batch, appendmod.Codes(package))
    fields = compared(res)
    keys = [key_of(fields, (row.get(f.name, "") for f in fields)) for _, row in batch.rows]
    found = existing_matches(package, res, set(keys))
    return sum(1 for k in keys if k not in found) + len(batch.sketched)


def header_note(package: Package, f: Field, required: bool, given: bool = False) -> str:
    lines = [
        f.title,
        "",
        f.description,
        "",
        "Required."
        if required
        else ("Leave it empty: one is given when the records are added." if given else "Optional: may be left empty."),
        f"Allowed: {appendmod.allowed(package, f)}.",
    ]
    cond = f.descriptor.get("x-required-when")
    if cond:
        lines.append(f"Required when {cond['field']} is {' or '.join(cond['in'])}.")
    return "\n".join(lines)


def make_workbook(package: Package, res: Resource):
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    codes = appendmod.Codes(package)
    gen = appendmod.generated_field(res)
    wb = Workbook()
    ws = wb.active
    ws.title = res.name[:31]
    about = wb.create_sheet(ABOUT)
    lists = wb.create_sheet(CODES)
    lists.sheet_state = "hidden"

    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    wrap = Alignment(wrap_text=True, vertical="top")
    last = ROWS + 1
    list_col = 0

    def code_range(name: str, values: list[str]) -> str:
        """Write a list of values to a column of the hidden sheet; its range formula."""
        nonlocal list_col
        list_col += 1
        letter = get_column_letter(list_col)
        lists.cell(row=1, column=list_col, value=name)
        for i, v in enumerate(values, start=2):
            lists.cell(row=i, column=list_col, value=v)
        return f"{quote_sheetname(CODES)}!${letter}$2:${letter}${max(len(values) + 1, 2)}"

    def record_list(f: Field, records: list[dict], key: str) -> str:
        """The drop-down of existing records, each shown with its title. An activity
        (x-same-project) is offered only among the chosen project's: its list is the
        block of the project's activities, found by the project id in the same row."""
        if not (f.descriptor.get("x-same-project") and "project_id" in res.field_names):
            return code_range(f.name, [record_label(r, key) for r in records])
        records = sorted(records, key=lambda r: r.get("project_id", ""))
        projects = code_range(f"{f.name} project", [r.get("project_id", "") for r in records])
        first = code_range(f.name, [record_label(r, key) for r in records]).split(":")[0]
        cell = f"${get_column_letter(res.field_names.index('project_id') + 1)}2"
        chosen = f'LEFT({cell},FIND(" ",{cell}&" ")-1)'  # the id, whether a label or typed
        return f"OFFSET({first},MATCH({chosen},{projects},0)-1,0,MAX(1,COUNTIF({projects},{chosen})),1)"

    for col, f in enumerate(res.fields, start=1):
        letter = get_column_letter(col)
        required = f.required and f.name != gen
        cell = ws.cell(row=1, column=col, value=f.name)
        cell.font = bold
        if required:
            cell.fill = required_fill
        cell.comment = Comment(
            header_note(package, f, required, f.name == gen), "Co-production Register", width=320, height=220
        )
        dim = ws.column_dimensions[letter]
        dim.width = TEXT_WIDTH if (f.free_text or f.name == "title") else OTHER_WIDTH
        if f.type == "date":
            dim.number_format = "yyyy-mm-dd"
        elif f.type == "string":
            dim.number_format = "@"
        sqref = f"{letter}2:{letter}{last}"
        dv = None
        cl = appendmod.codelist_of(package, f)
        ref = f.reference
        if cl:
            dv = DataValidation(
                type="list",
                formula1=code_range(cl, list(codes.offered(f, cl))),
                allow_blank=not required,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="Not a code",
                error=f"Choose a code from the list. Their meanings are on the sheet '{ABOUT}'.",
            )
        elif ref:
            records = _rows(package.resource(ref[0]))
            if 0 < len(records) <= MAX_ID_LIST:
                dv = DataValidation(
                    type="list",
                    formula1=record_list(f, records, ref[1]),
                    allow_blank=not required,
                    showErrorMessage=True,
                    errorStyle="stop" if f.descriptor.get("x-same-project") else "warning",
                    errorTitle="Not an existing record",
                    error=(
                        "Choose the project first, then one of its activities from the list."
                        if f.descriptor.get("x-same-project")
                        else f"This is not a record in {ref[0]} yet. Check it before you add the file."
                    ),
                )
        elif f.type == "boolean":
            dv = DataValidation(
                type="list",
                formula1='"yes,no"',
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="Yes or no",
                error="Choose yes or no, or leave it empty.",
            )
        elif f.type == "date":
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="1",
                formula2="2958465",
                allow_blank=not required,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="Not a date",
                error="Type a date, for example 2024-08-06 or 06/08/2024.",
            )
        elif f.type == "integer":
            low = f.constraints.get("minimum", -1_000_000_000)
            dv = DataValidation(
                type="whole",
                operator="greaterThanOrEqual",
                formula1=str(low),
                allow_blank=not required,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="Not a whole number",
                error=f"Type a whole number of at least {low}.",
            )
        elif "maxLength" in f.constraints:
            n = f.constraints["maxLength"]
            dv = DataValidation(
                type="textLength",
                operator="lessThanOrEqual",
                formula1=str(n),
                allow_blank=not required,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="Too long",
                error=f"At most {n:,} characters.",
            )
        if dv is None and not required:
            continue
        if dv is None:  # required text with no other check: still show the prompt
            dv = DataValidation(allow_blank=False)
        dv.showInputMessage = True
        dv.promptTitle = f.title[:32]
        dv.prompt = _clip(("Required. " if required else "") + f.description, 255)
        dv.add(sqref)
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 20

    # The second sheet: every field explained, then every code with its meaning.
    about.column_dimensions["A"].width = 26
    about.column_dimensions["B"].width = 30
    about.column_dimensions["C"].width = 12
    about.column_dimensions["D"].width = 70
    about.column_dimensions["E"].width = 60
    about.append([f"{res.title} ({res.name})"])
    about["A1"].font = Font(bold=True, size=14)
    about.append([res.description])
    about.append(
        [
            f"Fill in one record per row on the sheet '{ws.title}', starting at row 2. Do not change row 1. "
            f"Leave {gen} empty and one is given."
            if gen
            else f"Fill in one record per row on the sheet '{ws.title}', starting at row 2. Do not change row 1."
        ]
    )
    about.append(
        [
            f"Then save the workbook and run: {command(package, f'make append TABLE={res.name} FILE=<this file>')}. "
            "Nothing is added unless every row is right; you are told what to fix."
        ]
    )
    about.append(
        [
            "Never write anyone's name, email address, phone number, NHS number, National Insurance "
            "number, full postcode or date of birth: the register is public."
        ]
    )
    about.append([])
    about.append(["Column", "Name", "Required", "What it means", "What is allowed"])
    header_row = about.max_row
    for c in about[header_row]:
        c.font = bold
    for f in res.fields:
        required = f.required and f.name != gen
        cond = f.descriptor.get("x-required-when")
        need = "yes" if required else (f"when {cond['field']} is {' or '.join(cond['in'])}" if cond else "no")
        need = "no: leave it empty and one is given" if f.name == gen else need
        about.append([f.name, f.title, need, f.description, appendmod.allowed(package, f)])
        for c in about[about.max_row]:
            c.alignment = wrap
    for f in res.fields:
        cl = appendmod.codelist_of(package, f) or f.list_of
        if not cl:
            continue
        about.append([])
        about.append([f"Codes for {f.name} ({f.title}), from {cl}"])
        about[about.max_row][0].font = bold
        about.append(["Code", "Name", "", "What it means"])
        for c in about[about.max_row]:
            c.font = bold
        descriptions = _descriptions(package, cl)
        for code, title in codes.offered(f, cl).items():
            about.append([code, title, "", descriptions.get(code, "")])
            for c in about[about.max_row]:
                c.alignment = wrap
    for f in res.fields:
        ref = f.reference
        if not ref or package.is_codelist(ref[0]):
            continue
        records = _rows(package.resource(ref[0]))
        about.append([])
        about.append([f"Records for {f.name} ({f.title}), from {ref[0]}: choose one in the drop-down, or type its id"])
        about[about.max_row][0].font = bold
        about.append(["Id", "Title", "Project" if "project_id" in (records[0] if records else {}) else ""])
        for c in about[about.max_row]:
            c.font = bold
        for r in records:
            about.append([r[ref[1]], record_title(r), r.get("project_id", "")])
            for c in about[about.max_row]:
                c.alignment = wrap
    wb.active = 0
    return wb


def _rows(res: Resource) -> list[dict]:
    import csv

    if not res.path.exists():
        return []
    with res.path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _descriptions(package: Package, codelist: str) -> dict[str, str]:
    return {r["code"]: r.get("description", "") for r in _rows(package.resource(codelist))}


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def write(package: Package, res: Resource, out: Path) -> Path:
    """Write the template to `out` (atomically) and return it."""
    import os

    out.parent.mkdir(parents=True, exist_ok=True)
    wb = make_workbook(package, res)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def append_command(package: Package, res: Resource, shown: str) -> str:
    return command(package, f"make append TABLE={res.name} FILE={shell_word(shown)}")


def refusal(package: Package, res: Resource, out: Path, shown: str) -> tuple[str, int] | None:
    """Why no template may be written to `out` (and the exit code), or None."""
    if out.is_dir():  # OUT=~/Documents: a folder, where a file's name was meant
        example = shell_word(str(out / f"{res.name}.xlsx"))
        return f"OUT={shown} is a folder; give the file to write in it, for example OUT={example}", 2
    if out.suffix.lower() != ".xlsx":
        return f"OUT= must end in .xlsx (it is {shown})", 2
    if inside_datasets(package, out):  # make append would refuse it, and `git add datasets` publish it
        return (
            f"{shown} is inside datasets/, where only the register's own files belong: `git add datasets` would "
            "publish it with them, and `make append` refuses a file there. Choose a place outside datasets/ "
            "with OUT=, for example OUT=my-meeting.xlsx",
            2,
        )
    waiting = rows_not_added(package, res, out) if out.exists() else 0
    if waiting is None:
        return f"{shown} already exists and is not a template that can be replaced; choose another file with OUT=.", 1
    if waiting:
        return (
            f"{shown} already exists and has {waiting:,} record{'s' if waiting != 1 else ''} in it not yet "
            f"added to the register, and they would be lost. "
            f"Add them first ({append_command(package, res, shown)}), or choose another file with OUT=.",
            1,
        )
    return None


@plain_errors("writing the template")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--table", default="", help="the resource to make a template for")
    parser.add_argument("--out", default=None, help="where to write the .xlsx (default: build/templates/<table>.xlsx)")
    parser.add_argument("--root", default=str(ROOT), help="the repository whose schemas to use (default: this one)")
    args = parser.parse_args(argv)
    package = appendmod.open_package(args.root)
    try:
        res = appendmod.staff_resource(package, args.table)
    except appendmod.UsageError as e:
        print(f"No template written: {e}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else default_out(package, res.name)
    shown = printable(str(out))
    try:
        refused = refusal(package, res, out, shown)
        if refused is None:
            write(package, res, out)
    except OSError as e:  # no such folder, no permission, a name too long, a full disk
        print(f"No template written: {shown} cannot be written ({e.strerror or e}).", file=sys.stderr)
        return 1
    if refused:
        message, code = refused
        print(f"No template written: {message}", file=sys.stderr)
        return code
    print(f"Wrote {shown}: a template for {res.title} ({len(res.fields)} columns). Fill it in, save it, then run:")
    print(f"  {append_command(package, res, shown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
