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

import argparse
import sys
from pathlib import Path

from register.schema.package import ROOT, Field, Package, Resource
from register.staff import append as appendmod
from register.staff import readers
from register.util.guard import plain_errors
from register.util.text import printable

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


def has_records(path: Path) -> bool:
    """True unless `path` is a template with nothing filled in: a workbook with records,
    or a file that cannot be read as one, is never overwritten."""

    try:
        table = readers.read_table(path)
    except readers.InputError as e:
        return not any("no records" in p.message for p in e.problems)
    return any(any(c.strip() for c in cells) for _, cells in table.rows)


def header_note(package: Package, f: Field, required: bool) -> str:
    lines = [
        f.title,
        "",
        f.description,
        "",
        "Required." if required else "Optional: may be left empty.",
        f"Allowed: {f.allowed(package)}.",
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

    for col, f in enumerate(res.fields, start=1):
        letter = get_column_letter(col)
        required = f.required and f.name != gen
        cell = ws.cell(row=1, column=col, value=f.name)
        cell.font = bold
        if required:
            cell.fill = required_fill
        cell.comment = Comment(header_note(package, f, required), "Co-production Register", width=320, height=220)
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
                formula1=code_range(cl, list(codes.titles(cl))),
                allow_blank=not required,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="Not a code",
                error=f"Choose a code from the list. Their meanings are on the sheet '{ABOUT}'.",
            )
        elif ref:
            ids = [r[ref[1]] for r in _rows(package.resource(ref[0]))]
            if 0 < len(ids) <= MAX_ID_LIST:
                dv = DataValidation(
                    type="list",
                    formula1=code_range(ref[0], ids),
                    allow_blank=not required,
                    showErrorMessage=True,
                    errorStyle="warning",
                    errorTitle="Not an existing record",
                    error=f"This is not the id of a record in {ref[0]} yet. Check it before you add the file.",
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
            f"Then save the workbook and run: make append TABLE={res.name} FILE=<this file>. "
            "Nothing is added unless every row is right; you are told what to fix."
        ]
    )
    about.append(
        [
            "Never write anyone's name, email address, phone number, NHS number, National Insurance "
            "number or full postcode: the register is public."
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
        about.append([f.name, f.title, need, f.description, f.allowed(package)])
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
        for code, title in codes.titles(cl).items():
            about.append([code, title, "", descriptions.get(code, "")])
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


def refusal(out: Path, shown: str, table: str) -> tuple[str, int] | None:
    """Why no template may be written to `out` (and the exit code), or None."""
    if out.is_dir():
        return f"OUT= is a folder ({shown}); give a file name ending in .xlsx", 2
    if out.exists() and has_records(out):
        return (
            f"{shown} already exists and has records in it, and they would be lost. "
            f"Add them first (make append TABLE={table} FILE={shown}), or choose another file with OUT=.",
            1,
        )
    return None


@plain_errors("writing the template")
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="", help="the resource to make a template for")
    parser.add_argument("--out", default=None, help="where to write the .xlsx (default: build/templates/<table>.xlsx)")
    parser.add_argument("--root", default=str(ROOT), help="the repository whose schemas to use (default: this one)")
    args = parser.parse_args(argv)
    package = Package(args.root)
    try:
        res = appendmod.staff_resource(package, args.table)
    except appendmod.UsageError as e:
        print(f"No template written: {e}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else default_out(package, res.name)
    shown = printable(str(out))
    if out.suffix.lower() != ".xlsx":
        print(f"No template written: OUT= must end in .xlsx (it is {shown})", file=sys.stderr)
        return 2
    try:
        refused = refusal(out, shown, res.name)
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
    print(f"  make append TABLE={res.name} FILE={shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
