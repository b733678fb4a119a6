"""The rows of a SQL query page and of a table page as HTML, in one pass (the `reg_rows`
filter of templates/query.html and `reg_cells` of templates/_table.html).

A canned query shows up to 1,000 rows of about ten cells. Jinja's async loop over them,
escaping each cell's class, label and value on its own, took most of the page: 140 of
the 230 ms that `overdue_you_said` took to compute at a million log rows, profiled.
Here each column's opening tag is made once and each value escaped once, as Jinja's
autoescape would (markupsafe: a value already Markup is kept, anything else is escaped
as text), so the HTML is the same. A table page's 50 rows of up to 18 cells took 60 of
the 90 ms of a table search at a million log rows the same way, profiled.
"""

from __future__ import annotations

from collections.abc import Callable

from datasette.utils import to_css_class
from markupsafe import Markup, escape


def result_rows(rows, columns) -> Markup:
    """`<tr>` of `<td class="col-..." data-label="...">` cells for each row."""
    opening = [str(Markup('<td class="col-{}" data-label="{}">').format(to_css_class(c), c)) for c in columns]
    return Markup(
        "\n".join(
            "<tr>" + "".join(tag + str(escape(cell)) + "</td>" for tag, cell in zip(opening, row)) + "</tr>"
            for row in rows
        )
    )


def table_rows(rows, label: Callable[[str], str] | None = None) -> Markup:
    """The `<tr>` of Datasette's display rows: each cell a dict of its column, its value
    (rendered, or text) and the type of its raw value. `label` gives a column's data-label,
    the words a phone shows above each value (its title, "Date", not "activity_date");
    without it, the column's name."""
    opening: dict[tuple[str, str], str] = {}

    def td(cell) -> str:
        key = (cell["column"], cell["value_type"])
        if key not in opening:
            opening[key] = str(
                Markup('<td class="col-{} type-{}" data-label="{}">').format(
                    to_css_class(key[0]), key[1], label(key[0]) if label else key[0]
                )
            )
        return opening[key] + str(escape(cell["value"])) + "</td>"

    return Markup("\n".join("<tr>" + "".join(td(cell) for cell in row) + "</tr>" for row in rows))
