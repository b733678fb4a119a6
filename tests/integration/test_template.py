"""`make template` (issue 4): an .xlsx derived from the schema (columns, header notes,
drop-downs from the codelists, date cells, a sheet explaining every field) that, once
filled in, goes straight back through `make append` and shows on the site."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess

import openpyxl
import pytest

from register.schema.package import ROOT, Package, command
from register.site.serve import datasette_instance
from register.staff import append as appendmod
from tests.staff_helpers import STAFF, digest, exit_code, make, next_id, refused, rows

LOG = "datasets/coproduction_log.csv"


@pytest.fixture
def template(repo, tmp_path):
    out = tmp_path / "log.xlsx"
    result = make("template", repo, TABLE="coproduction_log", OUT=out)
    assert exit_code(result) == 0, result.stderr
    assert f"make append TABLE=coproduction_log FILE={out}" in result.stdout
    return out


def validation_for(ws, column: str):
    for dv in ws.data_validations.dataValidation:
        if any(str(r).startswith(f"{column}2:") for r in dv.sqref.ranges):
            return dv
    return None


def test_the_template_is_derived_from_the_schema(repo, template):
    package = Package(repo)
    res = package.resource("coproduction_log")
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["coproduction_log", "About these fields", "codes"]
    assert wb["codes"].sheet_state == "hidden"
    ws = wb["coproduction_log"]
    header = [c.value for c in ws[1]]
    assert header == res.field_names
    for cell, f in zip(ws[1], res.fields):
        note = cell.comment.text
        assert f.title in note and f.description in note and f"Allowed: {appendmod.allowed(package, f)}" in note
    assert "Required." in ws["B1"].comment.text and "Optional" in ws["H1"].comment.text
    # The schema says what an identifier is; the template says staff leave it to be given.
    assert "Leave it empty: one is given when the records are added." in ws["A1"].comment.text
    # Drop-down of the gates, from the hidden sheet of codes.
    gate = res.field_names.index("gate") + 1
    letter = openpyxl.utils.get_column_letter(gate)
    dv = validation_for(ws, letter)
    assert dv.type == "list" and dv.showErrorMessage and dv.errorStyle == "stop"
    sheet, ref = dv.formula1.split("!")
    codes = [c.value for row in wb["codes"][ref.replace("$", "")] for c in row]
    assert sheet.strip("'") == "codes" and codes == package.codes("gates")
    # Yes/no, dates, whole numbers and lengths are checked by Excel as well.
    col = lambda name: openpyxl.utils.get_column_letter(res.field_names.index(name) + 1)  # noqa: E731
    assert validation_for(ws, col("reimbursement_offered")).formula1 == '"yes,no"'
    assert validation_for(ws, col("activity_date")).type == "date"
    assert ws.column_dimensions[col("activity_date")].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions[col("source_section")].number_format == "@"
    count = validation_for(ws, col("lived_experience_count"))
    assert (count.type, count.operator, count.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert validation_for(ws, col("title")).formula1 == "200"
    # The second sheet explains every field and every code.
    about = [[c for c in r] for r in wb["About these fields"].iter_rows(values_only=True)]
    for f in res.fields:
        assert any(r[0] == f.name and r[1] == f.title and r[3] == f.description for r in about), f.name
    assert any(r[0] == "co_design" and r[1] == "Co-design" for r in about)


def test_a_filled_in_template_appends_and_shows_on_the_site(repo, template):
    path = repo / LOG
    n = next_id(path, "LOG")
    wb = openpyxl.load_workbook(template)
    ws = wb["coproduction_log"]
    names = [c.value for c in ws[1]]
    records = [
        dict(
            project_id="PRJ-0002",
            activity_date=dt.datetime(2025, 3, 4),
            title="Template test meeting",
            gate="procure",
            participation_level="co_production",
            activity_type="working_group",
            format="hybrid",
            description="Partners co-wrote the specification.",
            groups="my_life_choices;our_voice",
            lived_experience_count=6,
            staff_count=3,
            reimbursement_offered="yes",
            source="nn_icb_strategy_2025",
            source_section="8.7",
        ),
        dict(
            project_id=label_of(wb, "PRJ-0002"),  # as the drop-down offers it: id and title
            activity_date=dt.date(2025, 3, 5),
            title="Second template meeting",
            gate="procure",
            participation_level="engage",
            activity_type="working_group",
            description="Panel training.",
            reimbursement_offered=True,
            source="nn_icb_strategy_2025",
            source_section="8.7",
        ),
    ]
    for r, record in enumerate(records, start=2):
        for key, value in record.items():
            ws.cell(row=r, column=names.index(key) + 1, value=value)
    wb.save(template)
    result = make("append", repo, TABLE="coproduction_log", FILE=template)
    assert exit_code(result) == 0, result.stderr
    added = rows(path)[-2:]
    assert [
        (
            a["id"],
            a["activity_date"],
            a["lived_experience_count"],
            a["reimbursement_offered"],
            a["source_section"],
            a["groups"],
        )
        for a in added
    ] == [
        (f"LOG-{n:04d}", "2025-03-04", "6", "true", "8.7", "my_life_choices;our_voice"),
        (f"LOG-{n + 1:04d}", "2025-03-05", "", "true", "8.7", ""),
    ]
    # On the site, as `make serve` serves the rebuilt database.
    ds = datasette_instance(repo / "build")
    response = asyncio.run(ds.client.get(f"/register/coproduction_log/LOG-{n:04d}.json?_shape=array"))
    assert response.status_code == 200
    assert response.json()[0]["title"] == "Template test meeting"


def fill_plain_record(template, **fields) -> None:
    """Type one co-production log record into the template's first row, as staff would:
    a plain meeting at the Plan gate, with `fields` for what the test is about."""
    wb = openpyxl.load_workbook(template)
    ws = wb["coproduction_log"]
    names = [c.value for c in ws[1]]
    record = dict(
        project_id="PRJ-0002",
        activity_date="2025-03-04",
        gate="plan",
        participation_level="engage",
        activity_type="working_group",
        source="nn_icb_strategy_2025",
    )
    record.update(fields)
    for key, value in record.items():
        ws.cell(row=2, column=names.index(key) + 1, value=value)
    wb.save(template)


def test_formulas_in_a_workbook_are_refused(repo, template):
    # A formula is refused with how to keep its value: "remove the '=' at the start", as
    # for text in a CSV, turned =TODAY() into the text TODAY(), refused again as no date.
    fill_plain_record(
        template,
        title="Meeting",
        description='=HYPERLINK("http://evil.example","Click here")',
        source_section="8.7",
        activity_date="=TODAY()",
        project_id="=B3",
    )
    result = refused(repo, TABLE="coproduction_log", FILE=template)
    for field, title in [("description", "What happened"), ("activity_date", "Date"), ("project_id", "Project")]:
        assert (
            f"{template}, row 2, field {field}: {title} holds a formula; the register keeps values, not formulas. "
            "Replace the formula with its value (copy the cell, then Paste Special > Values only)"
        ) in result.stderr
    assert "Remove the '='" not in result.stderr and "no record =B3" not in result.stderr
    assert "3 problems in 1 row." in result.stderr


def test_a_filled_in_template_is_never_overwritten(repo, template):
    again = make("template", repo, TABLE="coproduction_log", OUT=template)
    assert exit_code(again) == 0  # nothing in it yet: safe to write afresh
    wb = openpyxl.load_workbook(template)
    wb["coproduction_log"]["D2"] = "Work in progress"
    wb.save(template)
    saved = template.read_bytes()
    refused = make("template", repo, TABLE="coproduction_log", OUT=template)
    assert exit_code(refused) == 1
    assert "already exists and has 1 record in it not yet added to the register" in refused.stderr
    assert template.read_bytes() == saved


def test_a_template_is_not_written_inside_datasets(repo):
    # OUT=datasets/meeting.xlsx wrote it there: `make validate` then failed on it, and the
    # `make append` it suggested was refused as a file inside datasets/.
    before = digest(repo)
    out = repo / "datasets" / "meeting.xlsx"
    result = make("template", repo, TABLE="coproduction_log", OUT=out)
    assert exit_code(result) == 2
    assert f"No template written: {out} is inside datasets/, where only the register's own files belong" in (
        result.stderr
    )
    assert "Choose a place outside datasets/ with OUT=" in result.stderr
    assert not out.exists() and digest(repo) == before


def label_of(wb, ident: str) -> str:
    """The drop-down entry of a record: its id, a dash and its title."""
    return next(c for col in wb["codes"].iter_cols(values_only=True) for c in col if str(c).startswith(ident + " — "))


def test_choices_show_titles_and_activities_follow_the_project(repo):
    out = repo / "said.xlsx"
    assert exit_code(make("template", repo, TABLE="you_said_we_did", OUT=out)) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["you_said_we_did"]
    names = [c.value for c in ws[1]]
    col = lambda name: openpyxl.utils.get_column_letter(names.index(name) + 1)  # noqa: E731
    projects = {r["id"]: r["title"] for r in rows(repo / "datasets/projects.csv")}
    label = label_of(wb, "PRJ-0002")
    assert label.startswith(f"PRJ-0002 — {projects['PRJ-0002'][:40]}")
    # The activity's list is the block of the chosen project's activities (OFFSET/MATCH
    # on the project id in the same row), and a value outside it is stopped.
    activity = validation_for(ws, col("activity_id"))
    assert activity.formula1.startswith("OFFSET('codes'!") and f"${col('project_id')}2" in activity.formula1
    assert activity.errorStyle == "stop"
    codes = list(wb["codes"].iter_cols(values_only=True))
    by_header = {c[0]: [v for v in c[1:] if v] for c in codes}
    log = rows(repo / "datasets/coproduction_log.csv")
    assert by_header["activity_id project"] == sorted(r["project_id"] for r in log)
    for project, shown in zip(by_header["activity_id project"], by_header["activity_id"]):
        ident = shown.split(" — ")[0]
        assert next(r["project_id"] for r in log if r["id"] == ident) == project
    # "About these fields" lists every code and every record offered, with titles.
    about = list(wb["About these fields"].iter_rows(values_only=True))
    assert all(any(r[0] == ident and r[1] == title for r in about) for ident, title in projects.items())


def test_a_section_stored_as_a_number_is_refused_with_what_to_do(repo, template):
    fill_plain_record(
        template, title="Meeting", description="Numbers.", source_section=8.1
    )  # 8.10 typed into a cell formatted as a number
    result = refused(repo, TABLE="coproduction_log", FILE=template)
    assert (
        f"{template}, row 2, field source_section: section of the source 8.1 came in as a number, so the "
        f"spreadsheet may have changed it (8.10 becomes 8.1, 7.0 becomes 7): format the column as Text"
    ) in result.stderr


def test_a_template_offered_twice_is_refused_and_may_then_be_replaced(repo, template):
    offered = dict(title="Offered twice", description="Once is enough.", source_section="8.10")
    fill_plain_record(template, **offered)
    n = next_id(repo / LOG, "LOG")
    assert exit_code(make("append", repo, TABLE="coproduction_log", FILE=template)) == 0
    assert rows(repo / LOG)[-1]["source_section"] == "8.10"
    before = digest(repo)
    again = make("append", repo, TABLE="coproduction_log", FILE=template)
    assert exit_code(again) == 1
    assert f"row 2: this row is already in {LOG} as LOG-{n:04d}" in again.stderr
    assert "ALLOW_DUPLICATES=yes" in again.stderr
    assert digest(repo) == before
    # Every row is in the register, so a fresh template may replace the file.
    assert exit_code(make("template", repo, TABLE="coproduction_log", OUT=template)) == 0
    assert openpyxl.load_workbook(template)["coproduction_log"]["B2"].value is None
    # Meant on purpose: the same record again, under a new id.
    fill_plain_record(template, **offered)
    allowed = make("append", repo, TABLE="coproduction_log", FILE=template, ALLOW_DUPLICATES="yes")
    assert exit_code(allowed) == 0, allowed.stderr
    assert rows(repo / LOG)[-1]["id"] == f"LOG-{n + 1:04d}"


def test_the_suggested_command_quotes_a_path_with_spaces(repo):
    # In double quotes, as the staff guide writes FILE="January meeting.xlsx": an
    # apostrophe in the name was written 'Jo'"'"'s meeting.xlsx'.
    for name in ("my meeting.xlsx", "Jo's meeting.xlsx"):
        out = repo / name
        result = make("template", repo, TABLE="coproduction_log", OUT=out)
        assert exit_code(result) == 0, result.stderr
        shown = f'  make append TABLE=coproduction_log FILE="{out}"'
        assert shown in result.stdout
        # Typed as shown, it adds that file.
        typed = subprocess.run(
            ["bash", "-c", f'printf "%s" {shown.split("FILE=")[1]}'], capture_output=True, text=True, check=True
        )
        assert typed.stdout == str(out)


def test_the_suggested_commands_name_the_copy_they_worked_on(repo):
    """Made with ROOT=, the next command to type says ROOT= too: followed as printed, it
    adds to that copy, never to this repository's datasets/."""
    out = repo / "log.xlsx"
    result = make("template", repo, TABLE="coproduction_log", OUT=out)
    assert exit_code(result) == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"  make append TABLE=coproduction_log FILE={out} ROOT={repo}"
    appended = make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", REBUILD="no")
    assert exit_code(appended) == 0, appended.stderr
    assert f"run `make build ROOT={repo}` to see them" in appended.stdout


def test_without_root_the_suggested_command_is_the_plain_one():
    package = Package(ROOT)
    assert command(package, "make build") == "make build"


def test_a_partner_is_offered_only_among_the_independent_partners(repo):
    # The drop-down of a verdict's partner offered the ICB itself, which the register
    # then refused: "organisation nn_icb is not an independent partner".
    out = repo / "verdicts.xlsx"
    assert exit_code(make("template", repo, TABLE="partner_verdicts", OUT=out)) == 0
    wb = openpyxl.load_workbook(out)
    by_header = {c[0]: [v for v in c[1:] if v] for c in wb["codes"].iter_cols(values_only=True)}
    assert by_header["organisations"] == ["my_life_choices"]
    about = list(wb["About these fields"].iter_rows(values_only=True))
    assert any(r[0] == "my_life_choices" for r in about) and not any(r[0] == "nn_icb" for r in about)
    # `make add` offers the same choices.
    result = make("add", repo, TABLE="partner_verdicts", input="\n\n1\n")
    assert "1. my_life_choices  My Life Choices" in result.stdout and "nn_icb" not in result.stdout


def test_a_folder_given_as_out_is_said_with_a_file_name_to_give(repo, tmp_path):
    # OUT=~/Documents was refused as "OUT= must end in .xlsx (it is ...)".
    folder = tmp_path / "My documents"
    folder.mkdir()
    result = make("template", repo, TABLE="projects", OUT=folder)
    assert exit_code(result) == 2
    assert (
        f"No template written: OUT={folder} is a folder; give the file to write in it, for example "
        f'OUT="{folder / "projects.xlsx"}"'
    ) in result.stderr
    assert list(folder.iterdir()) == []


def test_the_workbook_says_to_append_to_the_register_it_was_made_for(repo, template):
    # A template made for another package (ROOT=) names that package in its own words on
    # what to run, as the command's message does: followed without it, the rows would go
    # to this repository's register instead.
    about = [r[0] for r in openpyxl.load_workbook(template)["About these fields"].iter_rows(values_only=True)]
    want = command(Package(repo), "make append TABLE=coproduction_log FILE=<this file>")
    assert f"ROOT={repo}" in want
    assert any(line and f"run: {want}." in line for line in about), about[:5]
