"""`make update-status` (issue 4): a change of status is one new row of the status
history, with the rules of the schema enforced, and shows as the item's current status."""

from __future__ import annotations

import sqlite3

import pytest

from register.staff.write import PAUSE_ENV, RELEASE_ENV
from tests.conftest import copy_repo
from tests.staff_helpers import TODAY, digest, exit_code, make, next_id, popen_make, refused, rows

UPDATES = "datasets/you_said_we_did_updates.csv"
CITE = {"SOURCE": "nn_icb_strategy_2025", "SECTION": "8.2"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("status"))


def test_done_is_recorded_as_we_did_and_becomes_the_current_status(repo):
    path = repo / UPDATES
    old = path.read_bytes()
    n = next_id(path, "UPD")
    # Quotes, $, backticks and & reach the register exactly as typed (the Makefile
    # never lets the shell interpret NOTE).
    note = 'Fares are now paid: "£5 or $5", `no receipts` & no forms'
    result = make("update-status", repo, ID="YS-0010", STATUS="done", NOTE=note, **CITE)
    assert exit_code(result) == 0, result.stderr
    assert f"Added 1 record to {UPDATES}: UPD-{n:04d}." in result.stdout
    # One record is "it", not "them".
    assert "a running `make serve` shows it within two seconds" in result.stdout
    assert path.read_bytes().startswith(old)
    last = rows(path)[-1]
    assert last == {
        "id": f"UPD-{n:04d}",
        "you_said_id": "YS-0010",
        "update_date": TODAY,
        "status": "done",
        "we_did": note,
        "reason": "",
        "source": "nn_icb_strategy_2025",
        "source_section": "8.2",
    }
    with sqlite3.connect(repo / "build" / "register.db") as db:
        current = db.execute(
            "SELECT status, we_did, loop_closed FROM you_said_we_did_current WHERE id = 'YS-0010'"
        ).fetchone()
    assert current == ("done", note, 1)


def test_a_note_over_several_lines_with_make_and_shell_syntax_is_kept_exactly(repo):
    """Every value reaches the script through the environment: neither make nor the shell
    reads it, so a newline, $(...) and a trailing backslash are stored as typed."""
    note = "Two lines:\nfirst $(shell echo made) $(info x) $$HOME 'single' \\"
    result = make("update-status", repo, ID="YS-0010", STATUS="open", NOTE=note, **CITE)
    assert exit_code(result) == 0, result.stderr
    assert "made" not in result.stdout + result.stderr
    assert rows(repo / UPDATES)[-1]["reason"] == note


def test_not_taken_forward_keeps_the_note_as_the_reason(repo):
    path = repo / UPDATES
    result = make(
        "update-status",
        repo,
        ID="YS-0011",
        STATUS="Not taken forward",
        NOTE="No budget this year",
        DATE="2025-10-02",
        **CITE,
    )
    assert exit_code(result) == 0, result.stderr
    last = rows(path)[-1]
    assert (last["status"], last["we_did"], last["reason"], last["update_date"]) == (
        "not_taken_forward",
        "",
        "No budget this year",
        "2025-10-02",
    )


CASES = [
    (
        dict(ID="YS-0010", STATUS="done", NOTE=""),
        1,
        ["field we_did: We did is required when status is done", "NOTE= is we_did for this status"],
    ),
    (
        dict(ID="YS-0010", STATUS="not_taken_forward", NOTE=""),
        1,
        ["field reason: Reason is required when status is not_taken_forward"],
    ),
    (
        dict(ID="YS-9999", STATUS="planned", NOTE="x"),
        1,
        [
            "field you_said_id: there is no record YS-9999 in you_said_we_did (value: 'YS-9999'); "
            "allowed: the id of an existing row of you_said_we_did"
        ],
    ),
    (
        dict(ID="YS-0010", STATUS="finished", NOTE="x"),
        1,
        [
            "field status: 'finished' is not a code in statuses (value: 'finished'); allowed: one of the codes in "
            "statuses: open, planned, in_progress, done, not_taken_forward"
        ],
    ),
    (  # a closed item: a mistyped status is named as such, not taken as reopening it
        dict(ID="YS-0001", STATUS="finished"),
        1,
        ["field status: 'finished' is not a code in statuses (value: 'finished')"],
    ),
    (
        dict(ID="YS-0010", STATUS="done", NOTE="x", DATE="2024-01-01"),
        1,
        ["field update_date: the update is dated before the item was said (2024-08-06) (value: '2024-01-01')"],
    ),
    (
        dict(ID="YS-0010", STATUS="done", NOTE="x", DATE="2026-02-30"),
        1,
        [
            "field update_date: Date is not a date the register can read: there is no 30 February 2026 (value: '2026-02-30')"
        ],
    ),
    (
        dict(ID="YS-0010", STATUS="done", NOTE="Call 07700 900123 for details"),
        1,
        ["field we_did: We did contains a UK phone number", "Remove or reword '07700 900123'"],
    ),
    (  # a zero-width space, as text copied from an email brings: it reads as the number
        dict(ID="YS-0010", STATUS="done", NOTE="Call 07700\u200b900123 for details"),
        1,
        ["field we_did: We did contains a UK phone number", "Remove or reword '07700900123'"],
    ),
    (  # Word writes " - " as an en dash
        dict(ID="YS-0010", STATUS="done", NOTE="Email jo\u200b@example.org or ring 0115 \u2013 883 9000"),
        1,
        ["contains an email address", "Remove or reword 'jo@example.org'", "contains a UK phone number"],
    ),
]


@pytest.mark.parametrize("variables,code,expected", CASES, ids=[c[2][0][:40] for c in CASES])
def test_bad_status_changes_are_refused(shared, variables, code, expected):
    before = digest(shared)
    result = make("update-status", shared, **variables, **CITE)
    assert exit_code(result) == code
    for text in expected:
        assert text in result.stderr
    assert "are unchanged" in result.stderr
    assert digest(shared) == before


def test_the_source_must_be_cited(shared):
    before = digest(shared)
    result = make("update-status", shared, ID="YS-0010", STATUS="done", NOTE="Done")
    assert exit_code(result) == 2
    assert "SOURCE= is required" in result.stderr and "nn_icb_strategy_2025" in result.stderr
    assert "SECTION= is required" in result.stderr
    assert digest(shared) == before


def test_the_same_status_update_twice_is_refused_unless_meant(repo):
    variables = dict(ID="YS-0010", STATUS="done", NOTE="Easy read versions published.", DATE="2025-12-01", **CITE)
    n = next_id(repo / UPDATES, "UPD")
    assert exit_code(make("update-status", repo, **variables)) == 0
    before = digest(repo)
    again = make("update-status", repo, **variables)
    assert exit_code(again) == 1
    # Typed on the command line, it is a record, not a row of a file.
    assert f"the status change of YS-0010: this record is already in {UPDATES} as UPD-{n:04d}" in again.stderr
    assert "ALLOW_DUPLICATES=yes" in again.stderr
    assert digest(repo) == before
    meant = make("update-status", repo, ALLOW_DUPLICATES="yes", **variables)
    assert exit_code(meant) == 0, meant.stderr
    assert rows(repo / UPDATES)[-1]["id"] == f"UPD-{n + 1:04d}"


@pytest.mark.parametrize("date", ["2025-01-01", "01/01/2025"])
def test_a_status_dated_before_the_items_latest_update_is_refused(shared, date):
    # YS-0014's latest update is UPD-0011, 'planned' on 2025-09-01.
    before = digest(shared)
    result = make("update-status", shared, ID="YS-0014", STATUS="done", NOTE="Backdated done.", DATE=date, **CITE)
    assert exit_code(result) == 1
    assert (
        "YS-0014 already has a later update (UPD-0011, 'planned' on 2025-09-01), so a status dated 2025-01-01 "
        "would not become its current status: it would stay 'planned'"
    ) in result.stderr
    assert "give DATE= on or after 2025-09-01" in result.stderr
    assert "now has status" not in result.stdout and "Added" not in result.stdout
    assert digest(shared) == before


def test_a_status_on_the_day_of_the_latest_update_becomes_current(repo):
    result = make("update-status", repo, ID="YS-0014", STATUS="done", NOTE="Paid.", DATE="2025-09-01", **CITE)
    assert exit_code(result) == 0, result.stderr
    assert "YS-0014 now has status 'done' from 2025-09-01; NOTE is kept as 'We did'." in result.stdout
    with sqlite3.connect(repo / "build" / "register.db") as db:
        assert db.execute("SELECT status FROM you_said_we_did_current WHERE id = 'YS-0014'").fetchone() == ("done",)


def test_the_same_status_again_says_since_when_the_item_has_had_it(repo):
    """Planned, then planned again with more said: the item's page says "Planned since" the
    first (standard 1.2.3), so the command does not say it has the status from today."""
    # YS-0014's latest update is UPD-0011, 'planned' on 2025-09-01.
    result = make("update-status", repo, ID="YS-0014", STATUS="planned", NOTE="More is planned.", **CITE)
    assert exit_code(result) == 0, result.stderr
    assert (
        f"YS-0014 keeps status 'planned', which it has had since 2025-09-01 (its 'Status since'); "
        f"this update, of {TODAY}, is added to its history; NOTE is kept as 'We did'."
    ) in result.stdout
    assert "now has status" not in result.stdout
    with sqlite3.connect(repo / "build" / "register.db") as db:
        current = db.execute("SELECT status, status_date FROM you_said_we_did_current WHERE id = 'YS-0014'")
        assert current.fetchone() == ("planned", "2025-09-01")


def test_closing_a_closed_item_again_is_warned_and_reopening_needs_a_reason(repo):
    # YS-0001 is closed: UPD-0001, 'done' on 2025-09-01.
    again = make("update-status", repo, ID="YS-0001", STATUS="done", NOTE="More was done.", **CITE)
    assert exit_code(again) == 0, again.stderr
    assert "Warning: YS-0001 was already closed ('done' on 2025-09-01, UPD-0001); this closes it again." in (
        again.stderr
    )
    before = digest(repo)
    bare = make("update-status", repo, ID="YS-0001", STATUS="open", **CITE)
    assert exit_code(bare) == 1
    assert "YS-0001 is closed ('done' on " in bare.stderr and "say why in NOTE=" in bare.stderr
    assert "NOTE is kept" not in bare.stdout + bare.stderr
    assert digest(repo) == before
    reopened = make("update-status", repo, ID="YS-0001", STATUS="open", NOTE="People said it is not done.", **CITE)
    assert exit_code(reopened) == 0, reopened.stderr
    assert rows(repo / UPDATES)[-1]["reason"] == "People said it is not done."


def test_reopening_needs_a_reason_in_a_file_of_updates_too(shared, tmp_path):
    # make update-status refused a bare reopening, but a file of updates (make append,
    # make add) reopened a closed loop on the public page with no word of why.
    header = "id,you_said_id,update_date,status,we_did,reason,source,source_section\r\n"
    path = tmp_path / "updates.csv"
    path.write_text(
        header
        + ",YS-0001,01/01/2026,open,,,nn_icb_strategy_2025,8.2\r\n"  # closed by UPD-0001 ('done' on 2025-09-01)
        + ",YS-0010,01/01/2026,done,It was done.,,nn_icb_strategy_2025,8.2\r\n"
        + ",YS-0010,02/01/2026,open,,,nn_icb_strategy_2025,8.2\r\n"  # closed by the row above
        + ",YS-0011,02/01/2026,open,,,nn_icb_strategy_2025,8.2\r\n",  # an open item stays open: fine
        "utf-8",
    )
    result = refused(shared, TABLE="you_said_we_did_updates", FILE=path, REBUILD="no")
    assert (
        f"{path}, row 2, field reason: YS-0001 is closed ('done' on 2025-09-01, UPD-0001), so 'open' reopens it: "
        "say why in reason" in result.stderr
    )
    assert f"{path}, row 4, field reason: YS-0010 is closed ('done' on 2026-01-01, row 3 of this file)" in result.stderr
    assert "2 problems in 2 rows." in result.stderr
    before = digest(shared)
    bare = make(
        "add",
        shared,
        TABLE="you_said_we_did_updates",
        input="\nYS-0001\n2026-01-02\nopen\n\n\nnn_icb_strategy_2025\n8.2\nyes\n",
    )
    assert exit_code(bare) == 1 and "field reason: YS-0001 is closed ('done' on 2025-09-01, UPD-0001)" in bare.stderr
    # make add says so at the reason question, not only once the record is confirmed.
    assert "  reason: \n    Not accepted: YS-0001 is closed ('done' on 2025-09-01, UPD-0001)" in bare.stdout
    assert "The finished record:" not in bare.stdout
    assert digest(shared) == before


@pytest.mark.parametrize(
    "variables",
    [
        dict(ID="YS-9999", STATUS="done", NOTE="x"),
        dict(ID="YS-0010", STATUS="finished"),
        dict(ID="YS-0010", STATUS="open"),
    ],
    ids=["unknown item", "unknown status", "no note"],
)
def test_nothing_that_sounds_like_success_is_said_before_the_change_is_saved(shared, variables):
    result = make("update-status", shared, **variables, **{**CITE, "SOURCE": "no_such_source"})
    assert exit_code(result) == 1
    for words in ("Recording", "now has status", "NOTE is kept", "Added"):
        assert words not in result.stdout + result.stderr


def test_the_change_is_read_and_described_as_it_is_saved(repo, shared):
    # DATE=01/09/2025 is saved as 2025-09-01 and said so (it was echoed as typed), and an
    # id or status copied with an invisible character is checked against the item's
    # history like any other (it was cleaned only when saved, after the history check).
    result = make("update-status", repo, ID="YS-0010", STATUS="Done", NOTE="Done.", DATE="01/09/2025", **CITE)
    assert exit_code(result) == 0, result.stderr
    assert "YS-0010 now has status 'done' from 2025-09-01;" in result.stdout
    assert rows(repo / UPDATES)[-1]["update_date"] == "2025-09-01"
    latest = max((r for r in rows(shared / UPDATES) if r["you_said_id"] == "YS-0014"), key=lambda r: r["update_date"])
    before = digest(shared)
    early = make(
        "update-status",
        shared,
        ID="YS-0014\u200b",
        STATUS="In\u00a0progress",
        NOTE="Under way.",
        DATE="2020-01-01",
        **CITE,
    )
    assert exit_code(early) == 1
    assert f"YS-0014 already has a later update ({latest['id']}" in early.stderr
    assert digest(shared) == before


def test_an_id_in_small_letters_is_the_item(repo):
    result = make("update-status", repo, ID="ys-0010", STATUS="in_progress", NOTE="Under way.", **CITE)
    assert exit_code(result) == 0, result.stderr
    assert "YS-0010 now has status 'in_progress'" in result.stdout
    assert rows(repo / UPDATES)[-1]["you_said_id"] == "YS-0010"


def test_a_later_update_saved_while_this_one_waited_is_checked_under_the_lock(repo, tmp_path):
    # Two changes to one item at once: the first (dated later) holds the write lock; the
    # second passed the history check before the first was saved, so it was added too,
    # dated before the first, and never became the current status.
    release = tmp_path / "release"
    first = popen_make(
        "update-status",
        repo,
        env={PAUSE_ENV: "60", RELEASE_ENV: str(release)},
        ID="YS-0010",
        STATUS="done",
        NOTE="Done.",
        DATE="2025-12-01",
        **CITE,
    )
    assert "paused before replacing" in first.stderr.readline()
    second = popen_make(
        "update-status", repo, ID="YS-0010", STATUS="in_progress", NOTE="Under way.", DATE="2025-11-01", **CITE
    )
    assert "waiting for it to finish" in second.stderr.readline()
    release.touch()
    assert first.wait(timeout=120) == 0
    out, err = second.communicate(timeout=120)
    assert second.returncode != 0, out
    assert "YS-0010 already has a later update (" in err and "'done' on 2025-12-01" in err
    assert [r["status"] for r in rows(repo / UPDATES) if r["you_said_id"] == "YS-0010"][-1] == "done"
