"""The site's own .csv answers are as safe to open in a spreadsheet as the extracts.

Datasette 0.65.5 writes a table's or a query's CSV with the standard library's
`csv.writer`, and text starting with = + - @ goes out as it is: `make append` refuses
formulas, but accepts the older "DDE" form (`+cmd|' /C calc'!A0`), which Excel can run.
Datasette has no hook for its CSV rows, so the `csv` name its views module writes with
is replaced, once, by one whose writer puts each text cell through the rule the
extracts use (register/util/spreadsheet_safety.py). Numbers, empty cells and every other
format (JSON keeps the exact text) are untouched. tests/integration/test_xss.py fails
if a Datasette upgrade writes its CSV some other way.
"""

from __future__ import annotations

import csv

from datasette import hookimpl
from datasette.views import base

from register.util.spreadsheet_safety import neutralise_row


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        # Returns what the writer's file returns: Datasette awaits it (an async write).
        return self._writer.writerow(neutralise_row(row))


class _SafeCsv:
    """The csv module as Datasette's views see it, with a neutralising writer."""

    def __getattr__(self, name):
        return getattr(csv, name)

    @staticmethod
    def writer(file, *args, **kwargs):
        return _SafeWriter(csv.writer(file, *args, **kwargs))


def install() -> None:
    """Put the safe writer in place (idempotent); refuse to guess if Datasette changed."""
    if isinstance(base.csv, _SafeCsv):
        return
    if base.csv is not csv:
        raise RuntimeError(
            "datasette.views.base no longer writes CSV with the csv module: see register.site.csv_answers"
        )
    base.csv = _SafeCsv()


@hookimpl
def startup(datasette):
    install()
