"""The national register's own tables: publishers and every fetch of their packages.

They are resources of the national data package like any other, so the build checks and
loads them and the site describes their columns from these schemas.
"""

from __future__ import annotations

from register.national.describe import licence_note
from register.national.namespace import PUBLISHERS
from register.national.registry import Publisher

FETCHES = "publisher_fetches"
STRING = "string"
ISO_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
# Addresses and digests are not text people type: a pattern says so (and keeps the privacy
# check from reading a hex digest's digits as a phone or NHS number).
SHA256 = "^[0-9a-f]{64}$"
NO_SPACES = "^[^ ]+$"


def _field(name: str, title: str, description: str, type_: str = STRING, **constraints) -> dict:
    return {"name": name, "type": type_, "title": title, "description": description, "constraints": constraints}


def _time(name: str, title: str, description: str) -> dict:
    return _field(name, title, description + " (UTC, ISO 8601).", pattern=ISO_TIME)


PUBLISHERS_SCHEMA = {
    "title": "Publishers",
    "description": "The publishers whose registers make up the national register, from the registry, "
    "with where their data came from and whether it could be loaded.",
    "fields": [
        _field(
            "code",
            "Code",
            "The publisher's code; its records' identifiers begin with it.",
            required=True,
            unique=True,
            pattern="^[a-z0-9_]+$",
        ),
        _field("title", "Publisher", "The publisher's name, from the registry.", required=True),
        _field("homepage", "Register", "The address of the publisher's own register.", pattern=NO_SPACES),
        _field(
            "package",
            "Data package",
            "Where its data package is fetched from (a URL or a path).",
            required=True,
            pattern=NO_SPACES,
        ),
        _field("licence", "Licence in the registry", "The licence the registry records for its data.", required=True),
        _field(
            "package_licence",
            "Licence of the data shown",
            "The open licences its own data package names (separated by semicolons): the data shown, "
            "every record whose from_publisher is this code, is under these.",
        ),
        _field(
            "licence_note",
            "Licence note",
            "When the registry's licence is not one its data package names: what each says, and which applies.",
        ),
        _field("contact", "Contact", "Who to contact about its data (a team, not a person)."),
        _field(
            "update_frequency",
            "Update frequency",
            "How often it promises to update its data (ISO 8601 duration or words).",
            required=True,
        ),
        _field(
            "frequency_days",
            "Update frequency in days",
            "The update frequency in days, against which freshness is judged.",
            "integer",
            required=True,
            minimum=1,
        ),
        _field("standard_version", "Standard version", "The version of the standard its loaded data conforms to."),
        _field(
            "version_declared",
            "Version declared",
            "Whether its data package declares the standard version (if not, 1.0.0 is assumed).",
            "boolean",
        ),
        _field("status", "Shown", "What is shown: its latest data, its last good copy, or nothing."),
        _field("status_reason", "Why", "Why its latest fetch is not what is shown, when it is not."),
        _field(
            "valid",
            "Latest fetch valid",
            "Whether the latest fetch was fetched and passed every check, merging with the other publishers included.",
            "boolean",
        ),
        _time("last_attempt_at", "Last fetched", "When its package was last fetched"),
        _time("fetched_at", "Shown copy fetched", "When the copy shown was fetched"),
        _time("updated_at", "Shown copy first seen", "When the data shown was first fetched: when it last changed"),
        _field("sha256", "SHA-256", "The SHA-256 of the copy shown (every file's path and content).", pattern=SHA256),
        _field("problem_count", "Problems", "How many problems the checks found in the latest fetch.", "integer"),
        _field("first_problems", "First problems", "The first problems found in the latest fetch."),
    ],
    "primaryKey": ["code"],
    "missingValues": [""],
}

FETCHES_SCHEMA = {
    "title": "Publisher fetches",
    "description": "Every attempt to fetch a publisher's data package, with its provenance and what the checks found.",
    "fields": [
        _field(
            "id",
            "Fetch",
            "The publisher's code and the attempt's number.",
            required=True,
            unique=True,
            pattern="^[a-z0-9_]+:[0-9]+$",
        ),
        _field("publisher", "Publisher", "Whose package was fetched.", required=True),
        _time("attempted_at", "Fetched", "When it was fetched"),
        _field("url", "From", "The URL or path of the datapackage.json fetched.", required=True, pattern=NO_SPACES),
        _field("sha256", "SHA-256", "The SHA-256 of what was fetched (every file's path and content).", pattern=SHA256),
        _field("bytes", "Bytes", "How many bytes were fetched.", "integer"),
        _field(
            "standard_version",
            "Standard version",
            "The version of the standard the package declares (1.0.0 if it does not).",
        ),
        _field("version_declared", "Version declared", "Whether the package declares the standard version.", "boolean"),
        _field(
            "validation", "Validation", "valid, invalid, or not checked (when it could not be fetched).", required=True
        ),
        _field("problem_count", "Problems", "How many problems the checks found.", "integer"),
        _field("first_problems", "First problems", "The first problems found, one a line."),
        _field("error", "Why not used", "Why this fetch was not used, when it was not."),
        _field("served", "Shown after this fetch", "this fetch, last good copy, or none."),
    ],
    "primaryKey": ["id"],
    "foreignKeys": [{"fields": ["publisher"], "reference": {"resource": PUBLISHERS, "fields": ["code"]}}],
    "missingValues": [""],
}


def _resource(name: str, schema: dict, rows: list[dict]) -> dict:
    return {
        "name": name,
        "title": schema["title"],
        "description": schema["description"],
        "path": f"datasets/{name}.csv",
        "schema": f"schemas/{name}.json",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "profile": "tabular-data-resource",
        "schema_json": schema,
        "rows": rows,
    }


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def publisher_row(
    p: Publisher, latest: dict, good: dict | None, homepage: str, refused: str | None, licences: list[dict]
) -> dict:
    """The publisher's row; `licences`: the open licences its shown copy's package names."""
    status = latest["served"] if not refused else "none"
    named = [lic["name"] for lic in licences] if status != "none" else []
    reason = refused or ("" if status == "this fetch" else latest["error"])
    row = {
        "code": p.code,
        "title": p.name,
        "homepage": homepage,
        "package": p.package,
        "licence": p.licence,
        "package_licence": "; ".join(named),
        "licence_note": licence_note(p.licence, named),
        "contact": p.contact,
        "update_frequency": p.update_frequency,
        "frequency_days": p.frequency_days,
        "standard_version": (good or {}).get("standard_version", ""),
        "version_declared": (good or {}).get("version_declared", ""),
        "status": {"this fetch": "latest data", "last good copy": "last good copy", "none": "nothing"}[status],
        "status_reason": reason,
        # Refused at the merge (its codes mean something else, or its rows break the
        # standard there): it did not pass every check, whatever the first checks said.
        "valid": not latest["error"] and not refused,
        "last_attempt_at": latest["attempted_at"],
        "fetched_at": (good or {}).get("fetched_at", ""),
        "updated_at": (good or {}).get("first_seen", ""),
        "sha256": (good or {}).get("sha256", ""),
        "problem_count": latest["problem_count"],
        "first_problems": latest["first_problems"],
    }
    return {k: _cell(v) for k, v in row.items()}


def extra_resources(publishers: list[dict], attempts: list[dict]) -> list[dict]:
    """The two tables as resources for namespace.write_package (publishers first)."""
    known = {p["code"] for p in publishers}
    numbered: dict[str, int] = {}
    fetch_rows = []
    for a in attempts:
        if a["publisher"] not in known:  # a publisher since taken out of the registry
            continue
        numbered[a["publisher"]] = numbered.get(a["publisher"], 0) + 1
        row = {name: _cell(a.get(name)) for name in (f["name"] for f in FETCHES_SCHEMA["fields"])}
        row["id"] = f"{a['publisher']}:{numbered[a['publisher']]:06d}"
        fetch_rows.append(row)
    return [_resource(FETCHES, FETCHES_SCHEMA, fetch_rows), _resource(PUBLISHERS, PUBLISHERS_SCHEMA, publishers)]
