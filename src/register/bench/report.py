"""The table `make bench` prints: one row a figure, with its target, whether it was met
and the command behind it."""

from __future__ import annotations

import sys

from register.util.progress import enabled as progress_enabled

HEAD = ("rows", "figure", "value", "target", "met", "command")
MET = {True: "yes", False: "NO", None: ""}


def say(text: str) -> None:
    """Progress on stderr, on a terminal only (never in CI)."""
    if progress_enabled():
        print(f"[bench] {text}", file=sys.stderr, flush=True)


def fmt(value) -> str:
    """A figure with thousands separators, and two decimals only where they tell something."""
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class Table:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, size, figure, value, unit="", target=None, ok=None, command=""):
        self.rows.append(
            {
                "size": size,
                "figure": figure,
                "value": value,
                "unit": unit,
                "target": target,
                "ok": ok,
                "command": command,
            }
        )
        say(f"{size} {figure}: {fmt(value)} {unit}")

    def print(self, out=None):
        out = out or sys.stdout
        lines = [HEAD]
        for r in self.rows:
            lines.append(
                (
                    f"{r['size']:,}" if isinstance(r["size"], int) else str(r["size"]),
                    r["figure"],
                    f"{fmt(r['value'])} {r['unit']}".strip(),
                    r["target"] or "",
                    MET[r["ok"]],
                    r["command"],
                )
            )
        # The command is last and not padded: it is often long.
        widths = [max(len(str(line[i])) for line in lines) for i in range(5)]
        for n, line in enumerate(lines):
            print("  ".join(str(c).ljust(w) for c, w in zip(line[:5], widths)) + "  " + line[5], file=out)
            if n == 0:
                print("  ".join("-" * w for w in widths) + "  " + "-" * 7, file=out)
