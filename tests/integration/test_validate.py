"""`make validate` on the real data, and on each class of bad input.

Each bad-input case appends one broken row to a scratch copy of the datasets and runs
the real `make validate` on it: the exit is non-zero and the message names the file,
the spreadsheet row, the field, the value and what is allowed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from register.checks.validate import validate
from register.schema.package import ROOT, Package


def run_make(target: str, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"ROOT={root}"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def tree_digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def rows_of(repo: Path, resource: str) -> list[dict]:
    res = Package(repo).resource(resource)
    with res.path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def append_variant(repo: Path, resource: str, new_id: str | None = None, base: dict | None = None, **changes) -> int:
    """Append a copy of an existing row with `changes`; returns its spreadsheet row number."""
    package = Package(repo)
    res = package.resource(resource)
    rows = rows_of(repo, resource)
    row = dict(base or rows[0])
    if new_id:
        row[res.primary_key[0]] = new_id
    row.update(changes)
    buf = io.StringIO()
    csv.DictWriter(buf, fieldnames=res.field_names, lineterminator="\n").writerow(row)
    text = res.path.read_text("utf-8")
    if not text.endswith("\n"):
        text += "\n"
    res.path.write_text(text + buf.getvalue(), "utf-8")
    return len(rows) + 2


def test_real_data_is_valid():
    assert validate(Package(ROOT)) == []


def test_make_validate_passes_on_the_real_data(repo):
    result = run_make("validate", repo)
    assert result.returncode == 0, result.stderr
    assert "Valid" in result.stdout


def test_every_main_resource_has_rows_that_cite_a_source(package):
    for name in ("projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates"):
        rows = rows_of(ROOT, name)
        assert rows, f"{name} has no rows"
        for row in rows:
            assert row["source"] and row["source_section"], (name, row)


def _one_case(repo, resource, field, value, expect, **kw):
    rownum = append_variant(repo, resource, **kw, **{field: value})
    before = tree_digest(repo / "datasets")
    result = run_make("validate", repo)
    assert result.returncode != 0
    file = Package(repo).resource(resource).descriptor["path"]
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{file}, row {rownum}, field {field}")]
    assert lines, result.stderr
    assert any(expect in line for line in lines), lines
    assert "allowed:" in " ".join(lines) or "required" in " ".join(lines)
    assert tree_digest(repo / "datasets") == before  # validate never writes
    return lines


def test_wrong_type(repo):
    lines = _one_case(
        repo, "coproduction_log", "lived_experience_count", "twelve", "is not a whole number", new_id="LOG-9001"
    )
    assert "'twelve'" in lines[0] and "whole number" in lines[0]


def test_impossible_date(repo):
    _one_case(
        repo,
        "coproduction_log",
        "activity_date",
        "2024-02-30",
        "is not a date the register can read",
        new_id="LOG-9001",
    )


def test_a_real_day_written_day_first_is_said_as_the_date_to_write(repo):
    # 31/05/2024 is a day that exists: the message gives the form a CSV holds it in,
    # never "there is no 31 May 2024".
    lines = _one_case(
        repo,
        "coproduction_log",
        "activity_date",
        "31/05/2024",
        "write 31 May 2024 as YYYY-MM-DD, 2024-05-31",
        new_id="LOG-9001",
    )
    assert "there is no" not in lines[0]


@pytest.mark.parametrize("validator", ["fast", "reference"])
def test_a_date_not_written_yyyy_mm_dd_is_refused_by_both_checkers(repo, validator, monkeypatch):
    # 2024-5-1 was read as a date and stored as typed: it sorted after 2024-12-01, and a
    # project ending (2024-1-1) before it started passed the rule that compares them.
    monkeypatch.setenv("REGISTER_VALIDATOR", validator)
    lines = _one_case(
        repo,
        "projects",
        "start_date",
        "2024-5-1",
        "write 1 May 2024 as YYYY-MM-DD, 2024-05-01",
        new_id="PRJ-9001",
        end_date="2024-1-1",
    )
    assert "(value: '2024-5-1')" in lines[0]


def test_unknown_code(repo):
    lines = _one_case(repo, "coproduction_log", "gate", "approve", "is not a code in gates", new_id="LOG-9001")
    assert "assess, plan, procure, monitor_evaluate" in lines[0]


def test_unknown_code_in_a_list(repo):
    _one_case(
        repo,
        "coproduction_log",
        "groups",
        "my_life_choices;no_such_group",
        "'no_such_group' is not a code in groups",
        new_id="LOG-9001",
    )


def test_broken_foreign_key(repo):
    _one_case(
        repo, "coproduction_log", "project_id", "PRJ-9999", "there is no record PRJ-9999 in projects", new_id="LOG-9001"
    )


def test_duplicate_id(repo):
    first = rows_of(repo, "projects")[0]["id"]
    _one_case(repo, "projects", "id", first, "must be unique")


def test_bad_identifier_pattern(repo):
    _one_case(repo, "projects", "id", "PRJ-1", "not in the right form")


def test_missing_required(repo):
    _one_case(repo, "you_said_we_did", "you_said", "", "is required", new_id="YS-9001")


def test_negative_impact_needs_mitigation(repo):
    base = next(r for r in rows_of(repo, "equality_impacts"))
    projects = [r["id"] for r in rows_of(repo, "projects")]
    used = {(r["project_id"], r["characteristic"]) for r in rows_of(repo, "equality_impacts")}
    project, characteristic = next(
        (p, c) for p in projects for c in Package(repo).codes("characteristics") if (p, c) not in used
    )
    _one_case(
        repo,
        "equality_impacts",
        "mitigation",
        "",
        "required when impact is negative",
        new_id="EIA-9001",
        base=base,
        project_id=project,
        characteristic=characteristic,
        impact="negative",
        not_assessed_reason="",
    )


def test_not_assessed_needs_reason(repo):
    base = rows_of(repo, "equality_impacts")[0]
    projects = [r["id"] for r in rows_of(repo, "projects")]
    used = {(r["project_id"], r["characteristic"]) for r in rows_of(repo, "equality_impacts")}
    project, characteristic = next(
        (p, c) for p in projects for c in Package(repo).codes("characteristics") if (p, c) not in used
    )
    _one_case(
        repo,
        "equality_impacts",
        "not_assessed_reason",
        "",
        "required when impact is not_assessed",
        new_id="EIA-9001",
        base=base,
        project_id=project,
        characteristic=characteristic,
        impact="not_assessed",
        mitigation="",
    )


def test_one_assessment_per_project_and_characteristic(repo):
    row = rows_of(repo, "equality_impacts")[0]
    rownum = append_variant(repo, "equality_impacts", new_id="EIA-9001", base=row)
    result = run_make("validate", repo)
    assert result.returncode != 0
    assert f"datasets/equality_impacts.csv, row {rownum}, fields project_id and characteristic:" in result.stderr
    assert "the same project_id and characteristic as row 2" in result.stderr


def test_done_needs_what_was_done(repo):
    _one_case(
        repo,
        "you_said_we_did_updates",
        "we_did",
        "",
        "required when status is done",
        new_id="UPD-9001",
        status="done",
        reason="",
    )


def test_not_taken_forward_needs_reason(repo):
    _one_case(
        repo,
        "you_said_we_did_updates",
        "reason",
        "",
        "required when status is not_taken_forward",
        new_id="UPD-9001",
        status="not_taken_forward",
        we_did="",
    )


def test_update_not_before_the_item_was_said(repo):
    _one_case(
        repo, "you_said_we_did_updates", "update_date", "2000-01-01", "before the item was said", new_id="UPD-9001"
    )


def test_said_at_an_activity_of_another_project(repo):
    item = rows_of(repo, "you_said_we_did")[0]
    other = next(r["id"] for r in rows_of(repo, "projects") if r["id"] != item["project_id"])
    append_variant(repo, "coproduction_log", new_id="LOG-9001", project_id=other)  # an activity of another project
    _one_case(repo, "you_said_we_did", "activity_id", "LOG-9001", "belongs to project", new_id="YS-9001", base=item)


def test_date_in_the_future(repo):
    _one_case(repo, "coproduction_log", "activity_date", "2999-01-01", "is in the future", new_id="LOG-9001")


def test_personal_data_is_refused(repo):
    lines = _one_case(
        repo,
        "coproduction_log",
        "description",
        "Contact jo.bloggs@example.org for notes",
        "contains an email address",
        new_id="LOG-9001",
    )
    assert "jo.bloggs@example.org" in lines[0]


def test_header_that_does_not_match_the_schema(repo):
    path = repo / "datasets" / "projects.csv"
    text = path.read_text("utf-8")
    path.write_text(text.replace("summary", "sumary", 1), "utf-8")
    result = run_make("validate", repo)
    assert result.returncode != 0
    assert "datasets/projects.csv, row 1" in result.stderr
    assert "header" in result.stderr


def test_a_file_that_is_not_a_table_in_datasets_is_named(repo):
    # A spreadsheet saved into datasets/ by mistake passed `make validate`, and the staff
    # guide's `git add datasets` published it with the register.
    (repo / "datasets" / "January meeting.xlsx").write_bytes(b"PK\x03\x04 not really")
    (repo / "datasets" / ".projects.csv.123.append.tmp").write_text("left by a killed append", "utf-8")
    result = run_make("validate", repo)
    assert result.returncode != 0
    assert "datasets/January meeting.xlsx: this file is not one of the register's tables" in result.stderr
    assert "append.tmp" not in result.stderr and "1 problem in 1 file." in result.stderr
    # The command to run again is for the copy it checked (ROOT=), not this repository.
    assert f"Fix these and run `make validate ROOT={repo}` again:" in result.stderr


@pytest.mark.parametrize("lock", [".~lock.coproduction_log.csv#", "~$coproduction_log.csv"])
def test_the_lock_file_of_a_table_open_in_a_spreadsheet_says_to_close_it(repo, lock):
    # Opening datasets/coproduction_log.csv in LibreOffice or Excel to look at it leaves
    # their lock file beside it, which validate told staff to "move out of datasets/":
    # the file to close was not named, and moving a lock file does not close it.
    (repo / "datasets" / lock).write_text("open in a spreadsheet", "utf-8")
    result = run_make("validate", repo)
    assert result.returncode != 0
    assert (
        f"datasets/{lock}: datasets/coproduction_log.csv is open in LibreOffice or Excel (this is its lock file)"
    ) in result.stderr
    assert "close it there without saving" in result.stderr
    assert "move it out of datasets/" not in result.stderr


@pytest.mark.parametrize(
    "resource", ["projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates"]
)
def test_build_refuses_invalid_data_and_keeps_the_old_database(repo, tmp_path, resource):
    out = tmp_path / "out"
    ok = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "register.database.build", "--root", str(repo), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    before = (out / "register.db").read_bytes()
    append_variant(repo, resource, **{"source": "no_such_source"})
    bad = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "register.database.build", "--root", str(repo), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert "Not building" in bad.stderr and "field source" in bad.stderr
    assert (out / "register.db").read_bytes() == before


def test_a_repeated_id_in_datasets_is_not_offered_a_blank(repo):
    path = repo / "datasets/you_said_we_did.csv"
    path.write_text(path.read_text("utf-8").replace("\nYS-0002,", "\nYS-0001,", 1), "utf-8")
    result = run_make("validate", repo)
    assert result.returncode != 0
    assert (
        "datasets/you_said_we_did.csv, row 3, field id: You said ID must be unique, and row 2 already has this value "
        "(value: 'YS-0001'); allowed: a value no other row of the file has"
    ) in result.stderr
    assert "leave blank" not in result.stderr


def test_the_staff_guide_shows_what_make_validate_says():
    guide = (ROOT / "docs" / "staff-guide.md").read_text("utf-8")
    result = run_make("validate", ROOT)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("Checked", "Valid"))]
    assert "$ make validate\n" + "\n".join(lines) + "\n```" in guide
    assert not re.search(r"Makefile:[0-9]+", guide), "the guide quotes a line number of the Makefile"


def test_a_publisher_yml_the_register_cannot_use_is_a_problem_said_plainly(repo):
    """publisher.yml names the publisher everywhere: `make validate` reports what is wrong
    with it as it does a row, `make build` refuses with the same words (not "Something went
    wrong"), and regenerating the descriptor says so without a traceback."""
    path = repo / "publisher.yml"
    path.write_text(re.sub(r"(?m)^homepage:.*\n", "", path.read_text("utf-8")), "utf-8")
    said = "publisher.yml: homepage is missing or empty"
    validated = run_make("validate", repo)
    assert validated.returncode != 0 and said in validated.stderr, validated.stderr
    built = run_make("build", repo)
    assert built.returncode != 0 and said in built.stderr and "Something went wrong" not in built.stderr
    assert not (repo / "build" / "register.db").exists()
    derived = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "register.schema.datapackage", "--write", "--root", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert derived.returncode == 1 and "homepage is missing or empty" in derived.stderr
    assert "Traceback" not in derived.stderr


def test_a_descriptor_left_behind_by_publisher_yml_is_named_with_the_command_that_fixes_it(repo):
    """The data package published with the data speaks for the publisher: `make validate`
    warns when datapackage.json no longer says what publisher.yml says, and gives the
    command that regenerates it, for this package (ROOT=) and not the repository's."""
    path = repo / "publisher.yml"
    path.write_text(path.read_text("utf-8").replace("short_name: ", "short_name: Renamed ", 1), "utf-8")
    done = run_make("validate", repo)
    assert done.returncode == 0, done.stderr
    assert "Warning: datapackage.json is not what publisher.yml" in done.stderr
    fix = re.search(r"Run `(python -m register\.schema\.datapackage --write --root \S+)` to regenerate it", done.stderr)
    assert fix and fix[1].endswith(str(repo)), done.stderr
    subprocess.run([sys.executable, *fix[1].split()[1:]], check=True, capture_output=True)
    again = run_make("validate", repo)
    assert again.returncode == 0 and "Warning" not in again.stderr, again.stderr


def test_a_package_that_leaves_out_a_table_of_the_standard_is_told_which(repo):
    """A package whose datapackage.json leaves out one of the standard's tables (a codelist
    its records take codes from, or partner_verdicts) was "Valid", or failed with
    "Something went wrong ... circular foreign keys" or "no such table": `make validate`
    and `make build` now name the tables to add, and change nothing."""
    path = repo / "datapackage.json"
    descriptor = json.loads(path.read_text("utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] not in ("gates", "partner_verdicts")]
    path.write_text(json.dumps(descriptor, indent=2) + "\n", "utf-8")
    (repo / "datasets/codelists/gates.csv").unlink()
    (repo / "datasets/partner_verdicts.csv").unlink()
    before = tree_digest(repo / "datasets")
    for target in ("validate", "build"):
        result = run_make(target, repo)
        assert result.returncode != 0, result.stderr
        assert "datapackage.json has no resource gates, partner_verdicts" in result.stderr, result.stderr
        assert f"--write --root {repo}" in result.stderr
        assert "Something went wrong" not in result.stderr and "Traceback" not in result.stderr
    assert tree_digest(repo / "datasets") == before
    assert not (repo / "build" / "register.db").exists()


@pytest.mark.parametrize(
    ("path", "row", "field"),
    [
        ("datasets/projects.csv", [None, "Caf\xe9 review", "A review.", "nn_icb", "", "assess"], "title"),
        ("datasets/sources.csv", ["zz_notes", "Caf\xe9 notes", "Notes.", "Someone", "", "99", ""], "title"),
        ("datasets/codelists/places.csv", ["zz_place", "Caf\xe9 quarter", "A place.", "99", "", ""], "title"),
    ],
)
def test_a_file_saved_in_another_encoding_is_named_with_its_row_and_field(repo, path, row, field):
    """A CSV saved by Excel's plain "CSV" (Windows-1252, é as the byte 0xe9) was "Something
    went wrong ... Please report this": it is a problem of the data, said with the file,
    the row and the field of the first character that is not UTF-8, and what to do."""
    target = repo / path
    rownum = len(target.read_text("utf-8").splitlines()) + 1
    text = target.read_text("utf-8")
    if row[0] is None:
        row[0] = "PRJ-9001"
    with target.open("ab") as f:
        f.write(("" if text.endswith("\n") else "\n").encode() + (",".join(row) + "\n").encode("cp1252"))
    before = tree_digest(repo / "datasets")
    for target_name in ("validate", "build"):
        result = run_make(target_name, repo)
        assert result.returncode != 0, result.stderr
        assert "Something went wrong" not in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert (
            f"{path}, row {rownum}, field {field}: this file is not UTF-8 text: the byte 0xe9 in this cell"
        ) in result.stderr
        assert 'save it as "CSV UTF-8 (Comma delimited)"' in result.stderr
    assert tree_digest(repo / "datasets") == before


def test_a_row_cut_short_is_one_problem_at_the_first_column_it_does_not_reach(repo):
    """A row of 4 cells under a header of 18 was 20 lines: "too few cells" for each column
    it does not reach, and again "is required (value: 'None')" for the required ones."""
    path = repo / "datasets" / "coproduction_log.csv"
    rownum = len(rows_of(repo, "coproduction_log")) + 2
    text = path.read_text("utf-8")
    path.write_text(text + ("" if text.endswith("\n") else "\n") + "LOG-9001,PRJ-0001,2024-07-01,Cut short\n", "utf-8")
    result = run_make("validate", repo)
    assert result.returncode != 0
    lines = [
        line for line in result.stderr.splitlines() if line.startswith(f"datasets/coproduction_log.csv, row {rownum}")
    ]
    columns = len(Package(repo).resource("coproduction_log").field_names)
    assert lines == [
        f"datasets/coproduction_log.csv, row {rownum}, field gate: the row has too few cells: 4 where the header "
        f"has {columns}, so it stops before this column"
    ]
    assert "'None'" not in result.stderr


def test_a_descriptor_that_names_another_publisher_is_refused_with_the_command_that_fixes_it(repo):
    """A package copied from another register (docs/publishing.md) whose datapackage.json
    was not regenerated still named that register's publisher and homepage, with only a
    warning: the national register then linked every record to the other register."""
    path = repo / "publisher.yml"
    text = path.read_text("utf-8")
    old_home = re.search(r"(?m)^homepage: (.*)$", text)[1]
    text = re.sub(r"(?m)^homepage: .*$", "homepage: https://vale.example.org/", text)
    path.write_text(re.sub(r"(?m)^name: .*$", "name: Vale Integrated Care Board", text), "utf-8")
    for target in ("validate", "build"):
        result = run_make(target, repo)
        assert result.returncode != 0, result.stderr
        assert (
            "datapackage.json, field homepage: names another publisher than publisher.yml, which says "
            f"'https://vale.example.org/' (value: '{old_home}'); allowed: what publisher.yml says, written by "
            f"`python -m register.schema.datapackage --write --root {repo}`"
        ) in result.stderr
        assert "datapackage.json, field publisher: names another publisher" in result.stderr
    assert not (repo / "build" / "register.db").exists()
    subprocess.run(
        [sys.executable, "-m", "register.schema.datapackage", "--write", "--root", str(repo)],
        check=True,
        capture_output=True,
    )
    assert run_make("validate", repo).returncode == 0


@pytest.mark.parametrize("target, refused", [("validate", "Not checked"), ("build", "Not built")])
def test_a_folder_that_is_not_a_register_is_said_as_the_staff_commands_say_it(tmp_path, target, refused):
    # `make validate ROOT=path/to/package` (docs/publishing.md) with a wrong path said
    # "No such file or directory: .../datapackage.json; datasets/ was not changed".
    (tmp_path / "empty").mkdir()
    for root, where in ((tmp_path / "nowhere", "does not exist"), (tmp_path / "empty", "has no datapackage.json")):
        result = run_make(target, root)
        assert result.returncode != 0
        assert f"{refused}: ROOT={root} is not a copy of the register: that folder {where}." in result.stderr
        assert "No such file" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "nowhere").exists() and list((tmp_path / "empty").iterdir()) == []
