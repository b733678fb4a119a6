"""`make append` (issue 4): good files land exactly as expected and pass `make validate`;
every class of bad file is refused with a message naming file, row, field, value and what
is allowed, and leaves datasets/ byte-for-byte unchanged; two appends at once both land;
an append killed half-way leaves the old file."""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import time
import zipfile
from pathlib import Path

import frictionless
import pytest

from register.checks.validate import validate
from register.schema.package import Package
from register.staff import append as appendmod
from tests.conftest import copy_repo
from tests.staff_helpers import STAFF, digest, exit_code, make, next_id, popen_make, refused, refused_each, rows

LOG = "datasets/coproduction_log.csv"
UPDATES = "datasets/you_said_we_did_updates.csv"


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """One scratch repository for all the refusals: each must leave it unchanged, so
    sharing it also proves no refusal leaks into the next."""
    return copy_repo(tmp_path_factory.mktemp("refusals"))


def csv_bytes(records: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(records)
    return buf.getvalue().encode("utf-8")


# --- good files ----------------------------------------------------------------------


def test_good_files_land_exactly_and_the_register_stays_valid(repo):
    log = repo / LOG
    before = log.read_bytes()
    n = next_id(log, "LOG")
    result = make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv")
    assert exit_code(result) == 0, result.stderr
    assert f"Added 2 records to {LOG}: LOG-{n:04d}, LOG-{n + 1:04d}." in result.stdout
    # Schema order, LF, minimal quoting; values trimmed and normalised (UK date, code
    # names, yes/no, commas between groups); the old bytes untouched in front.
    expected = csv_bytes(
        [
            [
                f"LOG-{n:04d}",
                "PRJ-0002",
                "2025-01-06",
                "Working group on the toolkit",
                "plan",
                "co_design",
                "working_group",
                "online",
                "online",
                "The working group reviewed the draft toolkit, page by page.",
                "my_life_choices;healthwatch",
                "7",
                "2",
                "true",
                "",
                "",
                "nn_icb_strategy_2025",
                "8.3",
            ],
            [
                f"LOG-{n + 1:04d}",
                "PRJ-0002",
                "2025-02-03",
                "Easy read review",
                "plan",
                "co_design",
                "working_group",
                "in_person",
                "south_nottinghamshire",
                "People checked the easy read version.\nThey asked for larger print.",
                "",
                "4",
                "1",
                "false",
                "",
                "",
                "nn_icb_strategy_2025",
                "8.3",
            ],
        ]
    )
    assert log.read_bytes() == before + expected

    # UTF-8 with BOM and CRLF (Excel's "CSV UTF-8"), and Windows-1252 (older Excel).
    for table, name, text in [
        ("projects", "projects_bom_crlf.csv", "Café for carers’ voices"),
        ("you_said_we_did", "yswd_cp1252.csv", "Travel costs of £5 a trip put people off – we’d"),
    ]:
        path = repo / "datasets" / f"{table}.csv"
        old = path.read_bytes()
        result = make("append", repo, TABLE=table, FILE=STAFF / name)
        assert exit_code(result) == 0, result.stderr
        added = path.read_bytes()[len(old) :]
        assert path.read_bytes().startswith(old)
        assert text in added.decode("utf-8") and b"\r" not in added and not added.startswith(b"\xef\xbb\xbf")

    # The database was rebuilt with the new rows.
    with sqlite3.connect(repo / "build" / "register.db") as db:
        got = db.execute(
            "SELECT title, reimbursement_offered FROM coproduction_log WHERE id = ?", (f"LOG-{n:04d}",)
        ).fetchone()
        assert got == ("Working group on the toolkit", 1)
        assert (
            db.execute(
                "SELECT COUNT(*) FROM coproduction_log_groups WHERE coproduction_log_id = ?", (f"LOG-{n:04d}",)
            ).fetchone()[0]
            == 2
        )
    # What append accepted, the full frictionless validation accepts too.
    assert validate(Package(repo)) == []


# --- refusals: the file cannot be read -----------------------------------------------

FILE_CASES = [
    ("empty.csv", "coproduction_log", ["the file is empty"]),
    ("header_only.csv", "coproduction_log", ["header row but no records"]),
    ("binary.csv", "coproduction_log", ["not a CSV text file", "binary data", "CSV UTF-8"]),
    ("mixed_encoding.csv", "you_said_we_did", ["row 3", "mixes text encodings", "line 3", "0x80"]),
    ("unknown_encoding.csv", "you_said_we_did", ["row 2", "text encoding the register cannot read", "0x81"]),
    ("not_a_zip.xlsx", "projects", ["not an Excel workbook", "zip archive"]),
    ("old_excel.xls", "projects", [".xls files cannot be read", "Excel Workbook (.xlsx)"]),
    ("stray_quote.csv", "coproduction_log", ["stray quote mark"]),
    (
        "extra_column.csv",
        "coproduction_log",
        ["row 1, field notes", "no column called 'notes'", "allowed: columns id, project_id"],
    ),
    ("missing_column.csv", "coproduction_log", ["row 1, field title", "'title' (Activity) is missing"]),
    ("duplicate_column.csv", "coproduction_log", ["row 1, field gate", "appears twice"]),
    (
        "too_many_cells.csv",
        "coproduction_log",
        ["row 3", "the cell in column K (the 11th) has a value but its column has no heading", "(value: 'surplus')"],
    ),
]


@pytest.mark.parametrize("name,table,expected", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_unreadable_files_are_refused(shared, name, table, expected):
    result = refused(shared, TABLE=table, FILE=STAFF / name)
    assert str(STAFF / name) in result.stderr
    for text in expected:
        assert text in result.stderr
    assert "are unchanged" in result.stderr


def test_zip_bomb_is_refused(shared, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))  # 8 MB of zeros: ~8 KB packed
    result = refused(shared, TABLE="projects", FILE=bomb)
    assert f"{bomb}: part xl/worksheets/sheet1.xml of this workbook is compressed" in result.stderr
    assert "zip bomb" in result.stderr


# --- refusals: the values are wrong --------------------------------------------------

VALUE_CASES = {
    "log_bad_values.csv": (
        "coproduction_log",
        [
            (2, "gate", "'decide'", "is not a code in gates", "one of the codes in gates: assess, plan"),
            (3, "activity_date", "'2025-13-40'", "not a date", "a date written YYYY-MM-DD"),
            (4, "lived_experience_count", "'-3'", "less than 0", "a whole number from 0 to 1,000,000"),
            (5, "lived_experience_count", "'five'", "not a whole number", "a whole number from 0 to 1,000,000"),
            (6, "id", "'LOG-0001'", f"already used by a record in {LOG}", "leave it blank to have one given"),
            (7, "project_id", "'PRJ-9999'", "no record PRJ-9999 in projects", "the id of an existing row of projects"),
            (8, "description", "'=HYPERLINK(", "would run it as a formula", "text of at most 4000 characters"),
            (9, "title", "'xxxxxxxx", "201 characters long; the most allowed is 200", "at most 200 characters"),
            (10, "activity_date", "'2099-01-01'", "in the future", "on or before today (2026-01-15)"),
            (11, "groups", "'nobody'", "not a code in groups", "codes from groups separated by semicolons"),
            (12, "reimbursement_offered", "'maybe'", "must be yes or no", "true or false (yes or no)"),
            (13, "description", "''", "What happened is required", "text of at most 4000 characters"),
            (14, "id", "'LOG-12'", "not in the right form", "an identifier like LOG-0001"),
            (16, "id", "'LOG-9000'", "also used by row 15 of this file", "a different value on every row"),
            (17, "description", "'0115 883 9000'", "a UK phone number", "no personal data"),
            (17, "description", "'NG9 2FD'", "a full postcode", "no personal data"),
            (18, "description", "'It was\\x07 noisy'", "invisible control character (code 7)", "text of at most"),
            (19, "what_changed", "'yyyyyyyy", "4,001 characters long", "text of at most 4000 characters"),
        ],
    ),
    "yswd_rules.csv": (
        "you_said_we_did",
        [
            (
                2,
                "activity_id",
                "'LOG-0001'",
                "belongs to project PRJ-0002, not to PRJ-0001",
                "an activity of the same project",
            ),
            (3, "target_date", "'2024-01-01'", "earlier than Date said", "a date on or after Date said"),
            (4, "you_said", "'sam.jones@example.org'", "an email address", "no personal data"),
            (5, "you_said", "'943 476 5919'", "an NHS number", "no personal data"),
            (6, "you_said", "'AB 12 34 56 C'", "a National Insurance number", "no personal data"),
            (
                8,
                "activity_id",
                "'LOG-9999'",
                "no record LOG-9999 in coproduction_log",
                "an existing row of coproduction_log",
            ),
        ],
    ),
    "eia_rules.csv": (
        "equality_impacts",
        [
            (2, "mitigation", "''", "required when impact is negative", "reduce a negative impact"),
            (3, "not_assessed_reason", "''", "required when impact is not_assessed", "not assessed"),
            # The record already there is named, to look at before adding another.
            (4, "project_id,characteristic", "'PRJ-0002,age'", "already has EIA-0001 with the same", "one row per"),
            (
                6,
                "project_id,characteristic",
                "'PRJ-0010,race'",
                "the same project_id and characteristic as row 5",
                "one row per",
            ),
            (7, "review_date", "'2024-06-01'", "earlier than Date assessed", "a date on or after Date assessed"),
        ],
    ),
}


@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_bad_values_are_refused_one_line_each(shared, name):
    table, expected = VALUE_CASES[name]
    result = refused(shared, TABLE=table, FILE=STAFF / name)
    lines = result.stderr.splitlines()
    for row, field, value, message, allowed in expected:
        # A key of several columns is named as "fields project_id and characteristic".
        named = f"fields {' and '.join(field.split(','))}" if "," in field else f"field {field}"
        prefix = f"{STAFF / name}, row {row}, {named}: "
        hits = [ln for ln in lines if ln.startswith(prefix) and message in ln]
        assert len(hits) == 1, f"no single line for row {row} {field} {message!r} in:\n{result.stderr}"
        assert f"(value: {value}" in hits[0] and "; allowed: " in hits[0] and allowed in hits[0], hits[0]
    problem_lines = [ln for ln in lines if ln.startswith(f"{STAFF / name}, row ")]
    assert len(problem_lines) == len(expected)  # nothing reported twice, nothing spurious
    assert f"{len(expected)} problems in" in result.stderr


def test_ten_thousand_rows_with_one_bad_row_at_the_end(shared, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["project_id", "activity_id", "said_date", "theme", "you_said", "source", "source_section"])
        for i in range(9_999):
            w.writerow(
                [
                    "PRJ-0002",
                    "LOG-0001",
                    "2024-08-06",
                    "accessibility",
                    f"Comment {i} about getting to venues.",
                    "listening_event_beeston",
                    "Table 3",
                ]
            )
        w.writerow(
            ["PRJ-0002", "LOG-0001", "2024-08-06", "not_a_theme", "The last one.", "listening_event_beeston", "Table 3"]
        )
    before = digest(shared)
    start = time.monotonic()
    result = make("append", shared, TABLE="you_said_we_did", FILE=big)
    elapsed = time.monotonic() - start
    assert exit_code(result) == 1
    assert (
        f"{big}, row 10001, field theme: 'not_a_theme' is not a code in themes (value: 'not_a_theme'); "
        f"allowed: one of the codes in themes: "
    ) in result.stderr
    assert "1 problem in 1 row." in result.stderr
    assert digest(shared) == before
    assert elapsed < 30, elapsed


def test_usage_mistakes_are_explained(shared):
    result = make("append", shared, TABLE="meetings", FILE=STAFF / "log_good.csv")
    assert exit_code(result) == 2
    assert "there is no table called 'meetings'" in result.stderr and "coproduction_log" in result.stderr
    result = make("append", shared, TABLE="coproduction_log")
    assert exit_code(result) == 2 and "FILE=" in result.stderr
    result = make("append", shared, TABLE="coproduction_log", FILE="/no/such/file.csv")
    assert exit_code(result) == 1 and "/no/such/file.csv: there is no such file" in result.stderr


# --- safety under faults -------------------------------------------------------------


def update_file(tmp_path: Path, name: str, note: str) -> Path:
    path = tmp_path / name
    path.write_text(
        "you_said_id,update_date,status,we_did,source,source_section\n"
        f"YS-0001,2025-10-01,in_progress,{note},nn_icb_strategy_2025,8.1\n",
        "utf-8",
    )
    return path


def test_two_appends_at_once_both_land(repo, tmp_path):
    path = repo / UPDATES
    before = path.read_bytes()
    count = len(rows(path))
    n = next_id(path, "UPD")
    release = tmp_path / "release"
    # A writes its file, then holds the lock at the hook until told to go on.
    a = popen_make(
        "append",
        repo,
        env={appendmod.PAUSE_ENV: "60", appendmod.RELEASE_ENV: str(release)},
        TABLE="you_said_we_did_updates",
        FILE=update_file(tmp_path, "a.csv", "first"),
    )
    assert "paused before replacing" in a.stderr.readline()
    b = popen_make("append", repo, TABLE="you_said_we_did_updates", FILE=update_file(tmp_path, "b.csv", "second"))
    assert "waiting for it to finish" in b.stderr.readline()  # B is blocked on the lock
    release.touch()
    out_a, err_a = a.communicate(timeout=60)
    out_b, err_b = b.communicate(timeout=60)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    after = rows(path)
    assert path.read_bytes().startswith(before)
    assert len(after) == count + 2
    assert [(r["id"], r["we_did"]) for r in after[count:]] == [
        (f"UPD-{n:04d}", "first"),
        (f"UPD-{n + 1:04d}", "second"),
    ]


def test_an_append_killed_before_the_rename_leaves_the_old_file(repo, tmp_path):
    path = repo / UPDATES
    before = digest(repo)
    old = path.read_bytes()
    p = popen_make(
        "append",
        repo,
        env={appendmod.PAUSE_ENV: "60"},
        TABLE="you_said_we_did_updates",
        FILE=update_file(tmp_path, "a.csv", "killed"),
    )
    assert "paused before replacing" in p.stderr.readline()
    temps = list(path.parent.glob(f".{path.name}.*.append.tmp"))
    assert len(temps) == 1 and temps[0].read_bytes().startswith(old) and b"killed" in temps[0].read_bytes()
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    p.stdout.close()
    p.stderr.close()
    kept = {k: v for k, v in digest(repo).items() if not k.endswith(".append.tmp")}
    assert kept == before  # the register is exactly as before
    # The lock died with the process; the next append goes straight through and
    # clears the half-finished temporary file.
    result = make("append", repo, TABLE="you_said_we_did_updates", FILE=update_file(tmp_path, "b.csv", "after"))
    assert exit_code(result) == 0, result.stderr
    assert "waiting" not in result.stderr
    assert not list(path.parent.glob("*.append.tmp"))
    assert path.read_bytes().startswith(old)
    assert [r["we_did"] for r in rows(path)[-1:]] == ["after"]
    assert b"killed" not in path.read_bytes()


# --- the typed checks agree with frictionless ----------------------------------------

TRICKY = {
    "integer": ["5", "+5", " 7 ", "007", "-1", "1.0", "1e3", "1_000", "٣", "", "five", "1,000"],
    "date": [
        "2024-08-06",
        "2024-8-6",
        "06/08/2024",
        "6/8/2024",
        "2024-02-30",
        "31/04/2024",
        "2024-08-06 00:00:00",
        "20240806",
        "06/08/24",
        "2024-08-06T10:00",
        "next week",
    ],
    "boolean": ["yes", "No", "TRUE", "y", "1", "0", "maybe", "ja"],
    "string": ["LOG-0001", "LOG-12", "LOG-00001", "log-0001", "LOG-0001\n", " LOG-0002 "],
}


def test_cells_append_accepts_are_cells_frictionless_accepts(package):
    """append checks new rows itself (frictionless is too slow to re-run on the whole
    register for every append): whatever it accepts, normalised, frictionless must accept."""
    codes = appendmod.Codes(package)
    res = package.resource("coproduction_log")
    schema = frictionless.Schema.from_descriptor(str(package.root / res.schema_path))
    fields = {
        "integer": "lived_experience_count",
        "date": "activity_date",
        "boolean": "reimbursement_offered",
        "string": "id",
    }
    accepted = 0
    for kind, values in TRICKY.items():
        f = res.field(fields[kind])
        for text in values:
            value, msgs = appendmod.check_value(package, codes, f, text)
            if msgs or not value:
                continue
            accepted += 1
            _, notes = schema.get_field(f.name).read_cell(value)
            assert notes is None, (f.name, text, value, notes)
    assert accepted >= 12
    # And the ones that must be refused are.
    refused = {
        ("integer", "1_000"),
        ("integer", "٣"),
        ("date", "2024-02-30"),
        ("date", "06/08/24"),
        ("boolean", "maybe"),
        ("string", "LOG-12"),
    }
    for kind, text in refused:
        assert appendmod.check_value(package, codes, res.field(fields[kind]), text)[1], (kind, text)
    # A record's own id in small letters is its id, as a reference to it is.
    assert appendmod.check_value(package, codes, res.field("id"), "log-0001") == ("LOG-0001", [])


def test_a_uk_date_time_at_midnight_as_excel_writes_it_is_read_as_its_day(package):
    # Excel writes a date-time cell to a CSV as 06/08/2024 00:00 in a UK setting; the
    # ISO form at midnight was read, the UK one refused as "not a date".
    codes = appendmod.Codes(package)
    f = package.resource("coproduction_log").field("activity_date")
    for text in ["06/08/2024 00:00", "6/8/2024 00:00:00", "2024-08-06 00:00"]:
        assert appendmod.check_value(package, codes, f, text) == ("2024-08-06", []), text
    for text in ["06/08/2024 10:30", "06/08/2024 00:00 AM"]:
        assert appendmod.check_value(package, codes, f, text)[1], text


def test_new_rows_follow_the_existing_files_line_endings(repo, tmp_path):
    """A file edited on Windows (CRLF) and saved without a final line break still gets
    whole, well-formed rows in its own style."""
    path = repo / "datasets" / "projects.csv"
    crlf = path.read_bytes().replace(b"\n", b"\r\n").rstrip(b"\r\n")
    path.write_bytes(crlf)
    new = tmp_path / "p.csv"
    new.write_text(
        "title,summary,organisation,current_gate,source,source_section\n"
        "A new project,What it is for.,nn_icb,assess,nn_icb_strategy_2025,8.4\n",
        "utf-8",
    )
    n = next_id(path, "PRJ")
    result = make("append", repo, TABLE="projects", FILE=new)
    assert exit_code(result) == 0, result.stderr
    assert (
        path.read_bytes()
        == crlf
        + (f"\r\nPRJ-{n:04d},A new project,What it is for.,nn_icb,,assess,,,,,nn_icb_strategy_2025,8.4\r\n").encode()
    )


def test_an_appended_file_keeps_its_permissions(repo):
    """The rows are written to a new file renamed over the old one: the register's file
    keeps the permissions it had (shared with a group that edits it, say), not a new
    file's default."""
    path = repo / LOG
    path.chmod(0o664)
    result = make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert path.stat().st_mode & 0o777 == 0o664
    path.chmod(0o640)
    again = make(
        "append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", REBUILD="no", ALLOW_DUPLICATES="yes"
    )
    assert exit_code(again) == 0, again.stderr
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_register_file_whose_header_does_not_match_its_schema_is_not_touched(repo):
    path = repo / "datasets" / "coproduction_log.csv"
    lines = path.read_text("utf-8").split("\n", 1)
    path.write_text(lines[0].replace("title,gate", "gate,title") + "\n" + lines[1], "utf-8")
    result = refused(repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv")
    assert "datasets/coproduction_log.csv, row 1: the register's own file does not have the columns" in result.stderr


def test_a_write_that_fails_half_way_is_reported_and_changes_nothing(shared):
    """A file-size limit makes the temporary copy fail part-way, as a full disk would."""
    import resource
    import subprocess

    from staff_helpers import TODAY

    from register.schema.package import ROOT

    size = (shared / LOG).stat().st_size
    before = digest(shared)
    result = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "-C",
            str(ROOT),
            "append",
            f"ROOT={shared}",
            "TABLE=coproduction_log",
            f"FILE={STAFF / 'log_good.csv'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "REGISTER_TODAY": TODAY},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, size + 100)),
    )
    assert exit_code(result) == 1
    assert f"Nothing was added to coproduction_log: {LOG} could not be saved (File too large)" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(shared) == before


# --- tables keyed by a code ----------------------------------------------------------

SOURCE_ROW = "mlc_review_2026,MLC review,A review.,My Life Choices,2026-01-10,9\n"
SOURCE_HEADER = "code,title,description,publisher,published,sort_order\n"


def test_a_source_is_added_by_its_code_and_the_code_is_checked(repo, tmp_path):
    new = tmp_path / "source.csv"
    new.write_text(SOURCE_HEADER + SOURCE_ROW, "utf-8")
    result = make("append", repo, TABLE="sources", FILE=new)
    assert exit_code(result) == 0, result.stderr
    assert "Added 1 record to datasets/sources.csv: mlc_review_2026." in result.stdout
    assert rows(repo / "datasets/sources.csv")[-1]["code"] == "mlc_review_2026"
    assert exit_code(make("validate", repo)) == 0
    before = digest(repo)
    again = make("append", repo, TABLE="sources", FILE=new)
    assert exit_code(again) == 1
    assert f"{new}, row 2, field code: Code mlc_review_2026 is already used by a record in datasets/sources.csv" in (
        again.stderr
    )
    blank = tmp_path / "blank.csv"
    blank.write_text(SOURCE_HEADER + "," + SOURCE_ROW.split(",", 1)[1], "utf-8")
    refused = make("append", repo, TABLE="sources", FILE=blank)
    assert exit_code(refused) == 1 and f"{blank}, row 2, field code: Code is required" in refused.stderr
    assert "Traceback" not in again.stderr + refused.stderr
    assert digest(repo) == before


def test_a_codelist_row_that_breaks_a_rule_of_the_whole_file_is_refused(shared, tmp_path):
    # response_rules has exactly one default rule; a second one is refused before it is written.
    new = tmp_path / "rules.csv"
    new.write_text(
        "code,title,description,sort_order,source,source_section,due_after,due_unit,is_default\n"
        "quick,Quick,A quick rule.,3,consultation_principles_2018,p1,5,weeks,yes\n",
        "utf-8",
    )
    before = digest(shared)
    result = make("append", shared, TABLE="response_rules", FILE=new)
    assert exit_code(result) == 1, result.stdout + result.stderr
    assert f"{new}, row 2, field is_default: exactly one row must have Default rule true" in result.stderr
    assert digest(shared) == before


def test_a_folder_that_is_not_a_register_is_named_without_a_traceback(tmp_path):
    result = make("append", tmp_path / "nowhere", TABLE="coproduction_log", FILE=STAFF / "log_good.csv")
    assert exit_code(result) == 2
    assert f"ROOT={tmp_path / 'nowhere'} is not a copy of the register: that folder does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unforeseen_error_in_append_is_one_plain_sentence(shared, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(appendmod.readers, "read_table", broken)
    before = digest(shared)
    code = appendmod.main(["--table=coproduction_log", f"--file={STAFF / 'log_good.csv'}", f"--root={shared}"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Something went wrong while adding the records: something nobody foresaw" in err
    assert "Traceback" not in err
    assert digest(shared) == before


def test_yes_and_no_settings_are_read_in_any_capitals_and_nothing_else(repo):
    first = make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", REBUILD="NO")
    assert exit_code(first) == 0, first.stderr
    assert "The database was not rebuilt" in first.stdout
    again = make(
        "append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", REBUILD="No", ALLOW_DUPLICATES="YES"
    )
    assert exit_code(again) == 0, again.stderr
    before = digest(repo)
    for name, value in (("REBUILD", "nope"), ("ALLOW_DUPLICATES", "perhaps")):
        result = make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", **{name: value})
        assert exit_code(result) == 2
        assert f"{name}={value!r} is not yes or no" in result.stderr
    assert digest(repo) == before


@pytest.mark.parametrize("target", ["append", "template", "add"])
def test_corrections_are_only_added_by_make_correct(shared, tmp_path, target):
    new = tmp_path / "corrections.csv"
    new.write_text(
        "resource,record_id,field,old_value,new_value,corrected_date,reason\n"
        "you_said_we_did,YS-0003,theme,culture_and_leadership,governance,2026-01-10,Wrong theme.\n",
        "utf-8",
    )
    before = digest(shared)
    result = make(target, shared, TABLE="corrections", FILE=new, OUT=tmp_path / "corrections.xlsx", input="")
    assert exit_code(result) == 2, result.stdout + result.stderr
    assert "corrections is not added to directly" in result.stderr and "make correct ID=" in result.stderr
    assert not (tmp_path / "corrections.xlsx").exists()
    assert digest(shared) == before


# --- workbooks ---------------------------------------------------------------------

UPDATE_HEADER = ["you_said_id", "update_date", "status", "we_did", "source", "source_section"]
UPDATE_ROW = ["YS-0010", "2025-10-01", "in_progress", "Under way.", "nn_icb_strategy_2025", "8.1"]


def workbook(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, cells in sheets.items():
        ws = wb.create_sheet(title)
        for row in cells:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def test_a_date_cell_holding_a_time_too_is_read_as_its_day(repo, tmp_path):
    import datetime as dt

    row = [*UPDATE_ROW[:1], dt.datetime(2025, 11, 10, 14, 30), *UPDATE_ROW[2:]]
    path = workbook(tmp_path / "timed.xlsx", {"updates": [UPDATE_HEADER, row]})
    result = make("append", repo, TABLE="you_said_we_did_updates", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert rows(repo / UPDATES)[-1]["update_date"] == "2025-11-10"
    # One record is "it", not "them".
    assert "run `make build ROOT=" in result.stdout and "` to see it on the site." in result.stdout


def test_two_sheets_of_records_are_refused_naming_both(shared, tmp_path):
    sheets = {"October": [UPDATE_HEADER, UPDATE_ROW], "November": [UPDATE_HEADER, UPDATE_ROW]}
    path = workbook(tmp_path / "two.xlsx", sheets)
    result = refused(shared, TABLE="you_said_we_did_updates", FILE=path)
    assert "the sheets 'October' and 'November' both have the record columns in row 1" in result.stderr


def test_a_hidden_sheet_of_records_is_named_as_hidden(shared, tmp_path):
    about = [["About these fields"], ["you_said_id", "the item"], ["status", "its status"]]
    path = workbook(tmp_path / "hidden.xlsx", {"updates": [UPDATE_HEADER, UPDATE_ROW], "About": about}, ("updates",))
    result = refused(shared, TABLE="you_said_we_did_updates", FILE=path)
    assert "the sheet 'updates', which has the record columns, is hidden: unhide it" in result.stderr
    assert "1 problem" in result.stderr


def test_a_hidden_second_sheet_of_records_is_refused_not_left_out(repo, tmp_path):
    # Records on a hidden sheet beside a visible one were silently left out: the visible
    # sheet's rows were added and the command said nothing of the others.
    later = [*UPDATE_ROW[:1], "2025-11-01", *UPDATE_ROW[2:]]
    sheets = {"October": [UPDATE_HEADER, UPDATE_ROW], "November": [UPDATE_HEADER, later]}
    path = workbook(tmp_path / "hidden second.xlsx", sheets, ("November",))
    result = refused(repo, TABLE="you_said_we_did_updates", FILE=path)
    assert (
        f"{path}: the sheets 'October' and 'November' both have the record columns in row 1, and 'November' is "
        "hidden, so its rows would not be added: unhide it"
    ) in result.stderr
    # A hidden sheet with the columns but nothing below them holds no records to lose.
    empty = workbook(tmp_path / "hidden empty.xlsx", {**sheets, "November": [UPDATE_HEADER]}, ("November",))
    assert exit_code(make("append", repo, TABLE="you_said_we_did_updates", FILE=empty, REBUILD="no")) == 0


def test_a_repeated_row_is_named_with_the_other_problems_of_the_file(shared, tmp_path):
    # A row repeating another was reported only once every other problem was fixed: the
    # message said "Fix these and try again", and the next run was refused again.
    bad = [*UPDATE_ROW[:2], "finished", *UPDATE_ROW[3:]]
    path = tmp_path / "repeats.csv"
    path.write_bytes(csv_bytes([UPDATE_HEADER, UPDATE_ROW, UPDATE_ROW, bad]))
    result = refused(shared, TABLE="you_said_we_did_updates", FILE=path)
    assert f"{path}, row 3: this row is the same as row 2 of the file" in result.stderr
    assert f"{path}, row 4, field status:" in result.stderr
    assert "2 problems in 2 rows." in result.stderr


def test_a_repeated_row_is_named_as_a_row_not_as_its_id_field(repo):
    assert exit_code(make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", REBUILD="no")) == 0
    again = make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv", REBUILD="no")
    assert exit_code(again) == 1
    assert f"{STAFF / 'log_good.csv'}, row 2: this row is already in {LOG} as " in again.stderr
    assert "field id" not in again.stderr


def test_spreadsheet_errors_are_refused_not_published(shared, tmp_path):
    # A formula that failed leaves #N/A or #REF! (Calc: Err:502) in the cell, and a CSV
    # saved from the sheet keeps only that: it is not a value to publish.
    csv_file = tmp_path / "errors.csv"
    csv_file.write_text(
        ",".join(UPDATE_HEADER) + "\r\n" + ",".join([*UPDATE_ROW[:3], "#N/A", UPDATE_ROW[4], "Err:502"]) + "\r\n",
        "utf-8",
    )
    error_row = [*UPDATE_ROW[:3], "#REF!", *UPDATE_ROW[4:]]
    xlsx_file = workbook(tmp_path / "errors.xlsx", {"updates": [UPDATE_HEADER, UPDATE_ROW, error_row]})
    before = digest(shared)
    for path, row, field, shown in [
        (csv_file, 2, "we_did", "#N/A"),
        (csv_file, 2, "source_section", "Err:502"),
        (xlsx_file, 3, "we_did", "#REF!"),
    ]:
        result = make("append", shared, TABLE="you_said_we_did_updates", FILE=path, REBUILD="no")
        assert exit_code(result) == 1
        assert f"{path}, row {row}, field {field}: " in result.stderr
        assert f"holds the spreadsheet error {shown}, which a formula gave instead of a value" in result.stderr
    assert digest(shared) == before


def test_a_text_cell_the_spreadsheet_made_a_date_is_refused(shared, tmp_path):
    # Typed into a General cell, a section "8/10" becomes 8 October and "3:30" a time:
    # what the source said is gone, so it is refused like a number, not stored as a date.
    import datetime as dt

    as_date = [*UPDATE_ROW[:5], dt.datetime(2026, 10, 8)]
    as_time = [*UPDATE_ROW[:3], dt.time(3, 30), *UPDATE_ROW[4:]]
    path = workbook(tmp_path / "dated.xlsx", {"updates": [UPDATE_HEADER, as_date, as_time]})
    result = refused(shared, TABLE="you_said_we_did_updates", FILE=path, REBUILD="no")
    assert (
        f"{path}, row 2, field source_section: section of the source 2026-10-08 came in as a date or time"
        in result.stderr
    )
    assert f"{path}, row 3, field we_did: we did 03:30:00 came in as a date or time" in result.stderr
    assert "format the column as Text" in result.stderr


@pytest.mark.parametrize(
    "target,table,variables",
    [
        ("append", "coproduction_log", dict(TABLE="coproduction_log", FILE=STAFF / "log_good.csv")),
        (
            "update-status",
            "you_said_we_did_updates",
            dict(ID="YS-0010", STATUS="done", NOTE="Published.", SOURCE="nn_icb_strategy_2025", SECTION="8.2"),
        ),
        ("correct", "coproduction_log", dict(ID="LOG-0001", FIELD="title", VALUE="Beeston", REASON="Shorter.")),
    ],
    ids=["append", "update-status", "correct"],
)
def test_a_register_file_open_in_a_spreadsheet_is_not_written(repo, target, table, variables):
    # datasets/<table>.csv open in LibreOffice or Excel (its lock file beside it): the
    # records were added under it, and saving it there afterwards wrote the old rows back
    # over them without a word.
    (repo / "datasets" / f".~lock.{table}.csv#").write_text("open in LibreOffice", "utf-8")
    result = refused(repo, target, **variables)
    assert (
        f"datasets/{table}.csv: this file is open in LibreOffice or Excel (its lock file .~lock.{table}.csv# is beside it)"
    ) in result.stderr
    assert "Close it there without saving, then run the same command again" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_header_below_row_1_is_named_not_reported_as_missing_columns(shared, tmp_path):
    # An empty row left above the header was reported as "the file is empty", and a title
    # typed above it as every column missing: both say where the header is instead.
    good = (STAFF / "log_good.csv").read_text("utf-8")
    blank = tmp_path / "blank first.csv"
    blank.write_text(",,,\r\n" + good, "utf-8")
    titled = tmp_path / "titled.csv"
    titled.write_text("Co-production log for January\r\n" + good, "utf-8")
    header, *records = list(csv.reader(io.StringIO(good)))
    titled_xlsx = workbook(tmp_path / "titled.xlsx", {"January": [["Co-production log for January"], header, *records]})
    cases = [
        (blank, "row 2: the header row must be row 1 of the file; it is row 2, under an empty row"),
        (titled, "row 2: the column names are in row 2, but they must be in row 1: delete the row above"),
        (titled_xlsx, "row 2: the column names are in row 2, but they must be in row 1: delete the row above"),
    ]
    for result in refused_each(shared, "coproduction_log", cases):
        assert "1 problem in 1 row." in result.stderr
        assert "is missing" not in result.stderr and "is empty" not in result.stderr


def test_invisible_spaces_copied_with_a_code_or_an_id_are_cleaned_not_refused(repo, tmp_path):
    # Text copied from a web page or an email brings a non-breaking space into "In person"
    # or a zero-width space after an id; refused, they showed as '\xa0' and '\u200b', which
    # nobody can act on. In codes, ids, numbers and dates they are cleaned; prose keeps them.
    header, *records = list(csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))))
    record = dict(zip(header, records[0]))
    record.update(
        project_id="\u200bPRJ-0002\u200b",
        format="In\u00a0person",
        participation_level="\u2060Co-design",
        lived_experience_count="7\u202f",
        title="Working\u00a0group\u200b",
    )
    path = tmp_path / "copied.csv"
    path.write_bytes(csv_bytes([["\ufeff" + header[0], *header[1:]], [record[h] for h in header]]))
    result = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    added = rows(repo / LOG)[-1]
    assert (added["project_id"], added["format"], added["lived_experience_count"]) == ("PRJ-0002", "in_person", "7")
    assert added["participation_level"] == "co_design"
    assert added["title"] == "Working\u00a0group"  # prose as typed, less what shows as nothing at its ends


def test_ctrl_c_as_the_rows_are_saved_says_they_are_saved(repo, monkeypatch, capsys):
    # Ctrl+C just after the new file was renamed into place said "Stopped while adding the
    # records." (exit 130), though the records were in datasets/: they looked not added.
    import os

    real = appendmod.write_rows

    def interrupted(res, rows, pause=True):
        real(res, rows, pause)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(appendmod, "write_rows", interrupted)
    before = len(rows(repo / LOG))
    code = appendmod.main(["--table=coproduction_log", f"--file={STAFF / 'log_good.csv'}", f"--root={repo}"])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert "Added 2 records to datasets/coproduction_log.csv" in out
    assert "The records are saved, but the database could not be rebuilt (it was stopped with Ctrl+C" in err
    assert len(rows(repo / LOG)) == before + 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_during_the_rebuild_says_the_records_are_saved(repo, monkeypatch, capsys):
    # The rows are in datasets/ before the database is rebuilt; Ctrl+C then only said
    # "Stopped while adding the records.", so the records looked not added, and adding
    # them again (ALLOW_DUPLICATES=yes, since they are refused as repeats) doubled them.
    from register.database import incremental

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(incremental, "update", interrupted)
    n = next_id(repo / LOG, "LOG")
    code = appendmod.main(["--table=coproduction_log", f"--file={STAFF / 'log_good.csv'}", f"--root={repo}"])
    out, err = capsys.readouterr()
    assert code == 3
    assert f"Added 2 records to {LOG}: LOG-{n:04d}, LOG-{n + 1:04d}." in out
    assert "The records are saved, but the database could not be rebuilt (it was stopped with Ctrl+C" in err
    assert "Stopped while" not in err
    assert [r["id"] for r in rows(repo / LOG)][-2:] == [f"LOG-{n:04d}", f"LOG-{n + 1:04d}"]


def test_a_file_of_another_table_names_that_table(shared, tmp_path):
    # A coproduction_log template given with TABLE=you_said_we_did gave 18 lines, one per
    # column, and none said that the table was the mistake.
    before = digest(shared)
    result = make("append", shared, TABLE="you_said_we_did", FILE=STAFF / "log_good.csv", REBUILD="no")
    assert exit_code(result) == 1
    assert (
        f"{STAFF / 'log_good.csv'}, row 1: these are the columns of coproduction_log (Co-production log), "
        "not of you_said_we_did: to add these records to coproduction_log, give TABLE=coproduction_log"
    ) in result.stderr
    assert "1 problem in 1 row." in result.stderr
    # A code list's own columns with one repeated are its own: organisations has every
    # column of groups and more, but is not the mistake.
    header = (shared / "datasets" / "codelists" / "groups.csv").read_text("utf-8").splitlines()[0].split(",")
    twice = tmp_path / "groups.csv"
    twice.write_bytes(csv_bytes([[*header, "title"], ["new_group", "New group", *[""] * (len(header) - 1)]]))
    result = make("append", shared, TABLE="groups", FILE=twice, REBUILD="no")
    assert exit_code(result) == 1
    assert "the column 'title' appears twice in the header" in result.stderr
    assert "these are the columns of" not in result.stderr
    assert digest(shared) == before


def test_a_file_name_with_a_space_not_in_quotes_is_named_with_the_quotes(shared, tmp_path):
    # FILE=my meeting.csv without quotes gives the command only "my": say which file was
    # meant and how to write it, rather than only that "my" does not exist.
    meant = tmp_path / "my meeting.csv"
    meant.write_bytes((STAFF / "log_good.csv").read_bytes())
    result = refused(shared, TABLE="coproduction_log", FILE=tmp_path / "my", REBUILD="no")
    assert (
        f"{tmp_path / 'my'}: there is no such file; there is {meant}: a name with spaces must be in quotes, "
        f'FILE="{meant}"'
    ) in result.stderr


def test_column_names_with_spaces_or_hyphens_for_underscores_are_matched(repo, tmp_path):
    # "Project ID" or "Lived experience count", as people write column names, were refused
    # as unknown columns, with project_id among the allowed ones.
    header, *records = list(csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))))
    spaced = [h.replace("_", " ").title() if i % 2 else h.replace("_", "-").upper() for i, h in enumerate(header)]
    assert "Project Id" in spaced and "Lived Experience Count" in spaced and "STAFF-COUNT" in spaced
    path = tmp_path / "spaced.csv"
    path.write_bytes(csv_bytes([spaced, *records]))
    xlsx = workbook(tmp_path / "spaced.xlsx", {"Sheet1": [spaced, *records]})
    n = next_id(repo / LOG, "LOG")
    for given in (path, xlsx):
        result = make("append", repo, TABLE="coproduction_log", FILE=given, REBUILD="no", ALLOW_DUPLICATES="yes")
        assert exit_code(result) == 0, result.stderr
    added = rows(repo / LOG)[-4:]
    assert [r["id"] for r in added] == [f"LOG-{n + i:04d}" for i in range(4)]
    assert added[0]["lived_experience_count"] == "7" and added[2]["project_id"] == "PRJ-0002"


def test_columns_named_by_their_titles_are_matched(repo, tmp_path):
    # The site, its downloaded workbook and the template's "About these fields" sheet name
    # each column by its title ("Date said"); a file headed that way was refused with a
    # problem for every column, each then said to be missing "(Date said)".
    package = Package(repo)
    res = package.resource("you_said_we_did_updates")
    titles = [res.field(name).title for name in UPDATE_HEADER]
    assert titles[:3] == ["You said item", "Date", "Status"]
    path = tmp_path / "titles.csv"
    path.write_bytes(csv_bytes([titles, UPDATE_ROW]))
    # A workbook whose first sheet is notes: the sheet headed by titles is the records'.
    xlsx = workbook(
        tmp_path / "titles.xlsx", {"Notes": [["Added after the October meeting"]], "Records": [titles, UPDATE_ROW]}
    )
    n = next_id(repo / UPDATES, "UPD")
    for given in (path, xlsx):
        result = make("append", repo, TABLE="you_said_we_did_updates", FILE=given, REBUILD="no", ALLOW_DUPLICATES="yes")
        assert exit_code(result) == 0, result.stderr
    added = rows(repo / UPDATES)[-2:]
    assert [r["id"] for r in added] == [f"UPD-{n:04d}", f"UPD-{n + 1:04d}"]
    assert [[r[name] for name in UPDATE_HEADER] for r in added] == [UPDATE_ROW, UPDATE_ROW]


def test_a_column_named_by_both_its_name_and_its_title_is_there_twice(shared, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_bytes(csv_bytes([[*UPDATE_HEADER, "Date"], [*UPDATE_ROW, "2025-10-01"]]))
    result = refused(shared, TABLE="you_said_we_did_updates", FILE=path)
    assert "field update_date: the column 'update_date' appears twice in the header" in result.stderr


def test_a_whole_number_with_thousands_commas_is_read(package):
    # Excel writes a count formatted with a thousands separator to a CSV as "1,234", and
    # the register says its limits that way ("from 0 to 1,000,000"): it was refused.
    codes = appendmod.Codes(package)
    f = package.resource("coproduction_log").field("lived_experience_count")
    assert appendmod.check_value(package, codes, f, "1,234") == ("1234", [])
    assert appendmod.check_value(package, codes, f, "1,000,000") == ("1000000", [])
    assert "more than 1,000,000" in appendmod.check_value(package, codes, f, "1,000,001")[1][0]
    for text in ["1,2", "12,34", "1,2345", ",123", "1,234.5"]:
        assert appendmod.check_value(package, codes, f, text)[1], text


def test_an_encoding_problem_is_named_by_its_spreadsheet_row_after_a_cell_of_two_lines(shared, tmp_path):
    # The row was the line of the file, one too many after a cell of two lines.
    head = b'you_said,project_id\r\n"two\r\nlines",PRJ-0001\r\n"caf\xc3\xa9",PRJ-0001\r\n'
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(head + b'"caf\xe9",PRJ-0001\r\n')
    unknown = tmp_path / "unknown.csv"
    unknown.write_bytes(head.replace(b"\xc3\xa9", b"e") + b'"caf\x81",PRJ-0001\r\n')
    refused_each(
        shared,
        "you_said_we_did",
        [
            (mixed, "row 4: the file mixes text encodings: most of it is UTF-8 but line 5 is not (byte 0xe9)"),
            (unknown, "row 4: the file is in a text encoding the register cannot read (line 5, byte 0x81"),
        ],
    )


def test_a_date_that_does_not_exist_is_said_why(shared, tmp_path):
    # 12/31/2026 (a US spreadsheet's month first) and 31/11/2026 were both "not a date the
    # register can read", though both are in a form it reads: what is wrong is said. So is a
    # year of two digits, as Calc's UK short date (DD/MM/YY) writes a date in a CSV.
    header, *records = list(csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))))
    day = header.index("activity_date")
    files = {}
    typed_dates = {"month first": "12/31/2025", "no such day": "31/11/2025", "leap": "2025-02-29", "short": "06/01/25"}
    for name, typed in typed_dates.items():
        record = list(records[0])
        record[day] = typed
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_bytes(csv_bytes([header, record]))
    refused_each(
        shared,
        "coproduction_log",
        [
            (
                files["month first"],
                "row 2, field activity_date: Date is not a date the register can read: there is no month 31; "
                "dates are written day first, DD/MM/YYYY (value: '12/31/2025')",
            ),
            (
                files["no such day"],
                "row 2, field activity_date: Date is not a date the register can read: there is no 31 November 2025",
            ),
            (
                files["leap"],
                "row 2, field activity_date: Date is not a date the register can read: there is no 29 February 2025",
            ),
            (
                files["short"],
                "row 2, field activity_date: Date is not a date the register can read: the year has two digits; "
                "write it in full, DD/MM/YYYY",
            ),
        ],
    )


def test_columns_are_named_by_their_letters_as_the_spreadsheet_shows_them(shared, tmp_path):
    # "cell 17" and "columns 5 and 18" meant counting columns by hand in a spreadsheet,
    # which names them by letter.
    header, *records = list(csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))))
    assert len(header) == 16 and header[4] == "gate"
    twice = tmp_path / "twice.csv"
    twice.write_bytes(csv_bytes([[*header, "", "Gate"], [*records[0], "", "plan"]]))
    unheaded = tmp_path / "unheaded.csv"
    unheaded.write_bytes(csv_bytes([[*header, ""], [*records[0], "a note"]]))
    refused_each(
        shared,
        "coproduction_log",
        [
            (
                twice,
                "row 1, field gate: the column 'gate' appears twice in the header (column E (the 5th) and column R",
            ),
            (
                unheaded,
                "row 2: the cell in column Q (the 17th) has a value but its column has no heading: delete the value",
            ),
        ],
    )


def test_a_note_typed_beside_the_records_is_named_by_its_column_letter(shared, tmp_path):
    # A note in the first empty column to the right of a record, with no heading above it:
    # "the row has 18 cells but the header names only 16 columns" left the person to
    # count cells to find it, where a spreadsheet names the column by its letter.
    wb, ws = good_log_sheet()
    assert ws.max_column == 16
    ws["R2"] = "call back"  # column Q left empty
    path = tmp_path / "note beside.xlsx"
    wb.save(path)
    result = refused(shared, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert (
        f"{path}, row 2: the cell in column R (the 18th) has a value but its column has no heading: "
        "delete the value, or name its column in row 1 (value: 'call back')"
    ) in result.stderr
    assert "cells but the header names only" not in result.stderr


def test_merged_cells_among_the_records_are_refused_not_added_empty(shared, tmp_path):
    # A cell merged down two rows shows its value on both, but holds it on the first only:
    # the second record was added with groups empty, without a word.
    import openpyxl

    header, *records = list(csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))))
    groups = header.index("groups")
    first, second = list(records[0]), list(records[1])
    first[groups], second[groups] = "healthwatch", ""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (header, first, second):
        ws.append(row)
    letter = openpyxl.utils.get_column_letter(groups + 1)
    ws.merge_cells(f"{letter}2:{letter}3")
    ws.merge_cells("A10:C10")  # an empty merged range below the records is only formatting
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    result = refused(shared, TABLE="coproduction_log", FILE=path, REBUILD="no")
    # Said with the field the column holds, as every other problem is.
    assert (
        f"{path}, row 2, field groups: the cells {letter}2:{letter}3 of the sheet 'Sheet' are merged" in result.stderr
    )
    assert "Unmerge them" in result.stderr and "A10:C10" not in result.stderr


def test_a_count_the_spreadsheet_turned_into_a_date_is_said_as_such(shared, tmp_path):
    # 1-2 typed in a count became 1 February: refused only as "is not a whole number
    # (value: '2026-02-01')", a value nobody typed.
    import datetime as dt

    wb, ws = good_log_sheet()
    assert ws["L1"].value == "lived_experience_count"
    ws["L2"] = dt.datetime(2026, 2, 1)
    path = tmp_path / "count as date.xlsx"
    wb.save(path)
    result = refused(shared, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert (
        f"{path}, row 2, field lived_experience_count: People with lived experience came in as the date 2026-02-01, "
        "not a whole number: the spreadsheet read what was typed (1-2, 3/4) as a day. Format the column as Number"
    ) in result.stderr
    assert "is not a whole number" not in result.stderr and "1 problem in 1 row." in result.stderr


def test_column_names_merged_in_row_1_are_said_as_such(shared, tmp_path):
    # Merging two column names (for a wider title cell) kept the first name only: refused
    # as a required column missing and a column with no heading, without a word of why.
    wb, ws = good_log_sheet()
    ws.merge_cells("J1:K1")  # description and groups
    path = tmp_path / "merged names.xlsx"
    wb.save(path)
    result = refused(shared, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert (
        f"{path}, row 1, field description: the cells J1:K1 of the sheet 'Sheet' are merged in row 1, "
        "where each column needs its own name. Unmerge them" in result.stderr
    )
    assert "has no heading" not in result.stderr and "1 problem in 1 row." in result.stderr


def good_log_sheet():
    """A workbook whose sheet holds tests/data/staff/log_good.csv, to change as a person would."""
    import openpyxl

    wb = openpyxl.Workbook()
    for row in csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))):
        wb.active.append(row)
    return wb, wb.active


def test_hidden_rows_among_the_records_are_refused(shared, tmp_path):
    # A filter or Hide Rows keeps a record out of sight, but it was added all the same:
    # published without the person seeing it, as a hidden sheet of records would be.

    wb, ws = good_log_sheet()
    ws.row_dimensions[3].hidden = True
    ws.row_dimensions[20].hidden = True  # a hidden empty row is nobody's record
    path = tmp_path / "filtered.xlsx"
    wb.save(path)
    result = refused(shared, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert f"{path}, row 3: row 3 of the sheet 'Sheet' is hidden: every row with something in it is added" in (
        result.stderr
    )
    assert "row 20" not in result.stderr and "1 problem in 1 row." in result.stderr


def test_a_record_id_typed_in_small_letters_points_at_the_record(repo, tmp_path):
    # prj-0002 was refused as "there is no record prj-0002 in projects".
    header, *records = list(csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))))
    # So was the record's own id typed so ("Activity ID is not in the right form"), and a
    # taken one typed so must still be found taken.
    record = dict(zip(header, records[0]), project_id="prj-0002", id="log-0050")
    path = tmp_path / "small.csv"
    path.write_bytes(csv_bytes([header, [record[h] for h in header]]))
    result = make("append", repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert "Added 1 record to datasets/coproduction_log.csv: LOG-0050." in result.stdout
    assert (rows(repo / LOG)[-1]["id"], rows(repo / LOG)[-1]["project_id"]) == ("LOG-0050", "PRJ-0002")
    path.write_bytes(csv_bytes([header, [dict(record, id="log-0001", title="Another")[h] for h in header]]))
    taken = refused(repo, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert f"{path}, row 2, field id: Activity ID LOG-0001 is already used by a record in {LOG}" in taken.stderr


def test_a_row_begun_ahead_is_one_line_not_one_per_empty_field(shared, tmp_path):
    # A project copied down the sheet ahead of the meetings made each such row a record
    # with eight required fields empty: eight lines a row, where one says what is wrong.
    header, *records = list(csv.reader(io.StringIO((STAFF / "log_good.csv").read_text("utf-8"))))
    ahead = [["PRJ-0002" if h == "project_id" else "" for h in header] for _ in range(3)]
    half = dict(zip(header, records[0]), title="")
    path = tmp_path / "ahead.csv"
    path.write_bytes(csv_bytes([header, *records, *ahead, [half[h] for h in header]]))
    before = digest(shared)
    result = make("append", shared, TABLE="coproduction_log", FILE=path, REBUILD="no")
    assert exit_code(result) == 1
    for row in (4, 5, 6):
        assert f"{path}, row {row}: only project_id is filled in on this row, and 8 required fields (" in (
            result.stderr
        )
    assert f"{path}, row 4, field" not in result.stderr
    assert f"{path}, row 7, field title: Activity is required" in result.stderr  # a record missing one field
    assert "4 problems in 4 rows." in result.stderr
    # With columns missing, every row has only a few cells: the missing columns are the news.
    narrow = tmp_path / "narrow.csv"
    narrow.write_bytes(csv_bytes([["project_id", "title"], ["PRJ-0002", "A meeting"]]))
    result = make("append", shared, TABLE="coproduction_log", FILE=narrow, REBUILD="no")
    assert exit_code(result) == 1
    assert "is missing, and it is required" in result.stderr and "filled in on this row" not in result.stderr
    assert digest(shared) == before


def test_a_date_that_came_in_as_a_plain_number_says_so(shared, tmp_path):
    # A date pasted into a General cell is the number 45658 in the workbook; "Date is not a
    # date the register can read" did not say why, nor that formatting the column mends it.
    row = [*UPDATE_ROW[:1], 45658, *UPDATE_ROW[2:]]
    path = workbook(tmp_path / "serial.xlsx", {"updates": [UPDATE_HEADER, row]})
    result = refused(shared, TABLE="you_said_we_did_updates", FILE=path, REBUILD="no")
    assert f"{path}, row 2, field update_date: Date came in as the number 45658, not a date" in (result.stderr)
    assert "Format the column as Date" in result.stderr and "1 problem in 1 row." in result.stderr


def test_a_second_header_row_in_the_records_is_named_as_one(shared, tmp_path):
    # Records pasted in with their own header, or two CSV files joined (the second with its
    # byte-order mark): the header again as a record gave one refusal per column.
    good = (STAFF / "log_good.csv").read_bytes()
    joined = tmp_path / "joined.csv"
    joined.write_bytes(good + b"\xef\xbb\xbf" + good.replace(b"Working group", b"Second working group"))
    result = refused(shared, TABLE="coproduction_log", FILE=joined, REBUILD="no")
    assert f"{joined}, row 4: this row repeats the column names of row 1" in result.stderr
    assert result.stderr.count(f"{joined}, row 4") == 1
    # The second file's other record was not renamed: it repeats row 3, and is named too.
    assert f"{joined}, row 6: this row is the same as row 3 of the file" in result.stderr
    assert "2 problems in 2 rows." in result.stderr


def test_a_mac_roman_csv_is_refused_not_published_as_weod(shared, tmp_path):
    # Excel for Mac's old "CSV" is Mac Roman: read as Windows-1252, "we'd" became "weÕd"
    # and the dash "Ð", stored and published as such.
    text = "you_said,project_id\rPeople said we\u2019d not been heard \u2013 again,PRJ-0001\r"
    path = tmp_path / "mac.csv"
    path.write_bytes(text.encode("mac_roman"))
    result = refused(shared, TABLE="you_said_we_did", FILE=path, REBUILD="no")
    assert f"{path}, row 2: the file looks saved in the old Mac text encoding (Mac Roman)" in result.stderr
    assert "'eÕd', which in that encoding is 'e\u2019d'" in result.stderr and "CSV UTF-8" in result.stderr


def test_a_file_of_records_kept_in_datasets_is_refused(shared):
    # Saved into datasets/ by mistake, the person's own file was read and added, and then
    # `git add datasets` (as the staff guide says to commit) published it with the register.
    own = shared / "datasets" / "meeting.csv"
    own.write_bytes((STAFF / "log_good.csv").read_bytes())
    try:
        before = digest(shared)
        result = make("append", shared, TABLE="coproduction_log", FILE=own, REBUILD="no")
        assert exit_code(result) == 1
        assert f"{own} is inside datasets/, where only the register's own files belong" in result.stderr
        assert digest(shared) == before
    finally:
        own.unlink()


def test_the_table_may_be_named_in_other_capitals_or_with_spaces(repo):
    # TABLE=Coproduction_Log or TABLE="you said we did" was "no table called ...".
    result = make("append", repo, TABLE="Coproduction_Log ", FILE=STAFF / "log_good.csv", REBUILD="no")
    assert exit_code(result) == 0, result.stderr
    assert f"Added 2 records to {LOG}" in result.stdout
    out = repo / "yswd.xlsx"
    result = make("template", repo, TABLE="you said we did", OUT=out)
    assert exit_code(result) == 0, result.stderr
    assert f"make append TABLE=you_said_we_did FILE={out}" in result.stdout


def test_a_hidden_column_holding_values_is_refused(shared, tmp_path):
    # A hidden column's values were added with the rest, published without being seen.

    wb, ws = good_log_sheet()
    ws.column_dimensions["J"].hidden = True  # description
    ws["K2"], ws["K3"] = None, "healthwatch"
    ws.column_dimensions["K"].hidden = True  # groups: empty in the first record, not in the second
    ws.column_dimensions["T"].hidden = True  # beyond the columns: nothing in it
    path = tmp_path / "hidden column.xlsx"
    wb.save(path)
    result = refused(shared, TABLE="coproduction_log", FILE=path, REBUILD="no")
    # Each hidden column is said on its own line, at the first record holding a value
    # in it, with the field its heading names.
    assert f"{path}, row 2, field description: column J (the 10th) of the sheet 'Sheet' is hidden but holds values" in (
        result.stderr
    )
    assert f"{path}, row 3, field groups: column K (the 11th) of the sheet 'Sheet' is hidden" in result.stderr
    assert "column T" not in result.stderr


def test_a_date_that_may_be_partial_is_typed_as_the_other_dates_are(package):
    # A source's `published` (2018, 2018-01 or 2018-01-19) refused 19/01/2018, which every
    # other date takes, as the guide says.
    codes = appendmod.Codes(package)
    f = package.resource("sources").field("published")
    for text, stored in [
        ("19/01/2018", "2018-01-19"),
        ("2018-01-19", "2018-01-19"),
        ("2018-01", "2018-01"),
        ("2018", "2018"),
    ]:
        assert appendmod.check_value(package, codes, f, text) == (stored, []), text
    for text in ["31/02/2018", "Jan 2018", "19/01/18"]:
        assert appendmod.check_value(package, codes, f, text)[1], text
    assert appendmod.allowed(package, f).endswith("(a full date may also be written DD/MM/YYYY, such as 06/08/2024)")
    # Text that is no date keeps its pattern's refusal, as typed.
    assert appendmod.check_value(package, codes, package.resource("projects").field("id"), "01/02/2024")[1]
