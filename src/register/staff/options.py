"""The yes/no settings of the staff commands (make ... REBUILD=no, ALLOW_DUPLICATES=yes,
PERSONAL_DATA=yes), read one way by every command: a misread "Yes" once published the
personal data a correction was meant to leave out."""

from __future__ import annotations

import argparse
import sys

from register.staff.normalise import FALSE_WORDS, TRUE_WORDS
from register.util.text import printable


def yes_no(flag: str, default: bool):
    """An argparse type for a yes/no setting typed as make's FLAG=: yes or no in any
    capitals (true/false, 1/0 too), empty for the default. Anything else ends the
    command, since guessing could publish what was meant to be left out."""

    def parse(text: str) -> bool:
        word = text.strip().lower()
        if not word:
            return default
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        print(
            f"Nothing was changed: {flag}={printable(text, 40)!r} is not yes or no. "
            f"Write {flag}=yes or {flag}=no (any capitals), or leave it out.",
            file=sys.stderr,
        )
        raise SystemExit(2)

    return parse


def add_allow_option(parser: argparse.ArgumentParser) -> None:
    """The one way to add a record that repeats an existing one (make ... ALLOW_DUPLICATES=yes)."""
    parser.add_argument(
        "--allow-duplicates",
        nargs="?",
        const=True,
        default=False,
        type=yes_no("ALLOW_DUPLICATES", False),
        help="yes: add rows even when they match existing records in everything but the id",
    )
