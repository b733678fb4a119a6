"""A one-line progress report for long work (generate, validate, build, bench).

Shown on stderr only when stderr is a terminal, and never in CI (CI=true), so logs and
test output stay clean.
"""

from __future__ import annotations

import os
import sys
import time


def enabled() -> bool:
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


class Progress:
    def __init__(self, label: str, total: int | None = None, show: bool | None = None):
        self.show = enabled() if show is None else show
        self.label, self.total = label, total
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, done: int, unit: str = "") -> None:
        if not self.show:
            return
        now = time.perf_counter()
        if now - self.last < 0.25:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        share = f" ({100 * done / self.total:.0f}%)" if self.total else ""
        text = f"{self.label}: {done:,}{unit}{share}, {rate:,.0f}{unit}/s"
        print(f"\r{text[:100]:<100}", end="", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        if self.show:
            print(f"\r{self.label}: {text}"[:100].ljust(101), end="", file=sys.stderr, flush=True)

    def done(self, text: str = "done") -> None:
        if self.show:
            took = time.perf_counter() - self.start
            print(f"\r{self.label}: {text} ({took:.1f} s)"[:100].ljust(101), file=sys.stderr, flush=True)
