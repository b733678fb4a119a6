"""The register as an ASGI app, for running several server processes on one machine.

`datasette serve` runs one process: one event loop and a few SQL threads, so on a
2-core machine one busy page holds up every other request and one core sits idle.
Datasette's app is plain ASGI, so uvicorn can run it in N worker processes sharing one
port (each worker opens the immutable database read-only and keeps its own response
cache, register/site/cache.py):

    REGISTER_BUILD_DIR=build python -m uvicorn --factory register.site.asgi:app \\
        --workers 2 --host 127.0.0.1 --port 8001 --no-access-log

The app is register/site/serve.py's datasette_instance(), the configuration `make serve` uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

from register import settings
from register.database.integrity import check
from register.schema.package import ROOT
from register.site.serve import datasette_instance, unusable_root
from register.util.clock import in_england

# uvicorn's exit code for a worker that failed before it started serving: its supervisor
# then stops the whole server, where any other exit would have it start the worker again,
# and fail again, for ever.
STARTUP_FAILURE = 3


def app():
    """A factory (uvicorn --factory): each worker process builds its own Datasette, whose
    "today" (overdue items, days open, when cached pages expire) is England's day, as for
    `make serve`, when uvicorn is started without TZ (register/util/clock.py).

    Like the container, a worker refuses to start, in one line, on a mistyped setting or
    a build that is missing or fails its integrity check (register/database/integrity.py)."""
    build_dir = Path(ROOT / settings.BUILD_DIR.raw())
    said = None
    try:
        settings.serving()
    except SystemExit as e:
        said = str(e)
    said = said or unusable_root(ROOT)
    if not said and (problems := check(build_dir)):
        said = "Not serving: the built database failed its integrity check: " + "; ".join(problems)
    if said:
        print(said, file=sys.stderr, flush=True)
        raise SystemExit(STARTUP_FAILURE)
    in_england()
    return datasette_instance(build_dir).app()


def command(build_dir: Path, host: str, port: int, workers: int = 2) -> tuple[list[str], dict]:
    """The command line and environment for `workers` server processes."""
    return (
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "register.site.asgi:app",
            "--workers",
            str(workers),
            "--host",
            host,
            "--port",
            str(port),
            "--no-access-log",
        ],
        {"REGISTER_BUILD_DIR": str(build_dir)},
    )
