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
    assert "'2025-13-01' is not a date written YYYY-MM-DD" in message


def test_the_reports_summary_counts_one_as_one():
    assert report.plural(1, "activity", "activities") == "1 activity"
    assert report.plural(1_200, "activity", "activities") == "1,200 activities"
