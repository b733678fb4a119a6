"""Ctrl+C, and a request to end the process (SIGTERM, SIGHUP), held while the register's
files are written, so that neither leaves a write half done.

A file is replaced by renaming a whole new one into place, so it is never half written;
but a command that writes more than one thing (`make correct`: the correction, then its
record) or that has more to do once the file is in place (the note of what the database
covers, telling the person the records are saved) can be stopped between the two. Held,
the signal waits until the writing is finished: Ctrl+C is then the caller's to act on
(the records are saved, the rebuild is not started), and a request to end is carried out.
Only SIGKILL, or the power going off, can stop a command there; `make correct` finishes
such a correction when it is run again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def held() -> Iterator[list[int]]:
    """Hold the signals that stop a command until the body has finished; yields the list
    of those that arrived meanwhile. A Ctrl+C (SIGINT) that arrived is not raised: the
    caller looks at the list. Any other is delivered when the body is done."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield []
        return
    caught: list[int] = []
    previous = {s: signal.getsignal(s) for s in STOPPING}
    for s in STOPPING:
        signal.signal(s, lambda number, _frame: caught.append(number))
    try:
        yield caught
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        for s in dict.fromkeys(caught):
            if s != signal.SIGINT:
                signal.raise_signal(s)
