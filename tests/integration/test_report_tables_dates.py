"""The impact report's tables write dates as its sentences and the site do (6 August
2024, not 2024-08-06), and say how a due date came about in words (set by staff, or
worked out from the response rules), not as the codes set and derived."""

from __future__ import annotations

from bs4 import BeautifulSoup

from register.publishing import report_tables
from register.publishing import reportkit as rk
from register.publishing.report_data import ReportData


def cells(html) -> list[dict[str, str]]:
    soup = BeautifulSoup(str(html), "html.parser")
    heads = [th.get_text() for th in soup.select("thead th")]
    return [
        dict(zip(heads, (td.get_text() for td in tr.find_all("td")), strict=True)) for tr in soup.select("tbody tr")
    ]


def test_the_overdue_table_writes_dates_and_due_date_basis_in_words(build_dir):
    conn, period = rk.open_register(build_dir / "register.db", "2024-08-01", "2024-08-31")
    whole, _ = rk.open_register(build_dir / "register.db")
    rows = cells(report_tables.overdue(ReportData(conn, whole, period)))
    assert rows, "the sample has overdue items said in August 2024"
    said, due, basis = (
        rk.title("you_said_we_did", "said_date"),
        rk.title("you_said_we_did_current", "due_date"),
        rk.title("you_said_we_did_current", "due_date_basis"),
    )
    assert {r[said] for r in rows} == {"6 August 2024"}
    assert {r[due] for r in rows} == {"29 October 2024"}  # 12 weeks on, the default rule
    assert {r[basis] for r in rows} == {"worked out from the response rules"}


def test_a_date_column_keeps_the_word_for_a_missing_value():
    import pandas as pd

    frame = pd.DataFrame({"when": ["2028-02-29", None], "n": [1, 2]})
    rows = cells(rk.table(frame, "Days", {"when": "When", "n": "N"}, dates=("when",)))
    assert [r["When"] for r in rows] == ["29 February 2028", "not recorded"]
