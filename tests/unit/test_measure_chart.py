"""A measure chart drawn on the server (register/site/measure_chart.py): each size is drawn
to exactly the width and height its page gives the image, long labels are cut by
characters, and a chart with other figures is drawn again, never taken from the memo."""

from __future__ import annotations

import re

import pytest

from register.site import measure_chart
from register.site.charts import vega_spec


def spec(projects: dict[str, int]) -> dict:
    return vega_spec(
        "Bar chart: projects by organisation.",
        [{"organisation": k, "projects": v} for k, v in projects.items()],
        mark="bar",
        height={"step": 40},
        encoding={
            "y": {"field": "organisation", "type": "nominal", "title": None},
            "x": {"field": "projects", "type": "quantitative", "title": "Projects"},
        },
    )


LONG = "Nottingham and Nottinghamshire Integrated Care Board, Strategic Co-production Group"


@pytest.mark.parametrize("size", ["narrow", "wide"])
def test_each_size_is_drawn_to_the_size_its_page_gives_it(size):
    chart = spec({LONG: 3, "Healthwatch": 5, "Bassetlaw": 1})
    reserved = measure_chart.image(chart, size, "/x.svg")
    svg = measure_chart.draw(chart, size).decode()
    root = re.match(r"<svg [^>]*>", svg).group(0)
    assert f'width="{reserved["width"]}"' in root and f'height="{reserved["height"]}"' in root, root
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    cut = measure_chart.LABEL_CHARS[size]
    assert LONG[: cut - 1] + "…" in labels and LONG not in labels
    assert "Healthwatch" in labels


def test_other_figures_are_drawn_again():
    first = measure_chart.draw(spec({"Healthwatch": 5}), "wide")
    again = measure_chart.draw(spec({"Healthwatch": 5}), "wide")
    other = measure_chart.draw(spec({"Healthwatch": 6}), "wide")
    assert first == again and other != first
    assert 'aria-label="projects: 6; organisation: Healthwatch"' in other.decode().replace("Projects", "projects")
