"""Citable releases: /releases, /releases/<release> and /downloads/releases/<release>/<file>.

Every `make extracts` belongs to a release, `YYYY-MM-DD-<hash>`: the date it was first
made and the first 7 hex digits of the SHA-256 of the build's inputs (register_build's
inputs_sha256: the data package, schemas, datasets and views) and of the day its
day-dependent figures (overdue, days open) are for (register/publishing/release_store.py
`identity`). The inputs, not the database file or the extract files, because they name
exactly the data published: the same data rebuilt (or extracted by newer code) on the
same day is the same release, while the database file and the extracts' datapackage.json
change with every build. The publishing side
(register/publishing/release_store.py) keeps each release's complete set of files in
build/releases/<release>/; this module reads them, so the pages always show what is on
disk.

A release's files never change and never redirect: they are answered with a one-year
immutable Cache-Control and their SHA-256 as ETag, and only files named in the
release's own SHA256SUMS are served. Every page gets `register_release` (the current
release and its suggested citation) for the shared footer.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response, asgi_send, asgi_send_file

from register.database.build_info import inputs_sha256
from register.site.downloads import CONTENT_TYPES, SUMS_NAME, extracts_dir, listing

RELEASES = "releases"  # build/releases/, beside build/extracts/
RELEASE_PATTERN = r"\d{4}-\d{2}-\d{2}-[0-9a-f]{7}"
RELEASE_RE = re.compile(rf"^{RELEASE_PATTERN}$")
RELEASE_KEY = "x-release"  # in the extract's datapackage.json
IMMUTABLE = "public, max-age=31536000, immutable"


def releases_root(extracts: Path) -> Path:
    return extracts.parent / RELEASES


def release_url(base: str, release: str) -> str:
    """The release's citable page, under the site's base address."""
    return f"{base.rstrip('/')}/releases/{release}"


def citation(descriptor: dict, release: str, url: str) -> str:
    """'<publisher> (<year>). <title>, release <id>. <url>': the author first, as a
    citation names one, with names from the data package, not code. Written title then
    publisher, a title holding the publisher's short name read as the name said twice
    ("...: NHS Nottingham and Nottinghamshire ICB, NHS Nottingham and Nottinghamshire
    Integrated Care Board, release ...")."""
    publisher, title = descriptor.get("publisher"), descriptor.get("title")
    year = release[:4] if re.match(r"\d{4}-\d{2}-\d{2}", release) else ""
    author = f"{publisher} ({year})" if publisher and year else publisher
    work = ", ".join(str(p) for p in (title, f"release {release}") if p)
    return " ".join(f"{p}." for p in (author, work, url) if p).removesuffix(".")


def read_sums(directory: Path) -> dict[str, str]:
    sums = {}
    try:
        text = (directory / SUMS_NAME).read_text("utf-8")
    except OSError:
        return {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if name:
            sums[name] = digest
    return sums


def read_release(directory: Path) -> dict | None:
    """One release as the pages show it, or None if it is not a complete release."""
    try:
        package = json.loads((directory / "datapackage.json").read_text("utf-8"))
        changes = json.loads((directory / "changes.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    sums = read_sums(directory)
    if not sums or package.get(RELEASE_KEY) != directory.name:
        return None
    info = listing(directory)
    if info is None:
        return None
    return {
        "id": directory.name,
        "inputs_sha256": package.get("x-inputs-sha256", ""),
        "created": package.get("created", ""),
        "package": package,
        "changes": changes,
        "checksums": sums,
        "listing": info,
    }


def all_releases(root: Path) -> list[dict]:
    """Every complete release in root, newest first."""
    if not root.is_dir():
        return []
    found = [r for p in root.iterdir() if RELEASE_RE.match(p.name) and (r := read_release(p))]
    return sorted(found, key=lambda r: (r["created"], r["id"]), reverse=True)


_CURRENT: dict = {}


def current_release(extracts: Path | None) -> dict | None:
    """{id, descriptor} of the release the site's extracts belong to (re-read on change)."""
    if extracts is None:
        return None
    path = extracts / "datapackage.json"
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    if _CURRENT.get("key") != key:
        try:
            package = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        release = package.get(RELEASE_KEY)
        descriptor = {k: package.get(k) for k in ("title", "publisher", "created")}
        value = {"id": release, "descriptor": descriptor, "inputs": package.get("x-inputs-sha256")}
        _CURRENT.update(key=key, value=value if release else None)
    return _CURRENT["value"]


_SERVED: dict = {}


def served_inputs(datasette) -> str | None:
    """The inputs_sha256 of the build the site serves (re-read when its file changes)."""
    for db in datasette.databases.values():
        if not db.path or db.is_memory:
            continue
        try:
            st = os.stat(db.path)
        except OSError:
            return None
        key = (db.path, st.st_ino, st.st_mtime_ns, st.st_size)
        if _SERVED.get("key") != key:
            _SERVED.update(key=key, value=inputs_sha256(db.path))
        return _SERVED["value"]
    return None


def _base(datasette, request) -> str:
    path = datasette.urls.path("/")
    return datasette.absolute_url(request, path) if request is not None else path


def release_vars(datasette, request) -> dict | None:
    """What a page needs to say which release it shows, and how to cite it."""
    current = current_release(extracts_dir(datasette))
    if not current:
        return None
    url = release_url(_base(datasette, request), current["id"])
    served = served_inputs(datasette)
    return {
        "id": current["id"],
        "url": url,
        "path": datasette.urls.path(f"/releases/{current['id']}"),
        "citation": citation(current["descriptor"], current["id"], url),
        # The pages show this release's data only while the build is the one it was made
        # from: after `make build` and before `make extracts` they show newer records.
        "shown": not (served and current["inputs"]) or served == current["inputs"],
    }


async def _page(datasette, request, only: str | None):
    extracts = extracts_dir(datasette)
    releases = all_releases(releases_root(extracts)) if extracts else []
    current = current_release(extracts)
    if only is not None:
        releases = [r for r in releases if r["id"] == only]
        if not releases:
            return Response.html(
                await datasette.render_template(
                    "error.html",
                    {
                        "ok": False,
                        "status": 404,
                        "title": "No such release",
                        "error": f"There is no release {only} on this site. The releases page lists every release kept.",
                    },
                    request=request,
                ),
                status=404,
            )
    base = _base(datasette, request)
    for r in releases:
        r["url"] = release_url(base, r["id"])
        r["citation"] = citation(r["package"], r["id"], r["url"])
        r["files_path"] = datasette.urls.path(f"/downloads/{RELEASES}/{r['id']}/")
        r["is_current"] = bool(current and current["id"] == r["id"])
    context = {"releases": releases, "single": only is not None, "releases_path": datasette.urls.path("/releases")}
    # no-cache: a new release changes this page without changing the database.
    return Response.html(
        await datasette.render_template("releases.html", context, request=request),
        headers={"cache-control": "no-cache"},
    )


async def releases_page(datasette, request):
    return await _page(datasette, request, None)


async def release_page(datasette, request):
    return await _page(datasette, request, request.url_vars["release"])


async def release_file(datasette, request, send):
    """A release's file, exactly as built: immutable, never redirected."""
    extracts = extracts_dir(datasette)
    release, name = request.url_vars["release"], request.url_vars["file"]
    directory = releases_root(extracts) / release if extracts else None
    digest = read_sums(directory).get(name) if directory else None
    if name == SUMS_NAME and directory and (directory / SUMS_NAME).is_file():
        digest = ""
    if digest is None or not (directory / name).is_file():
        await asgi_send(send, f"404: {release}/{name} is not a file of a release kept here", 404)
        return
    headers = {"cache-control": IMMUTABLE, "access-control-allow-origin": "*"}
    if digest:
        headers["etag"] = f'"{digest}"'
        if headers["etag"] in request.headers.get("if-none-match", ""):
            await asgi_send(send, "", 304, headers)
            return
    ctype = CONTENT_TYPES.get(os.path.splitext(name)[1].lower())
    await asgi_send_file(send, directory / name, content_type=ctype, chunk_size=1 << 16, headers=headers)


NAME_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"


@hookimpl
def register_routes():
    return [
        (r"^/releases/?$", releases_page),
        (rf"^/releases/(?P<release>{RELEASE_PATTERN})/?$", release_page),
        (
            # A file, or a file in a folder (standard/codelists/statuses.json); no part
            # starts with a dot, and only names in the release's SHA256SUMS are served.
            rf"^/downloads/{RELEASES}/(?P<release>{RELEASE_PATTERN})/(?P<file>(?:{NAME_PART}/)*{NAME_PART})$",
            release_file,
        ),
    ]


@hookimpl
def extra_template_vars(datasette, request):
    return {"register_release": release_vars(datasette, request)}
