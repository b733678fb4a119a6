"""The downloads page (/downloads) and the files it lists (/downloads/<file>).

`make extracts` writes build/extracts/; register/site/serve.py mounts that directory as the
static path /downloads/, and this plugin adds the page at /downloads itself (plugin
routes are matched before static mounts, and the static route needs a file name after
the slash, so the two never collide). The page lists every file with its size, row
count, date and SHA-256, read at request time from SHA256SUMS and datapackage.json, so
it is always the set actually on disk.

It also:
- gives the files a charset and `Access-Control-Allow-Origin: *`, so a CSV opens with the
  right accents in a browser and an Observable notebook can fetch the files directly;
- tells the .Notebook page (register/site/notebook_page.py) where the complete extract of a
  table is, because the JSON it suggests holds only the first page of rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response

from register.util.clock import local_today
from register.util.words import uk_moment

MOUNT = "downloads"  # the static mount name in register/site/serve.py BUILD_STATIC
ZIP_NAME = "coproduction-register.zip"
SUMS_NAME = "SHA256SUMS"
# The files for spreadsheet users (register/publishing/extract_excel.py writes them).
WORKBOOK_NAME = "coproduction-register.xlsx"
EXCEL_SUFFIX = ".excel.csv"
RELEASES_PREFIX = "releases/"  # /downloads/releases/...: register/site/releases.py serves those

# The files of the set that are not tables, in the order the page lists them.
ABOUT_FILES = {
    "datapackage.json": (
        "Data package",
        "The Frictionless data package: every file with its Table Schema, the licence, publisher and sources. Check the files with: frictionless validate datapackage.json "
        '(install it with pip install "frictionless[json]")',
    ),
    "data-dictionary.html": (
        "Data dictionary (web page)",
        "Every field of every table: what it means, its type, and every code with its meaning.",
    ),
    "data-dictionary.csv": ("Data dictionary (CSV)", "The data dictionary as a spreadsheet."),
    "CHANGELOG.md": ("What changed", "Rows added, changed and removed since the previous extract."),
    "changes.json": ("What changed (JSON)", "The same changes, for programs."),
    SUMS_NAME: ("Checksums", "The SHA-256 checksum of every file, to check a download is complete and unchanged."),
}

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".zip": "application/zip",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "": "text/plain; charset=utf-8",
}


def _other_text(name: str) -> tuple[str, str]:
    """(title, description) of a file not listed above: the standard's files, or any other."""
    folder, _, part = name.partition("/")
    if folder != "standard" or not part:
        return name, ""
    if part == "standard.json":
        return "The standard", "Which Table Schemas the Co-production Register standard holds, and its version."
    if part == "CHANGELOG.md":
        return "What changed in the standard", "Each version of the standard and what it changed."
    return (
        f"Standard: {part}",
        "A Table Schema of the standard. Every publisher's data package uses it unchanged; "
        "check a package of your own against the standard with it.",
    )


def extracts_dir(datasette) -> Path | None:
    """The directory served at /downloads/, as register/site/serve.py mounted it."""
    for name, path in datasette.static_mounts:
        if name == MOUNT:
            return Path(path)
    return None


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            return f"{size:.1f} {unit}" if size < 100 else f"{size:.0f} {unit}"
    return f"{size:.0f} GB"


def _read(directory: Path) -> dict | None:
    """One consistent reading of the set (the directory may be swapped under us)."""
    fd = os.open(directory, os.O_RDONLY)
    try:

        def text(name: str) -> str:
            with open(name, encoding="utf-8", opener=lambda p, flags: os.open(p, flags, dir_fd=fd)) as fh:
                return fh.read()

        try:
            sums = text(SUMS_NAME)
            package = json.loads(text("datapackage.json"))
            changes = json.loads(text("changes.json"))
        except FileNotFoundError:
            return None
        checksums = {}
        for line in sums.splitlines():
            digest, _, name = line.partition("  ")
            if name:
                checksums[name] = digest
        sizes = {name: os.stat(name, dir_fd=fd).st_size for name in [*checksums, SUMS_NAME]}
    finally:
        os.close(fd)
    return {"checksums": checksums, "package": package, "changes": changes, "sizes": sizes}


def _in_words(created: str) -> tuple[str, str, str]:
    """An extract's `created` time (ISO 8601, UTC) as the pages write it: the date, the
    short date and the date with the time; the text as it is when it is no such time.
    The dates are the day in England, the day the release is named by and its figures
    are for (its x-as-of): between midnight and one in summer the UTC date is the day
    before, and "2 June" release 2026-06-02-... was not made on 1 June."""
    try:
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return created, created, created
    if when.tzinfo is None:
        return created, created, created
    day = local_today(when)
    return f"{day.day} {day:%B %Y}", f"{day.day} {day:%b %Y}", uk_moment(created)


def listing(directory: Path | None) -> dict | None:
    """What the page shows: None when no extract has been made yet."""
    if directory is None or not directory.is_dir():
        return None
    data = None
    for _ in range(3):  # a swap between two reads: read again
        try:
            data = _read(directory)
            break
        except (FileNotFoundError, ValueError):
            continue
    if data is None:
        return None
    checksums, package, sizes = data["checksums"], data["package"], data["sizes"]
    created = package.get("created", "")
    date_text, short_date, time_text = _in_words(created)

    def entry(name, title, description, rows=None, fmt=None):
        return {
            "name": name,
            "title": title,
            "description": description,
            "rows": rows,
            "format": fmt or (name.rsplit(".", 1)[-1].upper() if "." in name else "Text"),
            "size": sizes.get(name),
            "size_text": human_size(sizes[name]) if name in sizes else "",
            "sha256": checksums.get(name),
        }

    tables, listed = [], set()
    total_rows = 0
    for res in package.get("resources", []):
        path = res.get("path")
        if path not in checksums:
            continue
        rows = res.get("x-row-count")
        kind = "CSV" if res.get("format") == "csv" else "JSON"
        if kind == "CSV":
            total_rows += rows or 0
        tables.append(
            {
                **entry(path, res.get("title", res["name"]), res.get("description", ""), rows, kind),
                "resource": res["name"].removesuffix("_json") if kind == "JSON" else res["name"],
            }
        )
        if kind == "JSON":
            tables[-1]["title"] = tables[-1]["title"].removesuffix(" (JSON)")
        listed.add(path)
        excel = path.removesuffix(".csv") + EXCEL_SUFFIX
        if kind == "CSV" and excel in checksums:
            tables.append(
                {
                    **entry(excel, tables[-1]["title"], res.get("description", ""), rows, "CSV for Excel"),
                    "resource": res["name"],
                }
            )
            listed.add(excel)
    about = [entry(name, *ABOUT_FILES[name]) for name in ABOUT_FILES if name in sizes]
    listed.update(ABOUT_FILES)
    listed.update((ZIP_NAME, WORKBOOK_NAME))
    workbook = (
        entry(
            WORKBOOK_NAME,
            "Everything in one Excel workbook",
            "Every table on its own sheet, with column titles, and an About sheet with the licence, "
            "release, citation and data dictionary.",
            total_rows,
            "Excel",
        )
        if WORKBOOK_NAME in checksums
        else None
    )
    others = [entry(name, *_other_text(name)) for name in sorted(checksums) if name not in listed]
    zip_entry = (
        entry(
            ZIP_NAME,
            "Everything in one zip file",
            "The data package for code: every CSV and JSON file, the data dictionary, the changes and the "
            "standard the data follows (its Table Schemas), in one zip.",
            None,
            "ZIP",
        )
        if ZIP_NAME in checksums
        else None
    )
    changed = [
        {"name": name, **r}
        for name, r in data["changes"].get("resources", {}).items()
        if r.get("status") in ("compared", "new") and (r.get("added") or r.get("changed") or r.get("removed"))
    ]
    return {
        "created": created,
        "date_text": date_text,
        "short_date": short_date,
        "time_text": time_text,
        "version": package.get("version", ""),
        "licences": package.get("licenses") or [],  # the national package's: each publisher's own
        "zip": zip_entry,
        "workbook": workbook,
        "tables": tables,
        "about": about + others,
        "files": [e for e in (zip_entry, workbook) if e] + tables + about + others,
        "total_rows": total_rows,
        "table_count": len({t["resource"] for t in tables}),
        "changes": data["changes"],
        "changed": changed,
        # The extracts compared with, in the words the pages use for `created`.
        "previous_time_text": _in_words((data["changes"].get("previous") or {}).get("created", ""))[2],
        "unchanged_since_text": _in_words(data["changes"].get("unchanged_since", ""))[2],
    }


async def downloads_page(datasette, request):
    info = listing(extracts_dir(datasette))
    base = datasette.absolute_url(request, datasette.urls.path(f"/{MOUNT}/"))
    context = {
        "downloads": info,
        "download_base": base,
        "downloads_path": datasette.urls.path(f"/{MOUNT}/"),
        "example_table": "coproduction_log",
    }
    # no-cache: a new extract changes this page without changing the database, which is
    # what the site's response cache (register/site/cache.py) keys on.
    return Response.html(
        await datasette.render_template("downloads.html", context, request=request),
        headers={"cache-control": "no-cache"},
    )


@hookimpl
def register_routes():
    return [(rf"^/{MOUNT}/?$", downloads_page)]


@hookimpl
def extra_template_vars(template, datasette, request):
    """For the .Notebook page: the address of a table's complete extract, if there is one."""
    if template != "export_notebook.html":
        return {}
    directory = extracts_dir(datasette)

    def extract_url(back_url: str) -> str | None:
        parts = back_url.split("?")[0].strip("/").split("/")
        if len(parts) != 2 or directory is None:
            return None
        name = f"{parts[1]}.json"
        if not (directory / name).is_file():
            return None
        path = datasette.urls.path(f"/{MOUNT}/{name}")
        return datasette.absolute_url(request, path) if request is not None else path

    return {"extract_url": extract_url, "downloads_path": datasette.urls.path(f"/{MOUNT}")}


_SUMS_CACHE: dict = {}


def file_checksums(directory: Path) -> dict[str, str]:
    """name -> SHA-256 from SHA256SUMS, re-read only when that file changes."""
    try:
        st = os.stat(directory / SUMS_NAME)
    except OSError:
        return {}
    key = (str(directory), st.st_ino, st.st_mtime_ns, st.st_size)
    if _SUMS_CACHE.get("key") != key:
        sums = {}
        try:
            for line in (directory / SUMS_NAME).read_text("utf-8").splitlines():
                digest, _, name = line.partition("  ")
                if name:
                    sums[name] = digest
        except OSError:
            return {}
        _SUMS_CACHE.update(key=key, sums=sums)
    return _SUMS_CACHE["sums"]


@hookimpl
def asgi_wrapper(datasette):
    """Headers for the downloaded files: charset, open CORS, and caching by checksum.

    A new extract can replace the files without the database changing, so the files
    (and the page) are marked `no-cache`: browsers, proxies and the site's own response
    cache (register/site/cache.py, keyed by the database build) must check again each time.
    The ETag is the file's SHA-256, so that check costs a 304 when nothing changed.
    """

    def wrap(app):
        async def inner(scope, receive, send):
            prefix = datasette.urls.path(f"/{MOUNT}/")
            path = scope.get("path", "") if scope.get("type") == "http" else ""
            if not path.startswith(prefix) or path == prefix:
                await app(scope, receive, send)
                return
            name = path[len(prefix) :]
            if name.startswith(RELEASES_PREFIX):  # a release's own headers: never changes
                await app(scope, receive, send)
                return
            ctype = CONTENT_TYPES.get(os.path.splitext(name)[1].lower())
            directory = extracts_dir(datasette)
            digest = file_checksums(directory).get(name) if directory else None
            etag = f'"{digest}"'.encode() if digest else None
            if etag and scope.get("method") in ("GET", "HEAD"):
                wanted = [v for k, v in scope.get("headers", []) if k.lower() == b"if-none-match"]
                tags = {t.strip().removeprefix(b"W/") for v in wanted for t in v.split(b",")}
                if etag in tags or b"*" in tags:
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 304,
                            "headers": [
                                (b"etag", etag),
                                (b"cache-control", b"public, no-cache"),
                                (b"access-control-allow-origin", b"*"),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return
            drop = {b"access-control-allow-origin", b"cache-control", b"etag"}
            if ctype:
                drop.add(b"content-type")

            async def send_wrapped(event):
                if event["type"] == "http.response.start" and event.get("status") == 200:
                    headers = [(k, v) for k, v in event.get("headers", []) if k.lower() not in drop]
                    if ctype:
                        headers.append((b"content-type", ctype.encode()))
                    headers.append((b"access-control-allow-origin", b"*"))
                    headers.append((b"cache-control", b"public, no-cache"))
                    if etag:
                        headers.append((b"etag", etag))
                    event = {**event, "headers": headers}
                await send(event)

            await app(scope, receive, send_wrapped)

        return inner

    return wrap
