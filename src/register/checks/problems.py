"""One problem found in the data, said so that a member of staff can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass


def printable(text: str) -> str:
    """Text safe to print on a terminal: control characters (which could, for example,
    retitle the window from a hostile CSV header) are shown escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None  # spreadsheet row number: the header is row 1, the first record row 2
    field: str | None
    value: str | None
    message: str
    allowed: str | None = None

    def __str__(self) -> str:
        where = printable(self.file)
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            # A key of several columns is held as "project_id,characteristic".
            names = [printable(name) for name in self.field.split(",")]
            where += f", field {names[0]}" if len(names) == 1 else f", fields {' and '.join(names)}"
        text = f"{where}: {printable(self.message)}"
        if self.value is not None:
            shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
            text += f" (value: {shown!r})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


def order(p: Problem) -> tuple:
    """The order problems are listed in: by file, row, field, message and value."""
    return (p.file, p.row or 0, p.field or "", p.message, p.value or "")


def report(problems: list[Problem], out) -> None:
    """Print problems one per line, sorted by file and row, with a count at the end."""
    for p in sorted(problems, key=lambda p: (p.file, p.row or 0, p.field or "", p.message)):
        print(p, file=out)
    files = len({p.file for p in problems})
    print(
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} file{'s' if files != 1 else ''}.",
        file=out,
    )
