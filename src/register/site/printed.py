"""Where a printed page came from and the day it stands for, as `printed_from`.

A page printed for board papers or taken to a meeting loses the browser's address bar,
and its day-dependent figures (overdue items, days open) are for the day it was made:
base.html prints both at the top of every page, on paper only (register.css). The day
is the register's (England's, register/util/clock.py), the day the response cache keeps a
page for (register/site/cache.py), so it is the day the page's figures are for.
"""

from __future__ import annotations

import re

from datasette import hookimpl

from register.util.clock import local_today
from register.util.words import uk_date

COLON = re.compile(r"~3A|%3[Aa]")


@hookimpl
def extra_template_vars(datasette, request):
    if request is None:  # error pages rendered without a request
        return {}
    # A national record's page answers at changing:PRJ-0001, at Datasette's
    # changing~3APRJ-0001 and at changing%3APRJ-0001 alike, and is the same page: on paper
    # its address is written the way people read and type it, whichever was asked for.
    path = COLON.sub(":", request.full_path)
    return {"printed_from": {"url": datasette.absolute_url(request, path), "day": uk_date(local_today())}}
