"""Drift: what is derived from the schemas is derived again here and compared with what
the register commits or builds, as the Open Referral specification's checks do. Each
failure names the file that drifted and the command that regenerates it.

The expected text is read from the JSON files in schemas/ directly, not through the
code that derives it, so a fault in that code cannot hide itself.

- datapackage.json: its resources (paths, schemas, titles and descriptions);
- the exported views: schemas/views/*.json against the columns views.sql creates, and
  the view text metadata.yml holds against the same SQL;
- the site metadata (build/metadata.json, from metadata.yml and the schemas);
- the `make template` workbooks: headers and notes against the schema fields;
- the codes views.sql compares coded columns with, against their codelists;
- the impact report's headings of an exported view's columns.
The built site metadata and the data dictionary are checked the same way in
tests/integration/test_drift_built.py, where a build and an extract are made.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3

import pytest
import yaml

from register.database.build import VIEWS_SQL
from register.schema import datapackage, ddl
from register.schema.metadata import build_metadata
from register.schema.package import MAIN_RESOURCES, ROOT, Package
from register.schema.views import VIEWS_DIR, views
from register.staff.template import ABOUT, make_workbook
from tests.conftest import copy_repo
from tests.schema_text import SCHEMAS, codelist_schema, own_schema, raw, view_columns_text

# A step of the build, stored as a table and read by you_said_we_did_current; it has no
# text of its own. Any other view must say what its columns mean.
UNDESCRIBED_VIEWS = {"you_said_we_did_status"}


def site_tables() -> dict:
    return yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))["databases"]["register"]["tables"]


@pytest.fixture(scope="module")
def package() -> Package:
    return Package(ROOT)


@pytest.fixture(scope="module")
def sql_views(package) -> dict[str, list[str]]:
    """The columns of every view views.sql creates, over empty tables made from the schemas."""
    conn = sqlite3.connect(":memory:")
    for res in ddl.build_order(package):
        ddl.create_table(conn, res)
    for res, f, table in ddl.link_tables(package):
        ddl.create_link_table(conn, res, f, table)
    conn.executescript(VIEWS_SQL.read_text("utf-8"))
    names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
    return {n: [r[1] for r in conn.execute(f"PRAGMA table_info([{n}])")] for n in names}


# -- datapackage.json ---------------------------------------------------------------------


def test_datapackage_resources_are_what_the_schemas_say():
    problems = datapackage.differences(ROOT)
    assert not problems, (
        "datapackage.json has drifted from the schemas and datasets/:\n  "
        + "\n  ".join(problems)
        + f"\nRun `{datapackage.COMMAND}` to regenerate it."
    )


def test_the_datapackage_check_finds_drift_and_write_mends_it(tmp_path, capsys):
    root = copy_repo(tmp_path)
    schema = raw(root / "schemas" / "projects.json")
    schema["title"] = "Service developments"
    (root / "schemas" / "projects.json").write_text(json.dumps(schema, indent=2), "utf-8")
    shutil.copyfile(root / "datasets" / "codelists" / "gates.csv", root / "datasets" / "codelists" / "stray.csv")

    assert datapackage.main(["--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "datapackage.json" in err and datapackage.COMMAND in err
    assert "resource 'projects': title is 'Projects', should be 'Service developments'" in err
    assert "datasets/codelists/stray.csv is not a resource" in err

    assert datapackage.main(["--root", str(root), "--write"]) == 1  # the stray file needs a person
    assert Package(root).resource("projects").title == "Service developments"
    (root / "datasets" / "codelists" / "stray.csv").unlink()
    assert datapackage.main(["--root", str(root)]) == 0


def test_datapackage_titles_come_from_the_schemas(package):
    committed = raw(ROOT / "datapackage.json")
    for r in committed["resources"]:
        schema = own_schema(r["name"])
        if schema is None:  # a codelist: its text is written here, its schema is shared
            own = f"schemas/codelists/{r['name']}.json"
            expected = own if (ROOT / own).is_file() else "schemas/codelist.json"
            assert (r["path"], r["schema"]) == (f"datasets/codelists/{r['name']}.csv", expected)
            assert r["title"] and r["description"], r["name"]
        else:
            assert (r["title"], r["description"]) == (schema["title"], schema["description"]), r["name"]
            assert (r["path"], r["schema"]) == (f"datasets/{r['name']}.csv", f"schemas/{r['name']}.json")


# -- the views: schemas/views/ and metadata.yml against views.sql -------------------------


def test_every_exported_view_schema_has_the_columns_of_its_sql(package, sql_views):
    found = views(package)
    assert [v.name for v in found] == ["you_said_we_did_current"]
    for view in found:
        assert view.name in sql_views, f"{view.path} describes {view.name}, but views.sql creates no such view"
        assert view.field_names == sql_views[view.name], (
            f"{view.path} lists the columns {view.field_names}, but views.sql's {view.name} has "
            f"{sql_views[view.name]}: make the fields of {view.path} match the SQL, in its order"
        )


def test_a_view_schema_that_leaves_out_a_column_is_caught(tmp_path, sql_views):
    root = copy_repo(tmp_path)
    path = root / VIEWS_DIR / "you_said_we_did_current.json"
    schema = raw(path)
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "overdue"]
    path.write_text(json.dumps(schema), "utf-8")
    view = views(Package(root))[0]
    assert view.field_names != sql_views[view.name]
    assert len(view.field_names) == len(sql_views[view.name]) - 1


def test_metadata_yml_describes_the_columns_views_sql_creates(sql_views, package):
    site = site_tables()
    exported = {v.name for v in views(package)}
    undescribed = set()
    for name, columns in sql_views.items():
        if name in exported:  # held to the SQL by the test above
            continue
        text = site.get(name, {}).get("columns")
        if text is None:
            undescribed.add(name)
            continue
        assert set(text) == set(columns), (
            f"metadata.yml describes the columns {sorted(text)} of {name}, but views.sql's {name} has "
            f"{columns}: describe exactly those columns under databases.register.tables.{name}.columns"
        )
        # The pages take a column's heading from before the colon (register/site/links.py column_label).
        unlabelled = {c: t for c, t in text.items() if ": " not in t}
        assert not unlabelled, f"{name}: write each column's text as 'Label: description': {unlabelled}"
    assert undescribed == UNDESCRIBED_VIEWS, (
        f"views.sql creates {sorted(undescribed - UNDESCRIBED_VIEWS)} with no column text: describe their "
        f"columns in metadata.yml (or, for a view that is extracted, in {VIEWS_DIR}/<view>.json)"
    )


# -- the site metadata (build/metadata.json) ------------------------------------------------


def test_site_metadata_takes_every_table_and_column_text_from_the_schemas(package):
    tables = build_metadata(package)["databases"]["register"]["tables"]
    committed = {r["name"]: r for r in raw(ROOT / "datapackage.json")["resources"]}
    for name, r in committed.items():
        schema = own_schema(name) or codelist_schema(name)
        meta = tables[name]
        assert (meta["title"], meta["description"]) == (r["title"], r["description"]), name
        want = {f["name"]: f"{f.get('title', f['name'])}: {f.get('description', '')}" for f in schema["fields"]}
        assert meta["columns"] == want, f"build/metadata.json's columns of {name} are not those of its schema"
    for path in sorted((ROOT / VIEWS_DIR).glob("*.json")):
        view = raw(path)
        meta = tables[path.stem]
        assert (meta["title"], meta["description"]) == (view["title"], view["description"]), path
        want = {n: f"{t}: {d}" for n, (t, d) in view_columns_text(view).items()}
        assert meta["columns"] == want, f"build/metadata.json's columns of {path.stem} are not those of {path}"


def test_metadata_yml_never_writes_schema_text_twice(package):
    site = site_tables()
    owned = set(package.names) | {p.stem for p in (ROOT / VIEWS_DIR).glob("*.json")}
    for name in sorted(owned):
        repeated = {"title", "description", "description_html", "columns"} & set(site.get(name, {}))
        assert not repeated, (
            f"metadata.yml writes {sorted(repeated)} for {name}, which its schema already says: "
            "remove them from metadata.yml (the build takes them from the schema)"
        )


# -- the `make template` workbooks -------------------------------------------------------


@pytest.mark.parametrize("name", MAIN_RESOURCES)
def test_template_headers_and_notes_are_the_schema_fields(package, name):
    fields = raw(SCHEMAS / f"{name}.json")["fields"]
    wb = make_workbook(package, package.resource(name))
    ws = wb[name[:31]]
    header = [c.value for c in ws[1]]
    assert header == [f["name"] for f in fields], (
        f"`make template TABLE={name}` writes the columns {header}, but schemas/{name}.json has "
        f"{[f['name'] for f in fields]}: the template must be made from the schema"
    )
    for cell, f in zip(ws[1], fields):
        note = cell.comment.text.split("\n")
        assert note[0] == f.get("title", f["name"]) and note[2] == f.get("description", ""), (name, f["name"])
    about: dict = {}
    for row in wb[ABOUT].iter_rows(values_only=True):
        if row and row[0]:
            about.setdefault(row[0], row)  # the field rows come before the codes
    for f in fields:
        assert (about[f["name"]][1], about[f["name"]][3]) == (f.get("title", f["name"]), f.get("description", ""))


def test_a_codelist_with_attributes_of_its_own_starts_with_the_shared_codelist_fields():
    """schemas/codelists/<name>.json repeats codelist.json's fields, so the site, the
    extracts and frictionless read it like any codelist; it must not drift from them."""
    shared = json.loads((ROOT / "schemas" / "codelist.json").read_text("utf-8"))
    extended = sorted((ROOT / "schemas" / "codelists").glob("*.json"))
    assert extended, "no codelist has attributes of its own (statuses should: closes_loop)"
    for path in extended:
        schema = json.loads(path.read_text("utf-8"))
        n = len(shared["fields"])
        assert schema["fields"][:n] == shared["fields"], (
            f"{path.relative_to(ROOT)}: its first {n} fields must be exactly schemas/codelist.json's; copy them from there"
        )
        assert len(schema["fields"]) > n, f"{path.relative_to(ROOT)} adds nothing: use schemas/codelist.json"
        for key in ("primaryKey", "missingValues"):
            assert schema.get(key) == shared.get(key), f"{path.relative_to(ROOT)}: {key} differs from codelist.json"


def test_the_impacts_whose_reason_is_required_are_the_ones_that_are_not_an_assessment():
    """Two facts about the impact codes must agree: the schema requires
    equality_impacts.not_assessed_reason for some impacts (x-required-when), and the impacts
    codelist says which impacts are not an assessment (its assessed column), which the
    views, the national score and the project page count apart."""
    schema = json.loads((ROOT / "schemas" / "equality_impacts.json").read_text("utf-8"))
    reason = next(f for f in schema["fields"] if f["name"] == "not_assessed_reason")
    rule = reason["x-required-when"]
    with (ROOT / "datasets" / "codelists" / "impacts.csv").open(newline="", encoding="utf-8") as f:
        not_an_assessment = {r["code"] for r in csv.DictReader(f) if r["assessed"] == "false"}
    assert not_an_assessment, "the impacts codelist marks no impact as not an assessment"
    assert rule["field"] == "impact" and set(rule["in"]) == not_an_assessment, (
        f"not_assessed_reason is required for {rule['in']}, but the impacts codelist says "
        f"{sorted(not_an_assessment)} are not an assessment: change one to match the other"
    )


# -- the codes views.sql names ------------------------------------------------------------

SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|[A-Za-z_][\w.]*|<>|!=|\S")


def coded_columns() -> dict[str, set[str]]:
    """Each field name that holds a codelist's code, and the codelists it names (schemas/*.json)."""
    codelists = {p.stem for p in (ROOT / "datasets" / "codelists").glob("*.csv")}
    found: dict[str, set[str]] = {}
    for path in SCHEMAS.glob("*.json"):
        for fk in raw(path).get("foreignKeys", []):
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            if len(fields) == 1 and fk["reference"]["resource"] in codelists:
                found.setdefault(fields[0], set()).add(fk["reference"]["resource"])
    return found


def codes_named(sql: str, columns) -> set[tuple[str, str]]:
    """(column, code) for every text a coded column is compared with in the SQL: `x = 'c'`,
    `x <> 'c'`, `x IN ('c', ...)`, `CASE x WHEN 'c'` and `COALESCE(x, 'c')`."""
    tokens = SQL_TOKEN.findall(re.sub(r"--[^\n]*", "", sql))
    name = [t.rpartition(".")[2] if re.match(r"[A-Za-z_]", t) else None for t in tokens]
    found, cases = set(), []
    for i, t in enumerate(tokens):
        upper = t.upper()
        if upper == "CASE":
            cases.append(None if tokens[i + 1].upper() == "WHEN" else name[i + 1])
        elif upper == "END" and cases:
            cases.pop()
        elif upper == "WHEN" and cases and cases[-1] and tokens[i + 1].startswith("'"):
            found.add((cases[-1], tokens[i + 1]))
        elif t in ("=", "<>", "!=") and tokens[i + 1].startswith("'") and name[i - 1]:
            found.add((name[i - 1], tokens[i + 1]))
        elif upper == "IN" and tokens[i + 1] == "(" and name[i - 1]:
            j = i + 2
            while tokens[j].startswith("'") or tokens[j] == ",":
                if tokens[j].startswith("'"):
                    found.add((name[i - 1], tokens[j]))
                j += 1
        elif upper == "COALESCE" and tokens[i + 3 : i + 5] == [",", tokens[i + 4]] and tokens[i + 4].startswith("'"):
            found.add((name[i + 2], tokens[i + 4]))
    return {(column, code[1:-1].replace("''", "'")) for column, code in found if column in columns}


def unknown_codes(sql: str) -> list[str]:
    columns = coded_columns()
    codes = {}
    for path in (ROOT / "datasets" / "codelists").glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as f:
            codes[path.stem] = {r["code"] for r in csv.DictReader(f)}
    return sorted(
        f"{column} = '{code}', but '{code}' is not a code in {' or '.join(sorted(columns[column]))}"
        for column, code in codes_named(sql, columns)
        if not any(code in codes[c] for c in columns[column])
    )


def test_every_code_views_sql_names_is_a_code_of_its_codelist():
    """views.sql counts rows by a few codes (the co-production level, a negative impact, a
    partner's verdict, each gate's evidence): a code renamed in its codelist and the data
    would leave the view counting nothing, with no error."""
    sql = VIEWS_SQL.read_text("utf-8")
    named = codes_named(sql, coded_columns())
    assert {("participation_level", "co_production"), ("impact", "negative"), ("verdict", "partly_agrees")} <= named
    assert ("gate", "monitor_evaluate") in named, "the scan of views.sql misses a form"
    # What a status means (a response, closing the loop) is read from the statuses codelist.
    assert not {code for column, code in named if column == "status"}, "views.sql names a status code"
    unknown = unknown_codes(sql)
    assert not unknown, "views.sql names codes its codelists do not have:\n  " + "\n  ".join(unknown)


def test_a_code_views_sql_names_and_its_codelist_lacks_is_caught():
    forms = "COALESCE(r.status, 'a') AND u.status <> 'b' AND s.status != 'c' AND CASE gate WHEN 'd' THEN CASE WHEN x THEN 'e' END END"
    assert codes_named(forms, {"status", "gate", "x"}) == {("status", c) for c in "abc"} | {("gate", "d")}
    sql = VIEWS_SQL.read_text("utf-8").replace("'co_production'", "'coproduction'")
    sql = sql.replace("WHEN 'procure'", "WHEN 'procurement'").replace("'partly_agrees'", "'partly'")
    assert unknown_codes(sql) == [
        "gate = 'procurement', but 'procurement' is not a code in gates",
        "participation_level = 'coproduction', but 'coproduction' is not a code in participation_levels",
        "verdict = 'partly', but 'partly' is not a code in verdicts",
    ]


# -- the impact report's headings -----------------------------------------------------------


def test_the_reports_headings_of_a_view_are_its_schemas_titles():
    import pandas as pd

    from register.publishing import report_tables

    titles = {n: t for n, (t, _) in view_columns_text(raw(ROOT / VIEWS_DIR / "you_said_we_did_current.json")).items()}
    late = pd.DataFrame([dict.fromkeys(["id", "said_date", "theme_title", "you_said", "status_title"], "x")])
    late = late.assign(due_date="2025-01-01", due_date_basis="set")
    headings = re.findall(r"<th[^>]*>([^<]*)</th>", str(report_tables.overdue(type("Data", (), {"late": late}))))
    for column in ("id", "said_date", "due_date", "due_date_basis"):
        assert titles[column] in headings, f"the report's overdue table does not head {column} {titles[column]!r}"


def test_the_reports_impact_colours_are_for_impact_codes():
    """A colour for a code the impacts codelist no longer has is a colour lost: the renamed
    code gets the next palette colour, and a negative impact may no longer be drawn red."""
    from register.publishing.report_charts import IMPACT_COLOURS

    with (ROOT / "datasets" / "codelists" / "impacts.csv").open(newline="", encoding="utf-8") as f:
        codes = {r["code"] for r in csv.DictReader(f)}
    assert set(IMPACT_COLOURS) <= codes, f"IMPACT_COLOURS names {sorted(set(IMPACT_COLOURS) - codes)}, not impact codes"


def test_the_statuses_that_are_a_response_are_the_ones_that_must_say_what_was_done_or_why_not():
    """Two facts about the status codes must agree: the updates' schema requires `we_did`
    or `reason` for some statuses (x-required-when), and the statuses codelist says which
    are a response (its responds column), which the views read for the first response and
    the Monitor and Evaluate gate's evidence. A response says what was done or why not."""
    schema = json.loads((ROOT / "schemas" / "you_said_we_did_updates.json").read_text("utf-8"))
    required = set()
    for f in schema["fields"]:
        rule = f.get("x-required-when")
        if f["name"] in ("we_did", "reason") and rule:
            assert rule["field"] == "status"
            required |= set(rule["in"])
    with (ROOT / "datasets" / "codelists" / "statuses.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    responds = {r["code"] for r in rows if r["responds"] == "true"}
    assert responds and len(responds) < len(rows), "the statuses codelist needs a status before any response"
    assert responds == required, (
        f"we_did or reason is required for {sorted(required)}, but the statuses codelist says "
        f"{sorted(responds)} are a response: change one to match the other"
    )
