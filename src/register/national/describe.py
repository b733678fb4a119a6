"""What the national data package and site say about themselves: who runs the register,
what it holds, whose data it is and under which licences.

The national register speaks for whoever runs it, so its title, description, homepage,
publisher and contributors come from the publisher.yml beside the registry, as a
publisher's own package's come from its publisher.yml (register.schema.datapackage).
Its records are the publishers' own, under the licences their own data packages name: the
package lists every distinct licence of the publishers shown, and the publishers table
says which applies to whose rows (each record's from_publisher).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import yaml

from register.national.registry import OPEN_LICENCES
from register.schema import datapackage
from register.schema import publisher as publisher_mod
from register.schema.package import Package
from register.schema.standard import DECLARATION
from register.util import yaml_text

NAME = "national-coproduction-register"
DESCRIPTION = (
    'Co-production logs, equality impacts and "You said, we did" records of many NHS publishers, '
    "fetched from their own registers, checked against the standard and brought together. "
    "Every record links to its publisher's own register, and is under its publisher's licence."
)
KEPT = ("profile", "keywords", DECLARATION)  # from the standard's own package


def own_descriptor(folder: Path | None) -> dict:
    """A publisher's datapackage.json, or {} when it has none or it cannot be read."""
    if folder is None:
        return {}
    try:
        descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return descriptor if isinstance(descriptor, dict) else {}


def open_licences(descriptor: dict) -> list[dict]:
    """The open licences a data package names, as {name, title, path}: only those the
    national register loads (registry.OPEN_LICENCES), and a path only if it is an address."""
    out = []
    for lic in descriptor.get("licenses") or []:
        if not isinstance(lic, dict) or lic.get("name") not in OPEN_LICENCES:
            continue
        entry = {"name": lic["name"], "title": OPEN_LICENCES[lic["name"]]}
        path = lic.get("path")
        if isinstance(path, str) and path.startswith(("http://", "https://")) and " " not in path:
            entry["path"] = path
        out.append(entry)
    return out


def licence_note(recorded: str, named: list[str]) -> str:
    """Why the registry's licence is not the one the data shown is under, or ""."""
    if not named or recorded in named:
        return ""
    return (
        f"the registry records {recorded}, but its data package names {', '.join(named)}: "
        "the data shown is under its data package's licence"
    )


def _source_titles(package: Package) -> list[dict]:
    path = package.resource("sources").path if "sources" in package.names else None
    if path is None or not path.exists():
        return []
    return datapackage.sources(path)


def descriptor(standard: Package, operator: Path, shown: list[tuple[str, str, Path]]) -> dict:
    """The national package's descriptor (without resources). `shown`: (name, homepage,
    package folder) of each publisher whose records are in it, in registry order."""
    who = publisher_mod.load(operator)
    licences: dict[str, dict] = {}
    contributors = [{"title": who.team, "role": "publisher"}]
    contributors += [{"title": c, "role": "contributor"} for c in who.contributors]
    sources: dict[str, dict] = {}
    for name, homepage, folder in shown:
        for lic in open_licences(own_descriptor(folder)):
            licences.setdefault(lic["name"], lic)
        contributors.append({"title": name, "role": "contributor", **({"path": homepage} if homepage else {})})
        for s in _source_titles(Package(folder)):
            sources.setdefault(s["title"], s)
    return {
        **{k: v for k, v in standard.descriptor.items() if k in KEPT},
        "name": NAME,
        "title": f"Co-production Register: {who.short_name}",
        "description": f"{DESCRIPTION} Published by {who.name}.",
        "homepage": who.homepage,
        **({"licenses": list(licences.values())} if licences else {}),
        "publisher": who.name,
        "contributors": contributors,
        "sources": list(sources.values()),
    }


def site_metadata(package_dir: Path, described: dict) -> None:
    """The national site's own title, description and licence over the standard's metadata.yml."""
    path = package_dir / "metadata.yml"
    site = yaml_text.safe_load(path.read_text("utf-8")) if path.exists() else {}
    site = site or {}
    who = publisher_mod.load(package_dir)
    site.update(
        {
            "title": described["title"],
            "description_html": f"<p>{html.escape(who.about)}</p><p>{html.escape(DESCRIPTION)}</p>",
        }
    )
    for key in ("source", "source_url", "license", "license_url"):
        site.pop(key, None)
    licences = described["licenses"]
    if len(licences) == 1:
        site["license"] = licences[0]["title"]
        if licences[0].get("path"):
            site["license_url"] = licences[0]["path"]
    elif licences:
        titles = [f"the {lic['title']}" for lic in licences]
        site["license"] = "each publisher's own licence: " + ", ".join(titles[:-1]) + " or " + titles[-1]
    path.write_text(yaml.safe_dump(site, sort_keys=False, allow_unicode=True), "utf-8")
