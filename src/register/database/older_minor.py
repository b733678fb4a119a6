"""A package on an older minor version of the standard, built by this one.

A new minor version of the standard only adds (schemas/standard.json). When it adds a
column to a shared codelist, such as the impacts codelist's `assessed` in 1.2.0, a
package written for the version before has codes but not the column, and the stored
views read the column. What a standard code means is the standard's, so the column is
taken from the standard's own codelist for the codes the package has, exactly as the
national register fills it when it merges such a package
(register/national/namespace.py, merge_codelists). A code the standard does not have is
left empty.
"""

from __future__ import annotations

import sqlite3

from register.checks.rules import read_rows
from register.schema.ddl import q
from register.schema.package import ROOT, Package


def missing_columns(package: Package, standard: Package) -> list[tuple[str, list]]:
    """(codelist, the standard's fields it lacks) for each shared codelist that lacks any."""
    out = []
    for res in package.resources:
        name = res.name
        if res.publishers_own or name not in standard.names:
            continue
        have = set(res.field_names)
        lacking = [f for f in standard.resource(name).fields if f.name not in have]
        if lacking:
            out.append((name, lacking))
    return out


def added_columns(package: Package, standard: Package | None = None) -> dict[str, list[str]]:
    """codelist -> the columns a build adds to it after the package's own (fill_from_standard)."""
    standard = standard or Package(ROOT)
    if package.root.resolve() == standard.root.resolve():
        return {}
    return {name: [f.name for f in fields] for name, fields in missing_columns(package, standard)}


def fill_from_standard(conn: sqlite3.Connection, package: Package, standard: Package | None = None) -> list[str]:
    """Add and fill the standard's codelist columns the package lacks, in the tables `conn`
    holds; returns a note for the publisher on each."""
    standard = standard or Package(ROOT)
    if package.root.resolve() == standard.root.resolve():
        return []
    filled = []
    held = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name, fields in missing_columns(package, standard):
        if name not in held:  # the build's second process holds some of the tables
            continue
        ours = {row.get("code"): row for _, row in read_rows(standard.resource(name).path)}
        for f in fields:
            conn.execute(f"ALTER TABLE {q(name)} ADD COLUMN {q(f.name)} {f.sqlite_type}")
            values = [(f.convert(row.get(f.name)), code) for code, row in ours.items()]
            conn.executemany(f"UPDATE {q(name)} SET {q(f.name)} = ? WHERE code = ?", values)
            filled.append(
                f"{package.resource(name).descriptor['path']} has no column {f.name!r}, which a newer "
                f"version of the standard than this package's adds: its values were taken from "
                f"the standard's own {name} codelist. Add the column when you move to that version."
            )
    return filled
