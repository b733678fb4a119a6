"""Plumbing shared by the notebooks, kept out of them so that what an analyst reads is
the measures and the commentary, not HTML and SQLite details.

Nothing here defines a measure: measures are the SQL views in src/register/database/views.sql.
This module only opens the database (for a reporting period, a copy holding only the
records dated in that period, so the same views answer for the period), fetches labels
from the codelists and schemas through src/register/schema/package.py (and views.py for an
exported view), and renders charts and tables as self-contained, accessible HTML (static
SVG: no script, no CDN).
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import sqlite3
from pathlib import Path

import altair as alt

from register import settings
from register.database.build import live_views
from register.schema import views
from register.schema.package import Package
from register.util import palette
from register.util.clock import in_england
from register.util.vega_svg import vegalite_svg
from register.util.words import uk_date

ROOT = settings.ROOT
PACKAGE = Package(ROOT)


def use_package(root) -> None:
    """Report on another publisher's package (its publisher, labels and titles)."""
    global ROOT, PACKAGE
    ROOT, PACKAGE = Path(root), Package(Path(root))


# The date that places each kind of record in a reporting period. Records of other
# tables (projects, codelists) describe the current state and are never filtered; the
# status history of a "You said" item follows its item (statuses are as they stand now).
PERIOD_DATES = {
    "coproduction_log": "activity_date",
    "you_said_we_did": "said_date",
    "equality_impacts": "assessed_date",
}
# Period tables whose rows may have no date: undated rows are kept (they cannot be
# placed in time) and counted, so the report can say how many there were.
UNDATED_KEPT = {"equality_impacts"}


def parse_date(value) -> dt.date | None:
    """None, '' or 'None' mean no bound; anything else must be YYYY-MM-DD."""
    if value is None or value == "" or value == "None":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(
            f"a reporting period date must be written YYYY-MM-DD, for example 2025-04-01; got {value!r}"
        ) from None


def uk_dates(first, last) -> str:
    """'6 August 2024' when both are the same day, else '1 July 2024 to 30 September 2024':
    a one-day period is not written as a range from a day to itself."""
    same = uk_date(first) == uk_date(last)
    return uk_date(first) if same else f"{uk_date(first)} to {uk_date(last)}"


def most_or_all(part: int, whole: int) -> str:
    """'All' when the largest group is every one of them, else 'Most'."""
    return "All" if part == whole else "Most"


class NotBuilt(FileNotFoundError):
    """The register is not built yet. Jupyter shows its one sentence, not a traceback:
    IPython renders an exception by its `_render_traceback_` where it has one."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def open_register(db_path, start=None, end=None) -> tuple[sqlite3.Connection, dict]:
    """A connection answering the views for the period [start, end] (both inclusive).

    With no period the built database is opened read-only as it is. With a period it is
    copied into memory and the records dated outside the period are deleted, along with
    rows that only hang off them (status history, link tables): the views, unchanged,
    then measure the period. Returns the connection and a note of what was left out.
    """
    # Overdue items and the report's date are of the day in England wherever the report is
    # computed: `make report`, JupyterLab's kernel (`make lab` sets no TZ) or one's own.
    in_england()
    db_path = Path(db_path)
    if not db_path.exists():
        raise NotBuilt(f"{db_path} does not exist: run `make build` first")
    start, end = parse_date(start), parse_date(end)
    if start and end and start > end:
        raise ValueError(f"the reporting period starts ({start}) after it ends ({end})")
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    src.row_factory = sqlite3.Row
    note = {
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "left_out": {},
        "undated_kept": {},
    }
    if not (start or end):
        return src, note
    conn = sqlite3.connect(":memory:")
    src.backup(conn)
    src.close()
    conn.row_factory = sqlite3.Row
    lo, hi = (start or dt.date.min).isoformat(), (end or dt.date.max).isoformat()
    for table, column in PERIOD_DATES.items():
        undated = conn.execute(f"SELECT COUNT(*) FROM [{table}] WHERE [{column}] IS NULL").fetchone()[0]
        keep_undated = table in UNDATED_KEPT
        cur = conn.execute(
            f"DELETE FROM [{table}] WHERE "
            + (
                f"[{column}] NOT BETWEEN ? AND ?"
                if keep_undated
                else f"([{column}] IS NULL OR [{column}] NOT BETWEEN ? AND ?)"
            ),
            (lo, hi),
        )
        note["left_out"][table] = cur.rowcount
        if keep_undated and undated:
            note["undated_kept"][table] = undated
    # Rows of other tables that point at a deleted row go too (the status history of an
    # item said outside the period; the groups of an activity outside it), and so on down:
    # a partner's verdict on a status update of such an item goes with the update.
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    changed = set(PERIOD_DATES)  # tables that lost rows, whose children are looked at next
    while changed:
        parents, changed = changed, set()
        for table in tables:
            for fk in conn.execute(f"PRAGMA foreign_key_list([{table}])").fetchall():
                parent, child_col, parent_col = fk[2], fk[3], fk[4]
                if parent in parents and table not in PERIOD_DATES:
                    cur = conn.execute(
                        f"DELETE FROM [{table}] WHERE [{child_col}] IS NOT NULL AND [{child_col}] NOT IN "
                        f"(SELECT [{parent_col}] FROM [{parent}])"
                    )
                    if cur.rowcount:
                        note["left_out"][table] = note["left_out"].get(table, 0) + cur.rowcount
                        changed.add(table)
    conn.commit()
    live_views(conn)
    return conn, note


def query(conn: sqlite3.Connection, sql: str, params=()):
    """The rows of a query as a pandas DataFrame."""
    import pandas as pd

    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return pd.DataFrame([tuple(r) for r in cur.fetchall()], columns=cols)


def labels(conn: sqlite3.Connection, codelist: str) -> dict[str, str]:
    """code -> plain-English title of a codelist, in the codelist's own order."""
    if not PACKAGE.is_codelist(codelist):
        raise KeyError(f"{codelist} is not a codelist")
    rows = conn.execute(f"SELECT code, title FROM [{codelist}] ORDER BY sort_order, code")
    return {r[0]: r[1] for r in rows}


def headline(conn: sqlite3.Connection, measure: str) -> dict:
    """A measure's row of the `headlines` view: the figures the site's home page shows."""
    cur = conn.execute("SELECT * FROM headlines WHERE measure = ?", (measure,))
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise KeyError(f"the headlines view has no row for {measure!r}")
    return dict(zip(cols, row))


def status_colours(conn: sqlite3.Connection) -> dict[str, str]:
    """Status title -> colour, closing statuses in greens: what closes the loop is read
    from the statuses codelist."""
    rows = conn.execute("SELECT code, title, closes_loop FROM statuses ORDER BY sort_order, code").fetchall()
    by_code = palette.status_colours((r[0], bool(r[2])) for r in rows)
    return {r[1]: by_code[r[0]] for r in rows}


def title(resource: str, field: str) -> str:
    """A field's title, from its Table Schema: a table's in schemas/, an exported view's
    in the standard's schemas/views/ (register/schema/views.py), which a publisher's
    package need not copy."""
    if resource in PACKAGE.names:
        return PACKAGE.resource(resource).field(field).title
    fields = views.load(PACKAGE, settings.ROOT / views.VIEWS_DIR / f"{resource}.json").schema["fields"]
    return next(f.get("title", f["name"]) for f in fields if f["name"] == field)


def resource_title(resource: str) -> str:
    return PACKAGE.resource(resource).title


# ---------------------------------------------------------------------------------------
# Rendering: static SVG charts and plain tables, as HTML with no script and no style
# attribute, so the report works offline and under the site's Content-Security-Policy.

# The site's palette (register/util/palette.py), so a colour means the same in both.
PALETTE = palette.CATEGORY
ORDERED = palette.LEVELS

# Text is measured when the SVG is made and drawn by the reader's browser: name fonts with
# the same metrics everywhere (Arial, Helvetica and Liberation Sans match), so labels
# placed for one do not overlap in another.
FONT = "Arial, Helvetica, 'Liberation Sans', sans-serif"

_figures = itertools.count(1)


def whole_numbers() -> alt.Axis:
    """An axis of counts: whole-number ticks only."""
    return alt.Axis(tickMinStep=1, format="d")


def level_colour(levels: dict[str, str], title: str) -> alt.Color:
    """Colour by level on the participation flower, in the order of the scale."""
    names = list(levels.values())
    return alt.Color(
        "level_title:N", title=title, sort=names, scale=alt.Scale(domain=names, range=ORDERED[: len(names)])
    )


def theme(chart):
    """Shared look: readable type, no chart border, the palette above."""
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=13, labelLimit=300)
        .configure_legend(labelFontSize=12, titleFontSize=13, labelLimit=0, orient="bottom", direction="vertical")
        .configure_title(fontSize=15, anchor="start")
        .configure_view(stroke=None)
        .configure_range(category=PALETTE)
    )


def svg(chart) -> str:
    """The chart as an SVG string, rendered here by vl-convert (no browser, no CDN)."""
    return vegalite_svg(theme(chart).to_dict())


def _accessible_svg(text: str, label: str, prefix: str) -> str:
    # The chart is one image with a text name; its data is in the table that follows.
    text = re.sub(r'\s(?:role|aria-[a-z]+)="[^"]*"', "", text)
    text = re.sub(r'\sid="([^"]+)"', lambda m: f' id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    text = re.sub(r"^<svg\b", f'<svg role="img" aria-label="{html.escape(label)}"', text, count=1)
    return text


class HTML:
    """Displayable HTML (what IPython.display.HTML does, without needing IPython here)."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def figure(chart, caption: str, description: str, page: str = "") -> HTML:
    """A chart as a captioned figure: static SVG named by `description` for screen readers,
    and the site's page (a path) that shows the measure it draws."""
    n = next(_figures)
    body = _accessible_svg(svg(chart), description, f"fig{n}")
    where = (
        f' The measure behind it: the site\'s page <a href="{html.escape(page)}">{html.escape(page)}</a>.'
        if page
        else ""
    )
    return HTML(
        f'<figure class="chart" id="figure-{n}">{body}'
        f"<figcaption>Figure {n}. {html.escape(caption)}{where}</figcaption></figure>"
    )


def fmt(value, missing: str = "not recorded") -> str:
    """A cell as text: whole numbers without '.0', missing values as `missing`."""
    if value is None:
        return missing
    try:
        import pandas as pd

        if pd.isna(value):
            return missing
    except (TypeError, ValueError):
        pass
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def cell(value, missing: str, is_date: bool) -> str:
    """A table cell's text: fmt(), or for a date column the date in words."""
    text = fmt(value, missing)
    return uk_date(text) if is_date and text != missing else text


def table(
    df,
    caption: str,
    columns: dict[str, str] | None = None,
    numeric: tuple = (),
    missing: str = "not recorded",
    limit: int | None = 50,
    more: str = "",
    dates: tuple = (),
) -> HTML:
    """A DataFrame as a plain, captioned HTML table with column headers a reader can follow.

    columns maps column name -> heading (and picks and orders the columns shown). At most
    `limit` rows are shown, with a note of how many there are and where to find the rest
    (`more`), so a national-scale register still gives a readable report. The columns
    in `dates` are shown as the report's sentences and the site write dates: 6 August 2024.
    """
    columns = columns or {c: c for c in df.columns}
    total = len(df)
    if limit is not None and total > limit:
        df = df.head(limit)
        caption = f"{caption} (the first {limit:,} of {total:,}{'; ' + more if more else ''})"
    head = "".join(
        f'<th scope="col"{" class=num" if c in numeric else ""}>{html.escape(h)}</th>' for c, h in columns.items()
    )
    rows = []
    for _, row in df.iterrows():
        cells = "".join(
            f"<td{' class=num' if c in numeric else ''}>{html.escape(cell(row[c], missing, c in dates))}</td>"
            for c in columns
        )
        rows.append(f"<tr>{cells}</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{len(columns)}">None.</td></tr>')
    return HTML(
        # A wide table scrolls sideways on a phone: the region takes keyboard focus and is
        # named by its caption, so keyboard users can scroll it too (WCAG 2.1.1).
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{html.escape(caption)}">'
        f"<table><caption>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def show(obj) -> None:
    """Display in the notebook (and so in the report), wherever in a cell it is called."""
    from IPython.display import display

    display(obj)


def say(text: str) -> None:
    """Show paragraphs of commentary worked out from the figures (plain text, escaped)."""
    paras = "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.strip().split("\n\n") if p.strip())
    show(HTML(f'<div class="commentary">{paras}</div>'))


def bullets(items: list[str]) -> None:
    show(HTML("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items if i) + "</ul>"))


def plural(n, one: str, many: str | None = None) -> str:
    n = int(n or 0)
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def percent(part, whole) -> str:
    """part of whole as a whole percentage, rounded half up (1 of 8 is 13%, as a reader
    works it out, not Python's 12% rounding half to even). A share that rounds to 0% or
    100% without being nothing or everything says so ("under 1%", "over 99%"): 1 of 300
    items closed is not "0%", nor 299 of 300 "100%"."""
    if not whole:
        return "no"
    part = int(part or 0)
    rounded = (200 * part + whole) // (2 * whole)  # integers: no binary fraction to round
    if part and not rounded:
        return "under 1%"
    if part < whole and rounded >= 100:
        return "over 99%"
    return f"{rounded}%"
