"""Fetch one publisher's data package into a folder of its own: http(s) or a local folder.

Only the files the descriptor names are fetched (datapackage.json, each resource's CSV
and its schema), each at a relative path inside the package: a descriptor cannot make
us read /etc/passwd or write outside the folder. Every request has a timeout, every file
a size limit, and the package as a whole a size limit, so a slow or huge publisher cannot
hold up or fill the national build.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin

TIMEOUT_S = 20
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_PACKAGE_BYTES = 2 * 1024 * 1024 * 1024
CHUNK = 1 << 20
USER_AGENT = "coproduction-register-national/1 (+docs/national.md)"


class FetchError(Exception):
    """The package could not be fetched; the message says why, in one sentence."""


@dataclass
class Limits:
    timeout_s: float = TIMEOUT_S
    max_file_bytes: int = MAX_FILE_BYTES
    max_package_bytes: int = MAX_PACKAGE_BYTES


def _relative(path: object, what: str) -> str:
    """A path inside the package, or FetchError."""
    if not isinstance(path, str) or not path:
        raise FetchError(f"{what} has no path")
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or "://" in path or "\\" in path:
        raise FetchError(f"{what} is at {path!r}, which is not a relative path inside the package")
    return str(p)


def package_files(descriptor: dict) -> list[str]:
    """The relative paths of every file the descriptor names (CSVs and schemas)."""
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        raise FetchError("datapackage.json lists no resources")
    files: dict[str, None] = {}
    for i, res in enumerate(resources):
        if not isinstance(res, dict):
            raise FetchError(f"resource {i + 1} of datapackage.json is not an object")
        name = res.get("name", f"resource {i + 1}")
        if isinstance(res.get("schema"), dict):
            raise FetchError(
                f"the schema of {name} is written inside datapackage.json, as in a register's downloads "
                "(/downloads/datapackage.json): give the address of the datapackage.json at the root of "
                "the register's own files, beside its datasets/ and schemas/ folders"
            )
        files[_relative(res.get("path"), f"the data of {name}")] = None
        files[_relative(res.get("schema"), f"the schema of {name}")] = None
    return list(files)


class _Copier:
    """Copies files into `dest` within the limits, hashing the package as it goes."""

    def __init__(self, source: str, dest: Path, limits: Limits):
        self.source = source
        self.dest = dest
        self.limits = limits
        self.total = 0
        self.digest = hashlib.sha256()

    def _open(self, rel: str):
        if self.source.startswith(("http://", "https://")):
            url = urljoin(self.source, rel)
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            try:
                return urllib.request.urlopen(request, timeout=self.limits.timeout_s)
            except urllib.error.HTTPError as e:
                raise FetchError(f"{url} answered HTTP {e.code} {e.reason}")
            except (urllib.error.URLError, TimeoutError, OSError) as e:
                reason = getattr(e, "reason", e)
                raise FetchError(f"{url} could not be reached ({reason})")
        try:
            return (Path(self.source).parent / rel).open("rb")
        except OSError as e:
            raise FetchError(f"{Path(self.source).parent / rel} could not be read ({e.strerror})")

    def copy(self, rel: str) -> Path:
        out = self.dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        self.digest.update(rel.encode() + b"\0")
        with self._open(rel) as src, out.open("wb") as dst:
            while True:
                try:
                    chunk = src.read(CHUNK)
                except (TimeoutError, OSError) as e:
                    raise FetchError(f"reading {rel} failed ({e})")
                if not chunk:
                    break
                size += len(chunk)
                self.total += len(chunk)
                if size > self.limits.max_file_bytes:
                    raise FetchError(f"{rel} is larger than the limit of {self.limits.max_file_bytes:,} bytes")
                if self.total > self.limits.max_package_bytes:
                    raise FetchError(f"the package is larger than the limit of {self.limits.max_package_bytes:,} bytes")
                self.digest.update(chunk)
                dst.write(chunk)
        self.digest.update(b"\0")
        return out


def descriptor_location(package: str, base: Path) -> str:
    """The URL or local path of the datapackage.json a registry row names."""
    if package.startswith(("http://", "https://")):
        return package
    path = Path(package)
    path = path if path.is_absolute() else base / path
    return str(path / "datapackage.json" if path.is_dir() or path.suffix != ".json" else path)


def fetch(package: str, dest: Path, limits: Limits | None = None) -> tuple[str, int]:
    """Copy the package into `dest` (emptied first); returns (SHA-256 of the package, bytes).

    The SHA-256 covers every file's relative path and content, so it changes exactly when
    something the national register would load changes.
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copier = _Copier(package, dest, limits or Limits())
    descriptor_path = copier.copy("datapackage.json")
    try:
        descriptor = json.loads(descriptor_path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise FetchError(f"datapackage.json is not valid JSON ({e})")
    if not isinstance(descriptor, dict):
        raise FetchError("datapackage.json is not a JSON object")
    for rel in package_files(descriptor):
        copier.copy(rel)
    return copier.digest.hexdigest(), copier.total
