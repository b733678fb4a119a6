"""Codes, titles and links: every code shown on the register's pages links to its meaning.

The codelists and the foreign keys are read from the built database (which the build
takes from the schemas), so a code's title is written once, in its codelist.
"""

from dataclasses import dataclass, field
from urllib.parse import unquote

from datasette.utils import tilde_decode, tilde_encode
from markupsafe import Markup, escape

DB = "register"
# Records that have a page of their own, designed for people: linked there, not to their row.
DESIGNED_PAGES = {"projects": "/projects/", "you_said_we_did": "/you-said/"}
GROUPS_TABLE = "coproduction_log_groups"  # derived by register/database/build.py from coproduction_log.groups


def record_id(request) -> str:
    """The record id in a designed page's address: tilde-encoded as the site links it
    (`nhs_a~3APRJ-0001`), or percent-encoded as a browser or another site may send it
    (`nhs_a%3APRJ-0001`), which Datasette's tilde_decode would leave as it is: such a
    link to a national register's project was a 404."""
    return tilde_decode(unquote(request.url_vars["id"]))


async def load_codelists(datasette) -> dict[str, dict[str, dict]]:
    """Every codelist (a table keyed by `code` with a title), row by code, in order.

    Kept on the register's Database object, which a new build replaces (on the Datasette
    object, a code added while the site ran stayed unknown to it until a restart).
    """
    db = datasette.get_database(DB)
    cached = getattr(db, "_register_codelists", None)
    if cached is not None:
        return cached
    out: dict[str, dict[str, dict]] = {}
    for table in await db.table_names():
        if await db.primary_keys(table) != ["code"]:
            continue
        columns = await db.table_columns(table)
        if "title" not in columns:
            continue
        order = "sort_order, code" if "sort_order" in columns else "code"
        rows = (await db.execute(f"select * from [{table}] order by {order}")).rows
        out[table] = {r["code"]: dict(r) for r in rows}
    db._register_codelists = out
    return out


async def load_column_targets(datasette) -> dict[str, str]:
    """Column name -> the table its codes point at, read from the database's foreign keys
    (which the build takes from the schemas). Used for views, which have no keys of
    their own; a name that points at two different tables is left out. Kept with the
    build, as the codelists are."""
    db = datasette.get_database(DB)
    cached = getattr(db, "_register_column_targets", None)
    if cached is not None:
        return cached
    seen: dict[str, set[str]] = {}
    for table in await db.table_names():
        for fk in await db.foreign_keys_for_table(table):
            seen.setdefault(fk["column"], set()).add(fk["other_table"])
    out = {col: next(iter(t)) for col, t in seen.items() if len(t) == 1 and col != "code"}
    db._register_column_targets = out
    return out


@dataclass
class Linker:
    """Turns (column or table, code) into a link to the code's meaning, titled in words."""

    datasette: object
    codelists: dict
    targets: dict
    extra: dict = field(default_factory=dict)  # table -> {key: title} for non-codelist rows
    # The links made, by (column or table, code, text): a page repeats the same few codes
    # (the project with the most activities links about 1,000 of them, most alike), and
    # making each again took a third of that page's 90 ms, profiled.
    made: dict = field(default_factory=dict, repr=False)

    def add(self, table: str, titles: dict) -> None:
        self.extra.setdefault(table, {}).update(titles)
        self.made.clear()

    def table_for(self, column_or_table: str) -> str:
        if column_or_table in self.codelists or column_or_table in self.extra:
            return column_or_table
        return self.targets.get(column_or_table, column_or_table)

    def title(self, column_or_table: str, code) -> str:
        if code is None or code == "":
            return ""
        table = self.table_for(column_or_table)
        if table in self.codelists and code in self.codelists[table]:
            return self.codelists[table][code]["title"]
        return self.extra.get(table, {}).get(code, str(code))

    def url(self, column_or_table: str, code) -> str:
        """A record's own public web address (a source document's `url`), or ""."""
        return (self.codelists.get(self.table_for(column_or_table), {}).get(code) or {}).get("url") or ""

    def href(self, column_or_table: str, code) -> str | None:
        table = self.table_for(column_or_table)
        path = self.datasette.urls.path
        if table in DESIGNED_PAGES:
            return path(DESIGNED_PAGES[table] + tilde_encode(str(code)))
        if table == "glossary":
            return path(f"/glossary#{code}")
        known = (table in self.codelists and code in self.codelists[table]) or code in self.extra.get(table, {})
        if not known:
            return None
        return self.datasette.urls.row(DB, table, tilde_encode(str(code)))

    def __call__(self, column_or_table: str, code, text: str | None = None) -> Markup:
        key = (column_or_table, code, text)
        if key not in self.made:
            self.made[key] = self.make(column_or_table, code, text)
        return self.made[key]

    def make(self, column_or_table: str, code, text: str | None = None) -> Markup:
        if code is None or code == "":
            return Markup("")
        label = text if text is not None else self.title(column_or_table, code)
        href = self.href(column_or_table, code)
        if not href:
            return escape(label)
        return Markup('<a href="{}">{}</a>').format(href, label)

    def codelist_title(self, table: str) -> str:
        return (self.datasette.table_metadata(DB, table) or {}).get("title") or table.replace("_", " ").capitalize()


async def project_titles(datasette) -> dict:
    """Every project's title by id. Read once per build: kept on the register's Database
    object, which a new build replaces (register/site/reload.py); reading the 68,000
    titles of a national register took 0.1 to 0.3 s of every page."""
    db = datasette.get_database(DB)
    titles = getattr(db, "_register_project_titles", None)
    if titles is None:
        titles = {r["id"]: r["title"] for r in (await db.execute("select id, title from projects")).rows}
        db._register_project_titles = titles
    return titles


async def make_linker(datasette) -> Linker:
    linker = Linker(datasette, await load_codelists(datasette), await load_column_targets(datasette))
    linker.extra["projects"] = dict(await project_titles(datasette))
    return linker


async def fetch_rows(datasette, sql: str, params=None) -> list[dict]:
    db = datasette.get_database(DB)
    return [dict(r) for r in (await db.execute(sql, params or {})).rows]


def id_spellings(typed: str) -> list[str]:
    """The ways a person may type one record's identifier: as it is, in capitals
    (ys-0002 for YS-0002), and, on the national register, with the publisher's prefix in
    small letters and the rest in capitals (NN_ICB:prj-0001 for nn_icb:PRJ-0001). Each
    is looked up through the key's index; capitalising the whole (NN_ICB:PRJ-0001) would
    never find a national record."""
    typed = typed.strip()
    prefix, colon, rest = typed.rpartition(":")
    return list(dict.fromkeys([typed, typed.upper(), prefix.lower() + colon + rest.upper()]))


async def known_id(datasette, table: str, typed: str) -> str | None:
    """The identifier of the record of `table` that `typed` names, as the register writes
    it (the exact spelling first), or None."""
    spellings = id_spellings(typed)
    params = {f"i{n}": s for n, s in enumerate(spellings)}
    rows = await fetch_rows(datasette, f"select id from [{table}] where id in (:{', :'.join(params)})", params)
    found = {r["id"] for r in rows}
    return next((s for s in spellings if s in found), None)


async def with_publishers(datasette, table: str, typed: str) -> list[str]:
    """On the national register, the identifiers of `table` that `typed`, written without
    its publisher's prefix (PRJ-0011, copied from a publisher's own register), is with each
    publisher's: ["nc_icb:PRJ-0011"]. Empty on a publisher's own register."""
    typed = typed.strip()
    if not typed or ":" in typed or "publishers" not in await datasette.get_database(DB).table_names():
        return []
    codes = [r["code"] for r in await fetch_rows(datasette, "select code from publishers order by code")]
    params = {f"i{n}": f"{code}:{typed.upper()}" for n, code in enumerate(codes)}
    if not params:
        return []
    sql = f"select id from [{table}] where id in (:{', :'.join(params)}) order by id"
    return [r["id"] for r in await fetch_rows(datasette, sql, params)]


async def publisher_hint(datasette, table: str, typed: str, address=None) -> str:
    """After "There is no project with the ID 'PRJ-0011'", on the national register where
    a publisher has it: where it is, with its prefix (and its page, from `address`)."""
    found = await with_publishers(datasette, table, typed)
    places = "; ".join(f"{i} is at {address(i)}" if address else i for i in found)
    return f" Here every ID starts with its publisher's code: {places}." if found else ""


def view_meta(datasette, view: str) -> dict:
    """A table's or view's metadata, read once per server: the site's metadata is read at
    start-up and never changes while it runs. A project page at national scale asks for
    column titles about 2,000 times, and Datasette merges its metadata afresh each time
    (19 us a call: 42 ms of that page's 99 ms)."""
    known = datasette.__dict__.setdefault("_register_view_meta", {})
    if view not in known:
        known[view] = datasette.table_metadata(DB, view) or {}
    return known[view]


def column_label(datasette, view: str, column: str) -> tuple[str, str]:
    """(label, description) of a view column from metadata.yml's 'Label: description'."""
    text = (view_meta(datasette, view).get("columns") or {}).get(column, "")
    if ": " in text:
        label, desc = text.split(": ", 1)
        return label, desc
    return column.replace("_", " ").capitalize(), text


def field_title(datasette, table: str, column: str) -> str:
    """A column's title as its schema gives it (schemas/*.json, schemas/views/*.json, or
    metadata.yml for a view that is not exported), read from the build's metadata: the
    one label the designed pages (the Jinja global `field_title`) and the feeds use, so
    that they call a field what its table, its download and the data dictionary call it."""
    return column_label(datasette, table, column)[0]


async def publisher_credit(datasette, table: str, record_id: str) -> dict | None:
    """On the national register, the publisher a record comes from: its code, name, own
    register and the record there (publisher_url), for the record's public page to credit
    it; None on a publisher's own register, which has no publishers table."""
    if "publishers" not in await datasette.get_database(DB).table_names():
        return None
    found = await fetch_rows(
        datasette,
        f"""select p.code, p.title, p.homepage, t.publisher_url as url
            from [{table}] t join publishers p on p.code = t.from_publisher where t.id = :id""",
        {"id": record_id},
    )
    if not found:
        return None
    return {**found[0], "page": datasette.urls.path("/publishers") + "#" + found[0]["code"]}
