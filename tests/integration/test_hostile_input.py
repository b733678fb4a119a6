"""Hostile input to `make append`: a corpus of broken and malicious files (tests/data/
hostile/, plus big ones made here), and property-based fuzzing with hypothesis.

The promise: every file ends in a clear error or a clean append. Never a Python
traceback, never a hang (every run has a time limit, and a memory limit so a runaway
read cannot hurt the machine), never a change to datasets/ unless every row was added
exactly as given, and never raw control characters written to the person's terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from register.staff import append
from tests.conftest import copy_repo
from tests.hardening import (
    YOU_SAID_HEADER,
    YOU_SAID_ROW,
    append_cmd,
    csv_text,
    env_without_test_hooks,
    read_rows,
    run,
    tree_digest,
)

CORPUS = Path(__file__).parent.parent / "data" / "hostile"
TABLE = "you_said_we_did"
MEMORY_LIMIT = 3 * 1024**3
# Terminal control characters other than newline and tab: a file must not be able to
# write these to the terminal of the person running `make append`.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")

ERROR, OK, EITHER = "error", "ok", "either"

# What must happen to each corpus file, and words the message must use.
EXPECTED = {
    "random_bytes.csv": (ERROR, []),
    "random_bytes_after_header.csv": (ERROR, []),
    "nul_bytes.csv": (ERROR, ["binary"]),
    "only_nul_bytes.csv": (ERROR, ["binary"]),
    "invalid_utf8_lone_bytes.csv": (EITHER, []),  # read as Windows-1252, as older Excel writes
    "mixed_encodings.csv": (ERROR, ["encoding"]),
    "utf16_without_bom.csv": (ERROR, []),
    "broken_utf16.csv": (ERROR, ["UTF-16"]),
    "control_characters.csv": (ERROR, ["control character"]),
    "terminal_escape_in_header.csv": (ERROR, []),
    "empty.csv": (ERROR, ["empty"]),
    "whitespace_only.csv": (ERROR, ["empty"]),
    "header_only.csv": (ERROR, ["no records"]),
    "unterminated_quote.csv": (ERROR, ["quote"]),
    "stray_quote_swallows_rows.csv": (ERROR, ["quote"]),
    "deeply_quoted.csv": (ERROR, ["quote"]),
    "quote_in_header.csv": (ERROR, ["column"]),
    "too_many_cells.csv": (ERROR, ["cells"]),
    "duplicate_columns.csv": (ERROR, ["twice"]),
    "unknown_columns.csv": (ERROR, ["no column"]),
    "formula_cells.csv": (ERROR, ["formula"]),
    "formula_cells.xlsx": (ERROR, ["formula"]),
    "dde_formula.csv": (EITHER, []),  # stored as text; the extracts neutralise it (test_xss.py)
    "html_and_script.csv": (OK, []),  # stored as text; shown escaped (test_xss.py)
    "sql_in_cells.csv": (OK, []),
    "crlf_and_bom.csv": (OK, []),
    "semicolon_delimited.csv": (OK, []),
    "not_a_zip.xlsx": (ERROR, ["not an Excel workbook"]),
    "old_excel.xls": (ERROR, [".xls"]),
    "ole_renamed.xlsx": (ERROR, ["old Excel"]),
    "zip_not_workbook.xlsx": (ERROR, ["not an Excel workbook"]),
    "csv_that_is_a_zip.csv": (ERROR, ["Excel workbook"]),
    "truncated.xlsx": (ERROR, []),
    "xml_entity_bomb.xlsx": (ERROR, []),
    "xml_external_entity.xlsx": (EITHER, []),  # if read at all, /etc/passwd must not leak in
    "dimension_bomb.xlsx": (EITHER, []),  # a few KB claiming 17 billion cells: must not hang
    "wide_sheet.xlsx": (ERROR, ["no column"]),
}


def limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    repo = copy_repo(tmp_path_factory.mktemp("hostile-repo"))
    (repo / "build").mkdir()
    return repo


def check_outcome(
    repo: Path,
    result_code: int,
    stderr: str,
    expected: str,
    words: list[str],
    before_rows: list[dict],
    before_other: str,
    given_rows: list[dict] | None = None,
    label: str = "",
) -> None:
    """The promise, for one run: a clear error and nothing changed, or a clean append."""
    assert "Traceback" not in stderr, f"{label}: {stderr[-3000:]}"
    assert not RAW_CONTROL.search(stderr), f"{label}: raw control characters reach the terminal: {stderr[:500]!r}"
    rows = read_rows(repo / "datasets" / f"{TABLE}.csv")
    assert before_other == _others(repo), f"{label}: a file other than {TABLE}.csv changed"
    if result_code == 0:
        assert expected in (OK, EITHER), f"{label}: accepted, but it should have been refused"
        assert rows[: len(before_rows)] == before_rows, f"{label}: existing rows changed"
        added = rows[len(before_rows) :]
        assert added, f"{label}: reported success but added nothing"
        if given_rows is not None:
            assert [r["you_said"] for r in added] == [r["you_said"] for r in given_rows]
    else:
        assert result_code in (1, 2), f"{label}: exit {result_code}: {stderr[-2000:]}"
        assert expected in (ERROR, EITHER), f"{label}: refused, but it is a good file: {stderr[-2000:]}"
        assert rows == before_rows, f"{label}: refused but datasets/ changed"
        assert "unchanged" in stderr or "Nothing was added" in stderr, f"{label}: {stderr[-1000:]}"
        for w in words:
            assert w.lower() in stderr.lower(), f"{label}: message should mention {w!r}: {stderr[-1500:]}"
    assert not list((repo / "datasets").glob(".*.tmp")), f"{label}: left a temporary file"


def _others(repo: Path) -> str:
    """Digest of datasets/ without the resource being appended to."""
    keep = repo / "datasets" / f"{TABLE}.csv"
    saved = keep.read_bytes()
    try:
        keep.write_bytes(b"")
        return tree_digest(repo / "datasets")
    finally:
        keep.write_bytes(saved)


def run_append(
    repo: Path, path: Path, expected: str, words: list[str], timeout: float = 60, via_make: bool = False
) -> subprocess.CompletedProcess:
    before_rows = read_rows(repo / "datasets" / f"{TABLE}.csv")
    before_other = _others(repo)
    if via_make:
        # -o: never reinstall the virtualenv from inside a test
        cmd = ["make", "-s", "-o", ".venv/bin/.installed", "append", f"ROOT={repo}", f"TABLE={TABLE}", f"FILE={path}"]
        cmd.append("ALLOW_DUPLICATES=yes")  # test_corpus_file has added the same file to this copy
    else:
        cmd = append_cmd(repo, TABLE, path, "--no-build")
    result = run(cmd, timeout=timeout, env=env_without_test_hooks(), preexec_fn=limits)
    check_outcome(repo, result.returncode, result.stderr, expected, words, before_rows, before_other, label=path.name)
    return result


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(scratch, name):
    expected, words = EXPECTED[name]
    result = run_append(scratch, CORPUS / name, expected, words, timeout=20)
    if name == "xml_external_entity.xlsx" and result.returncode == 0:
        assert "root:" not in (scratch / "datasets" / f"{TABLE}.csv").read_text("utf-8")


def test_the_corpus_is_complete():
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".xlsx", ".xls")}
    assert on_disk == set(EXPECTED), "make_corpus.py and EXPECTED disagree"


# One of each class through the real `make append`, as staff type it.
@pytest.mark.parametrize(
    "name", ["nul_bytes.csv", "unterminated_quote.csv", "not_a_zip.xlsx", "formula_cells.csv", "html_and_script.csv"]
)
def test_through_make_append(scratch, name):
    expected, words = EXPECTED[name]
    result = run_append(scratch, CORPUS / name, expected, words, via_make=True)
    if expected == OK:
        assert result.returncode == 0 and "Added 1 record" in result.stdout


# --- big and pathological files, made here --------------------------------------------


def _row(text: str) -> dict:
    return dict(YOU_SAID_ROW, you_said=text)


def test_one_megabyte_field(scratch, tmp_path):
    path = tmp_path / "one_mb_field.csv"
    path.write_text(csv_text([_row("a" * 1_000_000)]), "utf-8")
    result = run_append(scratch, path, ERROR, ["4,000"], timeout=20, via_make=True)
    assert len(result.stderr) < 20_000, "the message repeats the megabyte back"


def test_a_field_over_the_cell_limit(scratch, tmp_path):
    path = tmp_path / "huge_field.csv"
    path.write_text(csv_text([_row("b" * 3_000_000)]), "utf-8")
    result = run_append(scratch, path, ERROR, [])
    assert len(result.stderr) < 20_000


def test_one_hundred_thousand_columns(scratch, tmp_path):
    path = tmp_path / "wide.csv"
    header = YOU_SAID_HEADER + [f"c{i}" for i in range(100_000 - len(YOU_SAID_HEADER))]
    cells = [YOU_SAID_ROW[h] for h in YOU_SAID_HEADER] + ["x"] * (100_000 - len(YOU_SAID_HEADER))
    path.write_text(",".join(header) + "\n" + ",".join(cells) + "\n", "utf-8")
    result = run_append(scratch, path, ERROR, ["no column"], via_make=True)
    assert result.stderr.count("\n") < 1000, "every one of 100,000 problems printed"
    assert "more problems not shown" in result.stderr


def test_five_thousand_bad_rows_are_reported_briefly(scratch, tmp_path):
    path = tmp_path / "many_bad.csv"
    path.write_text(csv_text([dict(YOU_SAID_ROW, said_date="not a date")] * 5_000), "utf-8")
    result = run_append(scratch, path, ERROR, ["date"])
    assert result.stderr.count("\n") < 1000


def _workbook_bytes() -> bytes:
    return (CORPUS / "formula_cells.xlsx").read_bytes()


def _with_member(name: str, data: bytes, compress=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook_bytes())) as zin, zipfile.ZipFile(out, "w", compress) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        zout.writestr(name, data)
    return out.getvalue()


def test_zip_bomb_by_compression_ratio(scratch, tmp_path):
    path = tmp_path / "ratio_bomb.xlsx"
    path.write_bytes(_with_member("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024)))
    assert path.stat().st_size < 200_000
    run_append(scratch, path, ERROR, ["zip bomb"], via_make=True)


def test_zip_bomb_by_declared_size(scratch, tmp_path):
    """Central directory claims a 4 GB member: refused before anything is inflated."""
    data = bytearray(_with_member("xl/media/claims.bin", b"\0" * 4096))
    at = data.rfind(b"PK\x01\x02")  # the last central-directory entry: claims.bin
    struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)  # uncompressed size
    path = tmp_path / "declared_bomb.xlsx"
    path.write_bytes(bytes(data))
    run_append(scratch, path, ERROR, [])


def test_zip_with_ten_thousand_members(scratch, tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        for i in range(10_001):
            z.writestr(f"xl/junk/{i}", b"")
    path = tmp_path / "many_members.xlsx"
    path.write_bytes(out.getvalue())
    run_append(scratch, path, ERROR, ["parts"])


def test_a_device_that_never_ends(scratch):
    """FILE=/dev/zero: an endless stream must be refused, not read into memory."""
    run_append(scratch, Path("/dev/zero"), ERROR, [], timeout=20)


def test_a_named_pipe_nobody_writes_to(scratch, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    run_append(scratch, fifo, ERROR, [], timeout=10)


def test_a_folder(scratch, tmp_path):
    run_append(scratch, tmp_path, ERROR, ["folder"])


# --- property-based: hypothesis ------------------------------------------------------

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def append_in_process(
    repo: Path, path: Path, label: str, expected: str = EITHER, given_rows: list[dict] | None = None
) -> int:
    """The real append, in this process (a subprocess per example would be too slow):
    any exception escaping main() is a traceback the person would have seen."""
    before_rows = read_rows(repo / "datasets" / f"{TABLE}.csv")
    before_other = _others(repo)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = append.main(["--root", str(repo), "--table", TABLE, "--file", str(path), "--no-build"])
    check_outcome(repo, code, err.getvalue(), expected, [], before_rows, before_other, given_rows, label)
    return code


@FUZZ
@given(data=st.binary(max_size=4096))
def test_fuzz_random_bytes(scratch, tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    append_in_process(scratch, path, f"random bytes {data[:40]!r}")


@FUZZ
@given(text=st.text(min_size=1, max_size=300))
def test_fuzz_any_text_in_a_free_text_field_is_refused_or_stored_exactly(scratch, tmp_path, text):
    path = tmp_path / "fuzz_text.csv"
    path.write_bytes(csv_text([_row(text)]).encode("utf-8", "surrogatepass"))
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    append_in_process(scratch, path, f"text {text[:60]!r}", given_rows=[_row(normalised)])


@FUZZ
@given(
    lines=st.lists(st.lists(st.text(alphabet='",\n\r ab=+;\t\x00\u2013', max_size=12), max_size=12), max_size=8),
    with_header=st.booleans(),
)
def test_fuzz_malformed_csv_structure(scratch, tmp_path, lines, with_header):
    body = "\n".join(",".join(cells) for cells in lines)
    text = (",".join(YOU_SAID_HEADER) + "\n" if with_header else "") + body
    path = tmp_path / "fuzz_structure.csv"
    path.write_bytes(text.encode("utf-8"))
    append_in_process(scratch, path, f"csv {text[:80]!r}")


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8)
)
def test_fuzz_damaged_workbook(scratch, tmp_path, flips):
    data = bytearray(_workbook_bytes())
    for at, value in flips:
        data[at % len(data)] = value
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(bytes(data))
    append_in_process(scratch, path, f"workbook with bytes changed at {[a % len(data) for a, _ in flips]}")
