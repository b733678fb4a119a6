"""`make validate`: every resource against its Table Schema, the cross-row rules and the privacy gate.

Exit 0 when every resource is valid; otherwise print one line per problem (file, row,
field, value, what is allowed) and exit 1. Nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from register import settings
from register.checks import fastcheck
from register.checks.problems import Problem, report
from register.checks.reference import validate_reference
from register.checks.supported import Fallback
from register.schema.package import ROOT, Package
from register.util.guard import plain_errors

T = TypeVar("T")


def fast_else_reference(fast: Callable[[], T], reference: Callable[[], T]) -> T:
    """The one rule of every check: the fast path, else the reference.

    The fast path (register/checks/fastcheck.py) gives the reference's answer exactly;
    for input it does not model (a header that does not match the schema, ragged rows,
    an unusual CSV dialect) it raises Fallback and the reference answers instead.
    REGISTER_VALIDATOR=reference forces the reference. `make validate` and `make build`
    both go through here.
    """
    if settings.VALIDATOR.raw() == "reference":
        return reference()
    try:
        return fast()
    except Fallback:
        return reference()


def validate(package: Package) -> list[Problem]:
    """Every problem in the package, sorted by file and row."""
    return fast_else_reference(lambda: fastcheck.check_package(package), lambda: validate_reference(package))


@plain_errors("checking the data")
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="the repository to validate (default: this one)")
    args = parser.parse_args(argv)
    package = Package(args.root)
    problems = validate(package)
    if problems:
        print("The register's data is NOT valid. Fix these and run `make validate` again:", file=sys.stderr)
        report(problems, sys.stderr)
        return 1
    print(
        f"Valid: {len(package.resources)} resources checked against their schemas, foreign keys, "
        f"cross-row rules and the privacy check."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
