"""`make attest` and `make correct` (issue 15): a partner's verdict is appended like any
record and shows beside its claim and in the measures; a correction changes one field
of one record in public; bad input of either is refused naming file, row and field, with
datasets/ unchanged."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from tests.conftest import copy_repo
from tests.staff_helpers import TODAY, digest, exit_code, make, next_id, rows

VERDICTS = "datasets/partner_verdicts.csv"
CORRECTIONS = "datasets/corrections.csv"
# UPD-0001 closes the loop of YS-0001 ("done", 2025-09-01).
ATTEST = dict(
    UPDATE="UPD-0001",
    PARTNER="my_life_choices",
    VERDICT="disagrees",
    WORDS='People we asked had not seen the definition: "it is not shared yet".',
    SOURCE="north_cumbria_strategy",
    SECTION="Working Together in North Cumbria",
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("attest"))


def query(repo, sql: str) -> list[tuple]:
    with sqlite3.connect(repo / "build" / "register.db") as db:
        return db.execute(sql).fetchall()


def test_a_verdict_is_appended_and_shows_beside_its_claim_and_in_the_measures(repo):
    result = make("attest", repo, **ATTEST)
    assert exit_code(result) == 0, result.stderr
    assert f"Added 1 record to {VERDICTS}: VER-0001." in result.stdout
    assert rows(repo / VERDICTS) == [
        {
            "id": "VER-0001",
            "update_id": "UPD-0001",
            "log_id": "",
            "partner": "my_life_choices",
            "verdict": "disagrees",
            "in_their_words": ATTEST["WORDS"],
            "verdict_date": TODAY,
            "source": "north_cumbria_strategy",
            "source_section": "Working Together in North Cumbria",
        }
    ]
    assert query(
        repo, "SELECT you_said_id, partner_title, verdict_title, claim_date FROM partner_verdicts_current"
    ) == [("YS-0001", "My Life Choices", "Disagrees", "2025-09-01")]
    assert query(repo, "SELECT you_said_id, in_their_words FROM disputed_claims") == [("YS-0001", ATTEST["WORDS"])]
    assert query(repo, "SELECT confirmed_items, disputed_items FROM measure_loop_confirmed") == [(0, 1)]
    agrees = make("attest", repo, **{**ATTEST, "VERDICT": "agrees", "PARTNER": "my_life_choices"})
    assert exit_code(agrees) == 0, agrees.stderr
    closed, confirmed = query(repo, "SELECT closed_items, confirmed_items FROM measure_loop_confirmed")[0]
    assert confirmed == 1 and closed > 1
    assert query(repo, "SELECT figure, of_total FROM headlines WHERE measure = 'loop_confirmed'") == [(1, closed)]


CASES = [
    (
        dict(PARTNER="nn_icb"),
        "field partner: organisation nn_icb is not an independent partner",
    ),
    # What may be given instead is every independent partner, not every organisation.
    (dict(PARTNER="nope"), "allowed: the code of an independent partner in organisations: my_life_choices"),
    (dict(DATE="2025-08-31"), "field verdict_date: the verdict is dated before the claim it judges (2025-09-01)"),
    (dict(VERDICT="maybe"), "field verdict: 'maybe' is not a code in verdicts"),
    (dict(UPDATE="UPD-9999"), "field update_id: "),
    (dict(WORDS="Ring 07700 900123"), "field in_their_words: In their words contains a UK phone number"),
    (dict(LOG="LOG-0001"), 'give exactly one of UPDATE= (a "we did" update, UPD-) and LOG='),
    (dict(PARTNER=""), "PARTNER= is required"),
]


@pytest.mark.parametrize("changes,expected", CASES, ids=[c[1][:40] for c in CASES])
def test_bad_verdicts_are_refused_and_change_nothing(shared, changes, expected):
    before = digest(shared)
    result = make("attest", shared, **{**ATTEST, **changes})
    assert exit_code(result) in (1, 2)
    assert expected in result.stderr, result.stderr
    assert digest(shared) == before


def test_a_file_of_verdicts_is_refused_naming_file_row_and_field(shared, tmp_path):
    before = digest(shared)
    bad = tmp_path / "verdicts.csv"
    bad.write_text(
        "update_id,log_id,partner,verdict,in_their_words,verdict_date,source,source_section\n"
        "UPD-0001,,my_life_choices,agrees,We saw it.,2026-01-10,north_cumbria_strategy,p1\n"
        ",,my_life_choices,agrees,No claim named.,2026-01-10,north_cumbria_strategy,p1\n",
        encoding="utf-8",
    )
    result = make("append", shared, TABLE="partner_verdicts", FILE=str(bad))
    assert exit_code(result) == 1
    assert f"{bad}, row 3, field update_id: neither update_id nor log_id is given" in result.stderr, result.stderr
    assert digest(shared) == before


def git(repo, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_a_correction_is_public_and_the_old_value_is_kept(repo):
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "x", "--allow-empty")
    git(repo, "add", "datasets")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "published")
    reason = "Filed under the wrong theme."
    result = make("correct", repo, ID="YS-0001", FIELD="theme", VALUE="Governance", REASON=reason)
    assert exit_code(result) == 0, result.stderr
    assert f"Corrected YS-0001 theme (COR-0001, in {CORRECTIONS})." in result.stdout
    assert rows(repo / CORRECTIONS) == [
        {
            "id": "COR-0001",
            "resource": "you_said_we_did",
            "record_id": "YS-0001",
            "field": "theme",
            "old_value": "shared_language",
            "new_value": "governance",  # the code, as for an append
            "corrected_date": TODAY,
            "reason": reason,
        }
    ]
    diff = git(repo, "diff", "--unified=0", "datasets/you_said_we_did.csv")
    assert diff.count("\n-YS-") == 1 and diff.count("\n+YS-") == 1  # one line changed, nothing else
    assert "-YS-0001,PRJ-0002,LOG-0001,2024-08-06,shared_language," in diff  # still in history
    assert query(repo, "SELECT theme FROM you_said_we_did WHERE id = 'YS-0001'") == [("governance",)]
    assert query(repo, "SELECT old_value, reason FROM corrections") == [("shared_language", reason)]


@pytest.mark.parametrize(
    "variables,expected",
    [
        (dict(ID="YS-0001", FIELD="theme", VALUE="nonsense"), "datasets/you_said_we_did.csv, row 2, field theme:"),
        (dict(ID="YS-0001", FIELD="you_said", VALUE="Ring 07700 900123"), "field you_said: You said contains"),
        (dict(ID="YS-0001", FIELD="id", VALUE="YS-0002"), "id is the record's identifier, which never changes"),
        (dict(ID="YS-9999", FIELD="theme", VALUE="governance"), "you_said_we_did has no record YS-9999"),
        (dict(ID="YS-0001", FIELD="colour", VALUE="red"), "you_said_we_did has no field colour"),
        (dict(ID="YS-0001", FIELD="theme", VALUE="shared_language"), "there is nothing to correct"),
        # The old value is left out, so the corrections page would show "(empty)" and the
        # reason alone can say that a value was removed: it must.
        (
            dict(ID="YS-0001", FIELD="you_said", VALUE="Reworded.", PERSONAL_DATA="yes"),
            "REASON= must say that personal data was removed",
        ),
        (
            dict(ID="YS-0001", FIELD="target_date", VALUE="2024-09-01", PERSONAL_DATA="yes", REASON="Personal data."),
            "YS-0001 target_date is empty: there is no personal data to leave out",
        ),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(shared, variables, expected):
    before = digest(shared)
    result = make("correct", shared, **{"REASON": "A reason.", **variables})
    assert exit_code(result) == 1
    assert expected in result.stderr, result.stderr
    assert "datasets/ is unchanged" in result.stderr
    assert digest(shared) == before


def test_a_correction_stopped_between_its_two_writes_is_reported_and_finished(repo):
    # What a kill after the first write leaves: the correction, without the record changed.
    with (repo / CORRECTIONS).open("a", encoding="utf-8") as f:
        f.write(f"COR-0001,you_said_we_did,YS-0002,theme,culture_and_leadership,governance,{TODAY},Wrong theme.\n")
    invalid = make("validate", repo)
    assert exit_code(invalid) == 1
    assert (
        f"{CORRECTIONS}, row 2, field new_value: the correction was recorded but you_said_we_did YS-0002 "
        "does not hold this value in theme"
    ) in invalid.stderr
    other = make("correct", repo, ID="YS-0003", FIELD="theme", VALUE="governance", REASON="x")
    assert exit_code(other) == 1 and "recorded but not applied (row 2: YS-0002 theme)" in other.stderr
    again = make("correct", repo, ID="YS-0002", FIELD="theme", VALUE="governance", REASON="Wrong theme.")
    assert exit_code(again) == 0, again.stderr
    assert "Finished COR-0001" in again.stdout
    assert len(rows(repo / CORRECTIONS)) == 1
    assert exit_code(make("validate", repo)) == 0


@pytest.mark.parametrize(
    "variables,expected",
    [
        # YS-0001's own update (UPD-0001) is dated 2025-09-01: the item cannot be said after it.
        (
            dict(ID="YS-0001", FIELD="said_date", VALUE="2026-01-10"),
            "datasets/you_said_we_did_updates.csv, row 2, field update_date: the update is dated before the item",
        ),
        # LOG-0001's "You said" items belong to PRJ-0002, as the activity does.
        (
            dict(ID="LOG-0001", FIELD="project_id", VALUE="PRJ-0003"),
            "datasets/you_said_we_did.csv, row 2, field activity_id: activity LOG-0001 belongs to project PRJ-0003",
        ),
    ],
    ids=["said-after-its-update", "activity-moved-from-its-items"],
)
def test_a_correction_that_would_break_other_records_is_refused(shared, variables, expected):
    before = digest(shared)
    result = make("correct", shared, REASON="A reason.", **variables)
    assert exit_code(result) == 1, result.stdout + result.stderr
    assert "records that depend on this one would break the register's rules" in result.stderr
    assert expected in result.stderr, result.stderr
    assert "Corrected" not in result.stdout
    assert "datasets/ is unchanged" in result.stderr
    assert digest(shared) == before
    assert exit_code(make("validate", shared)) == 0


def test_a_correction_whose_rebuild_fails_is_saved_and_exits_3(repo):
    # A problem the register already had (a hand edit), not made by the correction: the
    # correction is saved, the rebuild refuses the data, and the command says so.
    updates = repo / "datasets/you_said_we_did_updates.csv"
    text = updates.read_text(encoding="utf-8")
    updates.write_text(text.replace("UPD-0002,YS-0002,2025-09-01,", "UPD-0002,YS-0002,2020-01-01,", 1), "utf-8")
    result = make("correct", repo, ID="YS-0001", FIELD="theme", VALUE="governance", REASON="Wrong theme.")
    assert exit_code(result) == 3, result.stdout + result.stderr
    assert "Corrected YS-0001 theme (COR-0001" in result.stdout
    assert "the database could not be rebuilt" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(rows(repo / CORRECTIONS)) == 1


def test_a_correction_that_moves_an_items_current_status_says_so(repo):
    # Re-dating the update that closed an item's loop to before its earlier update made
    # the earlier one current again: the item's page showed the loop open, and the
    # command said only "Corrected".
    n = next_id(repo / "datasets/you_said_we_did_updates.csv", "UPD")
    done = make(
        "update-status", repo, ID="YS-0014", STATUS="done", NOTE="Agreed.", SOURCE="nn_icb_strategy_2025", SECTION="8.2"
    )
    assert exit_code(done) == 0, done.stderr
    upd = f"UPD-{n:04d}"
    back = make("correct", repo, ID=upd, FIELD="update_date", VALUE="2025-01-01", REASON="Wrong date.")
    assert exit_code(back) == 0, back.stderr
    assert (
        f"YS-0014's current status is now 'planned' (UPD-0011 of 2025-09-01), no longer 'done' ({upd}), "
        "and its page says so. Its loop is open again." in back.stdout
    )
    again = make("correct", repo, ID=upd, FIELD="update_date", VALUE="2026-01-10", REASON="Right date.")
    assert f"now 'done' ({upd} of 2026-01-10), no longer 'planned' (UPD-0011)" in again.stdout
    assert "Its loop is now closed." in again.stdout
    theme = make("correct", repo, ID=upd, FIELD="we_did", VALUE="Agreed and published.", REASON="Fuller.")
    assert exit_code(theme) == 0 and "current status" not in theme.stdout


def test_a_correction_says_the_running_site_needs_no_restart(repo):
    result = make("correct", repo, ID="YS-0001", FIELD="theme", VALUE="governance", REASON="Wrong theme.")
    assert exit_code(result) == 0, result.stderr
    assert "no restart needed" in result.stdout
    assert "restart `make serve`" not in result.stdout


@pytest.mark.parametrize("said", ["Yes", "y", "YES", "true"])
def test_personal_data_yes_in_any_capitals_leaves_the_old_value_out(repo, said):
    result = make(
        "correct",
        repo,
        ID="YS-0001",
        FIELD="you_said",
        VALUE="Removed.",
        REASON="Personal data removed.",
        PERSONAL_DATA=said,
    )
    assert exit_code(result) == 0, result.stderr
    (correction,) = rows(repo / CORRECTIONS)
    assert correction["old_value"] == "" and correction["new_value"] == "Removed."


def test_an_unrecognised_personal_data_answer_is_refused(shared):
    before = digest(shared)
    result = make(
        "correct", shared, ID="YS-0001", FIELD="you_said", VALUE="Removed.", REASON="Removed.", PERSONAL_DATA="ja"
    )
    assert exit_code(result) == 2
    assert "PERSONAL_DATA='ja' is not yes or no" in result.stderr
    assert digest(shared) == before


def test_a_repeated_verdict_is_added_when_allow_duplicates_says_so(repo):
    assert exit_code(make("attest", repo, **ATTEST)) == 0
    again = make("attest", repo, **ATTEST)
    assert exit_code(again) == 1 and "ALLOW_DUPLICATES=yes" in again.stderr
    meant = make("attest", repo, ALLOW_DUPLICATES="Yes", **ATTEST)
    assert exit_code(meant) == 0, meant.stderr
    assert [r["id"] for r in rows(repo / VERDICTS)] == ["VER-0001", "VER-0002"]


def test_a_refused_verdict_is_not_announced_as_recorded(shared):
    result = make("attest", shared, **{**ATTEST, "VERDICT": "maybe"})
    assert exit_code(result) == 1
    assert "Recording" not in result.stdout and "Recorded" not in result.stdout


def test_a_verdict_given_by_name_and_uk_date_is_described_as_saved(repo):
    result = make("attest", repo, **dict(ATTEST, VERDICT="Partly agrees", DATE="01/10/2025"))
    assert exit_code(result) == 0, result.stderr
    assert "Recorded my_life_choices's verdict 'partly_agrees' on UPD-0001, given on 2025-10-01." in result.stdout
    assert (rows(repo / VERDICTS)[-1]["verdict"], rows(repo / VERDICTS)[-1]["verdict_date"]) == (
        "partly_agrees",
        "2025-10-01",
    )


def test_a_correction_takes_the_id_in_small_letters_and_the_field_as_people_write_it(repo):
    # ID=log-0003 was "not the identifier of a record", and FIELD="Activity date" was
    # "no field": both name one record and one field beyond doubt.
    result = make("correct", repo, ID="log-0003", FIELD="Activity Date", VALUE="01/09/2025", REASON="Wrong date.")
    assert exit_code(result) == 0, result.stderr
    assert "Corrected LOG-0003 activity_date (COR-0001" in result.stdout
    assert next(r for r in rows(repo / "datasets/coproduction_log.csv") if r["id"] == "LOG-0003")["activity_date"] == (
        "2025-09-01"
    )
    assert rows(repo / CORRECTIONS)[-1]["record_id"] == "LOG-0003"
    # The field's title, as each record's page shows it beside the name, names it too.
    titled = make("correct", repo, ID="YS-0001", FIELD="Date said", VALUE="07/08/2024", REASON="Wrong date.")
    assert exit_code(titled) == 0, titled.stderr
    assert "Corrected YS-0001 said_date (COR-0002" in titled.stdout


def test_a_correction_whose_record_cannot_be_saved_changes_nothing(repo, monkeypatch, capsys):
    # The record's file could not be replaced (open and locked in Excel, read-only, a full
    # disk) after the correction was written: the command said "datasets/ was not
    # changed" while corrections.csv held a correction its record did not, and
    # `make validate` then failed on it.
    from register.staff import correct as correctmod

    real = correctmod.replace_line
    record_file = (repo / "datasets/you_said_we_did.csv").resolve()

    def locked(res, record_id, row):
        if res.path.resolve() == record_file:  # the register's own file, not the scratch copy checked first
            raise PermissionError(13, "Permission denied", str(res.path))
        return real(res, record_id, row)

    monkeypatch.setattr(correctmod, "replace_line", locked)
    before = digest(repo)
    args = ["--id=YS-0001", "--field=theme", "--value=governance", "--reason=Wrong theme.", f"--root={repo}"]
    code = correctmod.main(args)
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Nothing was changed: datasets/you_said_we_did.csv could not be saved (Permission denied)" in err
    assert "datasets/ is unchanged" in err
    assert digest(repo) == before
    assert exit_code(make("validate", repo)) == 0


def test_ctrl_c_while_a_correction_is_written_waits_for_both_writes(repo, monkeypatch, capsys):
    # Ctrl+C between the correction and its record (or while the record's file was being
    # written) stopped the command there: "Stopped while correcting the record." and
    # corrections.csv held a correction its record did not, so `make validate` failed
    # and every other correction was refused until this one was run again.
    import os
    import signal

    from register.staff import correct as correctmod

    real = correctmod.replace_line
    record_file = (repo / "datasets/you_said_we_did.csv").resolve()

    def interrupted(res, record_id, row):
        if res.path.resolve() == record_file:  # the register's own file, after the correction was written
            os.kill(os.getpid(), signal.SIGINT)
        return real(res, record_id, row)

    monkeypatch.setattr(correctmod, "replace_line", interrupted)
    monkeypatch.setenv("REGISTER_TODAY", TODAY)  # the day `make validate` below takes as today
    args = ["--id=YS-0001", "--field=theme", "--value=governance", "--reason=Wrong theme.", f"--root={repo}"]
    code = correctmod.main(args)
    out, err = capsys.readouterr()
    assert code == 3, err
    assert "Corrected YS-0001 theme (COR-0001" in out
    assert "The correction is saved, but the database could not be rebuilt (it was stopped with Ctrl+C" in err
    assert rows(repo / "datasets/you_said_we_did.csv")[0]["theme"] == "governance"
    assert rows(repo / CORRECTIONS)[-1]["new_value"] == "governance"
    assert exit_code(make("validate", repo)) == 0
    # Ctrl+C afterwards is Python's again.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _as_an_ordinary_user() -> list[str]:
    """The command prefix that runs it with a file's permissions applying: as it is when
    not root; as root, without the capability that overrides them."""
    import os
    import shutil

    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only file cannot be made to apply")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]


@pytest.mark.parametrize("name", ["you_said_we_did.csv", "corrections.csv"])
def test_a_correction_to_a_read_only_file_is_refused_naming_it(repo, name):
    # A record's file made read-only (chmod 444) was replaced all the same, by renaming a
    # new file over it, which came out writable; `make append` refuses the same file. A
    # read-only corrections.csv was named by a hidden temporary file nobody could find.
    import os
    import sys

    path = repo / "datasets" / name
    path.chmod(0o444)
    before = digest(repo)
    args = ["--id=YS-0001", "--field=theme", "--value=governance", "--reason=Wrong theme.", f"--root={repo}"]
    env = {**os.environ, "REGISTER_TODAY": TODAY}
    result = subprocess.run(
        [*_as_an_ordinary_user(), sys.executable, "-m", "register.staff.correct", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert f"Nothing was changed: datasets/{name} could not be saved (Permission denied)" in result.stderr
    assert ".tmp" not in result.stderr
    assert digest(repo) == before
    assert path.stat().st_mode & 0o777 == 0o444
