"""The staff commands' last line of defence (register/util/guard.py): an unexpected error
is one plain line and exit 2, never a traceback or an exception's name."""

from __future__ import annotations

import re

import pytest

from register.util.guard import plain_errors
from register.util.text import not_utf8_at, printable


def _run(error: BaseException, capsys) -> tuple[int, str]:
    @plain_errors("doing the thing")
    def main() -> int:
        raise error

    code = main()
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


def test_an_unexpected_error_is_one_plain_line(capsys):
    code, err = _run(ValueError("bad \x1b[2J value\nsecond line " + "x" * 1000), capsys)
    assert code == 2
    assert err.startswith("Something went wrong while doing the thing: bad \\x1b[2J value second line x")
    assert "datasets/ was not changed" in err and "Please report this" in err
    assert err.count("\n") == 1 and "\x1b" not in err and len(err) < 400
    assert not re.search(r"Traceback|ValueError", err)


def test_a_file_the_system_refused_names_the_file_and_the_reason(capsys):
    code, err = _run(FileNotFoundError(2, "No such file or directory", "/no/such/datapackage.json"), capsys)
    assert code == 2
    assert err.startswith("Could not finish doing the thing: No such file or directory: /no/such/datapackage.json;")
    assert "FileNotFoundError" not in err and "Errno" not in err


def test_ctrl_c_stops_with_the_shells_code(capsys):
    code, err = _run(KeyboardInterrupt(), capsys)
    assert (code, err.strip()) == (130, "Stopped while doing the thing.")


def test_exit_codes_and_return_values_pass_through():
    @plain_errors("x")
    def main(n: int) -> int:
        if n:
            raise SystemExit(n)
        return 0

    assert main(0) == 0
    with pytest.raises(SystemExit) as stopped:
        main(3)
    assert stopped.value.code == 3


def test_bytes_that_are_not_utf8_are_found_and_shown_safely():
    value = b"caf\xe9 ok".decode("utf-8", "surrogateescape")
    assert not_utf8_at(value) == 4
    assert not_utf8_at("café ok") is None
    assert printable(value) == "caf\\xe9 ok"


def test_ctrl_c_while_a_staff_command_starts_is_one_line():
    # A staff command takes a moment to import what it needs before its guarded main()
    # runs; Ctrl+C then printed a traceback through the imports.
    import subprocess
    import sys

    code = "import register.staff\nraise KeyboardInterrupt"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode in (130, -2), result.stderr
    assert result.stderr.strip() == "Stopped while starting; nothing was changed."


def test_once_a_command_runs_its_own_guard_says_it_stopped(capsys):
    import sys

    from register.util.guard import stopped_while_starting

    before = sys.excepthook
    sys.excepthook = stopped_while_starting
    try:
        code, err = _run(KeyboardInterrupt(), capsys)
        assert sys.excepthook is sys.__excepthook__
    finally:
        sys.excepthook = before
    assert code == 130 and "Stopped while doing the thing." in err


def _sqlite_full() -> Exception:
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA max_page_count = 2")  # SQLite's own "database or disk is full"
    try:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
    except sqlite3.Error as e:
        return e
    raise AssertionError("SQLite did not fill up")


@pytest.mark.parametrize(
    "error",
    [OSError(28, "No space left on device", "/srv/register/build/extracts/x.csv"), _sqlite_full()],
    ids=["system", "sqlite"],
)
def test_a_full_disk_says_to_free_space_not_to_report_a_fault(error, capsys):
    # A build or an extract on a full disk said "Something went wrong ... Please report
    # this" (SQLite's error), or "Check that the file or folder it names exists" (the
    # system's): neither is what the person running it can do, which is free some space.
    code, err = _run(error, capsys)
    assert code == 2
    assert err.startswith("Could not finish doing the thing: the disk is full (")
    assert "Free some space" in err and "datasets/ was not changed" in err
    assert "Please report" not in err and "exists" not in err and err.count("\n") == 1
