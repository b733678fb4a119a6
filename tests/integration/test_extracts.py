"""The extracts (`make extracts`) and the downloads page: complete, valid, checkable files.

One extract of the session's real build (build_dir/extracts, the directory the site
serves at /downloads/) is shared by the round-trip, validation, checksum and page tests;
the formula and changelog tests build a small scratch register of their own.
"""

from __future__ import annotations

import csv
import hashlib
import html as html_mod
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import frictionless
import pandas as pd
import pytest

from register.database.build import build
from register.publishing.extract_changelog import NotSorted, compare
from register.publishing.extract_tables import neutralised, tables
from register.publishing.extracts import (
    CHANGELOG_MD,
    CHANGES_JSON,
    SUMS_NAME,
    ZIP_FOLDER,
    ZIP_NAME,
    extract,
)
from register.schema import standard as standard_mod
from register.schema.package import ROOT, Package
from register.site.downloads import listing
from register.site.security import HEAD_SCRIPT
from register.site.serve import datasette_instance
from tests.conftest import Client, copy_repo

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def extracted(build_dir, package):
    """The real build's extract, written where the site serves it."""
    summary = extract(package, build_dir / "register.db", build_dir / "extracts")
    return build_dir / "extracts", summary


def db_rows(db: Path, table):
    conn = sqlite3.connect(db)
    order = ", ".join(f"[{k}]" for k in table.primary_key)
    cols = ", ".join(f"[{n}]" for n in table.field_names)
    rows = conn.execute(f"SELECT {cols} FROM [{table.name}] ORDER BY {order}").fetchall()
    conn.close()
    return rows


def expected_json(table, row):
    out = {}
    for d, v in zip(table.schema["fields"], row):
        out[d["name"]] = bool(v) if d.get("type") == "boolean" and v is not None else v
    return out


def expected_csv(table, row, safe):
    out = []
    for d, v in zip(table.schema["fields"], row):
        if v is None:
            out.append("")
        elif d.get("type") == "boolean":
            out.append("true" if v else "false")
        elif d["name"] in safe and isinstance(v, str) and v[:1] in TRIGGERS:
            out.append("'" + v)
        else:
            out.append(str(v))
    return out


def read_csv(path: Path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_round_trip_every_table_and_view(extracted, build_dir, package):
    """Row counts and every value of every CSV and JSON file equal the database."""
    folder, summary = extracted
    all_tables = tables(package)
    assert {t.name for t in all_tables} >= set(package.names) | {"you_said_we_did_current"}
    for t in all_tables:
        rows = db_rows(build_dir / "register.db", t)
        assert summary["rows"][t.name] == len(rows)
        as_json = json.loads((folder / f"{t.name}.json").read_text("utf-8"))
        if rows:
            assert as_json == [expected_json(t, r) for r in rows], t.name
            assert all(list(o) == t.field_names for o in as_json), t.name
        else:  # an empty table is an empty array; its field names are in the data package
            assert as_json == [], t.name
        assert all(isinstance(o, dict) for o in as_json), t.name  # an array of objects, always
        as_csv = read_csv(folder / f"{t.name}.csv")
        assert as_csv[0] == t.field_names
        assert as_csv[1:] == [expected_csv(t, r, neutralised(t)) for r in rows], t.name
        raw = (folder / f"{t.name}.csv").read_bytes()
        assert raw.endswith(b"\r\n") and not raw.startswith(b"\xef\xbb\xbf")
    assert summary["rows"]["coproduction_log"] > 0 and summary["rows"]["you_said_we_did_current"] > 0


def test_extract_data_package_is_valid_and_complete(extracted, package):
    folder, summary = extracted
    report = frictionless.Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    desc = json.loads((folder / "datapackage.json").read_text("utf-8"))
    assert desc["licenses"][0]["name"] == "OGL-UK-3.0"
    for key in ("publisher", "sources", "contributors", "version", "created", "title"):
        assert desc.get(key), key
    assert "single quote" in desc["description"] and "OWASP" in desc["description"]
    paths = {r["path"] for r in desc["resources"]}
    assert paths == {f"{n}.{ext}" for n in summary["rows"] for ext in ("csv", "json")}
    for r in desc["resources"]:
        assert (folder / r["path"]).is_file()
        assert r["x-row-count"] == summary["rows"][r["name"].removesuffix("_json")]
        assert r["schema"]["fields"]
    # Empty tables: [] in JSON, described as data (frictionless cannot read [] as a table),
    # with the same field names as the CSV's header.
    empty = [name for name, rows in summary["rows"].items() if rows == 0]
    assert empty, "the sample has tables with no rows yet (partner_verdicts, corrections)"
    by_name = {r["name"]: r for r in desc["resources"]}
    for name in empty:
        assert by_name[f"{name}_json"]["profile"] == "data-resource"
        assert [f["name"] for f in by_name[f"{name}_json"]["schema"]["fields"]] == read_csv(folder / f"{name}.csv")[0]
        assert by_name[name]["profile"] == "tabular-data-resource"


def test_every_csv_opens_with_csvstat(extracted):
    """csvkit reads every CSV and counts the same rows as the database."""
    folder, summary = extracted
    csvstat = str(ROOT / ".venv" / "bin" / "csvstat")
    if not Path(csvstat).exists():
        csvstat = shutil.which("csvstat")

    def count(name):
        out = subprocess.run(
            [csvstat, "--count", str(folder / f"{name}.csv")], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        return name, int(out.stdout.strip().split()[-1].replace(",", ""))

    with ThreadPoolExecutor(max_workers=2) as pool:
        counted = dict(pool.map(count, summary["rows"]))
    assert counted == summary["rows"]


def test_checksums_and_zip(extracted):
    folder, summary = extracted
    listed = {}
    for line in (folder / SUMS_NAME).read_text("utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    # Every file of the set, those in the standard/ folder too.
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(listed) == on_disk - {SUMS_NAME}
    standard = standard_mod.load(ROOT / "schemas")
    published = {f"standard/{rel}" for rel in (standard_mod.STANDARD_FILE, "CHANGELOG.md", *standard.schemas)}
    assert {n for n in on_disk if n.startswith("standard/")} == published
    for name in published:
        assert (folder / name).read_bytes() == (ROOT / "schemas" / name.removeprefix("standard/")).read_bytes()
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", SUMS_NAME], cwd=folder, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    # The zip is the machine-readable set; the spreadsheet files are downloads of their own.
    for_excel = {n for n in on_disk if n.endswith(".excel.csv")} | {"coproduction-register.xlsx"}
    assert len(for_excel) == len(summary["rows"]) + 1
    with zipfile.ZipFile(folder / ZIP_NAME) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        assert names == {f"{ZIP_FOLDER}/{n}" for n in on_disk - {SUMS_NAME, ZIP_NAME} - for_excel}
        for n in ("datapackage.json", "projects.csv"):
            assert z.read(f"{ZIP_FOLDER}/{n}") == (folder / n).read_bytes()


def test_the_downloads_page_says_everything_the_zip_holds(extracted, client):
    """The zip holds the standard the data follows (standard/), but the page described it
    as the CSV and JSON files, the data dictionary and the changes only."""
    folder, _ = extracted
    with zipfile.ZipFile(folder / ZIP_NAME) as z:
        assert any(n.startswith(f"{ZIP_FOLDER}/standard/") for n in z.namelist())
    assert "the standard" in listing(folder)["zip"]["description"]
    page = html_mod.unescape(client.get("/downloads").text)
    bullet = page[page.index("<strong>For code</strong>") :]
    assert "the standard" in bullet[: bullet.index("</li>")]


def test_data_dictionary_lists_every_field_with_codes(extracted, package):
    folder, _ = extracted
    with (folder / "data-dictionary.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {"resource", "field", "title", "type", "required", "allowed_codes", "description"} <= set(rows[0])
    keyed = {(r["resource"], r["field"]): r for r in rows}
    for res in package.resources:
        for fld in res.fields:
            r = keyed[(res.name, fld.name)]
            assert (r["title"], r["type"], r["description"]) == (fld.title, fld.type, fld.description)
    # Every extracted file, the views included, and nothing else.
    assert list(keyed) == [(t.name, f.name) for t in tables(package) for f in t.fields]
    gate = keyed[("coproduction_log", "gate")]
    for code in package.codes("gates"):
        assert f"{code} = " in gate["allowed_codes"]
    assert keyed[("coproduction_log", "description")]["csv_formula_neutralised"] == "yes"
    assert keyed[("coproduction_log", "id")]["csv_formula_neutralised"] == "no"
    page = (folder / "data-dictionary.html").read_text("utf-8")
    assert '<html lang="en-GB">' in page and "<script" not in page and "style=" not in page
    assert '<th scope="col">' in page and '<th scope="row">' in page and "<caption>" in page
    assert "OWASP" in page and 'id="csv-safety"' in page
    for res in package.resources:
        assert f'id="table-{res.name}"' in page


def test_data_dictionary_says_values_as_the_files_hold_them(extracted):
    """The dictionary describes the published files: an identifier is always there, and a
    true/false column holds true or false. It said "(or leave blank to have one given)"
    (beside the corrections' "Given when the correction is made") and "true or false (yes
    or no)": what staff may type when adding a record, not what the files hold."""
    folder, _ = extracted
    with (folder / "data-dictionary.csv").open(newline="", encoding="utf-8") as f:
        keyed = {(r["resource"], r["field"]): r["allowed_values"] for r in csv.DictReader(f)}
    assert keyed[("corrections", "id")] == "an identifier like COR-0001"
    assert keyed[("projects", "via_strategic_group")] == "true or false"
    page = (folder / "data-dictionary.html").read_text("utf-8")
    for words in (*keyed.values(), page):
        assert "leave blank" not in words and "yes or no" not in words


def test_compare_finds_added_changed_removed(tmp_path, package):
    t = next(t for t in tables(package) if t.name == "sources")
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("code,title\r\na,A\r\nb,B\r\nc,C\r\n", "utf-8")
    new.write_text("code,title\r\na,A\r\nb,B2\r\nd,D\r\n", "utf-8")
    r = compare(old, new, t)
    assert (r["added_ids"], r["removed_ids"], r["changed_ids"]) == (["d"], ["c"], [{"id": "b", "fields": ["title"]}])
    new.write_text("code,title\r\nb,B\r\na,A\r\n", "utf-8")
    with pytest.raises(NotSorted):
        compare(old, new, t)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A scratch register whose free text starts with formula characters."""
    root = copy_repo(tmp_path_factory.mktemp("formula"))
    path = root / "datasets" / "coproduction_log.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    rows[0]["description"] = '=HYPERLINK("http://x","y")'
    rows[0]["what_changed"] = "@SUM(1)"
    rows[0]["accessibility_measures"] = "+" + "a" * 3999  # exactly the maxLength of 4000
    rows[0]["title"] = "-5 minutes of silence"
    rows[1]["description"] = "\tTabbed, then =1+1"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    package = Package(root)
    build(package, root / "build")
    out = root / "build" / "extracts"
    first = extract(package, root / "build" / "register.db", out)
    return {
        "root": root,
        "package": package,
        "out": out,
        "first": first,
        "row0": rows[0],
        "row1": rows[1],
        "header": header,
        "rows": rows,
    }


def test_formula_cells_neutralised_in_csv_exact_in_json(scratch):
    out, row0, row1 = scratch["out"], scratch["row0"], scratch["row1"]
    with (out / "coproduction_log.csv").open(newline="", encoding="utf-8") as f:
        csv_rows = {r["id"]: r for r in csv.DictReader(f)}
    json_rows = {r["id"]: r for r in json.loads((out / "coproduction_log.json").read_text("utf-8"))}
    c0, j0, c1, j1 = csv_rows[row0["id"]], json_rows[row0["id"]], csv_rows[row1["id"]], json_rows[row1["id"]]
    assert c0["description"] == '\'=HYPERLINK("http://x","y")'
    assert j0["description"] == '=HYPERLINK("http://x","y")'
    assert c0["what_changed"] == "'@SUM(1)" and j0["what_changed"] == "@SUM(1)"
    assert c0["accessibility_measures"] == "'+" + "a" * 3999 and len(j0["accessibility_measures"]) == 4000
    assert c0["title"] == "'-5 minutes of silence" and j0["title"] == "-5 minutes of silence"
    assert c1["description"] == "'\tTabbed, then =1+1" and j1["description"] == "\tTabbed, then =1+1"
    assert c0["id"] == j0["id"] == row0["id"] and c0["activity_date"] == row0["activity_date"]
    # Still valid against the schemas, the 4,001-character neutralised cell included.
    report = frictionless.Package(str(out / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_changelog_after_a_second_and_third_extract(scratch):
    root, package, out = scratch["root"], scratch["package"], scratch["out"]
    first = json.loads((out / CHANGES_JSON).read_text("utf-8"))
    assert first["previous"] is None
    assert "first extract" in (out / CHANGELOG_MD).read_text("utf-8")

    rows = [dict(r) for r in scratch["rows"]]
    added = dict(rows[0], id="LOG-9999", title="An added activity", description="Added for the changelog test.")
    rows[2]["title"] = rows[2]["title"] + " (renamed)"
    with (root / "datasets" / "coproduction_log.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, scratch["header"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows + [added])
    build(package, root / "build")
    extract(package, root / "build" / "register.db", out)
    found = json.loads((out / CHANGES_JSON).read_text("utf-8"))
    log = found["resources"]["coproduction_log"]
    assert found["previous"]["created"]
    assert (log["added"], log["changed"], log["removed"]) == (1, 1, 0)
    assert log["added_ids"] == ["LOG-9999"]
    assert log["changed_ids"] == [{"id": rows[2]["id"], "fields": ["title"]}]
    assert found["resources"]["projects"]["added"] == 0
    md = (out / CHANGELOG_MD).read_text("utf-8")
    assert "LOG-9999" in md and f"{rows[2]['id']} (title)" in md

    # The same inputs again: the same release, so the same changelog, byte for byte.
    second = (out / CHANGES_JSON).read_bytes()
    extract(package, root / "build" / "register.db", out)
    assert (out / CHANGES_JSON).read_bytes() == second

    # New inputs but no row changed (the package's description): the changelog keeps
    # telling the last real change.
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    descriptor["description"] += " Described again."
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n", "utf-8")
    package = Package(root)
    build(package, root / "build")
    extract(package, root / "build" / "register.db", out)
    again = json.loads((out / CHANGES_JSON).read_text("utf-8"))
    assert again["resources"]["coproduction_log"]["added_ids"] == ["LOG-9999"]
    assert again["unchanged_since"]
    assert "LOG-9999" in (out / CHANGELOG_MD).read_text("utf-8")
    # The releases page says since when in words, as it dates the release itself.
    assert re.fullmatch(
        r"\d{1,2} [A-Z][a-z]+ \d{4} at (\d{1,2}(:\d\d)?[ap]m|midday|midnight)", listing(out)["unchanged_since_text"]
    )


def test_extracts_without_a_build_or_a_package_say_so_plainly(tmp_path, capsys):
    """`python -m register.publishing.extracts`, as docs/downloads.md and docs/national.md
    give it, run before `make build` or at a folder with no package: one plain sentence
    naming what is missing and exit code 2, not a traceback."""
    from register.publishing.extracts import main

    assert main(["--build-dir", str(tmp_path)]) == 2
    said = capsys.readouterr().err
    assert f"{tmp_path / 'register.db'} does not exist: run `make build` first" in said
    assert main(["--root", str(tmp_path / "no-package")]) == 2
    said = capsys.readouterr().err
    assert "No such file or directory" in said and str(tmp_path / "no-package" / "datapackage.json") in said
    assert not (tmp_path / "extracts").exists() and not (tmp_path / "releases").exists()


def test_failed_extract_leaves_the_previous_set(scratch, tmp_path):
    out = scratch["out"]
    before = (out / SUMS_NAME).read_bytes()
    broken = tmp_path / "register.db"
    shutil.copy2(scratch["root"] / "build" / "register.db", broken)
    conn = sqlite3.connect(broken)
    conn.execute("DROP VIEW you_said_we_did_current")
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="you_said_we_did_current"):
        extract(scratch["package"], broken, out)
    assert (out / SUMS_NAME).read_bytes() == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def test_downloads_page_lists_and_serves_every_file(extracted, client):
    folder, summary = extracted
    for path in ("/downloads", "/downloads/"):
        page = client.get(path)
        assert page.status_code == 200, path
    html = page.text
    sums = dict(reversed(line.split("  ", 1)) for line in (folder / SUMS_NAME).read_text("utf-8").splitlines())
    for name in [*sums, SUMS_NAME]:
        assert f'href="/downloads/{name}"' in html, name
        served = client.get(f"/downloads/{name}")
        assert served.status_code == 200, name
        assert served.content == (folder / name).read_bytes(), name
        if name in sums:
            assert sums[name] in html, name
            assert hashlib.sha256(served.content).hexdigest() == sums[name]
    for name, rows in summary["rows"].items():
        assert f">{rows:,}<" in html, name
    # The standard's files are described, not listed by bare name.
    standard = [name for name in sums if name.startswith("standard/")]
    assert standard and "Which Table Schemas the Co-production Register standard holds" in html
    schemas = [n for n in standard if n.split("/", 1)[1] not in ("standard.json", "CHANGELOG.md")]
    assert html.count("A Table Schema of the standard.") == len(schemas) > 0
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0] and 'style="' not in html
    assert 'scope="col"' in html and 'scope="row"' in html
    csv_response = client.get("/downloads/projects.csv")
    assert csv_response.headers["content-type"].startswith("text/csv; charset=utf-8")
    assert csv_response.headers["access-control-allow-origin"] == "*"
    # A new extract can change the files without a new database: never served stale.
    assert "no-cache" in csv_response.headers["cache-control"]
    assert "no-cache" in client.get("/downloads").headers["cache-control"]
    assert csv_response.headers["etag"] == f'"{sums["projects.csv"]}"'
    assert (
        client.get("/downloads/projects.csv", headers={"if-none-match": csv_response.headers["etag"]}).status_code
        == 304
    )
    assert client.get("/downloads/no-such-file.csv").status_code == 404


def test_two_clicks_from_home_to_the_zip(extracted, client):
    home = client.get("/")
    assert 'href="/downloads"' in home.text
    assert f'href="/downloads/{ZIP_NAME}"' in client.get("/downloads").text


def test_table_pages_keep_csv_json_and_notebook_links(extracted, client):
    # you_said_we_did has more rows than a page, so "stream all rows" is offered.
    page = client.get("/register/you_said_we_did").text
    for needle in (
        "/register/you_said_we_did.json",
        "/register/you_said_we_did.csv",
        "/register/you_said_we_did.Notebook",
        'name="_stream"',
    ):
        assert needle in page, needle
    notebook = client.get("/register/you_said_we_did.Notebook")
    assert notebook.status_code == 200
    assert "/downloads/you_said_we_did.json" in notebook.text
    # No inline script but the one the CSP allows by its hash (templates/base.html).
    assert "<script>" not in notebook.text.replace(f"<script>{HEAD_SCRIPT}</script>", "")
    query = client.get("/register?sql=select+id+from+projects").text
    assert "select+id+from+projects" in query and ".csv" in query and ".Notebook" in query


def test_the_notebook_pages_code_to_stream_every_row_runs(extracted, client):
    """The .Notebook page's "stream all matching rows as CSV" code, run as printed: it
    read a whole-number column with an empty cell (days_to_response of an item with no
    response yet) as int, and pandas stopped with "Integer column has NA values"."""
    page = html_mod.unescape(client.get("/register/you_said_we_did_current.Notebook").text)
    code = re.search(r"To stream all [^<]*</p>\s*<pre><code>(.*?)</code></pre>", page, re.S).group(1)
    assert "_stream=on" in code and "days_to_response" in code

    class Pandas:  # pandas.read_csv, reading the address from the site in-process
        @staticmethod
        def read_csv(url, **kwargs):
            return pd.read_csv(io.StringIO(client.get(url.removeprefix("http://localhost")).text), **kwargs)

    scope = {"pandas": Pandas}
    exec(code, scope)  # noqa: S102 - the page's own code, as an analyst pastes it
    df = scope["df"]
    conn = sqlite3.connect(extracted[0].parent / "register.db")
    rows, missing = conn.execute(
        "select count(*), count(*) - count(days_to_response) from you_said_we_did_current"
    ).fetchone()
    conn.close()
    assert len(df) == rows and df["days_to_response"].isna().sum() == missing > 0
    assert (df["days_to_response"].dropna() % 1 == 0).all()


def test_the_downloads_pages_checks_work_for_a_journalist_with_one_file(extracted, client, tmp_path):
    """ "Check a download", run as printed: each checksum command passes for a folder with
    SHA256SUMS and only the file downloaded, the zip's check reads every resource, and the
    frictionless it says to install is the one that reads the JSON files (plain
    frictionless cannot, and says what to install)."""
    folder, _ = extracted
    page = html_mod.unescape(client.get("/downloads").text)
    section = page[page.index('id="check"') : page.index('id="notebooks"')]
    for name in (SUMS_NAME, "projects.csv"):
        shutil.copy2(folder / name, tmp_path / name)
    commands = [c for c in re.findall(r"<code>([^<]*)</code>", section) if "SHA256SUMS" in c and "certutil" not in c]
    assert len(commands) == 2
    for command in commands:
        if shutil.which(command.split()[0]):
            done = subprocess.run(command.split(), cwd=tmp_path, capture_output=True, text=True)
            assert done.returncode == 0 and "FAILED" not in done.stdout + done.stderr, (command, done.stdout[-300:])
    without_json = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['ijson'] = None\nfrom frictionless import validate\n"
            "print(validate(sys.argv[1]).flatten(['note'])[0][0])",
            str(folder / "datapackage.json"),
        ],
        capture_output=True,
        text=True,
    )
    # The zip, as the page says to check it: unzipped, its folder's data package (given the
    # zip itself, frictionless reports one valid "file" and reads no data).
    unzip, validate = re.search(r"<code>(unzip \S+)\n(frictionless validate \S+)</code>", section).groups()
    with zipfile.ZipFile(folder / unzip.split()[1]) as z:
        z.extractall(tmp_path / "unzipped")
    report = frictionless.Package(str(tmp_path / "unzipped" / validate.split()[2])).validate()
    assert report.valid and len(report.tasks) == len(json.loads((folder / "datapackage.json").read_text())["resources"])
    wanted = re.search(r'Please install "([^"]+)"', without_json.stdout).group(1)
    assert f'pip install "{wanted}"\nfrictionless validate' in section
    described = {e["name"]: e["description"] for e in listing(folder)["about"]}
    assert f'pip install "{wanted}"' in described["datapackage.json"]


def test_the_downloads_pages_pandas_example_keeps_the_values_as_recorded(extracted, client):
    """The Jupyter example on the downloads page, run as printed (its files read from
    here): a section such as "7.0" stays text, as the JSON file types it."""
    folder, _ = extracted
    page = html_mod.unescape(client.get("/downloads").text)
    code = re.search(r"<pre><code>(import pandas as pd.*?)</code></pre>", page, re.S).group(1)
    code = re.sub(r'base = "[^"]*"', f"base = {str(folder) + '/'!r}", code)
    scope: dict = {}
    exec(compile(code, "downloads-example", "exec"), scope)
    log = scope["log"]
    # The same call on a table whose sections all look like numbers (gates: "7.0").
    call = re.search(r'pd\.read_json\(base \+ "[a-z_]+\.json"(.*?)\)\n', code).group(1)
    gates = eval(f'pd.read_json(base + "gates.json"{call})', {"pd": pd, "base": str(folder) + "/"})
    with (folder / "gates.json").open(encoding="utf-8") as f:
        sections = [r["source_section"] for r in json.load(f)]
    assert all(x.replace(".", "").isdigit() for x in sections), "the gates should cite numbered sections"
    assert gates["source_section"].tolist() == sections  # "7.0", not 7.0
    with (folder / "coproduction_log.json").open(encoding="utf-8") as f:
        typed = json.load(f)
    assert pd.isna(log["staff_count"]).sum() == sum(r["staff_count"] is None for r in typed)
    # The Observable CSV example converts nothing either: d3.csv with no row function keeps
    # every value as text ("7.10", "2024-08-06"), where d3.autoType would not.
    observable = page[page.index('id="observable"') :]
    calls = re.findall(r"log = d3\.csv\(([^)]*)\)", observable)
    assert calls and all(c.count(",") == 0 for c in calls), calls


def test_a_register_without_downloads_says_so_without_naming_a_command(tmp_path):
    """Before the downloads are made (a national register, until its operator makes them)
    the page says so in words a visitor can use, and points to the tables."""
    (tmp_path / "repo").mkdir()
    root = copy_repo(tmp_path / "repo")
    build(Package(root), tmp_path / "build")
    page = Client(datasette_instance(tmp_path / "build")).get("/downloads")
    text = html_mod.unescape(page.text.split("<footer")[0])
    assert page.status_code == 200 and "The downloads have not been made yet; please try again later." in text
    assert "make extracts" not in text and 'href="/register"' in text


def test_the_notebook_pages_observable_code_names_an_address_other_sites_may_read(extracted, client):
    """Observable runs on another site. The page gave d3.json() of the table's .json
    address, which carried no Access-Control-Allow-Origin, so the browser refused it every
    time ("If Observable cannot fetch this address..."). A table's code loads its whole
    download; a query's loads its JSON, which other sites may now read too."""
    for path in (
        "/register/you_said_we_did.Notebook",
        "/register/projects.Notebook?_size=2",
        "/register.Notebook?sql=select+id+from+projects",
    ):
        page = html_mod.unescape(client.get(path).text)
        observable = page.split("<h2>Observable</h2>", 1)[1]
        url = re.search(r'd3\.json\(\s*"([^"]+)"', observable).group(1)
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200 and response.headers.get("access-control-allow-origin") == "*", url
        assert ("/downloads/" in url) == ("sql=" not in path), url


def test_the_json_of_tables_and_queries_may_be_read_by_pages_on_other_sites(client):
    # A dashboard on another site could not read /register/...json: its browser refused an
    # answer with no Access-Control-Allow-Origin, though the data is public.
    for path in ("/register/projects.json", "/register/latest_status_changes.json", "/register.json?sql=select+1"):
        response = client.get(path, headers={"Origin": "https://observablehq.com"})
        assert response.status_code == 200 and response.headers.get("access-control-allow-origin") == "*", path
