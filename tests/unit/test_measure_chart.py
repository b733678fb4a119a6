"""A measure chart drawn on the server (register/site/measure_chart.py): each size is drawn
to exactly the width and height its page gives the image, long labels are cut by
characters, a chart with other figures is drawn again, never taken from the memo, and the
drawing happens in a process of its own."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from xml.etree import ElementTree

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
    svg = asyncio.run(measure_chart.draw(chart, size)).decode()
    root = re.match(r"<svg [^>]*>", svg).group(0)
    assert f'width="{reserved["width"]}"' in root and f'height="{reserved["height"]}"' in root, root
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    cut = measure_chart.LABEL_CHARS[size]
    assert LONG[: cut - 1] + "…" in labels and LONG not in labels
    assert "Healthwatch" in labels


def test_other_figures_are_drawn_again():
    first = asyncio.run(measure_chart.draw(spec({"Healthwatch": 5}), "wide"))
    again = asyncio.run(measure_chart.draw(spec({"Healthwatch": 5}), "wide"))
    other = asyncio.run(measure_chart.draw(spec({"Healthwatch": 6}), "wide"))
    assert first == again and other != first
    assert 'aria-label="projects: 6; organisation: Healthwatch"' in other.decode().replace("Projects", "projects")


DRAW_HERE = """
import asyncio, os, sys
from register.site import measure_chart
from tests.unit.test_measure_chart import spec
svg = asyncio.run(measure_chart.draw(spec({"Healthwatch": 5}), "narrow"))
print(svg.startswith(b"<svg"), "vl_convert" in sys.modules)
"""


def test_the_server_process_never_loads_the_drawing_engine():
    """vl-convert holds the GIL while it draws: in the server's own process (a thread
    included) it would stop every other request. The chart is drawn, and the server's
    process has not imported it."""
    done = subprocess.run([sys.executable, "-c", DRAW_HERE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"], done.stdout


def test_a_label_that_looks_like_markup_is_drawn_as_text():
    """A title typed into a codelist reaches the chart as a label; in the SVG it is
    text, escaped, never an element or an attribute of its own."""
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    svg = asyncio.run(measure_chart.draw(spec({hostile: 2}), "wide")).decode()
    tree = ElementTree.fromstring(svg)
    tags = {e.tag.rsplit("}", 1)[-1] for e in tree.iter()}
    assert tags <= {"svg", "g", "path", "rect", "text", "line", "defs", "clipPath"}, tags
    assert not [a for e in tree.iter() for a in e.attrib if a.lower().startswith("on")]
    assert any((e.text or "").startswith('<script>alert("x")') for e in tree.iter()), "the label, as text"


def test_every_gate_is_named_whole_on_a_phone():
    """The gates label the depth chart's bars: none is cut on the narrow image."""
    import csv

    from register.schema.package import ROOT

    with (ROOT / "datasets" / "codelists" / "gates.csv").open(newline="", encoding="utf-8") as f:
        titles = [r["title"] for r in csv.DictReader(f)]
    assert titles and all(len(t) <= measure_chart.LABEL_CHARS["narrow"] for t in titles), titles
