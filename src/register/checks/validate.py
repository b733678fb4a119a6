"""`make validate`: every resource against its Table Schema, the cross-row rules and the privacy gate.

Exit 0 when every resource is valid; otherwise print one line per problem (file, row,
field, value, what is allowed) and exit 1. Nothing is written. `--format github` (the
check on a proposed change, .github/workflows/check.yml) prints each problem as a GitHub
Actions annotation on the file's line, then the same summary.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from register import settings
from register.checks import fastcheck
from register.checks.problems import Problem, order, printable, report
from register.checks.reference import validate_reference
from register.checks.supported import Fallback
from register.schema import datapackage
from register.schema import publisher as publisher_mod
from register.schema import standard as standard_mod
from register.schema.package import ROOT, Package, command, not_a_register
from register.util.files import locked_by
from register.util.guard import plain_errors
from register.util.text import command_parser

T = TypeVar("T")


def fast_else_reference(fast: Callable[[], T], reference: Callable[[], T]) -> T:
    """The one rule of every check: the fast path, else the reference.

    The fast path (register/checks/fastcheck.py) gives the reference's answer exactly;
    for input it does not model (a header that does not match the schema, ragged rows,
    an unusual CSV dialect) it raises Fallback and the reference answers instead.
    REGISTER_VALIDATOR=reference forces the reference. `make validate` and `make build`
    both go through here.
    """
    if settings.choice(settings.VALIDATOR, settings.VALIDATORS) == "reference":
        return reference()
    try:
        return fast()
    except Fallback:
        return reference()


def validate(package: Package) -> list[Problem]:
    """Every problem in the package, sorted by file and row."""
    return fast_else_reference(lambda: fastcheck.check_package(package), lambda: validate_reference(package))


def against_standard(package: Package, folder=standard_mod.STANDARD_DIR):
    """The package held to the version of the standard it declares, for validate and build
    alike: (why it cannot be checked at all or None, problems, warnings, the version used)."""
    standard = standard_mod.load(folder)
    verdict = standard_mod.check(package, standard)
    as_problem = lambda f: Problem(f.file, None, f.field, None, f.message, f.allowed)  # noqa: E731
    used = f"{standard.name} {package.descriptor.get(standard_mod.DECLARATION)}"
    problems = [as_problem(f) for f in verdict.problems] + publisher_problems(package) + named_publisher(package)
    return verdict.refusal, problems, [as_problem(w) for w in verdict.warnings], used


def named_publisher(package: Package) -> list[Problem]:
    """datapackage.json naming another publisher than publisher.yml (a copied package not
    regenerated): a problem, not a warning, since whoever takes the data away, the national
    register among them, would credit and link to the other publisher's register."""
    fix = f"what publisher.yml says, written by `{datapackage.command(package.root)}`"
    return [
        Problem(
            datapackage.DESCRIPTOR,
            None,
            key,
            have,
            f"names another publisher than publisher.yml, which says {want!r}",
            fix,
        )
        for key, have, want in datapackage.speaks_for_another(package.root)
    ]


def publisher_problems(package: Package) -> list[Problem]:
    """What is wrong with the package's publisher.yml, which names its publisher on every
    page, in its data package and in its report (checked here so that a build never
    starts from one it cannot use)."""
    try:
        publisher_mod.load(package.root)
    except publisher_mod.PublisherError as e:
        message = str(e).removeprefix(f"{package.root / publisher_mod.FILE}: ")
        return [Problem(publisher_mod.FILE, None, None, None, message, "see docs/publishing.md")]
    return []


def record_lines(path: Path) -> dict[int, int]:
    """Spreadsheet row number -> the file line it starts on (they differ after a cell
    that holds a line break)."""
    lines = {}
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as f:
            reader = csv.reader(f)
            start = 1
            for number, _ in enumerate(reader, start=1):
                lines[number] = start
                start = reader.line_num + 1
    except (OSError, csv.Error):
        pass
    return lines


def annotation_text(text: str) -> str:
    """GitHub's workflow-command escaping: %, CR and LF in a message."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def annotation_property(text: str) -> str:
    """A property (file, title) escapes , and : as well."""
    return annotation_text(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(package: Package, problems: list[Problem], out) -> None:
    """One `::error` workflow command per problem, on the line its row starts on."""
    lines: dict[str, dict[int, int]] = {}
    for p in sorted(problems, key=order):
        props = [f"file={annotation_property(p.file)}"]
        if p.row is not None:
            if p.file not in lines:
                lines[p.file] = record_lines(package.root / p.file)
            props.append(f"line={lines[p.file].get(p.row, p.row)}")
        props.append(f"title={annotation_property(p.field or 'file')}")
        message = p.message + (f" (value: {p.value!r})" if p.value is not None else "")
        message += f"; allowed: {p.allowed}" if p.allowed else ""
        if p.row is not None:
            message = f"row {p.row}: {message}"
        print(f"::error {','.join(props)}::{annotation_text(message)}", file=out)


# What may sit in datasets/ beside the resources: git's own files, and the temporary
# files of a write in progress (ignored by git, removed by the next writer).
NOT_STRAY = (".gitkeep", ".gitignore")


def stray_files(package: Package) -> list[Problem]:
    """Files in datasets/ that are not resources of the package: a spreadsheet saved there
    by mistake would be published by `git add datasets` with the register's own files."""
    folder = package.root / "datasets"
    if not folder.is_dir():
        return []
    resources = {package.resource(n).path.resolve() for n in package.names}
    return [
        Problem(str(p.relative_to(package.root)), None, None, None, stray_message(package, p))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.resolve() not in resources and p.name not in NOT_STRAY and not p.name.endswith(".tmp")
    ]


def stray_message(package: Package, path: Path) -> str:
    """What to do about a stray file: a spreadsheet's lock file beside a table (the table
    opened in LibreOffice or Excel) goes when the table is closed, not by moving it."""
    table = locked_by(path)
    if table is not None and table.exists():
        return (
            f"{table.relative_to(package.root)} is open in LibreOffice or Excel (this is its lock file), and "
            "`git add datasets` would publish the lock file: close it there without saving (records are changed "
            "with the make commands: docs/staff-guide.md); if it is not open anywhere, delete the lock file"
        )
    return (
        "this file is not one of the register's tables (datapackage.json lists them), and `git add "
        "datasets` would publish it with them: move it out of datasets/"
    )


@plain_errors("checking the data")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--root", default=str(ROOT), help="the repository to validate (default: this one)")
    parser.add_argument("--standard", default=str(standard_mod.STANDARD_DIR), help="the standard's schemas/ folder")
    parser.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="github: each problem also as a GitHub Actions annotation on its file and line",
    )
    args = parser.parse_args(argv)
    settings.working()
    if refusal := not_a_register(args.root):
        print(f"Not checked: {refusal}", file=sys.stderr)
        return 2
    package = Package(args.root)
    refusal, found, warnings, used = against_standard(package, args.standard)
    if refusal:
        print(f"Not checked: {refusal}.", file=sys.stderr)
        return 1
    print(f"Checked against the {used}.")
    stale = datapackage.staleness(package.root)
    for w in warnings + ([stale] if stale else []):
        print(f"Warning: {w}", file=sys.stderr)
    problems = validate(package) + found + stray_files(package)
    if problems:
        if args.format == "github":
            github_annotations(package, problems, sys.stdout)
        again = command(package, "make validate")
        print(f"The register's data is NOT valid. Fix these and run `{again}` again:", file=sys.stderr)
        report(problems, sys.stderr)
        return 1
    print(
        f"Valid: {len(package.resources)} resources checked against their schemas, foreign keys, "
        f"cross-row rules and the privacy check."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
