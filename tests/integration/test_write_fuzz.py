"""Hostile values in every argument of the staff `make` targets, in every answer of
`make add` and in every cell of a file given to `make append` (issue 14).

The promise: whatever is typed, the command ends in a plain message (or a clean
success when the value is really valid), never a Python traceback or an exception's
name, never the catch-all "Something went wrong" (that is the last line of defence, not
an answer), never a command run by the shell or by make, and datasets/ byte-for-byte
unchanged whenever the command refused. The values are a fixed list, so a failure
repeats; each run is a real `make` against a scratch copy of the repository.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import pytest

from tests.conftest import copy_repo
from tests.hardening import YOU_SAID_ROW
from tests.staff_helpers import STAFF, digest, make

CANARY = b"CANARY"  # replaced by a path in each test's own folder
HOSTILE = {
    "non-utf8": b"caf\xe9 \xff\xfe end",
    "newline": b"first line\nsecond line",
    "control": b"bell\x07 escape\x1b[2J\x7f",
    "shell": b"it's \"quoted\" \\ $(touch CANARY) `touch CANARY`; touch CANARY ${HOME} $$ '\\''",
    "make": b"$(shell touch CANARY)$(info LEAKED) $$(x) $(",
    "long": b"x" * 100_000,
    "huge-integer": b"9" * 4_400,
    "huge-id": b"PRJ-" + b"9" * 4_400,
    "random": bytes(b for b in random.Random(14).randbytes(200) if b),  # argv cannot hold NUL
    "option": b"--help",
}
# Fewer kinds where the value takes the same path as another argument's (every code,
# date and identifier goes through the same checks), to keep the run short.
SOME = ["non-utf8", "newline", "make", "long", "option"]
# What a refusal must not look like: Python talking instead of the register.
PYTHON_SPEAKING = re.compile(
    r"Traceback|\b[A-Za-z_][\w.]*(?:Error|Exception|Warning)\b|\b(?:KeyboardInterrupt|SystemExit|StopIteration)\b"
)
# How the register's commands begin a refusal. Anything else (the shell's "unexpected
# EOF", argparse's "usage:") is not the register answering.
REFUSAL = re.compile(r"Nothing was|nothing was added|No template written|Could not finish|Not checked: |Not built: ")

UPDATE_STATUS = {
    "ID": b"YS-0001",
    "STATUS": b"open",
    "NOTE": b"Still being looked at.",
    "DATE": b"2026-01-10",
    "SOURCE": b"nn_icb_strategy_2025",
    "SECTION": b"8.1",
}
# id, project, activity, date said, theme, you said, response due, source, section, confirm
ADD_ANSWERS = [b"", b"2", b"1", b"", b"3", b"People want easy read versions.", b"", b"listening_event_beeston"]
ADD_ANSWERS += [b"Table 3", b"yes"]


def hostile(kind: str, folder: Path) -> bytes:
    return HOSTILE[kind].replace(CANARY, bytes(folder / "touched"))


def assert_plain(result, repo: Path, before: dict, folder: Path, success: str | None = None) -> str:
    """A clean outcome: refused with a message and datasets/ unchanged, or a success."""
    text = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert not PYTHON_SPEAKING.search(text), text[-3000:]
    assert "Something went wrong" not in text, text[-3000:]
    assert not re.search(r"^LEAKED$", text, re.M), "make expanded a value"  # $(info LEAKED) ran
    assert not (folder / "touched").exists(), "a value was run as a command"
    if result.returncode == 0:
        assert success and success in text, text[-3000:]
    else:
        assert REFUSAL.search(result.stderr.decode("utf-8", "replace")), text[-3000:]
        assert digest(repo) == before, "datasets/ changed although the command was refused"
    return text


@pytest.fixture
def scratch(tmp_path) -> Path:
    (tmp_path / "repo").mkdir()
    return copy_repo(tmp_path / "repo")


def _cases(arguments: list[str], kinds: tuple[str, ...] | list[str] = tuple(HOSTILE)) -> list:
    return [pytest.param(arg, kind, id=f"{arg}-{kind}") for arg in arguments for kind in kinds]


@pytest.mark.parametrize(
    "argument,kind", _cases(["ID", "NOTE"]) + _cases(["STATUS", "DATE", "SOURCE", "SECTION"], SOME)
)
def test_update_status_arguments(scratch, tmp_path, argument, kind):
    before = digest(scratch)
    variables = dict(UPDATE_STATUS, **{argument: hostile(kind, tmp_path)})
    result = make("update-status", scratch, **variables)
    assert_plain(result, scratch, before, tmp_path, success="Added 1 record")


def _csv_bytes(header: list[str], rows: list[dict]) -> bytes:
    """A CSV file as a spreadsheet would save it, keeping any non-UTF-8 bytes as given."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogateescape")


def _good_file(tmp_path: Path) -> Path:
    path = tmp_path / "new.csv"
    path.write_bytes(_csv_bytes(list(YOU_SAID_ROW), [YOU_SAID_ROW]))
    return path


@pytest.mark.parametrize("argument,kind", _cases(["TABLE", "FILE"]))
def test_append_arguments(scratch, tmp_path, argument, kind):
    before = digest(scratch)
    variables = {"TABLE": b"you_said_we_did", "FILE": bytes(_good_file(tmp_path)), "REBUILD": b"no"}
    variables[argument] = hostile(kind, tmp_path)
    result = make("append", scratch, **variables)
    assert_plain(result, scratch, before, tmp_path, success="Added 1 record")


@pytest.mark.parametrize("argument,kind", _cases(["TABLE", "OUT"]))
def test_template_arguments(scratch, tmp_path, argument, kind):
    before = digest(scratch)
    variables = {"TABLE": b"you_said_we_did", "OUT": bytes(tmp_path / "template.xlsx")}
    if argument == "OUT":  # a name in the test's own folder, so nothing is written anywhere else
        variables["OUT"] = bytes(tmp_path) + b"/" + hostile(kind, tmp_path) + b".xlsx"
    else:
        variables[argument] = hostile(kind, tmp_path)
    result = make("template", scratch, **variables)
    assert_plain(result, scratch, before, tmp_path, success="Wrote ")


@pytest.mark.parametrize("target,kind", _cases(["validate"]) + _cases(["build"], SOME))
def test_validate_and_build_with_a_hostile_root(scratch, tmp_path, target, kind):
    """ROOT= names the repository; a value that names none is refused."""
    before = digest(scratch)
    result = make(target, hostile(kind, tmp_path))
    assert_plain(result, scratch, before, tmp_path)


@pytest.mark.parametrize("kind", SOME)
def test_add_table(scratch, tmp_path, kind):
    before = digest(scratch)
    result = make("add", scratch, TABLE=hostile(kind, tmp_path), input=b"\n".join(ADD_ANSWERS) + b"\n")
    assert_plain(result, scratch, before, tmp_path)


@pytest.mark.parametrize("kind", ["non-utf8", "control", "long", "huge-integer"])
@pytest.mark.parametrize("answer", range(len(ADD_ANSWERS) - 1))
def test_add_answers(scratch, tmp_path, answer, kind):
    """Each answer in turn replaced by a hostile one, piped in as a person's typing."""
    before = digest(scratch)
    answers = list(ADD_ANSWERS)
    answers[answer] = hostile(kind, tmp_path)
    result = make("add", scratch, TABLE="you_said_we_did", input=b"\n".join(answers) + b"\n")
    assert_plain(result, scratch, before, tmp_path, success="Added 1 record")


def _log_row() -> dict:
    with (STAFF / "log_good.csv").open(newline="", encoding="utf-8") as f:
        return next(csv.DictReader(f))


TABLES = {"you_said_we_did": YOU_SAID_ROW, "coproduction_log": _log_row()}
ID_PREFIX = {"you_said_we_did": "YS", "coproduction_log": "LOG"}
# Kinds refused (or read) for the whole file, not for one cell: bytes that are not UTF-8
# make the file Windows-1252 or "mixed encodings". They get a file of their own.
FILE_KINDS = ["non-utf8", "random"]
CELL_KINDS = [k for k in HOSTILE if k not in FILE_KINDS] + ["own-huge-id"]


def cell(table: str, kind: str, folder: Path) -> str:
    if kind == "own-huge-id":  # the table's own prefix, so it reads as one of its identifiers
        return f"{ID_PREFIX[table]}-" + "9" * 4_400
    return hostile(kind, folder).decode("utf-8", "surrogateescape")


def append_cells(repo: Path, folder: Path, table: str, field: str, kinds: list[str]):
    """`make append` of a file with one row per kind: that kind's value in `field`, the
    rest of the row valid. Every row is checked, so every value is seen in one append."""
    good = TABLES[table]
    path = folder / "new.csv"
    path.write_bytes(_csv_bytes(list(good), [dict(good, **{field: cell(table, k, folder)}) for k in kinds]))
    return make("append", repo, TABLE=table, FILE=bytes(path), REBUILD="no")


CELL_CASES = [
    pytest.param(table, field, CELL_KINDS, id=f"{table}.{field}") for table, row in TABLES.items() for field in row
]
CELL_CASES += [
    pytest.param(table, field, [kind], id=f"{table}.{field}-{kind}")
    for table, field in (("you_said_we_did", "you_said"), ("coproduction_log", "description"))
    for kind in FILE_KINDS
]


@pytest.mark.parametrize("table,field,kinds", CELL_CASES)
def test_file_cells(scratch, tmp_path, table, field, kinds):
    before = digest(scratch)
    result = append_cells(scratch, tmp_path, table, field, kinds)
    assert_plain(result, scratch, before, tmp_path, success="Added")
