"""A missing file under /static/, /downloads/ or /reports/ gets the site's own 404 page,
and a folder there the site's own 403 page.

Datasette answers a static mount's missing file with the bare text "404: File not found",
and a release's missing file was answered the same way: no title, no heading, no way back
to the register, for a link a visitor followed from the site itself (the impact report
before `make report` has run, say). Such a 404 is held here and replaced by error.html, as
every other missing page is, and so is the bare "403: Directory listing is not allowed" of
a folder; anything else passes through untouched. A download asked for before `make
extracts` has run is said to be not made yet, not to have a wrong name. Innermost of the
site's wrappers (tryfirst): the files are answered by Datasette itself, and outer wrappers
compress the body (register/site/cache.py) and set the page's security headers.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Request

from register.site.downloads import MOUNT, SUMS_NAME, extracts_dir

BARE = {404: b"404: ", 403: b"403: "}
MESSAGES = {
    b"File not found": "There is no file with that name here.",
    # A folder's address (/downloads/standard/, /reports/): Datasette lists no folder.
    b"Directory listing is not allowed": "Folders are not listed here. Every file you can "
    "download, the standard's included, is listed with its checksum on the downloads page, "
    "/downloads, and the impact report is at /reports/impact_report.html.",
}
# A report is linked from the home page before it may have been made (a register served
# before `make report` has run): say so, and where its figures are meanwhile.
NOT_YET = {
    "/reports/": "That report has not been published here yet. The figures it is drawn from "
    "are on the measures page, which is always up to date.",
}
# A download's stable address followed before `make extracts` has run: the address is
# right, the files are not there yet (as the downloads page says then).
DOWNLOADS_NOT_YET = (
    "The downloads have not been made yet; please try again later. Until then every table "
    "can be read, and downloaded a page at a time, from all tables and SQL at {register}."
)


def missing_message(path: str, said: bytes) -> str:
    for prefix, text in NOT_YET.items():
        if path.startswith(prefix) and said == b"File not found":
            return text
    return MESSAGES.get(said) or said.decode("utf-8", "replace").rstrip(".") + "."


def downloads_not_made(datasette, path: str) -> bool:
    """A /downloads/ address while no set of downloads is there (no SHA256SUMS)."""
    if not path.startswith(f"/{MOUNT}/"):
        return False
    directory = extracts_dir(datasette)
    return directory is None or not (directory / SUMS_NAME).is_file()


def _replaced_headers(headers, length: int) -> list:
    kept = [(k, v) for k, v in headers or [] if k.lower() not in (b"content-type", b"content-length")]
    return [*kept, (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(length).encode())]


def wrap(app, datasette):
    async def pages_for_missing_files(scope, receive, send):
        if scope.get("type") != "http":
            return await app(scope, receive, send)
        held: dict = {}

        async def send_or_replace(message):
            if message["type"] == "http.response.start" and message.get("status") in BARE:
                held["start"] = message
                return None
            if "start" not in held or message["type"] != "http.response.body":
                return await send(message)
            start = held.pop("start")
            body, bare = message.get("body", b""), BARE[start["status"]]
            if not body.startswith(bare) or message.get("more_body") or b"<" in body:
                await send(start)
                return await send(message)
            said = body[len(bare) :].strip()
            path = scope.get("path", "")
            text = missing_message(path, said)
            if said == b"File not found" and downloads_not_made(datasette, path):
                text = DOWNLOADS_NOT_YET.format(register=datasette.urls.database("register"))
            page = await datasette.render_template(
                ["404.html", "error.html"],
                {"ok": False, "error": text, "status": start["status"], "title": None},
                # Outside Datasette's CSRF wrapper: the page has no form to protect.
                request=Request({**scope, "csrftoken": lambda: ""}, receive),
            )
            encoded = page.encode("utf-8")
            await send(dict(start, headers=_replaced_headers(start.get("headers"), len(encoded))))
            return await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else encoded})

        return await app(scope, receive, send_or_replace)

    return pages_for_missing_files


@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    return lambda app: wrap(app, datasette)
