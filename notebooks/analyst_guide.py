# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: title
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   title: Using the Co-production Register from Jupyter
# ---

# %% [markdown]
# # Using the Co-production Register from Jupyter
#
# A short guide for analysts. There are two ways in:
#
# 1. **The website's JSON API**, for the latest figures or one slice of the register.
#    Every table, view and query page on the site has a `.json` twin.
# 2. **The extracts** (CSV, JSON and a Frictionless data package), for complete,
#    citable downloads. Use these for anything large: the website caps any one answer
#    at 1,000 rows and a custom SQL query is never paged.
#
# Change `base_url` below to the address of the register (the public site, or
# `http://127.0.0.1:8001` when you run `make serve` yourself).

# %% tags=["parameters"]
base_url = "http://127.0.0.1:8001"
# The folder `make extracts` writes (None: build/extracts in this repository).
extracts_dir = None
# Rows per page when reading the API (the site allows up to 1,000).
page_size = 1000
# Where to write a summary of what was read, as JSON (None: do not write it).
output_dir = None

# %%
import json
from pathlib import Path

import pandas as pd
import requests

DATABASE = f"{base_url.rstrip('/')}/register"
summary = {"base_url": base_url}
try:
    requests.get(f"{DATABASE}.json", params={"_size": 1}, timeout=30).raise_for_status()
    site_found = True
except requests.RequestException as e:
    site_found = False
    print(
        f"Cannot read the register at {base_url} ({type(e).__name__}). Set base_url at the top to the "
        "register's address, or run `make serve` in a terminal and run this notebook again. "
        "Skipping the website examples (sections 1 to 3)."
    )
summary["site_found"] = site_found

# %% [markdown]
# ## 1. The JSON API
#
# Add `.json` to a table or view address, and `_shape=array` to get a plain list of
# rows. Long answers come in pages: the address of the next page is in the response's
# `Link` header (`rel="next"`), so keep following it until there is none. Following it
# gives every row once in any order, dates that tie included (the register breaks ties by
# the row's key). `fetch_all` below pages in the order of the primary key (`_sort=id`, or
# `_sort=code` for a codelist) when you name no order, which is the cheapest to serve.


# %%
def fetch_all(table: str, **params) -> pd.DataFrame:
    """Every row of a table or view, following the API's pages to the end."""
    url = f"{DATABASE}/{table}.json"
    if "_sort" not in params and "_sort_desc" not in params:
        about = requests.get(url, params={"_size": 1}, timeout=30)
        about.raise_for_status()
        keys = about.json().get("primary_keys") or []
        if len(keys) == 1:  # a table (a view has none, and is paged by position)
            params["_sort"] = keys[0]
    params = {"_shape": "array", "_size": page_size, **params}
    rows, pages = [], 0
    while url:
        response = requests.get(url, params=params, timeout=30)
        response.raise_for_status()
        rows.extend(response.json())
        pages += 1
        # The next page's address already carries every parameter.
        url, params = response.links.get("next", {}).get("url"), None
    print(f"{table}: {len(rows)} rows in {pages} page(s)")
    return pd.DataFrame(rows)


if site_found:
    # The current status of every "You said" item: the latest entry of its public history.
    current = fetch_all("you_said_we_did_current", _sort="id")
    display(current.head())

# %% [markdown]
# Filters go in the address too: `column=value` for an exact match, and
# `column__gte=`, `column__contains=` and friends
# (see [Datasette's table API](https://docs.datasette.io/en/0.65.x/json_api.html#table-arguments)).
# Here, the items still waiting for a decision:

# %%
if site_found:
    waiting = fetch_all("you_said_we_did_current", _sort="id", status="open")
    summary["open_items"] = len(waiting)
    # The public history of every status change, paged in the order of its primary key.
    history = fetch_all("you_said_we_did_updates")
    summary["status_updates"] = len(history)
    summary["status_updates_distinct"] = history["id"].nunique() if len(history) else 0
    summary["you_said_items"] = len(current)
    summary["by_status"] = current["status"].value_counts().to_dict() if len(current) else {}
    display(current["status"].value_counts())

# %% [markdown]
# ## 2. The measures, with plain-English labels
#
# The register's outcome measures are SQL views (`measure_...`), the same ones the site's
# measure pages and the impact report use. Codes such as `in_progress` have a
# plain-English title in their codelist table, so join on those rather than retyping
# labels.

# %%
if site_found:
    measure = fetch_all("measure_you_said_we_did")
    statuses = fetch_all("statuses")
    labelled = measure.merge(statuses[["code", "title"]], left_on="status", right_on="code")
    summary["measure_items"] = int(measure["items"].sum()) if len(measure) else 0
    display(labelled[["title", "items", "loop_closed", "overdue", "average_days_to_response"]])

# %% [markdown]
# ## 3. Your own SQL
#
# The database page runs read-only SQL: pass it as `sql=`. Answers to custom SQL are not
# paged and stop at 1,000 rows, so aggregate in SQL, or use the extracts for whole
# tables. A plain list (`_shape=array`) does not say when it was cut off; the default
# answer does (`"truncated": true`), so `run_sql` asks for that and refuses a cut-off answer.


# %%
def run_sql(sql: str) -> pd.DataFrame:
    """The whole answer to a read-only query, or an error if the site cut it off."""
    response = requests.get(f"{DATABASE}.json", params={"sql": sql, "_shape": "objects"}, timeout=30)
    response.raise_for_status()
    answer = response.json()
    if answer.get("truncated"):
        raise ValueError(f"the answer was cut off at {len(answer['rows'])} rows: aggregate in SQL or use the extracts")
    return pd.DataFrame(answer["rows"])


sql = """
select gate, participation_level, count(*) as activities
from coproduction_log
group by gate, participation_level
order by gate, participation_level
"""
if site_found:
    by_gate = run_sql(sql)
    summary["activities"] = int(by_gate["activities"].sum()) if len(by_gate) else 0
    # An answer longer than the site gives (every item beside every status change): run_sql
    # says so, rather than handing back the first 1,000 rows as if they were all.
    try:
        run_sql("select y.id, u.id from you_said_we_did y, you_said_we_did_updates u")
        summary["cut_off_refused"] = False
    except ValueError as e:
        print(e)
        summary["cut_off_refused"] = True
    display(by_gate)

# %% [markdown]
# ## 4. The extracts and their data package
#
# `make extracts` writes one CSV and one JSON file per table to `build/extracts/`, with a
# `datapackage.json` describing every file and field (types, titles, allowed codes). On the
# site they are on the downloads page. With the `frictionless` library you can check the
# files against their schemas and read them with the right types.
#
# In the CSV files, a text cell that a spreadsheet would run as a formula starts with a
# single quote (`'`); the JSON files keep the exact text.


# %%
def find_root() -> Path:
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "datapackage.json").exists() and (folder / "notebooks").is_dir():
            return folder
    return here


folder = Path(extracts_dir) if extracts_dir else find_root() / "build" / "extracts"
descriptor = folder / "datapackage.json"
extracts_found = descriptor.exists()
summary["extracts_found"] = extracts_found
if not extracts_found:
    print(
        f"No extracts found at {folder} (there is no datapackage.json there yet). "
        "Run `make extracts` to write them, then run this section again. "
        "Skipping the extracts examples."
    )

# %%
if extracts_found:
    from frictionless import Package

    package = Package(str(descriptor))
    resources = pd.DataFrame(
        [{"name": r.name, "path": r.path, "title": r.title, "fields": len(r.schema.fields)} for r in package.resources]
    )
    display(resources)

# %%
if extracts_found:
    # The CSV, typed by its Table Schema (dates become dates, counts numbers).
    log = package.get_resource("coproduction_log")
    rows = log.read_rows()
    activities = pd.DataFrame([row.to_dict() for row in rows])
    summary["extract_activities"] = len(activities)
    print(f"{len(activities)} activities in {log.path}")
    display(activities.groupby("gate").size().rename("activities").to_frame())

# %%
if extracts_found:
    # The same table as JSON: an array of objects with typed values ([] for a table with
    # no rows yet). The data package's schema names the columns, so they are there even then.
    columns = [field.name for field in package.get_resource("coproduction_log_json").schema.fields]
    with open(folder / "coproduction_log.json", encoding="utf-8") as f:
        as_json = pd.DataFrame(json.load(f), columns=columns)
    summary["extract_json_activities"] = len(as_json)
    print(f"{len(as_json)} activities in coproduction_log.json")

# %% [markdown]
# To check every file against its schema before you rely on it, run
# `frictionless validate build/extracts/datapackage.json` in a terminal (or
# `frictionless.validate(descriptor)` here).

# %% tags=["remove-cell"]
if output_dir:
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "analyst_guide_summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
