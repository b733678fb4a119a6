"""register.site.asgi under uvicorn's worker processes (docs/deployment.md, step 3): a
build that is missing or damaged, or a mistyped setting, stops the server in one line.

uvicorn starts a worker again whenever one dies, so a worker that failed with a traceback
(FileNotFoundError on inspect.json) was started again and failed again, for ever, printing
a traceback each time, and the server never answered nor stopped."""

from __future__ import annotations

import os
import subprocess

import pytest

from register.schema.package import ROOT
from register.site.asgi import command


def _uvicorn(env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    """The server as docs/deployment.md starts it (register.site.asgi.command), two workers
    on a free port; `env` over the command's own (a build dir given there replaces its)."""
    argv, own = command(ROOT / "build", "127.0.0.1", 0)
    return subprocess.run(argv, env={**os.environ, **own, **env}, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"REGISTER_BUILD_DIR": "no-such-build"}, "Not serving: the built database failed its integrity check: "),
        ({"REGISTER_PAGE_SLOTS": "none"}, "REGISTER_PAGE_SLOTS='none' is not a whole number"),
    ],
)
def test_workers_that_cannot_serve_stop_the_server_in_one_line(env, said):
    done = _uvicorn(env)
    lines = [line for line in done.stderr.splitlines() if not line.startswith(("INFO:", "ERROR:"))]
    assert lines and all(line.startswith(said) for line in lines), done.stderr
    assert "Traceback" not in done.stderr
    assert "failed to start, stopping the parent process" in done.stderr
