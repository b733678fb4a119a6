"""Codes and foreign keys on Datasette's own pages, shown as their
titles and linked: to the designed page where there is one (a project to /projects/<id>,
a "You said" item to /you-said/<id>), otherwise to the code's row.

One render_cell hook does it for every table, view, row and SQL query page (a view's or a
query's codes are known by their column's name), with the same Linker as
the register's designed pages, so a code is titled and linked the same way everywhere.
Titles of codes come from the codelists held in memory; a record that is not a code
(a project, an activity) is titled from its label column, which Datasette has already
looked up on table pages; on a row page, which has a handful of cells, it is looked up
here once and kept. A view's or a query's records are linked by their ID, never looked up.
"""

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from register.site.facet_labels import BOOLEAN_VALUES, yes_no_columns
from register.site.filters import yes_no
from register.site.links import DB, Linker, load_codelists, load_column_targets

TITLES_KEPT = 10_000  # titles of records looked up for row pages, kept in memory
# Cells kept as rendered, per build: a page of a canned query shows up to 1,000 rows of
# ten columns, mostly the same few codes; rendering each again took 60% of the page
# (150 of 250 ms at a million log rows, most of it in Markup.format).
CELLS_KEPT = 50_000


async def _cell_linker(datasette) -> Linker:
    """A Linker without the titles of non-code records (those come per cell), kept on the
    register's Database object, which a new build replaces (register/site/reload.py):
    the database is immutable between builds, and a build may add codes."""
    db = datasette.get_database(DB)
    cached = getattr(db, "_register_cell_linker", None)
    if cached is None:
        cached = Linker(datasette, await load_codelists(datasette), await load_column_targets(datasette))
        db._register_cell_linker = cached
        db._register_cells = {}
    return cached


def _link(href: str, text) -> Markup:
    """<a href="href">text</a>, escaped (into a plain string: Markup.format is slow)."""
    return Markup('<a href="%s">%s</a>' % (escape(href), escape(text)))


async def _table_facts(datasette, table: str | None) -> tuple[dict[str, str], bool]:
    """(column -> table its foreign key points at, whether codes are known by column name
    alone: a view or an SQL query, or a table with no foreign keys at all, such as a
    measure stored by the build from its view (gate_assurance, measure_depth_by_gate),
    whose codes were shown bare ("assess", "nn_icb")), per table."""
    if table is None:
        return {}, True
    cache = datasette.__dict__.setdefault("_register_cell_tables", {})
    if table not in cache:
        db = datasette.get_database(DB)
        is_view = table in await db.view_names()
        fks = {} if is_view else {fk["column"]: fk["other_table"] for fk in await db.foreign_keys_for_table(table)}
        cache[table] = (fks, is_view or not fks)
    return cache[table]


async def _label_column(datasette, table: str) -> str | None:
    cache = datasette.__dict__.setdefault("_register_label_columns", {})
    if table not in cache:
        cache[table] = await datasette.get_database(DB).label_column_for_table(table)
    return cache[table]


async def _record_title(datasette, table: str, code) -> str | None:
    """The label of one record (a row page's foreign key), or None when it has none.

    Kept, up to TITLES_KEPT of them: a table page asked for without labels
    (?_labels=off) looks like a row page here, and must not cost a query per cell twice."""
    db = datasette.get_database(DB)
    titles = db.__dict__.setdefault("_register_record_titles", {})  # per build, like the cells
    if (table, code) in titles:
        return titles[(table, code)]
    label = await _label_column(datasette, table)
    pks = await db.primary_keys(table)
    title = None
    if label and len(pks) == 1:
        rows = (await db.execute(f"select [{label}] from [{table}] where [{pks[0]}] = :v", {"v": code})).rows
        title = str(rows[0][0]) if rows and rows[0][0] not in (None, "") else None
    if len(titles) >= TITLES_KEPT:
        titles.clear()
    titles[(table, code)] = title
    return title


async def linked_cell(datasette, table: str | None, column: str, value) -> Markup | None:
    """The cell as 'Title CODE', the title linked; None when the column holds no code."""
    linker = await _cell_linker(datasette)
    fks, is_view = await _table_facts(datasette, table)
    target = fks.get(column) or (linker.targets.get(column) if is_view else None)
    if target is None or (target == table and column in ("id", "code")):
        return None
    label = None
    if isinstance(value, dict):  # a table page: Datasette has expanded the key to its label
        value, label = value.get("value"), value.get("label")
    if value is None or value == "":
        return None
    if target in linker.codelists:
        label = linker.title(target, value)
    elif label is None and not is_view:  # a row page: a few cells, one look-up each
        label = await _record_title(datasette, target, value)
    href = linker.href(target, value)
    if href is None and target not in linker.codelists:  # a record: its foreign key says it exists
        href = datasette.urls.row(DB, target, tilde_encode(str(value)))
    text = label if label not in (None, "", value, str(value)) else None
    if href is None:
        return None if text is None else Markup("%s&nbsp;<em>%s</em>" % (escape(text), escape(value)))
    if text is None:
        return _link(href, value)
    return Markup("%s&nbsp;<em>%s</em>" % (_link(href, text), escape(value)))


async def kept_cell(datasette, table: str | None, column: str, value) -> Markup | None:
    """linked_cell, kept for the build it was rendered from (a table page's value holds
    the label Datasette looked up, so the label is part of the key)."""
    await _cell_linker(datasette)
    cells = datasette.get_database(DB)._register_cells
    key = (table, column, repr(value))
    if key not in cells:
        if len(cells) >= CELLS_KEPT:
            cells.clear()
        cells[key] = await linked_cell(datasette, table, column, value)
    return cells[key]


def _yes_no_columns(datasette, table: str) -> set[str]:
    """The table's yes/no columns (facet_labels.yes_no_columns), per build."""
    kept = datasette.get_database(DB).__dict__.setdefault("_register_yes_no", {})
    if table not in kept:
        kept[table] = yes_no_columns(datasette, table)
    return kept[table]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if database != DB or value is None or value == "":
        return None
    if table is not None and value in BOOLEAN_VALUES and column in _yes_no_columns(datasette, table):
        # A yes/no column reads Yes or No, as its facet does, with the stored 1 or 0 beside
        # it for filters and SQL: not a bare "1" ("Transformation co-produced: 1").
        return Markup("%s&nbsp;<em>%s</em>" % (yes_no(value), escape(value)))
    kept = getattr(datasette.get_database(DB), "_register_cells", {})
    key = (table, column, repr(value))
    if key in kept:  # no coroutine to await: a page of 1,000 rows has 10,000 cells
        return kept[key]
    return kept_cell(datasette, table, column, value)
