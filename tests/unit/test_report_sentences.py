"""The impact report's lines on reimbursement and on the Strategic Co-production Group:
"0 of 8" says "never offered" (or "none came through the group"), so it is said only when
the records say one way or the other, and those they leave unsaid are counted."""

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


def group(total: int, via: int, unknown: int) -> str:
    d = SimpleNamespace(projects_total=total, projects_via_group=via, group_unknown=unknown)
    return ReportData.strategic_group_sentence(d)


def test_group_not_recorded_is_said_as_the_site_says_it():
    """The summary said "9 of 10 projects came through the Strategic Co-production Group."
    where the site says "(for 1, the documents do not say)", and "0 of 3" of North
    Cumbria's three projects, none of whose documents say."""
    assert (
        group(10, 9, 1)
        == "9 of 10 projects came through the Strategic Co-production Group; for 1 the documents do not say."
    )
    assert group(3, 0, 3) == (
        "For all 3 projects the documents do not say whether they came through the Strategic Co-production Group."
    )
    assert group(1, 0, 1) == (
        "For the 1 project the documents do not say whether it came through the Strategic Co-production Group."
    )
    assert group(2, 0, 0) == "0 of 2 projects came through the Strategic Co-production Group."
    assert group(0, 0, 0) == "No project is recorded in the register."
