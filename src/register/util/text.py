"""Text that came from outside (command-line arguments, typed answers) and must be
stored as UTF-8.

Python turns bytes in arguments that are not UTF-8 into lone surrogate characters
(PEP 383), so such a value passes every check on characters and then fails only when it
is written. Commands ask this first and refuse it with a message.

Text going out to a terminal is here too: a value shown back to the person who typed it
(printable, shell_word), and how a command names and describes itself in its --help
(command_name, first_paragraph).
"""

from __future__ import annotations

import argparse
import re
import shlex

LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What must not reach a terminal as it is: control characters (an escape sequence can
# rewrite the screen) and lone surrogates (they cannot be printed).
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def not_utf8_at(value: str) -> int | None:
    """Where (1-based character) a value holds something that cannot be written as
    UTF-8, or None when it is all text."""
    m = LONE_SURROGATE.search(value)
    return m.start() + 1 if m else None


def not_utf8_message(name: str, value: str) -> str | None:
    """A sentence saying why `name` is not text, or None when it is."""
    at = not_utf8_at(value)
    if at is None:
        return None
    return (
        f"{name} holds bytes that are not UTF-8 text (at character {at:,}); "
        "type it again, or copy it from a document saved as UTF-8"
    )


def printable(value: str, limit: int = 200) -> str:
    """A value as it can be shown in one line of a message: on one line, control
    characters and undecodable bytes written as \\xNN, cut at `limit` characters."""
    text = UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", " ".join(value.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shell_word(value: str) -> str:
    """A value written into a command to type, quoted as the staff guide quotes one
    (FILE="January meeting.xlsx"): as it is when nothing in it needs quoting, in double
    quotes when nothing in it is special there (an apostrophe is not: "Jo's notes.xlsx"),
    else in single quotes as the shell needs."""
    if not value:
        return "''"
    if re.fullmatch(r"[\w@%+=:,./-]+", value, flags=re.ASCII):
        return value
    if not re.search(r'["$`\\!\n]', value):
        return f'"{value}"'
    return shlex.quote(value)


def command_name(spec) -> str | None:
    """A command's name in its usage and error lines, as a person types it: "python -m
    register.database.build", not "build.py", a file two modules share and that cannot be
    run alone. (None when the file is run by its path: argparse's own name then.)"""
    return f"python -m {spec.name}" if spec is not None else None


def command_parser(spec, doc: str, epilog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of a `python -m register....` command: its name as typed
    (command_name) and the first paragraph of its docstring as its --help description."""
    return argparse.ArgumentParser(prog=command_name(spec), description=first_paragraph(doc), epilog=epilog)


def first_paragraph(doc: str) -> str:
    """A module docstring's first paragraph on one line: a command's --help description,
    whole even where the first sentence runs onto a second line."""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())
