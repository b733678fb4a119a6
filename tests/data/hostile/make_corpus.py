"""Write the hostile-input corpus beside this file (deterministic: run it again and the
files are the same, apart from the timestamps openpyxl puts inside workbooks). Each file is one way a spreadsheet given to `make append` can be
broken or malicious; tests/test_hostile_input.py says what must happen to each.
Big cases (1 MB cells, 100,000 columns, zip bombs) are made by the test at run time,
so the repository does not carry megabytes of junk.

    .venv/bin/python tests/data/hostile/make_corpus.py
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "id,project_id,activity_id,said_date,theme,you_said,target_date,source,source_section"
GOOD = ",PRJ-0002,LOG-0001,2024-08-06,shared_language,{text},,listening_event_beeston,Table 1"


def row(text: str) -> str:
    return GOOD.format(text=text)


def csv_file(*rows: str, newline: str = "\n") -> bytes:
    return (newline.join([HEADER, *rows]) + newline).encode("utf-8")


def workbook(rows: list[list], patch=None) -> bytes:
    """A real .xlsx from openpyxl; patch(name, xml) -> xml edits parts of it."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    raw = io.BytesIO()
    wb.save(raw)
    if patch is None:
        return raw.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, patch(info.filename, zin.read(info.filename)))
    return out.getvalue()


HEAD_CELLS = HEADER.split(",")


def good_cells(text) -> list:
    return ["", "PRJ-0002", "LOG-0001", "2024-08-06", "shared_language", text, "", "listening_event_beeston", "Table 1"]


def sheet_patch(edit):
    def patch(name: str, data: bytes) -> bytes:
        return edit(data.decode("utf-8")).encode("utf-8") if name == "xl/worksheets/sheet1.xml" else data

    return patch


def corpus() -> dict[str, bytes]:
    rnd = random.Random(8)
    files = {
        "random_bytes.csv": bytes(rnd.getrandbits(8) for _ in range(4096)),
        "random_bytes_after_header.csv": HEADER.encode() + b"\n" + bytes(rnd.getrandbits(8) for _ in range(2048)),
        "nul_bytes.csv": csv_file(row("before\x00after")),
        "only_nul_bytes.csv": b"\x00" * 1024,
        "invalid_utf8_lone_bytes.csv": csv_file(row("caf")).replace(b"caf", b"caf\xff\xfe"),
        "mixed_encodings.csv": csv_file(row("en dash \u2013 in UTF-8"))
        + row("caf\xe9 in Windows-1252").encode("cp1252")
        + b"\n",
        "utf16_without_bom.csv": csv_file(row("hello")).decode().encode("utf-16-le"),
        "broken_utf16.csv": b"\xff\xfe" + csv_file(row("hello")).decode().encode("utf-16-le")[:-1],
        "control_characters.csv": csv_file(row("bell\x07 escape\x1b[31m red")),
        "terminal_escape_in_header.csv": ("id,\x1b]0;pwned\x07project_id\n" + row("x")).encode(),
        "empty.csv": b"",
        "whitespace_only.csv": b" \r\n\t\r\n",
        "header_only.csv": (HEADER + "\n").encode(),
        "unterminated_quote.csv": csv_file(row('"starts a quote and never ends'), row("next row")),
        "stray_quote_swallows_rows.csv": csv_file(row('one "quoted" word'), row('"open'), row("a"), row('b"')),
        "deeply_quoted.csv": csv_file(row('"' + '""' * 5000 + '"'), row('"' + '"""' * 3000)),
        "quote_in_header.csv": ('"id,project_id",activity_id\n' + row("x")).encode(),
        "too_many_cells.csv": csv_file(row("x") + ",extra,cells,here"),
        "duplicate_columns.csv": (HEADER + ",you_said\n" + row("x") + ",again\n").encode(),
        "unknown_columns.csv": (b"id,<script>alert(1)</script>,you_said\n,x,y\n"),
        "formula_cells.csv": csv_file(
            row('"=HYPERLINK(""http://example.invalid"",""click"")"'), row("@SUM(1+1)*cmd|' /C calc'!A0"), row("=1+1")
        ),
        "dde_formula.csv": csv_file(row("+cmd|' /C calc'!A0")),
        "html_and_script.csv": csv_file(row("\"<script>alert('x')</script> <img src=x onerror=alert(1)>\"")),
        "sql_in_cells.csv": csv_file(row("'); DROP TABLE you_said_we_did; --")),
        "crlf_and_bom.csv": b"\xef\xbb\xbf" + csv_file(row("saved by Excel"), newline="\r\n"),
        "semicolon_delimited.csv": csv_file(row("x")).replace(b",", b";"),
        "not_a_zip.xlsx": b"id,project_id\nthis is a CSV renamed to .xlsx\n",
        "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        "ole_renamed.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        "zip_not_workbook.xlsx": _zip({"hello.txt": b"not a workbook"}),
        "csv_that_is_a_zip.csv": _zip({"xl/workbook.xml": b"<workbook/>"}),
    }
    ok_book = workbook([HEAD_CELLS, good_cells("from Excel")])
    files["truncated.xlsx"] = ok_book[: len(ok_book) // 2]
    files["formula_cells.xlsx"] = workbook([HEAD_CELLS, good_cells('=HYPERLINK("http://example.invalid","click")')])
    files["xml_entity_bomb.xlsx"] = workbook([HEAD_CELLS, good_cells("LAUGH")], sheet_patch(_billion_laughs))
    files["xml_external_entity.xlsx"] = workbook([HEAD_CELLS, good_cells("XXE")], sheet_patch(_xxe))
    files["dimension_bomb.xlsx"] = workbook([HEAD_CELLS, good_cells("dimension")], sheet_patch(_dimension_bomb))
    files["wide_sheet.xlsx"] = workbook([HEAD_CELLS + [f"extra{i}" for i in range(3000)], good_cells("wide")])
    return files


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _billion_laughs(xml: str) -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    xml = xml.replace("<worksheet", f"<!DOCTYPE worksheet [{entities}]><worksheet", 1)
    return xml.replace("LAUGH", "&lol9;")


def _xxe(xml: str) -> str:
    xml = xml.replace("<worksheet", '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><worksheet', 1)
    return xml.replace(">XXE<", ">&xxe;<")


def _dimension_bomb(xml: str) -> str:
    """Claims the sheet spans A1:XFD1048576 and puts one cell in the last row: a few KB
    that a reader padding every row to the claimed width turns into 17 billion cells."""
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
    return xml.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    )


if __name__ == "__main__":
    for name, data in corpus().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(corpus())} files to {HERE}")
