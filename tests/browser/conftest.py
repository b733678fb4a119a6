"""Browser fixtures: the register served for real, Debian's Chromium, and axe-core.

- `site_url`: the site started exactly as `make serve` starts it (src/register/site/serve.py's
  command, so its plugins, templates and security headers) against the session's test
  build, on a free port; stopped at the end of the session.
- `browser`: one headless Chromium per test module (never `playwright install`:
  browsers cannot be downloaded here; `make browser` installs Debian's). Per module,
  not per session, because Playwright's sync API keeps an asyncio loop running while
  it is open, and the in-process `client` of tests/conftest.py (asyncio.run) cannot
  run inside it: so do not use `client` in a browser test module (use plain HTTP to
  `site_url`), and the rest of the suite runs after Playwright has stopped.
- `page`: a fresh browser context per test. Every request it makes is recorded, and
  so is every Content-Security-Policy violation, so a test can prove that nothing came
  from another origin and nothing was blocked.
- `visit(path)`: opens a page, checks its status, and fails on any request to another
  origin or any CSP violation. Prints one line per page.
- `axe(page)`: injects axe-core (the npm package pinned in package-lock.json, installed
  by `make test` with npm ci) and returns the violations of the WCAG 2.0, 2.1 and 2.2
  A and AA rules. Prints the count (run pytest with -s to see it).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from register.schema.package import ROOT
from register.site.serve import command

HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Records CSP violations from the first script on (the page's own scripts included).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                               source: e.sourceFile, line: e.lineNumber, sample: e.sample});
});
"""


def pytest_collection_modifyitems(items):
    """Everything under tests/browser drives Chromium: mark it, so `-m "not browser"` works."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    """A port the OS says is free (not a fixed range, so parallel runs never meet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def site_url(build_dir):
    port = _free_port()
    log = build_dir / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command(build_dir, HOST, port), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the site did not start (exit {proc.returncode}):\n" + log.read_text("utf-8", "replace")[-3000:]
                )
            try:
                with urllib.request.urlopen(url + "/-/versions.json", timeout=2) as r:
                    # Only our own server counts: if it died (port taken), another
                    # process may be the one answering.
                    if (
                        r.status == 200
                        and proc.poll() is None
                        and "Uvicorn running" in log.read_text("utf-8", "replace")
                    ):
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the site did not answer within 60 s:\n" + log.read_text("utf-8", "replace")[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def missing(why: str) -> None:
    """A tool the browser tests need is not installed: skipped with the reason, but failed
    in CI, where `make test` installs it, so that a broken install cannot pass unseen."""
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        missing("Debian's chromium is not installed: run `make browser` (make test does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        missing("axe-core is not installed: run `make test` (it runs `npm ci` from package-lock.json)")
    return AXE_JS.read_text("utf-8")


class Recorder:
    """What a page asked for and what the CSP blocked, for assertions."""

    def __init__(self, origin: str):
        self.origin = origin
        self.requests: list[str] = []

    def on_request(self, request) -> None:
        self.requests.append(request.url)

    def foreign(self) -> list[str]:
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if f"{parts.scheme}://{parts.netloc}" != self.origin:
                out.append(url)
        return out


def new_page(browser, site_url, **context_args):
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.add_init_script(CSP_RECORDER)
    recorder = Recorder(site_url)
    page.on("request", recorder.on_request)
    page.recorder = recorder
    return context, page


@pytest.fixture
def page(browser, site_url):
    context, page = new_page(browser, site_url, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


def csp_violations(page) -> list[dict]:
    return page.evaluate("window.__cspViolations || []")


def check_clean(page) -> None:
    """Nothing requested from another origin, nothing blocked by the CSP."""
    foreign = page.recorder.foreign()
    assert not foreign, f"{page.url} requested other origins: {foreign}"
    blocked = csp_violations(page)
    assert not blocked, f"{page.url}: the Content-Security-Policy blocked {blocked}"


@pytest.fixture
def narrow_page(browser, site_url):
    """A phone-sized page: 320 CSS pixels wide (WCAG 1.4.10 reflow)."""
    context, page = new_page(browser, site_url, viewport={"width": 320, "height": 640})
    yield page
    context.close()


@pytest.fixture
def visit(request, site_url):
    """The 1280 px `page` is opened only when a visit has no other target: a test of a
    phone-sized page then makes one browser context, not two (a quarter to half a second
    each, for some sixty tests)."""

    def go(path: str, status: int = 200, target=None):
        target = target or request.getfixturevalue("page")
        response = target.goto(site_url + path, wait_until="load")
        assert response is not None and response.status == status, (
            f"{path}: HTTP {response.status if response else None}, expected {status}"
        )
        check_clean(target)
        return target

    go.check = check_clean
    return go


@pytest.fixture
def axe(axe_source):
    def run(page, label: str | None = None, rules: list[str] | None = None) -> list[dict]:
        """Every rule of AXE_TAGS, or only `rules` (axe rule ids)."""
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # evaluate() runs through DevTools, so the page's CSP does not stop it.
            page.evaluate(axe_source)
        only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
        result = page.evaluate("only => axe.run(document, {runOnly: only, resultTypes: ['violations']})", only)
        violations = result["violations"]
        nodes = sum(len(v["nodes"]) for v in violations)
        print(f"axe {label or page.url}: {len(violations)} violations ({nodes} elements)")
        return violations

    return run
