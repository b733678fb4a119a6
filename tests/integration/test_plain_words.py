"""The words on public pages, read as a member of the public reads them: each list of
codes says what it holds, in plain English, rather than repeating its own name."""

from __future__ import annotations

import re
import sqlite3
from html import unescape

import pytest

from register.schema.package import ROOT, Package
from register.site.measures import MEASURES


@pytest.fixture(scope="module")
def db(build_dir):
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    yield conn
    conn.close()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("root", [ROOT, ROOT / "publishers" / "north-cumbria"], ids=lambda p: p.name)
def test_every_codelist_says_what_it_holds(root):
    """A codelist's description is its only words on the glossary and on its table page:
    "Codelist: places." told a reader nothing the title had not."""
    package = Package(root)
    for res in package.resources:
        if package.is_codelist(res.name):
            words = res.description.strip()
            assert not words.lower().startswith("codelist"), (root.name, res.name, words)
            assert words.rstrip(".").lower() not in res.title.lower(), (root.name, res.name, words)


def test_glossary_lists_of_codes_say_what_each_holds(client):
    page = text_of(client.get("/glossary").text)
    assert "Codelist:" not in page
    assert "The areas that co-production activities and projects cover." in page


@pytest.mark.parametrize(
    "path", ["/register/projects", "/register/projects/PRJ-0002", "/register?sql=select+1+as+one"], ids=str
)
def test_json_is_called_json_on_every_data_page(client, path):
    """The downloads page says JSON; the table, record and query pages said "json"."""
    html = client.get(path).text
    links = re.search(r'<p class="export-links">(.*?)</p>', html, re.S).group(1)
    assert ">JSON</a>" in links and ">json</a>" not in links


def test_the_equality_table_is_named_in_words_not_by_a_code(client, db):
    """The project page's equality table was captioned "Equality impact matrix for
    PRJ-0002": a word the public does not use, and a code where the project has a name."""
    title = db.execute("select title from projects where id = 'PRJ-0002'").fetchone()[0]
    html = unescape(client.get("/projects/PRJ-0002").text)
    caption = re.search(r'<caption id="eia-caption">(.*?)</caption>', html, re.S).group(1)
    assert caption == f"Equality impacts of {title}, for each characteristic"
    assert "matrix" not in caption and "PRJ-0002" not in caption


def test_gate_assurance_offers_its_list_as_data_not_as_a_query(client):
    """Elsewhere the public pages say "as data" (a record, the chosen items); the gate
    assurance table said "all of them, as a query", a database word."""
    html = unescape(client.get("/gate-assurance").text)
    caption = re.search(r'<caption id="gaps-caption">(.*?)</caption>', html, re.S).group(1)
    assert ">all of them as data</a>" in caption and "query" not in text_of(caption)


MEASURE_PATHS = ["/measures"] + [f"/measures/{m.name}" for m in MEASURES]


@pytest.mark.parametrize("path", MEASURE_PATHS, ids=str)
def test_measure_pages_do_not_say_codelist(client, path):
    """ "Codelist" is a word of the data standard; the public pages call them lists of
    codes, and a measure says what it counts without it."""
    page = text_of(client.get(path).text)
    assert "codelist" not in page.lower(), path


def test_the_loop_measure_says_what_closed_means_without_the_standards_words(client):
    page = text_of(client.get("/measures/you_said_we_did").text)
    assert "have closed the loop (their current status is one that closes the loop)" in page


def test_the_home_page_says_what_facets_do_rather_than_their_name(client):
    page = text_of(client.get("/").text)
    assert "facet" not in page.lower()
    assert "count the rows with each value" in page


def test_a_glossary_result_shows_the_meaning_not_its_title_again(client, db):
    """Searching "reimbursement" found the glossary term headed "Reimbursement" with the
    snippet "Reimbursement" under it: the result said nothing of what the word means."""
    meaning = db.execute("select description from glossary where code = 'reimbursement'").fetchone()[0]
    html = client.get("/search", params={"q": "reimbursement"}).text
    result = re.search(r'data-source="glossary" data-key="reimbursement">(.*?)</li>', html, re.S).group(1)
    snippet = text_of(re.search(r'<p class="reg-result__snippet">(.*?)</p>', result, re.S).group(1)).strip()
    assert snippet != "Reimbursement"
    assert snippet.rstrip("…") in meaning and len(snippet) > 40


def test_a_named_section_is_not_called_section_twice(client, db):
    """Citations read "section Appendix 1", "section Table 3 challenges" and, for the
    Healthwatch rule, "section Section 221"; a numbered section keeps the word."""
    page = text_of(client.get("/glossary").text)
    assert "section Table 3 challenges" not in page and ", Table 3 challenges." in page
    assert "section 4.0." in page
    item = db.execute("select id from you_said_we_did where source_section like 'Appendix 1%' limit 1").fetchone()[0]
    page = text_of(client.get(f"/you-said/{item}").text)
    assert "section Appendix" not in page and ", Appendix 1" in page


def test_the_equality_table_heads_its_date_column_as_a_date(client):
    """Beside "Impact: Positive", a column headed "Assessed" reading "Not recorded" seemed
    to say the impact was not assessed; it is the date it was assessed."""
    html = unescape(client.get("/projects/PRJ-0002").text)
    table = html[html.index('<caption id="eia-caption">') :]
    headers = [text_of(h).strip() for h in re.findall(r'<th scope="col">(.*?)</th>', table[: table.index("</thead>")])]
    assert "Date assessed" in headers and "Assessed" not in headers


def test_the_public_pages_give_no_instructions_meant_for_staff(client, package):
    """Every identifier's description ended "Leave blank when adding and one is given",
    shown to the public beside it on the table and record pages: standard 1.2.2 says what
    an identifier is, and the staff tools say how to add one."""
    for res in package.resources:
        for f in res.fields:
            assert "when adding" not in f.description.lower(), f"{res.name}.{f.name}: {f.description}"
    for path in ("/register/projects", "/register/projects/PRJ-0001", "/register/coproduction_log"):
        page = client.get(path)
        assert page.status_code == 200 and "Leave blank" not in page.text
    # The descriptions are shown there: what was removed would have been seen.
    assert "PRJ- followed by at least four digits" in unescape(client.get("/register/projects").text)
