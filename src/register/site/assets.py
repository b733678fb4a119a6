"""Static files under content-hashed names, cached for a year, and sent compressed.

Why: on a phone on a slow network every round trip counts. A stylesheet or script whose
URL names its content (`/static/css/register.<hash>.css`) can be kept by the browser
(and any CDN) for a year, `immutable`: a change to the file changes the URL, so a
visitor never revalidates and never sees a stale file. The templates ask for each
file through `static_url()` (a Jinja global), so the hash is worked out here, once per
process, from the file itself: there is no list of hashes to keep in step.

- Served from memory by this ASGI wrapper, before Datasette: the project's static/
  (mounted at /static/), Datasette's own /-/static/ files (CodeMirror for the SQL
  editor) and the plugins' /-/static-plugins/ files. datasette-vega names its bundle
  with a content hash already (main.08f5d3d8.js): those keep their names and are
  marked immutable too.
- Compressed once per process, when first asked for: brotli (quality 11) or gzip
  (level 9), whichever the browser accepts, brotli first.
- A URL with a hash that is not the file's (a page cached from before a deploy) gets
  the current file with a short cache, never a 404 and never `immutable`.
- The plain URLs (/static/css/register.css) keep working, as Datasette serves them.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from datasette import hookimpl

from register.site.compress import accepted, compress_bytes, security
from register.site.serve import STATIC

HASH_LENGTH = 10
IMMUTABLE = b"public, max-age=31536000, immutable"
STALE = b"public, max-age=300"  # an old hash: the current file, briefly
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{%d})(?P<ext>\.[A-Za-z0-9]+)$" % HASH_LENGTH)
# A name that carries its own content hash (datasette-vega's build): main.08f5d3d8.js.
OWN_HASH = re.compile(r"\.[0-9a-f]{8,}\.(?:js|css)$")
SKIP = {"README.md", "SHA256SUMS", "refresh.sh"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".map": "application/json"}


@dataclass
class Asset:
    path: Path
    plain: str  # /static/css/register.css
    url: str  # /static/css/register.<hash>.css
    digest: str
    content_type: str
    body: bytes = field(repr=False, default=b"")
    encoded: dict = field(repr=False, default_factory=dict)

    def encoding(self, name: str) -> bytes:
        """The body in `name` encoding, compressed the first time it is asked for."""
        if name not in self.encoded:
            self.encoded[name] = compress_bytes(self.body, name, best=True)
        return self.encoded[name]


def mounts() -> dict[str, Path]:
    """URL prefix -> directory of every static mount whose files get hashed URLs."""
    import datasette

    out = {f"/{name}/": Path(path) for name, path in STATIC.items()}
    out["/-/static/"] = Path(datasette.__file__).parent / "static"
    try:
        import datasette_vega

        out["/-/static-plugins/datasette_vega/"] = Path(datasette_vega.__file__).parent / "static"
    except ImportError:  # pragma: no cover - the plugin is pinned in requirements.txt
        pass
    return out


def hashed_name(plain: str, digest: str) -> str:
    if OWN_HASH.search(plain):
        return plain
    stem, dot, ext = plain.rpartition(".")
    return f"{stem}.{digest[:HASH_LENGTH]}.{ext}" if dot and "/" not in ext else f"{plain}.{digest[:HASH_LENGTH]}"


class Index:
    """Every static file, by plain URL and by hashed URL; read once, on first use."""

    def __init__(self, roots: dict[str, Path] | None = None):
        self.roots = roots
        self.by_plain: dict[str, Asset] = {}
        self.by_url: dict[str, Asset] = {}
        self.lock = threading.Lock()
        self.loaded = False

    def load(self) -> None:
        with self.lock:
            if self.loaded:
                return
            for prefix, root in (self.roots or mounts()).items():
                if not root.is_dir():
                    continue
                for path in sorted(root.rglob("*")):
                    if not path.is_file() or path.name in SKIP or path.name.startswith("."):
                        continue
                    body = path.read_bytes()
                    digest = hashlib.sha256(body).hexdigest()
                    plain = prefix + path.relative_to(root).as_posix()
                    content_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
                    asset = Asset(path, plain, hashed_name(plain, digest), digest, content_type or "", body)
                    self.by_plain[plain] = asset
                    self.by_url[asset.url] = asset
            self.loaded = True

    def url(self, plain: str) -> str:
        """The hashed URL of a static file (the plain one if there is no such file)."""
        self.load()
        asset = self.by_plain.get(plain)
        return asset.url if asset else plain

    def find(self, path: str) -> tuple[Asset, bool] | None:
        """(asset, whether the URL names its current content) for a requested path."""
        self.load()
        asset = self.by_url.get(path)
        if asset is not None:
            return asset, True
        m = HASHED.match(path)
        if m and (asset := self.by_plain.get(m["stem"] + m["ext"])) is not None:
            return asset, False
        return None


INDEX = Index()


def static_url(plain: str) -> str:
    """`{{ static_url('/static/css/register.css') }}` in a template."""
    return INDEX.url(plain)


async def send_asset(scope, send, asset: Asset, current: bool) -> None:
    encoding = accepted(scope)
    body = asset.encoding(encoding) if encoding else asset.body
    headers = [
        (b"content-type", asset.content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", IMMUTABLE if current else STALE),
        (b"etag", f'"{asset.digest[:32]}"'.encode()),
        (b"vary", b"Accept-Encoding"),
        *security(),
    ]
    if encoding:
        headers.append((b"content-encoding", encoding.encode()))
    etag = f'"{asset.digest[:32]}"'.encode()
    match = dict((k.lower(), v) for k, v in scope.get("headers", [])).get(b"if-none-match", b"")
    if etag in [m.strip() for m in match.split(b",")]:
        keep = [(k, v) for k, v in headers if k in (b"cache-control", b"etag", b"vary")]
        await send({"type": "http.response.start", "status": 304, "headers": keep})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})


def wrap(app, index: Index = INDEX):
    async def assets(scope, receive, send):
        if scope.get("type") == "http" and scope.get("method") in ("GET", "HEAD"):
            path = scope.get("path", "")
            if path.startswith(("/static/", "/-/static")) and (found := index.find(path)) is not None:
                return await send_asset(scope, send, *found)
        return await app(scope, receive, send)

    return assets


@hookimpl
def prepare_jinja2_environment(env):
    from markupsafe import Markup

    from register.site.security import HEAD_SCRIPT

    env.globals["static_url"] = static_url
    env.globals["head_script"] = Markup(HEAD_SCRIPT)
