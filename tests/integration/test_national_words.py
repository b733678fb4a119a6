"""What the national register's pages, downloads and report say when its publishers are
several, and some of them have nothing shown: one that is shown (North Cumbria's real
package), one whose package fails validation and one that cannot be fetched."""

from __future__ import annotations

import re
import shutil
import socket
from html import unescape
from pathlib import Path

import pytest

from register.bench.national import write_operator
from register.national.build import main as national_main
from register.publishing import report
from register.publishing.extracts import extract
from register.schema.package import ROOT, Package
from register.site.serve import datasette_instance
from tests.conftest import Client, rewrite_dataset

CUMBRIA = ROOT / "publishers" / "north-cumbria"


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", unescape(html)))


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("national-words")
    write_operator(tmp)
    invalid = tmp / "invalid"
    shutil.copytree(CUMBRIA, invalid, symlinks=False)
    rewrite_dataset(invalid, "projects", lambda rows: [{**rows[0], "current_gate": "not_a_gate"}, *rows[1:]])
    with socket.socket() as s:  # a port that refuses: bound, then closed
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    (tmp / "registry.csv").write_text(
        "code,name,package,licence,contact,update_frequency\n"
        f"nc_icb,Synthetic shown,{CUMBRIA},OGL-UK-3.0,Test team,P1M\n"
        f"bad_icb,Synthetic invalid,{invalid},OGL-UK-3.0,Test team,P1M\n"
        f"gone_icb,Synthetic unreachable,http://127.0.0.1:{closed}/datapackage.json,OGL-UK-3.0,Test team,P1M\n",
        "utf-8",
    )
    out = tmp / "out"
    assert national_main(["--registry", str(tmp / "registry.csv"), "--out", str(out), "--timeout", "5"]) == 0
    extract(Package(out / "package"), out / "register.db", out / "extracts")
    return out


@pytest.fixture(scope="module")
def site(national) -> Client:
    return Client(datasette_instance(national))


def test_the_downloads_page_names_no_empty_version(site):
    """The national data package has no version of its own (docs/national.md): the
    downloads page said the files were made "(version )"."""
    text = words(site.get("/downloads").text)
    assert "These files were made on" in text
    assert "(version )" not in text and "version )" not in text


def test_publishers_with_nothing_shown_are_not_counted_as_brought_together(site):
    """The home page and the publishers page said the register "brings together the
    registers of 3 publishers" when two of them had none of their data shown."""
    home = words(site.get("/").text)
    assert "brings together the registers of 1 publisher," in home
    assert "2 more publishers are listed, with none of their data shown." in home
    assert "and why any is not shown." in home
    listing = words(site.get("/publishers").text)
    assert "brings together the registers of 1 publisher, and lists 2 more with none of their data shown." in listing
    assert "registers of 3 publishers" not in home + listing


def test_a_publisher_with_nothing_shown_is_not_said_to_give_no_register(site):
    """A publisher none of whose data is shown has no address of its register here; the
    page said its register was "not given in its data package", which is untrue of a
    package that gives one but fails validation, and unknown of one never fetched."""
    text = site.get("/publishers").text
    for code in ("bad_icb", "gone_icb"):
        section = words(text.split(f'<section aria-labelledby="{code}">', 1)[1].split("</section>", 1)[0])
        assert "Its own register not known: none of its data is shown" in section, code
        assert "not given in its data package" not in section, code
    shown = words(text.split('<section aria-labelledby="nc_icb">', 1)[1].split("</section>", 1)[0])
    assert "Its own register https://north-cumbria-coproduction-register.fly.dev/" in shown


def test_a_single_problem_is_said_once(site):
    """A package that failed validation with one problem had it said twice, word for word:
    in the reason ("... with 1 problem, the first: ...") and again as "The first problems
    found"."""
    text = site.get("/publishers").text
    section = words(text.split('<section aria-labelledby="bad_icb">', 1)[1].split("</section>", 1)[0])
    assert "failed validation with 1 problem, the first: datasets/projects.csv, row 2" in section
    assert section.count("'not_a_gate' is not a code in gates") == 1


def test_the_national_impact_report_makes_no_promise_of_its_own(national):
    """The national register's impact report opened: "The publisher of this register ...
    promised, in its co-production strategy, to measure the impact", of a register that has
    no strategy and promised nothing; and said "The ICB does not mark its own homework" of
    many publishers. It says what it brings together, as the home page does."""
    assert (
        report.main(
            [
                "--root",
                str(national / "package"),
                "--db",
                str(national / "register.db"),
                "--out",
                str(national / "reports"),
            ]
        )
        == 0
    )
    text = words((national / "reports" / "impact_report.html").read_text("utf-8"))
    assert "This national register brings together the registers of 1 publisher that publish" in text
    assert "promised" not in text
    assert "The ICB" not in text
    assert "Published by Synthetic national register (test data)." in text


def test_searching_for_a_publishers_name_finds_it(site):
    """On the national register a search for a word of a publisher's name ("Nottingham",
    "Cumbria"; here "Synthetic") answered "The register could not search for that": the
    publishers table was indexed for search on a description it does not have."""
    page = site.get("/search?q=Synthetic")
    assert page.status_code == 200
    text = words(page.text)
    assert "could not search" not in text
    assert "Synthetic shown" in text and "Synthetic unreachable" in text
    assert "could not search" not in words(site.get("/search?q=Cumbria").text)
    assert site.get("/register/publishers?_search=Synthetic").status_code == 200


def test_only_a_publisher_with_projects_links_its_projects(site):
    """A publisher none of whose data is shown had a link to "its projects": an empty table."""
    text = site.get("/publishers").text
    section = {
        c: text.split(f'<section aria-labelledby="{c}">', 1)[1].split("</section>", 1)[0]
        for c in ("nc_icb", "gone_icb")
    }
    assert "?from_publisher=nc_icb" in section["nc_icb"] and "its projects" in words(section["nc_icb"])
    assert "from_publisher=" not in section["gone_icb"] and "its projects" not in words(section["gone_icb"])


def test_an_identifier_typed_without_its_publisher_finds_the_record(site):
    """A person copying PRJ-0011 from North Cumbria's own register found nothing on the
    national one, where every identifier carries its publisher's prefix (nc_icb:PRJ-0011)."""
    for typed in ("PRJ-0011", "prj-0011"):
        page = site.get(f"/search?q={typed}")
        assert page.status_code == 200
        assert "/projects/nc_icb:PRJ-0011" in page.text, typed


@pytest.mark.parametrize(
    "path, status",
    [
        ("/projects/PRJ-0011", 404),
        ("/projects/prj-0011", 404),
        ("/you-said?project=PRJ-0011", 400),
        ("/feeds/you-said.atom?project=PRJ-0011", 404),
    ],
)
def test_an_identifier_without_its_publisher_is_not_said_to_be_missing(site, path, status):
    """/projects/PRJ-0011 said "There is no project with the ID 'PRJ-0011' in the
    register", which has it as nc_icb:PRJ-0011: the page now says where it is."""
    response = site.get(path)
    assert response.status_code == status, (path, response.status_code)
    text = words(response.text)
    assert "Here every ID starts with its publisher's code: nc_icb:PRJ-0011" in text, path
    if path.startswith("/projects/"):
        assert "nc_icb:PRJ-0011 is at /projects/nc_icb~3APRJ-0011." in text
    assert "Here every ID" not in words(site.get("/projects/PRJ-9999").text)


def test_the_not_overdue_score_says_it_counts_every_due_date(site, build_dir):
    """The score's "Not overdue" part counts the items past their due date, which the
    response rule gives when staff set none (you_said_we_did_current's overdue, as each
    publisher's own register counts them); the publishers page said "past their target
    date", the date staff set, which none of the sample register's overdue items has."""
    import sqlite3

    with sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True) as db:
        overdue, without_target = db.execute(
            "select sum(overdue), sum(overdue and target_date is null) from you_said_we_did_current"
        ).fetchone()
    assert overdue and without_target == overdue
    text = words(site.get("/publishers").text)
    assert "past their target date" not in text
    assert 'share of "You said" items past their due date with the loop still open, the due date being' in text
