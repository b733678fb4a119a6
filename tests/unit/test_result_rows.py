"""The rows of a SQL query page, rendered in one pass (src/register/site/result_rows.py), are
the HTML Jinja's autoescaped loop gave them, cell for cell."""

from __future__ import annotations

from datasette.utils import to_css_class
from jinja2 import Environment
from markupsafe import Markup

from register.site.result_rows import result_rows

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
