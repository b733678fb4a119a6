"""The impact report's summary line on reimbursement: "0 of 8" says "never offered", so it
is said only when the records say one way or the other."""

from types import SimpleNamespace

from register.publishing.report_data import ReportData


def sentence(activities: int, offered: int, unknown: int) -> str:
    d = SimpleNamespace(activities=activities, offered=offered, reimbursement_unknown=unknown)
    return ReportData.reimbursement_sentence(d)


def test_none_recorded_is_not_none_offered():
    assert sentence(8, 0, 8) == "Whether reimbursement was offered is not recorded for any of the 8 activities."
    assert sentence(1, 0, 1) == "Whether reimbursement was offered is not recorded for the 1 activity."


def test_some_recorded_says_how_many_are_not():
    assert sentence(8, 2, 5) == "Reimbursement was offered at 2 of 8 activities; for 5 the records do not say."
    assert sentence(1, 1, 0) == "Reimbursement was offered at 1 of 1 activity."
