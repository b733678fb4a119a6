"""The SQLite tables a Table Schema describes: order, DDL and indexes, derived from the schemas.

Lives beside the schema reader because both the checker (which loads as it checks) and the
build create tables, and neither should import the other to do it.
"""

from __future__ import annotations

from register.schema.package import Field, Package, Resource


def build_order(package: Package) -> list[Resource]:
    """Resources ordered so every table is created after the tables it references."""
    done: list[str] = []
    pending = list(package.resources)
    while pending:
        for res in pending:
            deps = {f.reference[0] for f in res.fields if f.reference and f.reference[0] != res.name}
            if deps <= set(done):
                done.append(res.name)
                pending.remove(res)
                break
        else:
            raise ValueError("circular foreign keys between: " + ", ".join(r.name for r in pending))
    return [package.resource(n) for n in done]


def q(name: str) -> str:
    """An SQL identifier, quoted as sqlite-utils 4 quotes it."""
    return '"' + name.replace('"', '""') + '"'


def create_table(db, res: Resource) -> None:
    """CREATE TABLE from the schema: types, primary key, NOT NULL and foreign keys.

    `db` is a sqlite3 connection or a sqlite-utils Database. Plain SQL rather than
    sqlite-utils' create(): importing sqlite-utils imports pandas, half a second and
    60 MB for every build.
    """
    pk = res.primary_key
    columns = []
    for f in res.fields:
        column = f"{q(f.name)} {f.sqlite_type}"
        if len(pk) == 1 and f.name == pk[0]:
            column += " PRIMARY KEY"
        if f.required:
            column += " NOT NULL"
        if f.reference:
            column += f" REFERENCES {q(f.reference[0])}({q(f.reference[1])})"
        columns.append(column)
    if len(pk) > 1:
        columns.append(f"PRIMARY KEY ({', '.join(q(k) for k in pk)})")
    db.execute(f"CREATE TABLE {q(res.name)} (\n   " + ",\n   ".join(columns) + "\n)")


def create_index(db, table: str, column: str) -> None:
    """An index named as sqlite-utils names it (idx_<table>_<column>)."""
    db.execute(f"CREATE INDEX {q(f'idx_{table}_{column}')} ON {q(table)} ({q(column)})")


def link_tables(package: Package) -> list[tuple[Resource, Field, str]]:
    """(resource, list field, link table) for every semicolon-separated code list."""
    return [(res, f, f"{res.name}_{f.name}") for res in package.resources for f in res.fields if f.list_of]


def create_link_table(db, res: Resource, f, table: str) -> None:
    key = f"{res.name}_id"
    pk = res.primary_key[0]
    db.execute(
        f"CREATE TABLE {q(table)} (\n   {q(key)} TEXT REFERENCES {q(res.name)}({q(pk)}),\n"
        f"   [code] TEXT REFERENCES {q(f.list_of)}([code]),\n   PRIMARY KEY ({q(key)}, [code])\n)"
    )


def id_number(column: str) -> str:
    """SQL for the number of an identifier such as UPD-10000 in `column`, to order records
    made on the same day by: as text, UPD-9999 sorts after UPD-10000. The identifiers'
    pattern ("at least four digits") lets the number grow a digit; views.sql writes the
    same expression for the current status (tests/integration/test_id_order.py holds it to this)."""
    return f"CAST(substr({column}, length(rtrim({column}, '0123456789')) + 1) AS INTEGER)"
