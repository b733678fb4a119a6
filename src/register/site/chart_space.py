"""The height of a measure chart's image, known before it is drawn.

Why: the image (register/site/measure_chart.py) arrives after the text around it has
been painted. If the page did not give its height, everything below it would jump down
when it came (a layout shift, which Lighthouse counts and which loses a reader's place).
This works the height out from the Vega-Lite spec itself (bands times rows, or the
y-axis title's length, axis, legend), generously, and the chart is drawn to fit it.
"""

from __future__ import annotations

AXIS_PX = 50  # the x axis: labels and title
ROTATED_LABELS_PX = 70  # extra for labels at an angle (quarters)
LEGEND_TITLE_PX = 24
LEGEND_ROW_PX = 18
PADDING_PX = 24
SMALLEST_PX = 120
TITLE_CHAR_PX = 7.5  # the width of a character of a 13 px axis title, generously


def distinct(values: list[dict], field: str | None) -> int:
    return len({v.get(field) for v in values}) if field else 0


def chart_height(spec: dict) -> int:
    encoding = spec.get("encoding", {})
    values = spec.get("data", {}).get("values", [])
    height = spec.get("height", 200)
    if isinstance(height, dict):
        height = height.get("step", 20) * max(1, distinct(values, encoding.get("y", {}).get("field")))
    title = encoding.get("y", {}).get("title")
    if title:  # a y-axis title longer than the plot (few bars) makes the chart taller
        height = max(height, TITLE_CHAR_PX * len(title) - AXIS_PX)
    x_axis = encoding.get("x", {}).get("axis") or {}
    total = height + AXIS_PX + PADDING_PX + (ROTATED_LABELS_PX if x_axis.get("labelAngle") else 0)
    colour = encoding.get("color", {})
    if colour.get("field") and colour.get("legend", {}) is not None:
        total += LEGEND_TITLE_PX + LEGEND_ROW_PX * distinct(values, colour["field"]) + PADDING_PX
    return max(SMALLEST_PX, int(total))
