"""`make serve`: the built register served by Datasette, once its start-up integrity check
has passed (a damaged database is rebuilt first, unless --no-rebuild).

How the register is served is said here once: Datasette's settings, used by `make serve`,
the container (Dockerfile) and the tests, so what is tested is what is served."""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
from pathlib import Path

from register import settings
from register.database.integrity import IntegrityError, ensure
from register.schema.package import ROOT
from register.util.clock import in_england
from register.util.guard import plain_errors
from register.util.text import command_parser, printable

# Settings for a public site. Suggested facets are off (they dominate page time on big
# tables); SQL and facets are time-limited; results are capped; the database is
# immutable between builds, so responses may be cached.
SETTINGS = {
    "suggest_facets": False,
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 300,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "default_cache_ttl": 300,
    "truncate_cells_html": 0,
    "allow_download": True,
}


# Access-Control-Allow-Origin: * on the JSON answers, so a notebook or dashboard on another
# site (Observable, JupyterLite) can read the register's tables and queries as a program can:
# the data is public and the site has no logins or cookies that a request could carry.
CORS = True

# URL prefix -> directory under the build directory (or the repo) served as static files.
STATIC = {
    "static": ROOT / "static",
}
BUILD_STATIC = {
    "downloads": "extracts",
    "reports": "reports",
}


def static_mounts(build_dir: Path) -> list[tuple[str, str]]:
    mounts = [(name, str(path)) for name, path in STATIC.items()]
    for name, sub in BUILD_STATIC.items():
        path = build_dir / sub
        path.mkdir(parents=True, exist_ok=True)
        mounts.append((name, str(path)))
    return mounts


def datasette_instance(build_dir: Path | str = ROOT / "build"):
    """The Datasette app exactly as `make serve` configures it (for in-process tests)."""
    from datasette.app import Datasette

    build_dir = Path(build_dir)
    inspect = json.loads((build_dir / "inspect.json").read_text("utf-8"))
    return Datasette(
        immutables=[str(build_dir / "register.db")],
        inspect_data=inspect,
        metadata=json.loads((build_dir / "metadata.json").read_text("utf-8")),
        plugins_dir=str(ROOT / "plugins"),
        template_dir=str(ROOT / "templates"),
        static_mounts=static_mounts(build_dir),
        settings=SETTINGS,
        cors=CORS,
    )


def command(build_dir: Path, host: str, port: int) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        "-i",
        str(build_dir / "register.db"),
        "--inspect-file",
        str(build_dir / "inspect.json"),
        "-m",
        str(build_dir / "metadata.json"),
        "--plugins-dir",
        str(ROOT / "plugins"),
        "--template-dir",
        str(ROOT / "templates"),
        "-h",
        host,
        "-p",
        str(port),
    ]
    for name, path in static_mounts(build_dir):
        args += ["--static", f"{name}:{path}"]
    if CORS:
        args.append("--cors")
    for key, value in SETTINGS.items():
        args += ["--setting", key, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return args


def unusable_host(host: str) -> str | None:
    """Why HOST= cannot be served on, in one sentence, or None. Uvicorn says only "Name or
    service not known", after the build, and exits 0."""
    if not host:
        return None
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return (
            f"HOST={host!r} is not an address this computer can serve on: give a name or IP address, "
            "for example HOST=127.0.0.1 (this computer only) or HOST=0.0.0.0 (every network it is on)."
        )
    return None


def port_taken(host: str, port: int) -> str | None:
    """Why nothing can be served on host:port, in one sentence, or None. Checked before the
    build too (`make serve` runs --before-build first): a second `make serve` on a port in
    use validated and built for a minute, then stopped with uvicorn's "address already in use"."""
    if not 1 <= port <= 65535:
        return f"Not serving: {port} is not a port number; give one from 1 to 65535, for example PORT=8080."
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        return None  # unusable_host says so
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        # As uvicorn binds: a port left in TIME_WAIT by a server just stopped is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as e:
            reason = "is already in use" if e.errno == errno.EADDRINUSE else f"cannot be used ({e.strerror})"
            return (
                f"Not serving: port {port} on {host or 'every address'} {reason}. Is the register already "
                f"being served? Stop that one (Ctrl-C where it runs), or serve on another port: "
                f"make serve PORT={port + 1}."
            )
    return None


def unusable_root(root: Path | str) -> str | None:
    """Why the repository the site is served from (REGISTER_ROOT, or --root) is not a
    register, in one sentence, or None. Without this a mistyped REGISTER_ROOT made folders
    there and ended in a traceback about its datapackage.json."""
    path = Path(root)
    if (path / "datapackage.json").is_file():
        return None
    where = "does not exist" if not path.exists() else "has no datapackage.json"
    return (
        f"Not serving: {printable(str(root))} is not a copy of the register (that folder {where}). Set "
        f"{settings.ROOT_SETTING.name} (or --root) to the folder holding its datapackage.json, or leave it "
        "unset for the checkout this package was installed from."
    )


@plain_errors("starting the site")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument(
        "--build-dir", default=str(ROOT / "build"), help="the built register to serve (default: build/ of this one)"
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("HOST", "127.0.0.1"),
        help="the address to serve on (default: HOST or 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "8001")), help="the port (default: PORT or 8001)"
    )
    parser.add_argument("--root", default=str(ROOT), help="the repository to rebuild from if the database is damaged")
    parser.add_argument(
        "--no-rebuild",
        action="store_true",
        help="refuse to start, rather than rebuild, if the database fails its integrity check "
        "(replicas, which must all serve the same file)",
    )
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="run the start-up integrity check (and any rebuild), then exit without serving",
    )
    parser.add_argument(
        "--before-build",
        action="store_true",
        help="check the host, port, root and settings only, then exit (`make serve` runs this before building)",
    )
    args = parser.parse_args(argv)
    said = unusable_host(args.host) or unusable_root(args.root) or unusable_root(ROOT)
    if not args.check_only:  # said before any rebuild, not after it
        said = said or port_taken(args.host, args.port)
    try:
        settings.serving()  # a mistyped REGISTER_* value, said before anything else
    except SystemExit as e:
        said = said or str(e)
    if said:
        print(said, file=sys.stderr)
        return 2
    if args.before_build:
        return 0
    # Never serve a damaged or half-written database (register/database/integrity.py).

    try:
        ensure(Path(args.build_dir), Path(args.root), rebuild=not args.no_rebuild)
    except IntegrityError as e:
        print(f"Not serving: {e}", file=sys.stderr)
        return 1
    if args.check_only:
        return 0
    # "Today" (overdue, days open, when cached pages expire) is the day in England, not
    # in UTC: the deployments set TZ too (Dockerfile, fly.toml).
    in_england()
    cmd = command(Path(args.build_dir), args.host, args.port)
    if settings.switch(settings.WARM):  # register/site/warm_cache.py
        local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        os.environ.setdefault(settings.WARM_URL.name, f"http://{local}:{args.port}")
    print(f"Serving the register on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
