"""A measure's chart as an SVG image, drawn on the server, in a size for phones and one
for wider screens.

Why not in the browser: drawing there took Vega, Vega-Lite and vega-embed (840 KB) and,
on Lighthouse's simulated phone, 540 ms of blocking time on a measure page (a score of
86). Drawn here by vl-convert, the chart arrives as an image: no chart code on the
phone, and the chart is there without JavaScript too. The charts had no tooltips or
other interaction to lose. Each image is drawn to exactly the size the page reserves
for it (width and height attributes), so nothing moves when it arrives; its text name is
the spec's description, and the figures are in the table below it.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from register.site.chart_space import chart_height
from register.util import workers
from register.util.vega_svg import vegalite_svg

# Image widths in CSS pixels: "narrow" fits a phone's column (the page's <picture> picks
# it below 40em, the site's own break point), "wide" the rest of the page's 60rem.
SIZES = {"narrow": 320, "wide": 720}
BREAK = "(min-width: 40.0625em)"
# Axis labels (organisation names) are cut to this many characters, shorter on a phone
# to leave room for bars; the table below the chart has every name in full. 21 on a phone
# keeps every gate and every place but one whole ("Monitor and Evaluate", "South
# Nottinghamshire"). Cut by
# characters, not pixels (Vega-Lite's labelLimit): vl-convert measures text slowly, about
# 0.25 ms a character, and a pixel limit measures each label several times over. With
# 42 organisations at a million rows, the strategic group chart took 1.7 s to draw (wide)
# with a pixel limit and 0.45 s cut by characters.
LABEL_CHARS = {"narrow": 21, "wide": 40}
# Charts kept drawn in each process (6 to 60 KB each), keyed by the sized spec, which
# carries the chart's data, so a new build's figures are never drawn from an old one's.
DRAWN = 64


def sized(spec: dict, size: str) -> dict:
    """The spec drawn to a fixed width and height: the whole chart fits them (axes and
    legend included), so the image's size is known before it is drawn."""
    config = spec.get("config", {})
    axis = {**config.get("axis", {}), "labelLimit": 0, "labelExpr": f"truncate(datum.label, {LABEL_CHARS[size]})"}
    config = {**config, "axis": axis}
    return {
        **spec,
        "width": SIZES[size],
        "height": chart_height(spec),
        "autosize": {"type": "fit", "contains": "padding"},
        "config": config,
    }


def image(spec: dict, size: str, url: str) -> dict:
    """What measure.html needs of one size of the chart."""
    return {"url": url, "width": SIZES[size], "height": chart_height(spec), "media": BREAK if size == "wide" else None}


def _draw_svg(spec_json: str) -> bytes:
    """In the drawing process: the SVG document of a sized spec."""
    return vegalite_svg(json.loads(spec_json)).encode("utf-8")


_drawer: ProcessPoolExecutor | None = None
_drawn: OrderedDict[str, bytes] = OrderedDict()


async def draw(spec: dict, size: str) -> bytes:
    """The SVG document, drawn in a process of its own. Why: vl-convert holds the GIL while
    it draws (20 to 500 ms at a million rows), so drawing in a thread of the server
    would stop every other request for that long (measured: a thread ticking every
    millisecond beside it waited 1.5 s). The server's own process never loads its
    JavaScript engine either."""
    global _drawer
    key = json.dumps(sized(spec, size), sort_keys=True, ensure_ascii=False)
    if key in _drawn:
        _drawn.move_to_end(key)
        return _drawn[key]
    if _drawer is None:
        _drawer = workers.spawned_pool(1)
    try:
        svg = await asyncio.wrap_future(_drawer.submit(_draw_svg, key))
    except BrokenProcessPool:
        _drawer = None  # the next chart starts a new one
        raise
    _drawn[key] = svg
    while len(_drawn) > DRAWN:
        _drawn.popitem(last=False)
    return svg


def stop_drawing() -> None:
    """End the drawing process, when the server stops. uvicorn ends the server by raising
    SIGTERM again once it has shut down, so Python's own clean-up at exit never runs: the
    process was left behind, holding 140 MB, after every stop."""
    global _drawer
    pool, _drawer = _drawer, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)  # a chart being drawn finishes first (< 1 s)
