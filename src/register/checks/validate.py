"""`make validate`: frictionless against the Table Schemas, then the cross-row rules.

Exit 0 when every resource is valid; otherwise print one line per problem (file, row,
field, value, what is allowed) and exit 1. Nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from register import settings
from register.checks import fastcheck, privacy, rules
from register.checks.problems import Problem, report
from register.schema.package import ROOT, Package
from register.util.guard import plain_errors

# frictionless stops reading after limit_errors (1,000 by default) without saying so in
# its summary: ask for far more, and say so if even that is reached.
LIMIT_ERRORS = 100_000

LABEL_ERRORS = ("missing-label", "extra-label", "incorrect-label", "duplicate-label", "blank-label")

MESSAGES = {
    "type-error": "not a valid {type}",
    "missing-cell": "the row has too few cells",
    "extra-cell": "the row has more cells than the header",
    "blank-row": "the row is empty",
}


def _value(error, index: int | None):
    cells = getattr(error, "cells", None) or []
    if index is not None and 0 <= index < len(cells):
        return cells[index]
    return getattr(error, "cell", None)


def frictionless_problems(package: Package, descriptor_path: Path | None = None) -> list[Problem]:
    """Schema, foreign-key and uniqueness problems, worded for staff."""
    import frictionless  # here, not at the top: the fast path never needs it (0.3 s, 25 MB)

    fpkg = frictionless.Package(str(descriptor_path or package.descriptor_path), basepath=str(package.root))
    result = fpkg.validate(limit_errors=LIMIT_ERRORS)
    problems = []
    for task in result.tasks:
        res = package.resource(task.name)
        file = task.place
        for e in task.errors:
            row = getattr(e, "row_number", None)
            fname = getattr(e, "field_name", None)
            if e.type == "primary-key":
                continue  # the same fact is reported as a unique-error on the id field
            if e.type == "foreign-key":
                for fk_field in e.field_names:
                    f = res.field(fk_field)
                    value = _value(e, res.field_names.index(fk_field))
                    ref = f.reference
                    target = f"{ref[0]}" if ref else "the referenced table"
                    problems.append(
                        Problem(
                            file,
                            row,
                            fk_field,
                            value,
                            f"{value!r} is not a {'code' if ref and package.is_codelist(ref[0]) else 'row'} in {target}",
                            f.allowed(package),
                        )
                    )
                continue
            if e.type in LABEL_ERRORS:
                label = getattr(e, "label", None)
                if e.type == "incorrect-label" and fname:
                    message = f"the header has {label!r} where the schema expects {fname!r}"
                elif e.type == "missing-label":
                    message = f"the header has no column {fname!r}"
                elif e.type == "extra-label":
                    message = f"the header has a column {label!r} that the schema does not have"
                else:
                    message = f"the header does not match the schema: {e.note or e.type}"
                problems.append(
                    Problem(file, 1, fname or label, label, message, "columns " + ",".join(res.field_names))
                )
                continue
            if fname and fname in res.field_names:
                f = res.field(fname)
                cell = getattr(e, "cell", None)
                if e.type == "constraint-error" and '"required"' in e.note:
                    message = f"{f.title} is required"
                elif e.type == "constraint-error" and '"pattern"' in e.note:
                    message = f"{f.title} is not in the right form"
                elif e.type == "constraint-error":
                    message = f"{f.title} breaks the rule {e.note.replace('constraint ', '')}"
                elif e.type == "unique-error":
                    other = e.note.rsplit(" ", 1)[-1]
                    message = f"{f.title} must be unique, and row {other} already has this value"
                elif e.type in MESSAGES:
                    message = MESSAGES[e.type].format(type=f.type, note=e.note)
                else:
                    message = e.message
                problems.append(Problem(file, row, fname, cell, message, f.allowed(package)))
                continue
            problems.append(Problem(file, row, fname, None, MESSAGES.get(e.type, e.message)))
        if len(task.errors) >= LIMIT_ERRORS:
            problems.append(
                Problem(file, None, None, None, f"stopped after {LIMIT_ERRORS} problems: there may be more")
            )
    return problems


def validate_reference(package: Package) -> list[Problem]:
    """The reference: frictionless for the schemas, then rules.py and privacy.py.

    Slow at scale (about 30,000 rows a second) but the definition of what is valid;
    tests/test_fast_validation.py holds the fast path to it.
    """

    problems = frictionless_problems(package)
    problems += rules.check_package(package)
    problems += privacy.check_package(package)
    return sorted(problems, key=_order)


def _order(p: Problem):
    return (p.file, p.row or 0, p.field or "", p.message, p.value or "")


def validate(package: Package) -> list[Problem]:
    """Every problem in the package, sorted by file and row.

    Uses the fast single-pass checker (register/checks/fastcheck.py), which gives the same
    problems as the reference; for input it does not model exactly (a header that does
    not match the schema, ragged rows, an unusual CSV dialect) it hands over to
    validate_reference. REGISTER_VALIDATOR=reference forces the reference.
    """

    if settings.VALIDATOR.raw() == "reference":
        return validate_reference(package)
    try:
        return fastcheck.check_package(package)
    except fastcheck.Fallback:
        return validate_reference(package)


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
