"""A journalist's check of the spreadsheet downloads: the Excel-ready CSVs and the workbook.

A scratch register has one record rewritten with an en dash, curly quotes, accents and
text that begins like a formula; LibreOffice Calc opens the files and writes them back
as CSV, and every cell must match the machine-readable extract.
"""

from __future__ import annotations

import csv
import sqlite3

import frictionless
import pytest
from openpyxl import load_workbook

from register.database.build import build
from register.publishing.extract_excel import excel_csv_name
from register.publishing.extract_tables import tables
from register.publishing.extracts import extract
from register.schema.package import Package
from register.site.downloads import WORKBOOK_NAME
from register.util.spreadsheet_safety import neutralise
from tests.conftest import copy_repo
from tests.integration.spreadsheets import EXPORT_CSV, EXPORT_EVERY_SHEET, UTF8_CSV, convert, read_csv

TRICKY = "Overuse of the word coproduction – “different” understanding, Zoë’s café"
FORMULA = '=HYPERLINK("http://x","y") – “quoted”'
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("excel"))
    path = root / "datasets" / "coproduction_log.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    rows[0]["title"] = TRICKY
    rows[0]["description"] = FORMULA
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    package = Package(root)
    build(package, root / "build")
    out = root / "build" / "extracts"
    summary = extract(package, root / "build" / "register.db", out)
    return {
        "package": package,
        "out": out,
        "db": root / "build" / "register.db",
        "summary": summary,
        "id": rows[0]["id"],
    }


def test_excel_csv_is_the_machine_csv_with_a_bom(scratch):
    out = scratch["out"]
    for t in tables(scratch["package"]):
        machine, excel = (out / f"{t.name}.csv").read_bytes(), (out / excel_csv_name(t.name)).read_bytes()
        assert not machine.startswith(BOM), t.name
        assert excel.startswith(BOM), t.name
        assert read_csv(out / excel_csv_name(t.name), "utf-8-sig") == read_csv(out / f"{t.name}.csv"), t.name


def test_libreoffice_opens_the_excel_csvs_with_every_character(scratch, tmp_path):
    out = scratch["out"]
    names = [t.name for t in tables(scratch["package"])]
    convert([out / excel_csv_name(n) for n in names], tmp_path, EXPORT_CSV, infilter=UTF8_CSV)
    for name in names:
        opened = read_csv(tmp_path / excel_csv_name(name), "utf-8-sig")
        assert opened == read_csv(out / f"{name}.csv"), name
    log = {r[0]: r for r in read_csv(tmp_path / excel_csv_name("coproduction_log"), "utf-8-sig")}
    assert TRICKY in log[scratch["id"]]
    assert neutralise(FORMULA) in log[scratch["id"]]


def _sheet_cell(value: str, kind: str) -> str:
    """A machine CSV cell as Calc writes the workbook's typed cell back as text."""
    return value.upper() if kind == "boolean" else value


def test_libreoffice_opens_the_workbook_with_every_character(scratch, tmp_path):
    out = scratch["out"]
    convert([out / WORKBOOK_NAME], tmp_path, EXPORT_EVERY_SHEET)
    stem = WORKBOOK_NAME.removesuffix(".xlsx")
    for t in tables(scratch["package"]):
        sheet = read_csv(tmp_path / f"{stem}-{t.name}.csv")
        machine = read_csv(out / f"{t.name}.csv")
        assert sheet[0] == [f.title for f in t.fields], t.name
        kinds = [d.get("type", "string") for d in t.schema["fields"]]
        expected = [[_sheet_cell(v, k) for v, k in zip(row, kinds)] for row in machine[1:]]
        assert sheet[1:] == expected, t.name
    log = {r[0]: r for r in read_csv(tmp_path / f"{stem}-coproduction_log.csv")}
    assert TRICKY in log[scratch["id"]] and neutralise(FORMULA) in log[scratch["id"]]
    about = read_csv(tmp_path / f"{stem}-About.csv")
    assert ["Release", scratch["summary"]["release"]] == about[2][:2]


def test_workbook_rows_titles_and_about_sheet(scratch):
    package, summary = scratch["package"], scratch["summary"]
    wb = load_workbook(scratch["out"] / WORKBOOK_NAME, read_only=True)
    conn = sqlite3.connect(scratch["db"])
    try:
        for t in tables(package):
            ws = wb[t.name]
            count = conn.execute(f"SELECT COUNT(*) FROM [{t.name}]").fetchone()[0]
            assert sum(1 for _ in ws.iter_rows(min_row=2)) == count == summary["rows"][t.name], t.name
    finally:
        conn.close()
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True) if r and r[0] and len(r) > 1}
    desc = package.descriptor
    assert about["Release"] == summary["release"]
    assert about["Publisher"] == desc["publisher"]
    year = summary["release"][:4]
    assert about["Suggested citation"].startswith(
        f"{desc['publisher']} ({year}). {desc['title']}, release {summary['release']}. "
    )
    assert desc["licenses"][0]["path"] in about["Licence"]
    linked = [s for s in desc["sources"] if s.get("path")]
    assert linked and all(f"{s['title']} {s['path']}" in about["Source"] for s in linked)
    assert about["Built"] == summary["created"]
    assert wb.sheetnames[0] == "About"
    wb.close()
    # The header is frozen, and no cell anywhere is a formula.
    full = load_workbook(scratch["out"] / WORKBOOK_NAME)
    for t in tables(package):
        assert full[t.name].freeze_panes == "A2", t.name
        assert not [c.coordinate for row in full[t.name].iter_rows() for c in row if c.data_type == "f"], t.name
    log = {r[0]: r for r in full["coproduction_log"].iter_rows(values_only=True)}
    names = [f.name for f in tables(package)[[t.name for t in tables(package)].index("coproduction_log")].fields]
    assert log[scratch["id"]][names.index("description")] == neutralise(FORMULA) == "'" + FORMULA


def test_machine_readable_package_stays_valid(scratch):
    out = scratch["out"]
    report = frictionless.Package(str(out / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    paths = {r["path"] for r in frictionless.Package(str(out / "datapackage.json")).to_dict()["resources"]}
    assert not [p for p in paths if p.endswith(".excel.csv") or p.endswith(".xlsx")]
