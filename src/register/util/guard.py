"""The last line of defence for the commands staff run: an error nobody foresaw ends
in one plain sentence and exit code 2, never in a Python traceback.

Every failure a person can cause should already have its own message naming the file,
row and field; this is for the rest. The commands it guards write datasets/ only
through the atomic append (a temporary file renamed into place under the lock), so an
unexpected error leaves datasets/ as it was.
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from register.util.text import printable

EXIT_CODE = 2
# Longest part of an error's own text shown; long enough to recognise it, short enough
# that a 100 KB value in it does not flood the terminal.
MAX_DETAIL = 200


def broken_link(filename) -> Path | None:
    """The link on the way to a missing file that points nowhere: a publisher's kit copied
    without -L keeps the links to the repository's schemas, relative to where it was."""
    if not isinstance(filename, (str, os.PathLike)):
        return None
    path = Path(filename)
    try:
        for part in [path, *path.parents]:
            if part.is_symlink() and not part.exists():
                return part
    except (OSError, ValueError):  # a name too long, or with a NUL, to look at
        return None
    return None


def one_line(error: BaseException) -> str:
    """The error's own text, on one line, without terminal control characters. A file
    error names the file and what the system said, which is what a person can act on."""
    if isinstance(error, OSError) and error.strerror:
        text = f"{error.strerror}: {error.filename}" if error.filename else error.strerror
        broken = broken_link(error.filename)
        if broken:
            return (
                f"{printable(text, MAX_DETAIL)} ({printable(str(broken))} is a link to "
                f"{printable(os.readlink(broken))}, which does not exist from there: copy the folder "
                "with what its links point at, cp -rL)"
            )
    else:
        text = str(error)
    return printable(text, MAX_DETAIL) or "no details were given"


# What the system or SQLite says when the disk (or the user's quota on it) has no room left.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
SQLITE_FULL = 13


def disk_full(error: BaseException) -> bool:
    """Whether the error is a full disk, which the person running the command can put right
    (free some space), not a fault to report."""
    if isinstance(error, OSError):
        return error.errno in DISK_FULL_ERRNOS
    return isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) == SQLITE_FULL


def stopped_while_starting(kind, value, traceback) -> None:
    """sys.excepthook while a staff command is still importing what it needs (see
    register/staff/__init__.py): Ctrl+C then is said in one line, not as a traceback
    through the imports. Nothing has been read or written yet."""
    if issubclass(kind, KeyboardInterrupt):
        print("\nStopped while starting; nothing was changed.", file=sys.stderr)
        return
    sys.__excepthook__(kind, value, traceback)


def plain_errors(doing: str) -> Callable:
    """Decorate a command's main(): an unexpected exception is reported in one line
    ("Something went wrong while <doing>: ...", or for a file the system refused "Could
    not finish <doing>: ...", or for a full disk what to do about it) and main returns 2.
    Ctrl-C says it stopped and returns 130, the shell's code for an interrupted command."""

    def decorate(main: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(main)
        def guarded(*args, **kwargs) -> int:
            if sys.excepthook is stopped_while_starting:  # started: Ctrl+C is said below
                sys.excepthook = sys.__excepthook__
            try:
                return main(*args, **kwargs)
            except KeyboardInterrupt:
                print(f"\nStopped while {doing}.", file=sys.stderr)
                return 130
            except Exception as e:  # noqa: BLE001 - the point of the guard
                print(one_sentence(doing, e), file=sys.stderr)
                return EXIT_CODE

        return guarded

    return decorate


def one_sentence(doing: str, e: Exception) -> str:
    """What plain_errors says of an exception."""
    if disk_full(e):  # the system's "No space left on device", or SQLite's "database or disk is full"
        return (
            f"Could not finish {doing}: the disk is full ({one_line(e)}); datasets/ was not changed, "
            "and what was built before is still in place. Free some space on that disk, then run "
            "the command again."
        )
    if isinstance(e, OSError):  # the system refused: a path that does not exist, a folder not writable
        return (
            f"Could not finish {doing}: {one_line(e)}; datasets/ was not changed. "
            "Check that the file or folder it names exists and that you may use it."
        )
    if getattr(e, "said_plainly", False):  # a mistake in a file a person edits, said as such
        return f"Could not finish {doing}: {printable(str(e), 4 * MAX_DETAIL)}; datasets/ was not changed."
    return (
        f"Something went wrong while {doing}: {one_line(e)}; datasets/ was not changed. "
        "Please report this, with the command you ran."
    )
