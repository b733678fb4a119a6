"""What `make report` says to the person who ran it: the variable they typed when a date
cannot be read, and counts in plain English."""

import pytest

from register.publishing import report


@pytest.mark.parametrize("flag,variable", [("--start", "PERIOD_START="), ("--end", "PERIOD_END=")])
def test_a_period_date_that_cannot_be_read_names_the_variable_typed(flag, variable):
    with pytest.raises(SystemExit) as e:
        report.main([f"{flag}=2025-13-01"])
    message = str(e.value)
    assert message.startswith(f"{variable} (")
    assert "'2025-13-01' is not a date: there is no month 13 (written YYYY-MM-DD" in message


@pytest.mark.parametrize(
    "given, said",
    [
        ("2025-02-29", "'2025-02-29' is not a date: there is no 29 February 2025"),
        ("2026-04-31", "'2026-04-31' is not a date: there is no 31 April 2026"),
        ("01/04/2025", "'01/04/2025' is not a date written YYYY-MM-DD, for example 2025-04-01"),
        ("2025-4-1", "'2025-4-1' is not a date written YYYY-MM-DD, for example 2025-04-01"),
    ],
)
def test_a_period_date_written_right_but_not_in_the_calendar_says_so(given, said):
    """A day its month has not got is not "not written YYYY-MM-DD": it is, and the message
    says what is wrong instead, in the words the staff commands use."""
    with pytest.raises(SystemExit) as e:
        report.main([f"--start={given}"])
    assert str(e.value).startswith(f"PERIOD_START= (--start): {said}")
    assert "YYYY-MM-DD, for example 2025-04-01" in str(e.value)


def test_29_february_of_a_leap_year_is_a_period_date():
    assert report.check_date("2028-02-29", "PERIOD_END=") == "2028-02-29"


def test_the_reports_summary_counts_one_as_one():
    assert report.plural(1, "activity", "activities") == "1 activity"
    assert report.plural(1_200, "activity", "activities") == "1,200 activities"


def test_the_report_notebook_before_a_build_says_one_sentence_in_jupyter_not_a_traceback(tmp_path, capsys):
    """Opened in JupyterLab (`make lab`) before `make build`, the notebook's first cell
    stops with what to do, as IPython shows it, without a traceback."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell(
            f"from register.publishing import reportkit as rk\nrk.open_register({str(tmp_path / 'register.db')!r})"
        )
    finally:
        InteractiveShell.clear_instance()
    shown = capsys.readouterr().out
    assert f"{tmp_path / 'register.db'} does not exist: run `make build` first" in shown
    assert "Traceback" not in shown and "FileNotFoundError" not in shown and "---" not in shown


def test_a_full_disk_while_the_report_is_written_is_one_line(monkeypatch, tmp_path, capsys):
    # papermill saves the notebook after each cell: on a full disk `make report` ended in
    # a 70-line traceback through papermill. The previous report is left as it was.
    db = tmp_path / "register.db"
    db.write_bytes(b"")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "execute", full)
    code = report.main([f"--db={db}", f"--out={tmp_path / 'reports'}"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Could not finish writing the impact report: the disk is full (No space left on device)")
    assert err.count("\n") == 1
