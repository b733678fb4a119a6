"""The rows of a SQL query page, rendered in one pass (src/register/site/result_rows.py), are
the HTML Jinja's autoescaped loop gave them, cell for cell."""

from __future__ import annotations

from datasette.utils import to_css_class
from jinja2 import Environment
from markupsafe import Markup

from register.site.result_rows import result_rows, table_rows

ENV = Environment(autoescape=True)
ENV.filters["css"] = to_css_class
LOOP = ENV.from_string(
    "{% for row in rows %}<tr>{% for column, td in zip(columns, row) %}"
    '<td class="col-{{ column|css }}" data-label="{{ column }}">{{ td }}</td>{% endfor %}</tr>\n{% endfor %}'
)


def test_rows_are_what_jinjas_loop_gives():
    columns = ["id", "you said", 'a "quoted" <col>', "days", "x"]
    rows = [
        ["YS-1", "<b>not markup</b> & more", Markup('<a href="/you-said/YS-1">YS-1</a>'), 12, None],
        ["YS-2", "", Markup("&nbsp;"), 0.5, b"bytes"],
        ["", 'it\'s "quoted"', "ü ☃", -1, True],
    ]
    expected = LOOP.render(rows=rows, columns=columns, zip=zip)
    assert str(result_rows(rows, columns)) + "\n" == expected
    assert isinstance(result_rows(rows, columns), Markup)
    assert result_rows([], columns) == ""


CELLS = ENV.from_string(
    "{% for row in rows %}<tr>{% for cell in row %}"
    '<td class="col-{{ cell.column|css }} type-{{ cell.value_type }}" data-label="{{ cell.column }}">'
    "{{ cell.value }}</td>{% endfor %}</tr>\n{% endfor %}"
)


def test_table_page_rows_are_what_jinjas_loop_gives():
    """Datasette's display rows: a dict per cell, its value rendered (Markup) or plain."""
    columns = [("id", "pk"), ("you said", "str"), ('a "quoted" <col>', "str"), ("days", "int"), ("x", "none")]
    values = [
        ["YS-1", "<b>not markup</b> & more", Markup('<a href="/you-said/YS-1">YS-1</a>'), 12, Markup("&nbsp;")],
        ["YS-2", "", "ü ☃", -1, Markup("&nbsp;")],
    ]
    rows = [
        [{"column": c, "value_type": t, "value": v, "raw": v} for (c, t), v in zip(columns, row, strict=True)]
        for row in values
    ]
    expected = CELLS.render(rows=rows)
    assert str(table_rows(rows)) + "\n" == expected
    assert isinstance(table_rows(rows), Markup) and table_rows([]) == ""


def test_table_page_cells_are_labelled_by_the_label_given():
    """On a phone each value shows under its data-label: the column's title when the page
    gives one ("Date"), escaped like any text; its name otherwise."""
    rows = [[{"column": "activity_date", "value_type": "str", "value": "2025-09-01", "raw": "2025-09-01"}]]
    titled = str(table_rows(rows, {"activity_date": 'Date "said"'}.get))
    assert titled == '<tr><td class="col-activity_date type-str" data-label="Date &#34;said&#34;">2025-09-01</td></tr>'
    assert 'data-label="activity_date"' in str(table_rows(rows))
