"""`make add` (issue 4): questions, pick lists and defaults come from the schema; each
answer is checked as it is given; the record is shown, confirmed and appended through
the same path as `make append`. Piped answers are read one per line and the first bad one
stops the command; at a terminal a bad answer is asked again."""

from __future__ import annotations

import os
import subprocess

import pytest

from register.schema.package import ROOT
from register.staff.add import Session
from tests.conftest import copy_repo
from tests.staff_helpers import TODAY, digest, exit_code, make, next_id, rows

YSWD = "datasets/you_said_we_did.csv"
# id, project, activity, date said, theme, you said, response due, response rule, source, section, confirm
# YS-0001's own words: an answer that repeats it is refused as already added.
YS_0001 = "Overuse of the word coproduction – different understanding."
GOOD = ["", "2", "1", "t", "3", "People want easy read versions.", "", "", "listening_event_beeston", "Table 3", "yes"]


def answers(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("add"))


def test_piped_answers_add_one_record(repo):
    path = repo / YSWD
    old = path.read_bytes()
    n = next_id(path, "YS")
    result = make("add", repo, TABLE="you_said_we_did", input=answers(GOOD))
    assert exit_code(result) == 0, result.stderr
    out = result.stdout
    # Prompts, pick lists and defaults come from the schema and the codelists.
    assert "(5/10) Theme (required)" in out and "What the item is about." in out
    assert "3. accessibility  Accessibility" in out
    assert "2. PRJ-0002  Co-production Strategy refresh" in out
    assert f"said_date (t for today, {TODAY}): " in out
    assert "(1/10) You said ID (press Enter to have one given)" in out
    # The finished record is shown before it is confirmed.
    assert "The finished record:" in out and "   5. Theme                  accessibility" in out
    assert f"Added 1 record to {YSWD}: YS-{n:04d}." in out
    assert path.read_bytes().startswith(old)
    assert rows(path)[-1] == {
        "id": f"YS-{n:04d}",
        "project_id": "PRJ-0002",
        "activity_id": "LOG-0001",
        "said_date": TODAY,
        "theme": "accessibility",
        "you_said": "People want easy read versions.",
        "target_date": "",
        "response_rule": "",
        "source": "listening_event_beeston",
        "source_section": "Table 3",
    }


BAD = [
    ("id already used", {0: "YS-0001"}, "field id: You said ID YS-0001 is already used by another record"),
    (
        "unknown code",
        {4: "nonsense"},
        "field theme: 'nonsense' is not a code in themes (value: 'nonsense'); "
        "allowed: one of the codes in themes: closing_the_loop",
    ),
    ("number not in the list", {2: "99"}, "field activity_id: 99 is not one of the numbers in the list (1 to "),
    ("required left empty", {5: ""}, "field you_said: You said is required (value: ''); allowed: text of at most 4000"),
    ("personal data", {5: "Ask jo@example.org"}, "field you_said: You said contains an email address"),
    ("activity of another project", {1: "1", 2: "LOG-0001"}, "field activity_id: activity LOG-0001 belongs to project"),
    ("not a date", {3: "next tuesday"}, "field said_date: Date said is not a date the register can read"),
    (
        "due before said",
        {3: "2025-01-01", 6: "2024-12-31"},
        "field target_date: Response due is earlier than Date said (2025-01-01) (value: '2024-12-31')",
    ),
    ("answers run out", {"cut": 6}, "the answers ran out before every question was answered"),
    ("a bare Enter is not today", {3: ""}, "field said_date: Date said is required"),
    ("not confirmed", {10: "no"}, "Not confirmed: nothing was added to you_said_we_did."),
    ("back at the first question", {0: "back"}, "back was typed at the first question, which has none before it"),
    (
        "already in the register",
        {3: "2024-08-06", 4: "shared_language", 5: YS_0001, 8: "listening_event_beeston", 9: "Table 1"},
        "Nothing was added to you_said_we_did: your record has problems. Fix these and try again:\n"
        "your record: this record is already in datasets/you_said_we_did.csv as YS-0001",
    ),
]


@pytest.mark.parametrize("label,changes,expected", BAD, ids=[b[0] for b in BAD])
def test_a_bad_piped_answer_stops_with_a_clear_message(shared, label, changes, expected):
    lines = list(GOOD)
    for i, v in changes.items():
        if i == "cut":
            lines = lines[:v]
        else:
            lines[i] = v
    before = digest(shared)
    result = make("add", shared, TABLE="you_said_we_did", input=answers(lines))
    assert exit_code(result) == 1
    assert expected in result.stderr
    assert digest(shared) == before


def test_at_a_terminal_a_bad_answer_is_asked_again(repo):
    """Drive `make add` through a real pseudo-terminal, so it knows a person is typing."""
    path = repo / YSWD
    count = len(rows(path))
    typed = ["", "99", "2", "1", "today", "nonsense", "3", "", "They said it.", "", "", "2", "Table 3", "maybe", "yes"]
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(
            ["make", "-s", "--no-print-directory", "-C", str(ROOT), "add", f"ROOT={repo}", "TABLE=you_said_we_did"],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "REGISTER_TODAY": TODAY},
        )
        os.close(slave)
        os.write(master, answers(typed).encode())
        out, err = p.communicate(timeout=120)
    finally:
        os.close(master)
    assert p.returncode == 0, err
    assert "Not accepted: 99 is not one of the numbers in the list (1 to " in out
    assert "Not accepted: 'nonsense' is not a code in themes" in out
    assert "Not accepted: You said is required" in out
    assert "Please answer yes, no, or the number of an answer to change." in out
    new = rows(path)
    assert len(new) == count + 1
    assert (new[-1]["theme"], new[-1]["you_said"], new[-1]["source"]) == (
        "accessibility",
        "They said it.",
        "listening_event_beeston",
    )


@pytest.mark.parametrize(
    "text, message",
    [
        (str(2**63), "People with lived experience is more than 1,000,000"),
        ("9" * 4301, "People with lived experience is more than 1,000,000"),
        ("1e20", "People with lived experience is not a whole number"),
        ("3.5", "People with lived experience is not a whole number"),
    ],
)
def test_add_refuses_a_number_out_of_range_as_every_path_does(package, text, message):
    res = package.resource("coproduction_log")
    session = Session(package, res)
    assert session.check(res.field("lived_experience_count"), text, None)[1] == [message]
    assert res.field("lived_experience_count").allowed(package) == "a whole number from 0 to 1,000,000"


def test_back_and_a_number_at_the_end_change_an_answer(repo):
    """ "back" returns to the question before; at the end, a number asks that question again."""
    path = repo / YSWD
    lines = list(GOOD)
    # At the theme question, go back and give another date; at the end, change the section.
    lines[4:5] = ["back", "06/08/2024", "3"]
    lines[-1:] = ["10", "Table 4", "yes"]
    result = make("add", repo, TABLE="you_said_we_did", input=answers(lines))
    assert exit_code(result) == 0, result.stderr
    assert "type back to return to the question before" in result.stdout
    assert result.stdout.count("(4/10) Date said") == 2
    assert result.stdout.count("The finished record:") == 2
    assert "  10. Section of the source  Table 4" in result.stdout
    added = rows(path)[-1]
    assert (added["said_date"], added["theme"], added["source_section"]) == ("2024-08-06", "accessibility", "Table 4")


def test_an_answer_a_change_makes_wrong_is_asked_again_not_refused_at_the_end(repo):
    # Changing the date said at the end to after the response due date left the due date
    # in place: "yes" then refused the whole record and every answer typed was lost.
    path = repo / YSWD
    n = next_id(path, "YS")
    lines = list(GOOD)
    lines[3], lines[6] = "01/06/2025", "2025-07-01"
    lines[-1:] = ["4", "2025-08-01", "2025-09-01", "yes"]
    result = make("add", repo, TABLE="you_said_we_did", input=answers(lines))
    assert exit_code(result) == 0, result.stderr
    assert "    Response due no longer fits the other answers: " in result.stdout
    assert "Answer it again, or type back to change another answer.\n\n(7/10) Response due" in result.stdout
    assert f"Added 1 record to {YSWD}: YS-{n:04d}." in result.stdout
    added = rows(path)[-1]
    assert (added["said_date"], added["target_date"]) == ("2025-08-01", "2025-09-01")


def test_back_at_an_answer_asked_again_returns_to_the_record(repo):
    # A new project without activities: the activity asked again cannot be answered, so
    # "back" goes to the whole record, where the project can be changed back.
    lines = list(GOOD)
    lines[-1:] = ["2", "PRJ-0001", "back", "2", "PRJ-0002", "yes"]
    result = make("add", repo, TABLE="you_said_we_did", input=answers(lines))
    assert exit_code(result) == 0, result.stderr
    assert result.stdout.count("Said at no longer fits the other answers") == 1
    assert result.stdout.count("The finished record:") == 3
    assert (rows(repo / YSWD)[-1]["project_id"], rows(repo / YSWD)[-1]["activity_id"]) == ("PRJ-0002", "LOG-0001")


def test_a_group_is_added_by_its_code(repo):
    # code, name, meaning, order, source, section, confirm
    lines = ["new_group", "New group", "A partner group.", "12", "case_study_default", "p 3", "yes"]
    result = make("add", repo, TABLE="groups", input=answers(lines))
    assert exit_code(result) == 0, result.stderr
    assert "Added 1 record to datasets/codelists/groups.csv: new_group." in result.stdout
    assert rows(repo / "datasets/codelists/groups.csv")[-1]["code"] == "new_group"
    before = digest(repo)
    again = make("add", repo, TABLE="groups", input=answers(lines))
    assert exit_code(again) == 1
    assert "field code: Code new_group is already used by another record" in again.stderr
    assert digest(repo) == before


def test_a_place_in_lists_is_asked_for_with_the_places_taken(shared):
    # "Order (required): a whole number, 0 or more" left staff adding a source to open
    # sources.csv to find which number comes next.
    orders = [int(r["sort_order"]) for r in rows(shared / "datasets/sources.csv")]
    lines = ["my_review_2026", "My review", "A review.", "My Life Choices", "2026-01-10", "-1"]
    result = make("add", shared, TABLE="sources", input=answers(lines))
    assert exit_code(result) == 1
    assert f"The records already there go up to {max(orders)}: {max(orders) + 1} puts this one last." in result.stdout


def test_back_at_the_first_question_is_never_taken_as_its_answer(shared):
    # A source's code may be any lower-case word: "back" typed there became the code.
    result = make("add", shared, TABLE="sources", input=answers(["back", "My review"]))
    assert exit_code(result) == 1
    assert "Nothing was added to sources: back was typed at the first question, which has none before it" in (
        result.stderr
    )
    assert "(2/7)" not in result.stdout


def test_a_source_is_asked_for_in_plain_words(shared):
    # code, title, description, publisher, published, order: stop at a bad order
    lines = ["my_review_2026", "My review", "A review.", "My Life Choices", "2026-01-10", "-1"]
    result = make("add", shared, TABLE="sources", input=answers(lines))
    assert exit_code(result) == 1
    assert "Allowed: a short code of lower-case letters, digits and underscores" in result.stdout
    assert "Allowed: a whole number, 0 or more" in result.stdout
    assert "9,223,372,036,854,775,807" not in result.stdout + result.stderr
    assert "^[a-z0-9_]+$" not in result.stdout + result.stderr


def test_the_staff_guides_example_counts_the_questions_as_make_add_does(shared):
    guide = (ROOT / "docs" / "staff-guide.md").read_text("utf-8")
    result = make("add", shared, TABLE="you_said_we_did", input="")  # stops at the first question
    first = next(line for line in result.stdout.splitlines() if line.startswith("(1/"))
    assert first in guide, first


def test_a_reason_that_reopens_a_closed_item_is_asked_for_as_required(repo):
    # The question said "(optional: press Enter to skip)" and "Why the item was not taken
    # forward", and then refused the Enter it invited.
    closed = make(
        "update-status",
        repo,
        ID="YS-0014",
        STATUS="done",
        NOTE="Done.",
        SOURCE="nn_icb_strategy_2025",
        SECTION="8.2",
    )
    assert exit_code(closed) == 0, closed.stderr
    # id, item, date, status, what we did, reason (cut there)
    result = make("add", repo, TABLE="you_said_we_did_updates", input=answers(["", "YS-0014", "t", "open", ""]))
    assert exit_code(result) == 1
    assert "(6/8) Reason (required)\n" in result.stdout
    assert "    Required here: YS-0014 is closed ('done' on " in result.stdout
    assert "(5/8) We did (optional: press Enter to skip)" in result.stdout


@pytest.mark.parametrize(
    "given, expected",
    [
        # Both left empty was taken, and the record refused only once every answer was typed.
        (["", "", ""], "field log_id: neither update_id nor log_id is given"),
        (["", "UPD-0001", "1"], "field log_id: both update_id and log_id are given"),
    ],
)
def test_a_verdict_on_neither_or_both_claims_is_refused_as_the_second_is_answered(shared, given, expected):
    before = digest(shared)
    result = make("add", shared, TABLE="partner_verdicts", input=answers(given))
    assert exit_code(result) == 1
    assert f"Nothing was added to partner_verdicts: your record, {expected}" in result.stderr
    assert "(4/9)" not in result.stdout
    assert digest(shared) == before


def test_a_verdict_with_no_update_asks_for_the_activity_as_required(shared):
    result = make("add", shared, TABLE="partner_verdicts", input=answers(["", ""]))
    assert '(2/9) "We did" update judged (optional: press Enter to skip)' in result.stdout
    assert "(3/9) Co-production activity judged (required)" in result.stdout


def test_a_second_assessment_of_a_project_and_characteristic_is_refused_as_it_is_answered(shared):
    # It was taken, and the record refused only once every answer was typed and confirmed.
    held = next(r for r in rows(shared / "datasets/equality_impacts.csv") if r["project_id"] == "PRJ-0002")
    before = digest(shared)
    result = make("add", shared, TABLE="equality_impacts", input=answers(["", "PRJ-0002", held["characteristic"]]))
    assert exit_code(result) == 1
    assert (
        f"your record, field characteristic: datasets/equality_impacts.csv already has {held['id']} "
        "with the same project_id and characteristic"
    ) in result.stderr
    assert "(4/12)" not in result.stdout
    assert digest(shared) == before


def test_enter_at_a_question_asked_again_keeps_the_answer(repo):
    # Going back, or choosing an answer to change at the end, asked the question afresh:
    # Enter there emptied the answer already given, without a word.
    lines = list(GOOD)
    # At the theme question, go back: Enter keeps the date said. At the end, Enter keeps
    # "You said" (required), and "-" empties the response rule (optional).
    lines[7] = "2"
    lines[4:5] = ["back", "", "3"]
    lines[-1:] = ["6", "", "8", "-", "yes"]
    result = make("add", repo, TABLE="you_said_we_did", input=answers(lines))
    assert exit_code(result) == 0, result.stderr
    out = result.stdout
    assert f"    Your answer: {TODAY}\n    Press Enter to keep it.\n" in out
    assert "    Your answer: People want easy read versions.\n    Press Enter to keep it.\n" in out
    rule = "    Your answer: healthwatch_recommendation\n    Press Enter to keep it, or type - to leave it blank.\n"
    assert rule in out
    added = rows(repo / YSWD)[-1]
    assert (added["said_date"], added["you_said"], added["response_rule"]) == (
        TODAY,
        "People want easy read versions.",
        "",
    )


@pytest.mark.parametrize("again", ["YS-9000", ""])
def test_an_id_typed_past_the_next_one_is_kept_only_if_typed_again(repo, again):
    # YS-9000 for YS-0081 was added without a word: every id given from then on followed
    # it, and an id cannot be corrected once added.
    path = repo / YSWD
    n = next_id(path, "YS")
    lines = list(GOOD)
    lines[0:1] = ["YS-9000", again]
    result = make("add", repo, TABLE="you_said_we_did", input=answers(lines))
    assert exit_code(result) == 0, result.stderr
    assert (
        f"    The highest YS- number in use is {n - 1:,}: YS-9000 leaves the numbers between unused, "
        "and every id given from now on will follow it. Type it again to keep it, or press Enter "
        "to have the next one given.\n" in result.stdout
    )
    assert rows(path)[-1]["id"] == (again or f"YS-{n:04d}")


def test_the_next_id_typed_is_taken_without_a_question(repo):
    path = repo / YSWD
    n = next_id(path, "YS")
    lines = list(GOOD)
    lines[0] = f"YS-{n:04d}"
    result = make("add", repo, TABLE="you_said_we_did", input=answers(lines))
    assert exit_code(result) == 0, result.stderr
    assert "leaves the numbers between unused" not in result.stdout
    assert rows(path)[-1]["id"] == f"YS-{n:04d}"
