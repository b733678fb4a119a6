"""Every REGISTER_* environment variable, read in this one place, with its default and meaning.

docs/settings.md lists them for people; tests/unit/test_docs.py checks that list
against SETTINGS, and that no other module reads a REGISTER_* variable itself.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    meaning: str

    def raw(self) -> str:
        return os.environ.get(self.name, self.default)


def _setting(name: str, default: str, meaning: str) -> Setting:
    s = Setting(name, default, meaning)
    SETTINGS[name] = s
    return s


SETTINGS: dict[str, Setting] = {}

ROOT_SETTING = _setting(
    "REGISTER_ROOT",
    "",
    "The repository (data package, schemas, datasets, templates) the code works on. "
    "Empty: the checkout this package was installed from.",
)
TODAY = _setting(
    "REGISTER_TODAY",
    "",
    "Today's date as YYYY-MM-DD for the checks and the staff commands (what is in the future, the date "
    "a change is given when none is typed), so their tests are stable. The site, the downloads and the "
    "impact report never read it: what is overdue there is worked out from the clock. "
    "Empty: the real date in England (or in the zone TZ names, when it is set).",
)
CACHE_MB = _setting(
    "REGISTER_CACHE_MB", "64", "Memory budget of the in-process response cache, in MB (keys, headers and bodies)."
)
CACHE_MAX_AGE_S = _setting(
    "REGISTER_CACHE_MAX_AGE_S", "600", "Seconds a cached page is kept before it is computed again."
)
PAGE_SLOTS = _setting(
    "REGISTER_PAGE_SLOTS", "4", "Pages computed at once by one server process; more wait briefly, then get 503."
)
WARM = _setting("REGISTER_WARM", "1", "0 turns off warming the cache with the main pages when `make serve` starts.")
WARM_URL = _setting("REGISTER_WARM_URL", "", "The address the cache warmer requests pages from (set by `make serve`).")
PUBLIC_HOST = _setting(
    "REGISTER_PUBLIC_HOST",
    "",
    "The public host name alone (register.example.org: no https://, no path), sent as Host by the cache "
    "warmer so warm pages match visitors' keys.",
)
BUILD_DIR = _setting(
    "REGISTER_BUILD_DIR", "build", "The build directory the multi-process ASGI app (register.site.asgi) serves."
)
BUILD_TIMINGS = _setting(
    "REGISTER_BUILD_TIMINGS", "0", "1 makes `make build` print the time of each step (used by `make bench`)."
)
APPEND_SCAN = _setting(
    "REGISTER_APPEND_SCAN",
    "0",
    "1 makes `make append` re-read every existing row instead of trusting the built index "
    "of known rows (a check for the index).",
)
INCREMENTAL = _setting(
    "REGISTER_INCREMENTAL",
    "1",
    "0 makes `make append` (and the other staff commands) rebuild the whole database instead of "
    "bringing the last build up to date with the new rows.",
)
VALIDATOR = _setting(
    "REGISTER_VALIDATOR",
    "",
    "reference: validate with frictionless only, not the fast one-pass checker "
    "(slow; the reference the fast checker is tested against). fast, or empty: the fast checker, "
    "which hands what it does not model to the reference.",
)
VALIDATORS = ("fast", "reference")
KEEP_RELEASES = _setting(
    "REGISTER_KEEP_RELEASES",
    "20",
    "How many releases `make extracts` keeps in build/releases/, newest first (the current one "
    "always); older ones are deleted. 0 keeps every release.",
)
TEST_PAUSE_BEFORE_REPLACE = _setting(
    "REGISTER_TEST_PAUSE_BEFORE_REPLACE",
    "",
    "Tests only: seconds an append waits between writing its temporary file and renaming it.",
)
TEST_RELEASE_FILE = _setting(
    "REGISTER_TEST_RELEASE_FILE", "", "Tests only: the paused append goes on as soon as this file exists."
)


def number(setting: Setting, minimum: float = 0, whole: bool = False) -> float:
    """A numeric setting's value; a value that is not such a number stops the command with
    one sentence naming the variable (SystemExit), never a traceback from deep inside."""
    raw = setting.raw().strip() or setting.default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < minimum:
        kind = "a whole number" if whole else "a number"
        raise SystemExit(
            f"{setting.name}={raw!r} is not {kind} of {minimum:g} or more: set it to one, or leave it "
            f"unset for the default, {setting.default} (see docs/settings.md)."
        )
    return value


def switch(setting: Setting) -> bool:
    """A 0-or-1 setting: True for 1; anything but 0 or 1 stops the command with one sentence."""
    raw = setting.raw().strip() or setting.default
    if raw not in ("0", "1"):
        raise SystemExit(
            f"{setting.name}={raw!r} is neither 0 nor 1: set it to one of them, or leave it unset "
            f"for the default, {setting.default} (see docs/settings.md)."
        )
    return raw == "1"


def choice(setting: Setting, allowed: tuple[str, ...]) -> str:
    """A setting that takes one of a few words (or empty); anything else stops the command
    with one sentence."""
    raw = setting.raw().strip()
    if raw and raw not in allowed:
        words = " or ".join(allowed)
        raise SystemExit(
            f"{setting.name}={raw!r} is not {words}: set it to that, or leave it unset (see docs/settings.md)."
        )
    return raw


HOST_NAME = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?"
)


def host_name(setting: Setting) -> str:
    """A host name as browsers send it in Host (register.example.org, or with :port), or
    empty; a URL or anything else stops the command with one sentence."""
    raw = setting.raw().strip()
    if raw and not HOST_NAME.fullmatch(raw):
        raise SystemExit(
            f"{setting.name}={raw!r} is not a host name: give the name visitors type, alone "
            "(for example register.example.org), without https:// or a path (see docs/settings.md)."
        )
    return raw


def serving() -> None:
    """Check every setting the site reads when it starts, so that a mistyped value is said
    in one line before the server starts (SystemExit), not as a traceback from a plugin."""
    number(CACHE_MB)
    number(CACHE_MAX_AGE_S)
    number(PAGE_SLOTS, minimum=1, whole=True)
    switch(WARM)
    host_name(PUBLIC_HOST)


def working() -> None:
    """Check every setting the checking, building and staff commands read, before they
    read or write anything: a mistyped switch (REGISTER_INCREMENTAL=no) must not be taken
    as unset half-way through an append."""
    switch(BUILD_TIMINGS)
    switch(APPEND_SCAN)
    switch(INCREMENTAL)
    choice(VALIDATOR, VALIDATORS)
    number(KEEP_RELEASES, whole=True)


def root() -> Path:
    value = ROOT_SETTING.raw()
    return Path(value).resolve() if value else Path(__file__).resolve().parents[2]


ROOT = root()
