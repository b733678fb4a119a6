"""`make validate FORMAT=github` (the check on a proposed change, .github/workflows/check.yml):
each problem becomes a GitHub Actions annotation on its file's line, with a summary."""

from __future__ import annotations

from tests.staff_helpers import exit_code, make

LOG = "datasets/coproduction_log.csv"


def test_each_problem_is_an_annotation_on_its_line(repo):
    path = repo / LOG
    text = path.read_text("utf-8").replace('"The first of three', '"The first\nof three', 1)
    lines = text.splitlines(keepends=True)
    # Row 3 of the sheet; the record before it now holds a line break, so it starts on line 4.
    row3 = next(i for i, line in enumerate(lines) if line.startswith("LOG-0002,"))
    assert row3 + 1 == 4
    lines[row3] = lines[row3].replace("LOG-0002,PRJ-", "LOG-0002,PRJ-X", 1)
    path.write_text("".join(lines), "utf-8")
    result = make("validate", repo, FORMAT="github")
    assert exit_code(result) == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) >= 1
    mine = [a for a in annotations if a.startswith(f"::error file={LOG},line={row3 + 1},title=project_id::row 3: ")]
    assert len(mine) == 1, annotations
    assert "%0A" not in mine[0].split("::", 2)[1]
    assert "problem" in result.stderr.splitlines()[-2]  # the summary: "N problems in M files."


def test_a_valid_register_has_no_annotations(repo):
    result = make("validate", repo, FORMAT="github")
    assert exit_code(result) == 0, result.stderr
    assert "::error" not in result.stdout


def test_messages_with_newlines_stay_on_one_line():
    from register.checks.validate import annotation_property, annotation_text

    assert annotation_text("a%b\nc") == "a%25b%0Ac"
    assert annotation_property("x,y:z") == "x%2Cy%3Az"
