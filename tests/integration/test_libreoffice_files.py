"""Workbooks saved by LibreOffice Calc append as staff expect (issue 16): after Delete Rows
(Calc then writes a formatted empty row at 1,048,576), with the record sheet moved, and a
section typed as a number refused with what to do. The edits are made in Debian's
headless LibreOffice by a Basic macro (tests/integration/spreadsheets.py); a few files
made that way are committed under tests/data/libreoffice/ and checked without it."""

from __future__ import annotations

import shutil
import zipfile

import openpyxl
import pytest

from register.schema.package import ROOT
from tests.integration.spreadsheets import edit_in_calc, macro_profile
from tests.staff_helpers import digest, exit_code, make, next_id, refused, rows

LOG = "datasets/coproduction_log.csv"
FIXTURES = ROOT / "tests" / "data" / "libreoffice"
RECORD = dict(
    project_id="PRJ-0002",
    gate="plan",
    participation_level="engage",
    activity_type="working_group",
    description="Filled in LibreOffice.",
    source="nn_icb_strategy_2025",
)
FILLED = [
    dict(RECORD, activity_date="2025-03-04", title="Kept one", source_section="8.10"),
    dict(RECORD, activity_date="2025-03-05", title="Mistaken row", source_section="7.0"),
    dict(RECORD, activity_date="2025-03-06", title="Kept two", source_section="7.0"),
]


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    return macro_profile(tmp_path_factory.mktemp("libreoffice"))


def filled_template(repo, path, records=FILLED):
    assert exit_code(make("template", repo, TABLE="coproduction_log", OUT=path)) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["coproduction_log"]
    names = [c.value for c in ws[1]]
    for r, record in enumerate(records, start=2):
        for key, value in record.items():
            ws.cell(row=r, column=names.index(key) + 1, value=value)
    wb.save(path)
    return path


def test_a_row_deleted_in_calc_appends_cleanly(repo, profile):
    path = filled_template(repo, repo / "deleted row.xlsx")
    edit_in_calc(profile, path, delete_row=2)  # sheet row 3, "Mistaken row"
    with zipfile.ZipFile(path) as z:  # what made the old reader refuse the file
        assert 'ref="A1:R1048576"' in z.read("xl/worksheets/sheet1.xml").decode()
    n = next_id(repo / LOG, "LOG")
    result = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert f"Added 2 records to {LOG}: LOG-{n:04d}, LOG-{n + 1:04d}." in result.stdout
    added = rows(repo / LOG)[-2:]
    assert [(a["title"], a["source_section"]) for a in added] == [("Kept one", "8.10"), ("Kept two", "7.0")]


def test_a_moved_record_sheet_is_still_found(repo, profile):
    path = filled_template(repo, repo / "moved.xlsx", FILLED[:1])
    edit_in_calc(profile, path, move_sheet_to=2)  # after "About these fields"
    assert openpyxl.load_workbook(path, read_only=True).sheetnames[0] == "About these fields"
    result = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert rows(repo / LOG)[-1]["title"] == "Kept one"


def test_a_section_typed_as_a_number_in_calc_is_refused(repo, profile):
    path = filled_template(repo, repo / "number.xlsx", FILLED[:1])
    column = list(openpyxl.load_workbook(path).active.iter_rows(max_row=1, values_only=True))[0].index("source_section")
    edit_in_calc(profile, path, number=(column, 1, 8.1))
    result = refused(repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert "row 2, field source_section: section of the source 8.1 came in as a number" in result.stderr
    assert "format the column as Text and type the value again" in result.stderr


def test_the_committed_calc_file_appends_and_then_is_refused_as_already_added(repo, tmp_path):
    """Made by the first test's steps (a template filled in, row 3 deleted in Calc)."""
    path = tmp_path / "from calc.xlsx"
    shutil.copy(FIXTURES / "deleted_row.xlsx", path)
    n = next_id(repo / LOG, "LOG")
    assert exit_code(make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")) == 0
    before = digest(repo)
    again = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(again) == 1
    assert f"row 2: this row is already in {LOG} as LOG-{n:04d}" in again.stderr
    assert f"row 3: this row is already in {LOG} as LOG-{n + 1:04d}" in again.stderr
    assert digest(repo) == before


def test_an_ods_file_is_refused_in_words_for_libreoffice_users(repo):
    result = refused(repo, TABLE="coproduction_log", FILE=FIXTURES / "deleted_row.ods")
    assert 'in LibreOffice Calc choose File > Save As, pick the file type "Excel 2007-365 (.xlsx)"' in result.stderr
    assert "Excel as" not in result.stderr


def test_a_file_open_in_calc_is_read_with_a_warning(repo, tmp_path):
    path = tmp_path / "open.xlsx"
    shutil.copy(FIXTURES / "deleted_row.xlsx", path)
    (tmp_path / ".~lock.open.xlsx#").write_text(",someone,host,01.12.2026 10:00,file:///home/someone/.config;")
    result = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert "Warning: open.xlsx is open in LibreOffice or Excel" in result.stderr
    assert "changes not yet saved are not included" in result.stderr


def test_yes_and_no_saved_by_calc_as_true_and_false_formulas_are_read(repo, profile):
    # Calc writes a TRUE cell as <f>TRUE()</f><v>1</v>: openpyxl reads it as '=TRUE()'.
    records = [dict(FILLED[0], reimbursement_offered=True), dict(FILLED[2], reimbursement_offered=False)]
    path = filled_template(repo, repo / "booleans.xlsx", records)
    edit_in_calc(profile, path)  # opened and saved by Calc, nothing else changed
    cells = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert "=TRUE()" in cells[1] and "=FALSE()" in cells[2]
    result = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert [r["reimbursement_offered"] for r in rows(repo / LOG)[-2:]] == ["true", "false"]


def test_the_committed_calc_file_with_true_and_false_appends(repo, tmp_path):
    """Made by the test above's steps: yes and no in reimbursement_offered, saved by Calc."""
    path = tmp_path / "booleans.xlsx"
    shutil.copy(FIXTURES / "booleans.xlsx", path)
    result = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert [r["reimbursement_offered"] for r in rows(repo / LOG)[-2:]] == ["true", "false"]
