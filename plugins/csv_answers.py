"""Datasette hook making the site's own .csv answers safe to open in a spreadsheet: the code is register.site.csv_answers."""

from register.site.csv_answers import startup  # noqa: F401
