"""A period's impact report counts only the partners' verdicts on what is in the period."""

from __future__ import annotations

from register.publishing import reportkit as rk
from register.publishing.report_data import ReportData
from tests.conftest import copy_repo
from tests.staff_helpers import make, rows

# UPD-0014 is a status update of YS-0017, said on 2024-08-06: outside this period.
PERIOD = ("2025-01-01", "2025-12-31")


def test_a_verdict_on_an_update_of_an_item_said_outside_the_period_is_left_out(tmp_path):
    repo = copy_repo(tmp_path)
    said = {r["id"]: r["said_date"] for r in rows(repo / "datasets" / "you_said_we_did.csv")}
    update = next(r for r in rows(repo / "datasets" / "you_said_we_did_updates.csv") if r["id"] == "UPD-0014")
    assert not PERIOD[0] <= said[update["you_said_id"]] <= PERIOD[1]
    result = make(
        "attest",
        repo,
        UPDATE="UPD-0014",
        PARTNER="my_life_choices",
        VERDICT="disagrees",
        WORDS="People we spoke to had not heard of it.",
        SOURCE="nn_icb_strategy_2025",
        SECTION="8.2",
    )
    assert result.returncode == 0, result.stderr
    db = repo / "build" / "register.db"
    whole, everything = rk.open_register(db)
    assert ReportData(whole, whole, everything).verdicts_given == 1

    conn, period = rk.open_register(db, *PERIOD)
    assert period["left_out"].get("partner_verdicts") == 1  # said in the report's list of what it left out
    data = ReportData(conn, whole, period)
    assert data.verdicts_given == 0, "the period's report counts a verdict on something outside it"
    assert data.figures()["partner_verdicts"] == 0 and data.figures()["disputed_claims"] == []
