"""`make national` over publishers served by a real HTTP server on loopback.

The server (http.server in a thread, 127.0.0.1 only) serves the repository's real
package(s) and packages made here, all clearly synthetic and only under tmp_path: one
invalid, one on an older minor version of the standard (a field missing), one on an
unsupported major version, one whose codes conflict, one made by the bench generator,
one that changes between two runs and one that breaks in the second run. A last row
points at a port nobody listens on.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
from functools import partial
from html import unescape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import frictionless
import pytest
from conftest import Client, copy_repo

from register.bench.generate import generate
from register.bench.national import write_operator
from register.national.build import main as national_main
from register.national.fetch import fetch
from register.national.namespace import Source, write_package
from register.national.provenance import FETCHES, check, good_copy
from register.national.registry import read
from register.publishing.extracts import extract
from register.schema.package import ROOT, Package
from register.site.serve import datasette_instance

REAL = [("nn_icb", ROOT)] + (
    [("nc_icb", ROOT / "publishers" / "north-cumbria")]
    if (ROOT / "publishers" / "north-cumbria" / "datapackage.json").exists()
    else []
)


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def edit_csv(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        names = list(rows[0].keys())
    names = change(rows) or names
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, names, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def edit_descriptor(root: Path, **changes) -> None:
    d = json.loads((root / "datapackage.json").read_text("utf-8"))
    d.update(changes)
    (root / "datapackage.json").write_text(json.dumps(d), "utf-8")


def synthetic(www: Path, name: str, title: str) -> Path:
    """A copy of the real package, marked synthetic, whose first project has `title`."""
    root = www / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    copy_repo(root)
    edit_descriptor(root, homepage=f"https://{name}.example.org/", title=f"Synthetic test package {name}")

    def retitle(rows):
        rows[0]["title"] = title

    edit_csv(root / "datasets" / "projects.csv", retitle)
    return root


def break_it(root: Path) -> None:
    def bad_gate(rows):
        rows[0]["current_gate"] = "not_a_gate"

    edit_csv(root / "datasets" / "projects.csv", bad_gate)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national")
    www = tmp / "www"
    www.mkdir()
    for code, root in REAL:
        if root == ROOT:
            (www / code).mkdir()
            copy_repo(www / code)
        else:
            shutil.copytree(root, www / code)
    synthetic(www, "invalid", "Synthetic invalid package")
    break_it(www / "invalid")
    older = synthetic(www, "older", "Synthetic package on an older minor version")
    edit_descriptor(older, **{"x-register-standard": "1.0.0"})
    schema = json.loads((older / "schemas" / "projects.json").read_text("utf-8"))
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "lead_role"]
    (older / "schemas" / "projects.json").write_text(json.dumps(schema), "utf-8")

    def drop_lead_role(rows):
        for r in rows:
            r.pop("lead_role")
        return [k for k in rows[0]]

    edit_csv(older / "datasets" / "projects.csv", drop_lead_role)

    def drop_assessed(rows):  # the impacts codelist's own column came in 1.2.0
        for r in rows:
            r.pop("assessed")
        return [k for k in rows[0]]

    edit_csv(older / "datasets" / "codelists" / "impacts.csv", drop_assessed)
    descriptor = json.loads((older / "datapackage.json").read_text("utf-8"))
    for res in descriptor["resources"]:
        if res["name"] == "impacts":
            res["schema"] = "schemas/codelist.json"
    (older / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    (older / "schemas" / "codelists" / "impacts.json").unlink()
    edit_descriptor(synthetic(www, "major", "Synthetic package on version 0"), **{"x-register-standard": "0.9.0"})
    conflict = synthetic(www, "conflict", "Synthetic package with conflicting codes")

    def rename_gate(rows):
        rows[0]["title"] = "Something else entirely"

    edit_csv(conflict / "datasets" / "codelists" / "gates.csv", rename_gate)
    generate(www / "generated", size=60, seed=3)
    undeclared = json.loads((www / "generated" / "datapackage.json").read_text("utf-8"))
    undeclared.pop("x-register-standard", None)  # a package that does not say its version
    (www / "generated" / "datapackage.json").write_text(json.dumps(undeclared), "utf-8")
    synthetic(www, "changing", "Synthetic run one")
    synthetic(www, "breaking", "Synthetic breaking, good in run one")

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with socket.socket() as s:  # a port that refuses: bound, then closed
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    rows = [(code, f"Real publisher {code}", f"{base}/{code}/datapackage.json") for code, _ in REAL]
    rows += [
        (name, f"Synthetic {name}", f"{base}/{name}/datapackage.json")
        for name in ("invalid", "older", "major", "conflict", "generated", "changing", "breaking")
    ]
    rows.append(("unreachable", "Synthetic unreachable", f"http://127.0.0.1:{closed}/datapackage.json"))
    registry = tmp / "registry.csv"
    write_operator(tmp)
    with registry.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "package", "licence", "contact", "update_frequency"])
        for code, name, url in rows:
            w.writerow([code, name, url, "OGL-UK-3.0", "Test team", "P1M"])
    out = tmp / "out"
    argv = ["--registry", str(registry), "--out", str(out), "--timeout", "5"]
    assert national_main(argv) == 0
    first = snapshot(out)
    synthetic(www, "changing", "Synthetic run two")
    break_it(www / "breaking")
    assert national_main(argv) == 0
    yield {"first": first, "out": out}
    server.shutdown()
    server.server_close()


def snapshot(out: Path) -> dict:
    conn = sqlite3.connect(out / "register.db")
    conn.row_factory = sqlite3.Row
    data = {
        "publishers": {r["code"]: dict(r) for r in conn.execute("select * from publishers")},
        "titles": {r["id"]: r["title"] for r in conn.execute("select id, title from projects")},
        "projects": dict(conn.execute("select from_publisher, count(*) from projects group by 1").fetchall()),
        "fetches": conn.execute("select count(*) from publisher_fetches").fetchone()[0],
        "quality": {r["publisher"]: dict(r) for r in conn.execute("select * from publisher_quality")},
    }
    conn.close()
    return data


def test_good_publishers_are_loaded_with_namespaced_ids(world):
    now = snapshot(world["out"])
    for code, _ in REAL:
        assert now["publishers"][code]["status"] == "latest data"
        assert now["projects"][code] > 0
    assert now["titles"]["nn_icb:PRJ-0001"] and now["titles"]["changing:PRJ-0001"] == "Synthetic run two"
    assert now["projects"]["generated"] > 0
    conn = sqlite3.connect(world["out"] / "register.db")
    # foreign keys are rewritten the same way: every log row's project is its publisher's own
    strays = conn.execute(
        "select count(*) from coproduction_log where substr(project_id, 1, length(from_publisher) + 1) "
        "<> from_publisher || ':'"
    ).fetchone()[0]
    url = conn.execute("select publisher_url from projects where id = 'changing:PRJ-0001'").fetchone()[0]
    conn.close()
    assert strays == 0
    assert url == "https://changing.example.org/projects/PRJ-0001"


def test_invalid_unreachable_major_and_conflict_are_not_loaded(world):
    now = snapshot(world["out"])
    reasons = {
        code: now["publishers"][code]["status_reason"] for code in ("invalid", "unreachable", "major", "conflict")
    }
    assert now["publishers"]["invalid"]["status"] == "nothing"
    assert "failed validation" in reasons["invalid"]
    assert "not_a_gate" in now["publishers"]["invalid"]["first_problems"]
    assert "could not be fetched" in reasons["unreachable"]
    assert "0.9.0" in reasons["major"]
    assert "'assess' in gates" in reasons["conflict"]
    for code in reasons:
        assert code not in now["projects"]
        # Nothing shown: neither valid nor fresh, however far its own checks went (a
        # package refused at the merge passed them, and used to score 60).
        assert (now["quality"][code]["valid"], now["quality"][code]["fresh"]) == (0, 0), code
        assert now["publishers"][code]["valid"] == 0, code
        assert now["quality"][code]["score"] < now["quality"]["nn_icb"]["score"], code


def test_older_minor_version_loads_with_the_missing_field_empty(world):
    now = snapshot(world["out"])
    older = now["publishers"]["older"]
    assert (older["status"], older["standard_version"], older["version_declared"]) == ("latest data", "1.0.0", 1)
    assert now["publishers"]["nn_icb"]["version_declared"] in (0, 1)
    conn = sqlite3.connect(world["out"] / "register.db")
    assert conn.execute("select count(lead_role) from projects where from_publisher = 'older'").fetchone()[0] == 0
    # Its impacts codelist has no `assessed` column (1.2.0 added it): every code still says,
    # from the standard's own codelist, whether it is an assessment.
    assert conn.execute("select count(*) from impacts where assessed is null").fetchone()[0] == 0
    conn.close()


def test_second_run_shows_new_data_and_keeps_the_last_good_copy(world):
    first, now = world["first"], snapshot(world["out"])
    assert first["titles"]["changing:PRJ-0001"] == "Synthetic run one"
    assert now["titles"]["changing:PRJ-0001"] == "Synthetic run two"
    assert first["publishers"]["breaking"]["status"] == "latest data"
    breaking = now["publishers"]["breaking"]
    assert breaking["status"] == "last good copy"
    assert "failed validation" in breaking["status_reason"]
    assert breaking["valid"] == 0 and breaking["sha256"] == first["publishers"]["breaking"]["sha256"]
    assert now["titles"]["breaking:PRJ-0001"] == "Synthetic breaking, good in run one"
    assert now["fetches"] == 2 * first["fetches"]


def test_publishers_page_shows_scores_and_why(world):
    client = Client(datasette_instance(world["out"]))
    page = client.get("/publishers")
    assert page.status_code == 200
    text = page.text
    assert "How the score is worked out" in text
    assert "Shown from its last good copy" in text and "failed validation" in text
    assert "version not declared" in text
    assert "could not be fetched" in text
    assert "https://changing.example.org/" in text
    # Where each package is fetched from can be followed: a URL is a link.
    assert re.search(r'<dt>Data package</dt><dd><a href="http://127\.0\.0\.1:\d+/changing/datapackage\.json">', text)
    # Times of fetches are written as every page writes them, not as raw ISO 8601.
    facts = measures_of(text)
    assert len(facts) >= 3
    for code, said in facts.items():
        for label in ("Last fetched", "Data shown last changed"):
            shown = re.sub(r"<[^>]+>", "", said[label])
            assert re.fullmatch(
                r"(\d{1,2} [A-Z][a-z]+ \d{4} at (\d{1,2}(:\d\d)?[ap]m|midday|midnight)|-)(, valid|, not used)?", shown
            ), (
                code,
                label,
                shown,
            )
    assert 'Shown from its last good copy, fetched <time datetime="' in text
    # A month is no fixed number of days: the page says how long the data counts as fresh.
    # The registry's ISO 8601 duration is said in words.
    assert "Promises to update</dt><dd>every month (its data counts as fresh for 31 days after it last changed)" in text
    assert client.get("/register/publishers").status_code == 200
    assert client.get("/projects/changing:PRJ-0001").status_code == 200
    # Each publisher's figures, as its views work them out, beside its score.
    db = sqlite3.connect(f"file:{world['out'] / 'register.db'}?immutable=1", uri=True)
    db.row_factory = sqlite3.Row
    figures = db.execute("select * from publisher_figures").fetchall()
    scores = {r["publisher"]: r["score"] for r in db.execute("select publisher, score from publisher_quality")}
    db.close()
    assert figures and set(scores) == {f["publisher"] for f in figures}
    for f in figures:
        said = f"{f['you_said']}: {f['loop_closed']} with the loop closed, {f['overdue']} overdue"
        assert said in unescape(text), (f["publisher"], said)
        people = (
            f"{f['lived_experience_people']} people with lived experience"
            if f["activities_lived_experience_recorded"]
            else "the number of people with lived experience not recorded"
        )
        if f["activities"]:
            assert f"{f['activities']}, with {people}" in " ".join(text.split()), f["publisher"]


def measures_of(text: str) -> dict[str, dict[str, str]]:
    """publisher -> measure -> its words, from the publishers page."""
    out = {}
    for section in re.split(r'<section aria-labelledby="', text)[1:]:
        code = section.split('"', 1)[0]
        found = re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", section, re.S)
        out[code] = {dt: " ".join(unescape(dd).split()) for dt, dd in found}
    return out


def test_publishers_page_says_not_recorded_and_not_assessed_not_zero(world):
    """Counts nobody recorded are "not recorded", never 0; a pair recorded as not assessed
    is counted apart from the pairs assessed."""
    measures = measures_of(Client(datasette_instance(world["out"])).get("/publishers").text)
    db = sqlite3.connect(f"file:{world['out'] / 'register.db'}?immutable=1", uri=True)
    figures = {r[0]: r[1:] for r in db.execute("select publisher, projects, activities from publisher_figures")}
    unrecorded = dict(
        db.execute(
            "select from_publisher, count(*) - count(lived_experience_count) from coproduction_log group by 1"
        ).fetchall()
    )
    pairs = {
        code: (assessed, not_assessed)
        for code, assessed, not_assessed in db.execute(
            "select substr(project_id, 1, instr(project_id, ':') - 1), sum(impact <> 'not_assessed'), "
            "sum(impact = 'not_assessed') from equality_impacts group by 1"
        )
    }
    no_group = [
        r[0] for r in db.execute("select from_publisher from projects group by 1 having count(via_strategic_group) = 0")
    ]
    db.close()
    shown = [
        code for code, (projects, activities) in figures.items() if activities and unrecorded.get(code) == activities
    ]
    assert shown, "no publisher with activities whose people are all unrecorded"
    for code in shown:
        assert "the number of people with lived experience not recorded" in measures[code]["Co-production activities"]
        assert "with 0 people" not in measures[code]["Co-production activities"]
    assert no_group
    for code in no_group:
        assert "Strategic Co-production Group is not recorded" in measures[code]["Projects"], code
    assert any(n for _, n in pairs.values()), "no pair recorded as not assessed"
    for code, (assessed, not_assessed) in pairs.items():
        words = measures[code]["Equality impacts"]
        assert words.startswith(f"{assessed} of "), (code, words)
        assert (f", {not_assessed} recorded as not assessed" in words) == bool(not_assessed), (code, words)


def test_single_register_has_no_publishers_page(client):
    assert client.get("/publishers").status_code == 404


def test_the_national_home_page_says_what_it_gathers_not_one_icbs_promise(world, client):
    """The national register has no strategy and made no promise of its own: its home page
    said "<its name> promised that ... it will publish", and the 2024 listening events of
    one ICB. It says what it brings together, how many publishers, and links to them."""
    national = Client(datasette_instance(world["out"]))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", unescape(national.get("/").text)))
    db = sqlite3.connect(f"file:{world['out'] / 'register.db'}?immutable=1", uri=True)
    count = db.execute("select count(*) from publishers where status <> 'nothing'").fetchone()[0]
    db.close()
    assert f"This national register brings together the registers of {count} publishers" in text
    assert "promised that" not in text and "listening events" not in text
    assert 'href="/publishers"' in national.get("/").text
    # A single ICB's register keeps its own promise, in its own words.
    single = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", unescape(client.get("/").text)))
    assert "promised that" in single and "national register" not in single


def test_a_namespaced_records_page_answers_however_its_colon_is_written(world):
    """The site links `changing:PRJ-0001` as it is; Datasette writes it `changing~3APRJ-0001`,
    and a browser or another site may percent-encode it (`changing%3APRJ-0001`): all three
    are the same project's page, item's page and item's feed."""
    client = Client(datasette_instance(world["out"]))
    db = sqlite3.connect(f"file:{world['out'] / 'register.db'}?immutable=1", uri=True)
    item = db.execute("select id from you_said_we_did where id like 'changing:%' limit 1").fetchone()[0]
    db.close()
    for page, record in (
        ("/projects/{}", "changing:PRJ-0001"),
        ("/you-said/{}", item),
        ("/feeds/you-said/{}.atom", item),
    ):
        written = [record, record.replace(":", "~3A"), record.replace(":", "%3A")]
        answers = [client.get(page.format(w)) for w in written]
        assert [a.status_code for a in answers] == [200, 200, 200], (page, written)
        assert record in answers[0].text
        assert answers[1].text == answers[0].text == answers[2].text, page


def test_publishers_checked_and_merged_in_parallel_give_what_one_at_a_time_gives(world, tmp_path):
    """The build checks and merges publishers in one process per core; the fetch log and
    the merged package are the same, byte for byte, as one process writes them."""
    state, registry = world["out"] / "state", world["out"].parent / "registry.csv"
    order = [p.code for p in read(registry)]
    logged = [json.loads(line)["publisher"] for line in (state / FETCHES).read_text("utf-8").splitlines()]
    assert logged == order + order  # two runs, each in registry order whatever finished first

    standard = Package(ROOT)
    sources = [
        Source(code, Package(good[0]), f"https://{code}.example.org/")
        for code in order
        if (good := good_copy(state, code))
    ]
    assert len(sources) >= 5
    written = {}
    for workers in (1, 2):
        out = tmp_path / f"workers-{workers}"
        merged = write_package(standard, sources, out, [], {"name": "national"}, workers=workers)
        files = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        written[workers] = (files, merged.rows, merged.ranges, merged.refused)
    assert written[1] == written[2]
    files, rows, ranges, refused = written[2]
    assert "conflict" in refused and "conflict" not in rows
    assert not [p for p in files if p.name.startswith(".parts-") or p.parts[0].startswith(".parts-")]
    # Each publisher's rows are where the ranges say: a build problem names its publisher.
    log = list(csv.reader(io.StringIO(files[Path("datasets/coproduction_log.csv")].decode("utf-8"))))
    publisher_column = log[0].index("from_publisher")
    for first, last, code in ranges["coproduction_log"]:
        assert {row[publisher_column] for row in log[first - 1 : last]} == {code}
        assert last - first + 1 == rows[code]["coproduction_log"]
    assert ranges["coproduction_log"][-1][1] == len(log)


def test_each_publishers_overdue_count_is_what_the_current_view_calls_overdue(world):
    """The publishers page adds up stored counts of open items by due date; the rule of
    what is overdue is you_said_we_did_current's, and the two must give the same counts."""
    db = sqlite3.connect(f"file:{world['out'] / 'register.db'}?immutable=1", uri=True)
    figures = dict(db.execute("select publisher, overdue from publisher_figures").fetchall())
    counted = dict(
        db.execute(
            "select substr(id, 1, instr(id, ':') - 1), sum(overdue) from you_said_we_did_current group by 1"
        ).fetchall()
    )
    db.close()
    assert sum(figures.values()) > 0
    assert {p: n for p, n in figures.items() if n} == {p: n for p, n in counted.items() if n}


NUMBERS = ("one", "two", "three")


def built(tmp_path: Path, publishers: list[tuple[str, Path, str]]) -> Path:
    """`make national` over a registry of (code, package, licence), with the operator's
    publisher.yml already beside it; the output folder."""
    registry = tmp_path / "registry.csv"
    lines = [
        f"{code},Synthetic {NUMBERS[i]},{path},{licence},Test team,P1M\n"
        for i, (code, path, licence) in enumerate(publishers)
    ]
    registry.write_text("code,name,package,licence,contact,update_frequency\n" + "".join(lines), "utf-8")
    out = tmp_path / "out"
    assert national_main(["--registry", str(registry), "--out", str(out)]) == 0
    return out


def append_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_a_publishers_verdicts_and_corrections_reach_the_national_register(tmp_path):
    """Partners' verdicts and corrections are a publisher's own records: prefixed like the
    others (a correction's record too, and its values when the field corrected is a key),
    never merged as codelists."""
    pub = tmp_path / "www" / "nn_icb"
    pub.mkdir(parents=True)
    copy_repo(pub)
    append_rows(
        pub / "datasets" / "partner_verdicts.csv",
        [
            [
                "VER-0001",
                "UPD-0001",
                "",
                "my_life_choices",
                "agrees",
                "We saw it.",
                "2025-10-01",
                "nn_icb_strategy_2025",
                "4.0",
            ]
        ],
    )
    append_rows(
        pub / "datasets" / "corrections.csv",
        [
            [
                "COR-0001",
                "projects",
                "PRJ-0001",
                "lead_role",
                "Project Lead",
                "Project Manager",
                "2025-10-02",
                "A typo.",
            ],
            [
                "COR-0002",
                "coproduction_log",
                "LOG-0001",
                "source",
                "case_study_default",
                "listening_event_beeston",
                "2025-10-03",
                "The notes of the event are its source.",
            ],
        ],
    )
    write_operator(tmp_path)
    out = built(
        tmp_path, [("nn_icb", pub, "OGL-UK-3.0"), ("nc_icb", ROOT / "publishers" / "north-cumbria", "OGL-UK-3.0")]
    )
    db = sqlite3.connect(out / "register.db")
    verdicts = db.execute("select id, update_id, partner, source, from_publisher from partner_verdicts").fetchall()
    corrections = db.execute("select id, resource, record_id, old_value, new_value from corrections").fetchall()
    shown = db.execute("select code, status from publishers").fetchall()
    db.close()
    assert verdicts == [
        ("nn_icb:VER-0001", "nn_icb:UPD-0001", "my_life_choices", "nn_icb:nn_icb_strategy_2025", "nn_icb")
    ]
    assert corrections == [
        ("nn_icb:COR-0001", "projects", "nn_icb:PRJ-0001", "Project Lead", "Project Manager"),
        (
            "nn_icb:COR-0002",
            "coproduction_log",
            "nn_icb:LOG-0001",
            "nn_icb:case_study_default",
            "nn_icb:listening_event_beeston",
        ),
    ]
    assert sorted(shown) == [("nc_icb", "latest data"), ("nn_icb", "latest data")]


def test_two_registry_rows_pointing_at_one_package_do_not_show_its_records_twice(tmp_path, capsys):
    """A registry row copied and left with the first publisher's package address showed
    North Cumbria's projects a second time as "other"'s, and every national count took them
    twice. The second is refused, saying why; the first is shown as before."""
    cumbria = ROOT / "publishers" / "north-cumbria"
    write_operator(tmp_path)
    out = built(tmp_path, [("nc_icb", cumbria, "OGL-UK-3.0"), ("other", cumbria, "OGL-UK-3.0")])
    db = sqlite3.connect(out / "register.db")
    shown = dict(db.execute("select code, status from publishers").fetchall())
    why = db.execute("select status_reason from publishers where code = 'other'").fetchone()[0]
    projects = db.execute("select from_publisher, count(*) from projects group by 1").fetchall()
    db.close()
    said = capsys.readouterr().out
    assert "other: valid, shown: this fetch\n" in said  # what its fetch alone would show, then:
    assert "other: not shown after all, refused: its data package is nc_icb's" in said
    assert shown == {"nc_icb": "latest data", "other": "nothing"}
    assert why == (
        "refused: its data package is nc_icb's, file for file (the same SHA-256), so its records would be shown "
        "twice: check the package address of its row in the registry"
    )
    with (cumbria / "datasets" / "projects.csv").open(newline="", encoding="utf-8") as f:
        assert projects == [("nc_icb", len(list(csv.DictReader(f))))]


def test_make_national_writes_the_downloads_and_report_of_what_it_merged(tmp_path):
    """`make national` then `make serve-national`, as docs/national.md shows them, served a
    /downloads page of "not made yet" and a home page linking to a report that was not
    there (or, after an earlier run, downloads of the earlier merge): they are written by
    `make national` itself, from what it merged."""

    write_operator(tmp_path)
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "code,name,package,licence,contact,update_frequency\n"
        f"nc_icb,Synthetic one,{ROOT / 'publishers' / 'north-cumbria'},OGL-UK-3.0,Test team,P1M\n",
        "utf-8",
    )
    out = tmp_path / "national"
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "national", f"REGISTRY={registry}", f"NATIONAL={out}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    db = sqlite3.connect(out / "register.db")
    projects = db.execute("select count(*) from projects").fetchone()[0]
    db.close()
    with (out / "extracts" / "projects.csv").open(newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == projects > 0
    assert (out / "extracts" / "SHA256SUMS").is_file()
    assert (out / "reports" / "impact_report.html").is_file()


def test_files_saved_by_excel_with_a_byte_order_mark_merge_as_any_other(tmp_path):
    """Excel's "CSV UTF-8" starts a file with a BOM; make validate accepts it, and so must
    the merge: the first column is still `id` (or `code`), not a required field left empty."""
    saved = tmp_path / "saved"
    saved.mkdir()
    copy_repo(saved)
    for rel in ("datasets/projects.csv", "datasets/coproduction_log.csv", "datasets/codelists/places.csv"):
        path = saved / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    sources = [Source("saved", Package(saved), "https://saved.example.org/")]
    merged = write_package(Package(ROOT), sources, tmp_path / "out", [], {"name": "national"}, workers=1)
    assert not merged.refused
    with (tmp_path / "out" / "datasets" / "projects.csv").open(newline="", encoding="utf-8") as f:
        ids = [r["id"] for r in csv.DictReader(f)]
    assert ids and all(i.startswith("saved:PRJ-") for i in ids)
    with (tmp_path / "out" / "datasets" / "codelists" / "places.csv").open(newline="", encoding="utf-8") as f:
        assert all(r["code"] for r in csv.DictReader(f))
    with (tmp_path / "out" / "datasets" / "coproduction_log.csv").open(newline="", encoding="utf-8") as f:
        assert all(r["id"].startswith("saved:LOG-") and r["project_id"] in ids for r in csv.DictReader(f))


def test_a_publisher_that_cannot_be_merged_is_refused_alone(tmp_path):
    """A file the merge cannot read refuses its publisher, in words; the others are merged."""
    broken = tmp_path / "broken"
    broken.mkdir()
    copy_repo(broken)
    (broken / "datasets" / "partner_verdicts.csv").write_bytes(b"id,update_id\n\xff\xfe not text\n")
    sources = [
        Source("nn_icb", Package(ROOT), "https://nn.example.org/"),
        Source("broken", Package(broken), "https://broken.example.org/"),
    ]
    merged = write_package(Package(ROOT), sources, tmp_path / "out", [], {"name": "national"}, workers=1)
    assert set(merged.refused) == {"broken"}
    assert merged.refused["broken"] == "refused: its partner_verdicts could not be merged (it is not UTF-8 text)"
    assert merged.rows["nn_icb"]["projects"] > 0 and "broken" not in merged.rows


def test_a_code_that_means_something_else_is_refused_naming_the_file_row_and_column(tmp_path):
    """Two publishers' organisations share a code but not its kind: the second was refused
    as "its code ... means 'Healthwatch Cumbria' where another publisher's means
    'Healthwatch Cumbria'", the same words on both sides. It now names its file, its row,
    the column that differs and the publisher whose code it is."""
    other = tmp_path / "other"
    other.mkdir()
    copy_repo(other)
    path = other / "datasets" / "codelists" / "organisations.csv"
    first = next(csv.DictReader(path.open(newline="", encoding="utf-8")))

    def change_kind(rows):
        rows[0]["kind"] = "healthwatch" if rows[0]["kind"] != "healthwatch" else "icb"

    edit_csv(path, change_kind)
    changed = next(csv.DictReader(path.open(newline="", encoding="utf-8")))["kind"]
    sources = [
        Source("nn_icb", Package(ROOT), "https://nn.example.org/"),
        Source("other", Package(other), "https://other.example.org/"),
    ]
    merged = write_package(Package(ROOT), sources, tmp_path / "out", [], {"name": "national"}, workers=1)
    assert merged.refused == {
        "other": f"refused: its code {first['code']!r} in organisations (datasets/codelists/organisations.csv, "
        f"row 2) has kind {changed!r} where nn_icb's has {first['kind']!r}: a code means one thing in every "
        "register, so give it a code of its own, or make it agree"
    }


def test_the_national_register_has_downloads_like_a_publishers(world, tmp_path):
    """`register.publishing.extracts` on the national build (docs/national.md): a valid data
    package of every table and the current view, each row as in the database, with the
    standard the records follow."""
    out = world["out"]
    summary = extract(Package(out / "package"), out / "register.db", tmp_path / "extracts")
    folder = tmp_path / "extracts"
    report = frictionless.Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    conn = sqlite3.connect(out / "register.db")
    for table in ("publishers", "projects", "you_said_we_did_current"):
        assert summary["rows"][table] == conn.execute(f"select count(*) from {table}").fetchone()[0] > 0, table
    conn.close()
    for rel in json.loads((ROOT / "schemas" / "standard.json").read_text("utf-8"))["schemas"]:
        assert (folder / "standard" / rel).read_bytes() == (ROOT / "schemas" / rel).read_bytes(), rel


def test_a_copy_kept_under_older_checks_is_checked_again(tmp_path):
    """A publisher's copy kept before the checks changed (its good.json says nothing of the
    checks it passed) is checked again though its data did not change, and no longer shown
    once it fails them."""
    tampered = tmp_path / "www" / "tampered"
    tampered.mkdir(parents=True)
    copy_repo(tampered)
    schema = json.loads((tampered / "schemas" / "projects.json").read_text("utf-8"))
    schema["description"] = "Changed by the publisher."
    (tampered / "schemas" / "projects.json").write_text(json.dumps(schema), "utf-8")
    out = tmp_path / "out"
    state = out / "state"
    kept = state / "tampered"
    kept.mkdir(parents=True)
    sha, size = fetch(str(tampered / "datapackage.json"), kept / "good")
    version = Package(ROOT).descriptor["x-register-standard"]
    (kept / "good.json").write_text(
        json.dumps(
            {
                "url": str(tampered / "datapackage.json"),
                "sha256": sha,
                "bytes": size,
                "standard_version": version,
                "version_declared": True,
                "fetched_at": "2026-01-01T00:00:00Z",
                "first_seen": "2026-01-01T00:00:00Z",
            }
        ),
        "utf-8",
    )
    write_operator(tmp_path)
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "code,name,package,licence,contact,update_frequency\n"
        f"nn_icb,Real publisher,{ROOT},OGL-UK-3.0,Test team,P1M\n"
        f"tampered,Synthetic tampered,{tampered},OGL-UK-3.0,Test team,P1M\n",
        "utf-8",
    )
    assert national_main(["--registry", str(registry), "--out", str(out)]) == 0
    conn = sqlite3.connect(out / "register.db")
    status, reason = conn.execute("select status, status_reason from publishers where code = 'tampered'").fetchone()
    shown = conn.execute("select count(*) from projects where from_publisher = 'tampered'").fetchone()[0]
    conn.close()
    assert status == "nothing" and shown == 0
    assert "schemas/projects.json: is not the " in reason
    assert good_copy(state, "tampered") is None


def test_no_publisher_to_show_is_said_plainly_and_builds_nothing(tmp_path):
    """A first run in which no publisher can be shown (here the only one cannot be reached)
    says so, with each publisher's reason, instead of failing inside the build."""
    with socket.socket() as s:  # a port that refuses: bound, then closed
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    write_operator(tmp_path)
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "code,name,package,licence,contact,update_frequency\n"
        f"gone,Synthetic unreachable,http://127.0.0.1:{closed}/datapackage.json,OGL-UK-3.0,Test team,P1M\n",
        "utf-8",
    )
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stopped:
        national_main(["--registry", str(registry), "--out", str(out), "--timeout", "2"])
    said = str(stopped.value.code)
    assert said.startswith("The national register was not built: no publisher has data that can be shown")
    assert "gone: could not be fetched" in said
    assert not (out / "register.db").exists()


def test_a_package_held_to_the_standard_as_make_validate_holds_it(tmp_path):
    """The national checks are make validate's: a package on the standard's own version
    whose schema is not the standard's, or that says it follows a version newer than this
    register knows, is refused in words, and its records are not loaded."""
    version = Package(ROOT).descriptor["x-register-standard"]
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    copy_repo(tampered)
    schema = json.loads((tampered / "schemas" / "projects.json").read_text("utf-8"))
    for f in schema["fields"]:
        if f["name"] == "lead_role":
            f["name"] = "lead_person"
    (tampered / "schemas" / "projects.json").write_text(json.dumps(schema), "utf-8")

    def rename(rows):
        for r in rows:
            r["lead_person"] = r.pop("lead_role")
        return list(rows[0])

    edit_csv(tampered / "datasets" / "projects.csv", rename)
    problems = check(tampered, version)
    assert problems and problems[0].startswith("schemas/projects.json: is not the ")
    assert "the standard's file unchanged" in problems[0]

    newer = tmp_path / "newer"
    newer.mkdir()
    copy_repo(newer)
    major, minor, _ = (int(n) for n in version.split("."))
    edit_descriptor(newer, **{"x-register-standard": f"{major}.{minor + 1}.0"})
    assert "newer than this validator knows" in check(newer, version)[0]
    assert check(ROOT, version) == []

    # A package that leaves out a codelist its records take codes from is refused in
    # those words, not as "cannot be checked (ValueError: circular foreign keys ...)".
    short = tmp_path / "short"
    short.mkdir()
    copy_repo(short)
    resources = [r for r in Package(short).descriptor["resources"] if r["name"] != "gates"]
    edit_descriptor(short, resources=resources)
    (short / "datasets" / "codelists" / "gates.csv").unlink()
    assert [p.split(":")[0] for p in check(short, version)] == ["datapackage.json has no resource gates"]


OPERATOR = """\
# SYNTHETIC, for this test only.
code: synthetic_national
name: Synthetic Health Data Service (test data)
short_name: Synthetic national
area: England (synthetic)
homepage: https://national.example.org/
licence_holder: Synthetic test data
team: Synthetic register team
about: >-
  A synthetic national register for a test.
contributors:
  - Synthetic advisory group
"""


def test_the_national_package_says_who_runs_it_and_whose_licence_applies(tmp_path):
    """Title, description, homepage, publisher and contributors come from the publisher.yml
    beside the registry; the licences are the publishers' own, each publisher's named in the
    publishers table, and a registry that records another licence is said so."""
    other = tmp_path / "other"
    shutil.copytree(ROOT / "publishers" / "north-cumbria", other)
    cc_by = {
        "name": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
    }
    edit_descriptor(other, licenses=[cc_by])
    (tmp_path / "publisher.yml").write_text(OPERATOR, "utf-8")
    out = built(tmp_path, [("nn_icb", ROOT, "OGL-UK-3.0"), ("other", other, "CC-BY-SA-4.0")])
    d = json.loads((out / "package" / "datapackage.json").read_text("utf-8"))
    assert d["title"] == "Co-production Register: Synthetic national"
    assert d["description"].endswith("Published by Synthetic Health Data Service (test data).")
    assert (d["homepage"], d["publisher"]) == (
        "https://national.example.org/",
        "Synthetic Health Data Service (test data)",
    )
    assert [c["title"] for c in d["contributors"]] == [
        "Synthetic register team",
        "Synthetic advisory group",
        "Synthetic one",
        "Synthetic two",
    ]
    assert [lic["name"] for lic in d["licenses"]] == ["OGL-UK-3.0", "CC-BY-4.0"]
    assert d["sources"] and len({s["title"] for s in d["sources"]}) == len(d["sources"])
    # A source published online keeps its address, as in each publisher's own package.
    assert {s["title"]: s.get("path") for s in d["sources"]}["Consultation Principles 2018"].startswith("https://")
    db = sqlite3.connect(out / "register.db")
    rows = {r[0]: r[1:] for r in db.execute("select code, licence, package_licence, licence_note from publishers")}
    db.close()
    assert rows["nn_icb"] == ("OGL-UK-3.0", "OGL-UK-3.0", None)
    assert rows["other"][:2] == ("CC-BY-SA-4.0", "CC-BY-4.0")
    assert "the registry records CC-BY-SA-4.0, but its data package names CC-BY-4.0" in rows["other"][2]
    site = json.loads((out / "metadata.json").read_text("utf-8"))
    assert (
        site["title"] == d["title"]
        and "Open Government Licence" in site["license"]
        and "Attribution" in site["license"]
    )
    national = Client(datasette_instance(out))
    page = unescape(national.get("/publishers").text)
    assert "the registry records CC-BY-SA-4.0, but its data package names CC-BY-4.0" in page
    # A package given as a path on disk is said to be one, not shown as if it were an address.
    assert f"<code>{ROOT}</code> (a file on the machine that built this register)" in page
    footer = unescape(national.get("/").text.split('<footer class="site-footer"', 1)[1])
    assert (
        "available under\n    each publisher's own licence: the Open Government Licence v3.0 or the "
        "Creative Commons Attribution 4.0,\n    except where otherwise stated" in footer
    )


def test_a_records_public_page_credits_its_publisher_and_links_its_own_register(tmp_path, client):
    """On the national register a project's page and a "You said" item's page said nothing
    of whose record it was: only the raw record page did. They name the publisher (linked
    to it on the publishers page) and link the record on its publisher's own register. A
    publisher's own register, which speaks for itself, says nothing of the kind."""
    write_operator(tmp_path)
    out = built(tmp_path, [("nn_icb", ROOT, "OGL-UK-3.0")])
    national = Client(datasette_instance(out))
    db = sqlite3.connect(f"file:{out / 'register.db'}?immutable=1", uri=True)
    pages = [
        ("/projects/{}", "this project", *db.execute("select id, publisher_url from projects limit 1").fetchone()),
        ("/you-said/{}", "this item", *db.execute("select id, publisher_url from you_said_we_did limit 1").fetchone()),
    ]
    db.close()
    for page, what, record, url in pages:
        html = national.get(page.format(record)).text
        # Labelled by the field's title, as the record's table and download call it.
        assert '<dt>From publisher</dt><dd><a href="/publishers#nn_icb">Synthetic one</a>' in html, page
        assert f'<a href="{url}">{what} on its own register</a>' in html, page
        assert url.startswith("https://coproduction-register.fly.dev/"), url
    assert "From publisher" not in client.get("/projects/PRJ-0001").text
    assert "From publisher" not in client.get("/you-said/YS-0001").text


def test_the_you_said_lists_example_project_id_is_one_the_register_has(tmp_path, client):
    """The list's project filter said "For example PRJ-0002" on the national register too,
    where ids carry their publisher's prefix and PRJ-0002 alone is "no project with the ID"."""
    write_operator(tmp_path)
    national = Client(datasette_instance(built(tmp_path, [("nn_icb", ROOT, "OGL-UK-3.0")])))
    hint = re.compile(r'id="f-project-hint">For example (\S+)\. Leave empty')
    example = hint.search(national.get("/you-said").text).group(1)
    assert example == "nn_icb:PRJ-0001"
    assert national.get(f"/you-said?project={example}").status_code == 200
    assert hint.search(client.get("/you-said").text).group(1) == "PRJ-0001"


def test_the_bench_times_every_filter_the_publishers_page_links_to(world, monkeypatch):
    # "Every page type and filter the site links to" within 100 ms (docs/performance.md):
    # the publishers page's links to each publisher's projects and fetches were never timed.
    from register.bench import pages as bench_pages

    monkeypatch.setattr(bench_pages, "get", lambda *args, **kwargs: (404, {}, b""))
    timed = {
        (m.group(1), m.group(2))
        for _, path in bench_pages.public_pages(0, world["out"] / "register.db")
        for m in [re.match(r"/register/(\w+)\?(\w+)=", path)]
        if m
    }
    page = Client(datasette_instance(world["out"])).get("/publishers").text
    linked = set(re.findall(r'href="/register/(\w+)\?(\w+)=', unescape(page)))
    assert {("projects", "from_publisher"), ("publisher_fetches", "publisher")} <= linked
    assert linked <= timed, f"linked from /publishers but not timed by the bench: {sorted(linked - timed)}"


def test_the_bench_times_every_page_type_the_national_register_links_to(world, monkeypatch):
    # The national register links pages a publisher's own does not (/publishers, each
    # publisher's records, fetches and scores): crawled as test_bench_covers_site.py
    # crawls the sample register.
    from test_bench_covers_site import assert_bench_covers

    ds = datasette_instance(world["out"])
    assert "/publishers" in Client(ds).get("/").text
    assert_bench_covers(ds, world["out"] / "register.db", monkeypatch)
