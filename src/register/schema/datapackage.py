"""`python -m register.schema.datapackage [--write]`: the resources of datapackage.json,
derived from their names, the schemas and the files in datasets/.

datapackage.json is committed so that `frictionless validate datapackage.json` works on
a fresh clone, but most of each resource entry is derived: the path and schema follow
from the name (a resource with its own schema, schemas/<name>.json, is read from
datasets/<name>.csv; the others are codelists, datasets/codelists/<name>.csv with
schemas/codelist.json, or schemas/codelists/<name>.json for a codelist with attributes
of its own, whose first fields must be codelist.json's), and a resource with its own schema takes its title and
description from that schema. Only the name and order of the resources, and the title
and description of each codelist (which share one schema), are written by hand.

What the package says about its publisher is derived too: title, description, publisher,
homepage and contributors from publisher.yml (register/schema/publisher.py), sources from
datasets/sources.csv (so a package lists only the documents its own records cite), and
the version of the standard it follows from its schemas/standard.json.

Without --write it checks: exit 1, naming what differs, when the committed file is not
what this would write (tests/unit/test_drift.py runs the check).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from register.schema import publisher as publisher_mod
from register.schema import standard as standard_mod
from register.schema.package import ROOT, DescriptorError, read_descriptor
from register.util.guard import plain_errors
from register.util.text import command_parser, printable

DESCRIPTOR = "datapackage.json"
CODELIST_SCHEMA = "schemas/codelist.json"
COMMAND = "python -m register.schema.datapackage --write"
FORMAT = {"format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "profile": "tabular-data-resource"}


def derived_resource(root: Path, entry: dict) -> dict:
    """One resource entry: the hand-written name (and codelist text), the rest derived."""
    name = entry["name"]
    own_schema = root / "schemas" / f"{name}.json"
    if own_schema.is_file():
        schema = json.loads(own_schema.read_text("utf-8"))
        text = {"title": schema.get("title", name), "description": schema.get("description", "")}
        where = {"path": f"datasets/{name}.csv", "schema": f"schemas/{name}.json"}
    else:
        text = {"title": entry.get("title", name), "description": entry.get("description", "")}
        extended = f"schemas/codelists/{name}.json"  # a codelist with attributes of its own
        schema = extended if (root / extended).is_file() else CODELIST_SCHEMA
        where = {"path": f"datasets/codelists/{name}.csv", "schema": schema}
    return {"name": name, **text, **where, **FORMAT}


def sources(path: Path) -> list[dict]:
    """The data package's sources: each document of sources.csv by its title, with its
    web address as `path` when it is published online."""
    with path.open(newline="", encoding="utf-8") as f:
        return [
            {"title": row["title"], **({"path": row["url"]} if row.get("url") else {})}
            for row in csv.DictReader(f)
            if row.get("title")
        ]


def about_publisher(root: Path) -> dict:
    """The package-level keys that speak for its publisher, from publisher.yml and sources.csv."""
    who = publisher_mod.load(root)
    promise = f" as promised in the {who.short_name} {who.strategy.name}" if who.strategy.name else ""
    if promise and who.strategy.section:
        promise += f" (section {who.strategy.section})"
    return {
        "title": f"Co-production Register: {who.short_name}",
        "description": "The public register of co-production in NHS commissioning: a co-production log for each "
        'project at every gate of the commissioning cycle, its equality impacts, and "You said, we did" '
        f"updates with their full status history{promise}. Published by {who.name}.",
        "homepage": who.homepage,
        standard_mod.DECLARATION: standard_mod.load(root / "schemas").version,
        "publisher": who.name,
        "contributors": [{"title": who.team, "role": "publisher"}]
        + [{"title": c, "role": "contributor"} for c in who.contributors],
        "sources": sources(root / "datasets" / "sources.csv"),
    }


def derived(root: Path) -> dict:
    """The descriptor as it should be: the committed one with every resource derived."""
    descriptor = read_descriptor(root / DESCRIPTOR)
    keys = about_publisher(root)
    # Derived keys keep their place in the file; new ones go before the resources.
    resources = descriptor.pop("resources")
    descriptor.update(keys)
    descriptor["resources"] = [derived_resource(root, r) for r in resources]
    return descriptor


def render(descriptor: dict) -> str:
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def unlisted_files(root: Path, descriptor: dict) -> list[str]:
    """CSV files in datasets/ that no resource describes (they would never be published)."""
    listed = {r["path"] for r in descriptor["resources"]}
    found = sorted(p.relative_to(root).as_posix() for p in (root / "datasets").glob("**/*.csv"))
    return [p for p in found if p not in listed]


def differences(root: Path) -> list[str]:
    """What differs between the committed datapackage.json and the derived one, in words."""
    committed = read_descriptor(root / DESCRIPTOR)
    should = derived(root)
    problems = [
        f"{key} is {committed.get(key)!r}, should be {should[key]!r} (from publisher.yml, sources.csv, standard.json)"
        for key in about_publisher(root)
        if committed.get(key) != should[key]
    ]
    for have, want in zip(committed["resources"], should["resources"]):
        for key in sorted(set(have) | set(want)):
            if have.get(key) != want.get(key):
                problems.append(f"resource {want['name']!r}: {key} is {have.get(key)!r}, should be {want.get(key)!r}")
    if not problems and render(committed) != (root / DESCRIPTOR).read_text("utf-8"):
        problems.append("the file is not laid out as the generator writes it (indent 2, UTF-8)")
    for path in unlisted_files(root, should):
        problems.append(f"{path} is not a resource: add its name (and, for a codelist, title and description)")
    for r in should["resources"]:
        if not (root / r["path"]).is_file():
            problems.append(f"resource {r['name']!r}: {r['path']} does not exist")
    return problems


def command(root: Path) -> str:
    """The command that regenerates root's datapackage.json, as a person types it."""
    return COMMAND if Path(root).resolve() == ROOT.resolve() else f"{COMMAND} --root {root}"


# The keys by which the data package names its publisher to anyone who takes it away: the
# national register links every record to `homepage`, and cites `publisher`.
# The keys that say whose register it is, of those about_publisher() derives.
WHO = ("homepage", "publisher")


def speaks_for_another(root: Path) -> list[tuple[str, str, str]]:
    """(key, what datapackage.json says, what publisher.yml says) for each key naming the
    publisher that differs: a package copied from another register and not regenerated
    still names that register, and the national register would link its records there."""
    try:
        should = about_publisher(root)
        committed = json.loads((Path(root) / DESCRIPTOR).read_text("utf-8"))
    except (publisher_mod.PublisherError, OSError, ValueError):
        return []  # said by the checks of publisher.yml and of the package
    return [(key, str(committed.get(key) or ""), should[key]) for key in WHO if committed.get(key) != should[key]]


def staleness(root: Path) -> str | None:
    """A warning for `make validate` when the descriptor is not what it is derived from:
    the data package published with the data would speak for the publisher wrongly."""
    try:
        problems = differences(Path(root))
    except publisher_mod.PublisherError as e:
        return f"datapackage.json cannot be checked against publisher.yml: {e}"
    except (UnicodeDecodeError, csv.Error):
        return None  # sources.csv cannot be read: the check of the rows says where and why
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (
        f"datapackage.json is not what publisher.yml, datasets/sources.csv and the schemas say: "
        f"{printable(problems[0], 300)}{more}. Run `{command(root)}` to regenerate it"
    )


@plain_errors("deriving datapackage.json")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--root", default=str(ROOT), help="the repository whose datapackage.json to derive")
    parser.add_argument("--write", action="store_true", help="rewrite datapackage.json instead of checking it")
    args = parser.parse_args(argv)
    root = Path(args.root)
    path = root / DESCRIPTOR
    refused = "Not written" if args.write else "Not checked"
    if not root.is_dir():
        print(
            f"{refused}: {printable(str(root))} is not a folder (give --root the register's folder).", file=sys.stderr
        )
        return 1
    try:
        publisher_mod.load(root)
        read_descriptor(path)
    except publisher_mod.PublisherError as e:
        print(f"{refused}: {e}. The package's publisher.yml says who publishes it.", file=sys.stderr)
        return 1
    except DescriptorError as e:
        print(f"{refused}: {e}.", file=sys.stderr)
        return 1
    if args.write:
        path.write_text(render(derived(root)), "utf-8")
        print(f"Wrote {path}.")
    problems = differences(root)  # after --write, only what a person must add by hand
    if problems:
        print(f"{path} is not what the schemas and datasets/ say:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        if not args.write:
            print(f"Run `{command(root)}` to regenerate it.", file=sys.stderr)
        return 1
    if not args.write:
        print(f"{path} is up to date with the schemas.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
