"""The frame of a synthetic register: a copy of the repository's data package, schemas,
metadata and codelists, with the synthetic source, the 42 ICBs and their places added,
so that validate and build work on it unchanged. The records are written by generate.py."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

from register.bench.phrases import ICBS
from register.schema import datapackage
from register.schema.package import MAIN_RESOURCES, Package

SYNTHETIC_SOURCE = "synthetic_register"
SECTION = "generated"
FIRST_ORDER = 100  # sort order of the first added code, after the real ones
# Places already in the real codelist that belong to Nottingham and Nottinghamshire.
NN_PLACES = (("south_nottinghamshire", "South Nottinghamshire"), ("north_nottinghamshire", "North Nottinghamshire"))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def copy_package(src: Package, out: Path, today: dt.date) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Write the frame into `out` (replacing what was there); returns each ICB's place
    codes and every place's title, for the records."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copyfile(src.descriptor_path, out / "datapackage.json")
    shutil.copytree(src.root / "schemas", out / "schemas")  # schemas/views/ too
    for name in ("metadata.yml", "publisher.yml"):
        if (src.root / name).exists():
            shutil.copyfile(src.root / name, out / name)
    (out / "datasets" / "codelists").mkdir(parents=True, exist_ok=True)
    for res in src.resources:
        if res.name in MAIN_RESOURCES:
            continue
        target = out / res.descriptor["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(res.path, target)
    synthetic = {
        "code": SYNTHETIC_SOURCE,
        "title": "Synthetic national register (generated for performance tests)",
        "description": "Rows made up by register/bench/generate.py to measure the register at the scale of all "
        "42 integrated care boards. Not real records.",
        "publisher": "Co-production Register",
        "published": str(today.year),
        "sort_order": 99,
    }
    sources = src.resource("sources")
    _append_rows(out / sources.descriptor["path"], [[synthetic.get(f, "") for f in sources.field_names]])
    orgs, places, icb_places, titles = _icb_codes(src)
    _append_rows(out / src.resource("organisations").descriptor["path"], orgs)
    _append_rows(out / src.resource("places").descriptor["path"], places)
    # The descriptor names its sources, the synthetic one now too (`make validate` warns otherwise).
    (out / "datapackage.json").write_text(datapackage.render(datapackage.derived(out)), "utf-8")
    return icb_places, titles


def _append_rows(path: Path, rows: list[list]) -> None:
    text = path.read_text("utf-8")
    with path.open("a", newline="", encoding="utf-8") as f:
        if text and not text.endswith("\n"):
            f.write("\n")
        csv.writer(f, lineterminator="\n").writerows(rows)


def _icb_codes(src: Package) -> tuple[list[list], list[list], dict[str, list[str]], dict[str, str]]:
    """The organisations and places rows to add (those not in the real codelists), each
    ICB's place codes (the whole system, then its parts) and every place's title."""
    existing_orgs = set(src.codes("organisations"))
    existing_places = set(src.codes("places"))
    orgs, places, icb_places = [], [], {}
    titles = {}
    order = FIRST_ORDER
    for code, name, _ in ICBS:
        if code not in existing_orgs:
            orgs.append(
                [
                    code,
                    f"NHS {name} Integrated Care Board",
                    f"Synthetic: the integrated care board for {name}.",
                    order,
                    SYNTHETIC_SOURCE,
                    SECTION,
                    "icb",  # kind (organisation_kinds)
                ]
            )
        parts = [p.strip() for p in re.split(r",| and ", name) if p.strip() and p.strip() != "the Isles of Scilly"]
        mine = []
        system_code = "nottingham_nottinghamshire" if code == "nn_icb" else slug(name) + "_system"
        if system_code not in existing_places:
            places.append(
                [
                    system_code,
                    f"{name} (system-wide)",
                    f"Synthetic: the whole area of {name}.",
                    order,
                    SYNTHETIC_SOURCE,
                    SECTION,
                ]
            )
        mine.append(system_code)
        titles[system_code] = name
        if len(parts) > 1:
            for part in parts:
                pcode = slug(part)
                if pcode in existing_places or any(p[0] == pcode for p in places):
                    pcode = f"{pcode}_{slug(code)}"
                places.append([pcode, part, f"Synthetic: a place within {name}.", order, SYNTHETIC_SOURCE, SECTION])
                mine.append(pcode)
                titles[pcode] = part
        icb_places[code] = mine
        order += 1
    for p, title in NN_PLACES:
        if p in existing_places:
            icb_places["nn_icb"].append(p)
            titles[p] = title
    return orgs, places, icb_places, titles
