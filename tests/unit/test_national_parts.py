"""The national register's pieces on their own: registry, fetch limits, namespacing, merging."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import sqlite3

import pytest

from register.national import build, fetch, namespace, provenance, quality, registry
from register.schema.package import ROOT, Package
from tests.conftest import as_standard_1_1, copy_repo

HEADER = "code,name,package,licence,contact,update_frequency\n"


def test_frequencies_in_iso_8601_or_words():
    assert registry.frequency_days("P1M") == 31
    assert registry.frequency_days("p3m") == 93
    assert registry.frequency_days("P1Y2W") == 380
    assert registry.frequency_days("quarterly") == 93
    assert registry.frequency_days("weekly") == 7
    for bad in ("", "P", "P0D", "sometimes", "1M", "PT1H"):
        assert registry.frequency_days(bad) is None


def test_registry_problems_name_file_row_and_field(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text(
        HEADER
        + "nn_icb,Nottingham,../nn,OGL-UK-3.0,Team,P1M\n"
        + "nn_icb,Again,../nn,OGL-UK-3.0,Team,P1M\n"
        + "Bad Code,X,ftp://x/datapackage.json,All rights reserved,Team,often\n"
        + "ok,Fine,pkg,OGL-UK-3.0,jo.bloggs@example.org,P1M\n",
        "utf-8",
    )
    with pytest.raises(registry.RegistryError) as e:
        registry.read(path)
    found = {(p.row, p.field) for p in e.value.problems}
    assert found == {(3, "code"), (4, "code"), (4, "package"), (4, "licence"), (4, "update_frequency"), (5, "contact")}


def test_a_missing_registry_or_a_folder_is_named_before_the_publisher_yml_beside_it(tmp_path, capsys):
    """`make national REGISTRY=` with a mistyped path, or a folder, says what is wrong with
    the registry, not that a publisher.yml is missing from the folder above it."""
    for given, expected in [
        (tmp_path / "registy.csv", "the registry file does not exist"),
        (tmp_path, "this is a folder: give the registry's CSV file"),
    ]:
        assert build.main([f"--registry={given}", f"--out={tmp_path / 'out'}"]) == 1
        err = capsys.readouterr().err
        assert f"{given}: {expected}" in err
        assert "publisher.yml" not in err and "Traceback" not in err


def test_personal_data_in_problems_is_not_republished():
    text = "row 2, field summary: Summary contains an NHS number; Remove or reword '943 476 5919'"
    assert "943 476 5919" not in provenance.redact(text)
    assert provenance.redact("nothing personal here") == "nothing personal here"


def test_personal_data_with_invisible_characters_in_problems_is_not_republished():
    """The value a problem quotes, with the zero-width space it was typed with, is removed too."""
    text = "field summary: Summary contains an NHS number (value: 'NHS 943\u200b476\u200b5919')"
    redacted = provenance.redact(text)
    assert "943" not in redacted and "5919" not in redacted
    assert "[personal data removed]" in redacted


def test_a_sound_registry_reads_in_order(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + "b,B,https://b.example/datapackage.json,CC-BY-4.0,T,monthly\na,A,pkg,CC0-1.0,T,P1W\n")
    pubs = registry.read(path)
    assert [(p.code, p.frequency_days, p.package) for p in pubs] == [
        ("b", 31, "https://b.example/datapackage.json"),
        ("a", 7, "pkg"),
    ]


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.csv", "a/../../b.csv", "http://evil/x.csv", ""])
def test_a_descriptor_cannot_point_outside_its_package(path):
    with pytest.raises(fetch.FetchError):
        fetch.package_files({"resources": [{"name": "x", "path": path, "schema": "schemas/x.json"}]})


def test_a_downloads_data_package_is_refused_with_where_to_point_instead():
    """A register's downloads describe their files with schemas written inline: the
    national register needs the package its files are checked from, and says so."""
    inline = {"name": "projects", "path": "projects.csv", "schema": {"fields": [{"name": "id"}]}}
    with pytest.raises(fetch.FetchError, match="the schema of projects is written inside datapackage.json") as e:
        fetch.package_files({"resources": [inline]})
    assert "beside its datasets/ and schemas/ folders" in str(e.value)


def test_local_fetch_copies_only_named_files_within_limits(tmp_path):
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "datapackage.json").write_text(
        json.dumps({"resources": [{"name": "x", "path": "data/x.csv", "schema": "x.json"}]})
    )
    (src / "data" / "x.csv").write_text("a\n" + "1\n" * 100)
    (src / "x.json").write_text("{}")
    (src / "secret.txt").write_text("not named")
    digest, size = fetch.fetch(str(src / "datapackage.json"), tmp_path / "copy")
    assert sorted(p.name for p in (tmp_path / "copy").rglob("*") if p.is_file()) == [
        "datapackage.json",
        "x.csv",
        "x.json",
    ]
    again, _ = fetch.fetch(str(src / "datapackage.json"), tmp_path / "copy2")
    assert digest == again and size > 200
    with pytest.raises(fetch.FetchError, match="larger than the limit"):
        fetch.fetch(str(src / "datapackage.json"), tmp_path / "copy3", fetch.Limits(max_file_bytes=100))
    with pytest.raises(fetch.FetchError, match="package is larger"):
        fetch.fetch(str(src / "datapackage.json"), tmp_path / "copy4", fetch.Limits(max_package_bytes=250))


def test_national_schemas_prefix_own_keys_and_keep_codes():
    standard = Package(ROOT)
    log = namespace.national_schema(standard, "coproduction_log")
    fields = {f["name"]: f for f in log["fields"]}
    assert fields["id"]["constraints"]["pattern"] == "^[a-z0-9_]+:LOG-[0-9]{4,}$"
    assert "from_publisher" in fields and "publisher_url" in fields
    assert fields["gate"].get("constraints", {}).get("pattern") is None  # a code, shared nationally
    gates = namespace.national_schema(standard, "gates")
    assert [f["name"] for f in gates["fields"]] == standard.resource("gates").field_names


def test_codes_that_mean_the_same_merge_and_conflicts_refuse():
    same = {"code": "assess", "title": "Assess ", "description": "worded differently", "closes_loop": ""}
    assert (
        namespace._differing({"code": "assess", "title": "assess", "description": "x", "closes_loop": ""}, same) == []
    )
    assert namespace._differing(
        {"code": "done", "title": "Done", "closes_loop": "1"}, {**same, "closes_loop": "0"}
    ) == [
        "code",
        "title",
        "closes_loop",
    ]
    assert namespace.record_url("https://a.example/", "projects", "PRJ-0001") == "https://a.example/projects/PRJ-0001"
    assert namespace.record_url("https://a.example", "sources", "s1") == "https://a.example/register/sources/s1"
    assert namespace.record_url("", "projects", "PRJ-0001") == ""


def test_every_resource_is_a_publishers_own_record_or_a_codelist_merged_on_its_code():
    """Own records are derived from the package (a schema of their own), not listed by
    hand: verdicts and corrections are records, and whatever is left is keyed on code."""
    standard = Package(ROOT)
    own = namespace.own_resources(standard)
    assert {"projects", "partner_verdicts", "corrections", "sources"} <= set(own)
    for res in standard.resources:
        if res.name not in own:
            assert res.primary_key == ["code"] and res.descriptor["path"].startswith("datasets/codelists/"), res.name
    corrections = {f["name"]: f for f in namespace.national_schema(standard, "corrections")["fields"]}
    assert corrections["record_id"]["constraints"]["maxLength"] == 40 + 41
    assert (
        corrections["resource"]["constraints"]["pattern"]
        == standard.resource("corrections").field("resource").constraints["pattern"]
    )


def test_a_repeated_code_is_found_when_its_first_row_has_another_problem(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text(
        HEADER
        + "nn_icb,Nottingham,,OGL-UK-3.0,Team,P1M\n"
        + "ok,Fine,pkg,OGL-UK-3.0,Team,P1M\n"
        + "nn_icb,Again,../nn,OGL-UK-3.0,Team,P1M\n",
        "utf-8",
    )
    with pytest.raises(registry.RegistryError) as e:
        registry.read(path)
    found = {(p.row, p.field, p.message) for p in e.value.problems}
    assert found == {(2, "package", "package is required"), (4, "code", "another row already has this code")}


def test_a_row_of_bare_commas_in_the_registry_is_skipped_as_a_blank_line_is(tmp_path):
    """A spreadsheet that had a row cleared saves it as ",,,,,": that was six problems,
    "code is required" and the rest, for a row that says nothing."""
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + "ok,Fine,pkg,OGL-UK-3.0,Team,P1M\n,,,,,\n\n , ,,,,\n", "utf-8")
    assert [p.code for p in registry.read(path)] == ["ok"]
    path.write_text(HEADER + ",,,,,\n", "utf-8")
    with pytest.raises(registry.RegistryError) as e:
        registry.read(path)
    assert [p.message for p in e.value.problems] == ["the registry lists no publishers"]


def test_a_codelist_column_an_older_package_lacks_comes_from_the_standard(tmp_path):
    """A package on 1.1.0 has no `assessed` column in its impacts codelist. Merged first,
    its codes still say whether they are an assessment: the standard's own codelist says."""
    older = tmp_path / "older"
    older.mkdir()
    rows = as_standard_1_1(copy_repo(older))
    shutil.copytree(older, tmp_path / "newer", symlinks=True)
    for name in ("impacts", "statuses"):
        shutil.copy(ROOT / "datasets" / "codelists" / f"{name}.csv", tmp_path / "newer" / "datasets" / "codelists")
    shutil.copy(ROOT / "schemas" / "codelists" / "statuses.json", tmp_path / "newer" / "schemas" / "codelists")
    shutil.copy(ROOT / "datapackage.json", tmp_path / "newer")
    sources = [namespace.Source(code, Package(tmp_path / code), "") for code in ("older", "newer")]
    merged = namespace.Merged()
    codelists = namespace.merge_codelists(Package(ROOT), sources, merged)
    assert merged.refused == {}, "a column an older minor version lacks is not a conflict"
    assert {code: r["assessed"] for code, r in codelists["impacts"].items()} == {r["code"]: r["assessed"] for r in rows}
    assert "false" in {r["assessed"] for r in rows} and "true" in {r["assessed"] for r in rows}
    with (ROOT / "datasets" / "codelists" / "statuses.csv").open(newline="", encoding="utf-8") as f:
        standard = {r["code"]: r["responds"] for r in csv.DictReader(f)}
    assert {code: r["responds"] for code, r in codelists["statuses"].items()} == standard


def test_an_older_package_with_a_status_of_its_own_is_refused_not_the_national_register(tmp_path):
    """A package on 1.1.0 with a status code of its own: the standard's codelist cannot say
    whether it is a response, and 1.3.0 requires it. Merged with the column empty, the
    national package failed the standard and no register was built for anyone; the one
    publisher is refused, saying what to add, and the others are merged."""
    older = tmp_path / "older"
    older.mkdir()
    as_standard_1_1(copy_repo(older))
    with (older / "datasets" / "codelists" / "statuses.csv").open("a", encoding="utf-8") as f:
        f.write('acknowledged,Acknowledged,"Heard, nothing decided yet.",6,nn_icb_strategy_2025,7.0,false\n')
    (tmp_path / "newer").mkdir()
    copy_repo(tmp_path / "newer")
    sources = [namespace.Source(code, Package(tmp_path / code), "") for code in ("older", "newer")]
    merged = namespace.Merged()
    codelists = namespace.merge_codelists(Package(ROOT), sources, merged)
    assert list(merged.refused) == ["older"]
    assert merged.refused["older"].startswith(
        "refused: its code 'acknowledged' in statuses (datasets/codelists/statuses.csv, row 7) is its own and its "
        "statuses has no column 'responds' (Is a response)"
    )
    assert "acknowledged" not in codelists["statuses"] and all(r["responds"] for r in codelists["statuses"].values())


def test_publishing_no_you_said_items_scores_nothing_for_either_loop_part():
    """Loop closed and Not overdue agree: a publisher with no "You said" items gets 0 for
    both, not 0 for one and full marks for the other."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        """
        CREATE TABLE publishers (code, title, status, valid, updated_at, frequency_days);
        CREATE TABLE publisher_counts (publisher, projects, characteristics_assessed, characteristics_total,
                                       you_said, loop_closed);
        CREATE TABLE publisher_open_items (publisher, due_date, open_items);
        INSERT INTO publishers VALUES ('none', 'None', 'latest data', 1, date('now'), 30),
                                      ('some', 'Some', 'latest data', 1, date('now'), 30);
        INSERT INTO publisher_counts VALUES ('none', 1, 12, 12, 0, 0), ('some', 1, 12, 12, 4, 2);
        INSERT INTO publisher_open_items VALUES ('some', '2000-01-01', 1);
        """
    )
    conn.executescript(quality.LIVE)
    rows = {
        r[0]: r[1:] for r in conn.execute("SELECT publisher, loop_closure, not_overdue, score FROM publisher_quality")
    }
    assert rows["none"] == (0.0, 0.0, 60.0)  # valid, fresh and complete: 3 of 5
    assert rows["some"] == (0.5, 0.75, 85.0)


@pytest.mark.parametrize("words, months", [("monthly", 1), ("quarterly", 3), ("six-monthly", 6), ("annually", 12)])
def test_a_publisher_updating_on_the_same_date_every_period_is_never_late(words, months):
    """1 October to 1 January is 92 days, 1 April 2027 to 1 April 2028 is 366: a publisher
    keeping its promise to the day is fresh on the day of its next update, in any year."""
    allowed, day = registry.frequency_days(words), dt.date(2023, 1, 1)
    while day.year < 2029:
        if day.day <= 28:  # a day every month has
            month = day.month - 1 + months
            later = dt.date(day.year + month // 12, month % 12 + 1, day.day)
            assert (later - day).days <= allowed, (words, day, later)
        day += dt.timedelta(days=1)


def test_freshness_counts_whole_days_not_the_time_of_day():
    """Fresh is judged by the day: data first seen just after midnight a month ago (31 days
    ago) is fresh all day today, not only until the small hours."""
    fresh = next(c.sql for c in quality.COMPONENTS if c.name == "fresh")
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE TABLE p (status TEXT, updated_at TEXT, frequency_days INTEGER)")
        month_ago = conn.execute("SELECT date('now', 'localtime', '-31 days') || 'T00:00:01Z'").fetchone()[0]
        conn.execute("INSERT INTO p VALUES ('latest data', ?, ?)", (month_ago, registry.frequency_days("P1M")))
        assert conn.execute(f"SELECT {fresh} FROM p").fetchone()[0] == 1.0
