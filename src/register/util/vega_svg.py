"""Vega-Lite to SVG, drawn in Python by vl-convert: no browser, no Node, no CDN.

The report (publishing/reportkit.py) and the site's measure charts
(site/measure_chart.py) both draw this way, so a chart is the same wherever it is read,
and a reader's phone runs no chart code at all.
"""


def vegalite_svg(spec: dict) -> str:
    """The chart as an SVG document, by the newest Vega-Lite that vl-convert bundles."""
    # Imported here: vl-convert starts its JavaScript engine on first use (about 0.5 s),
    # which only the processes that draw a chart should pay.
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)
