"""Each publisher's data-quality score, measures and gate assurance: views of the national
database, defined once here and read by the publishers page.

The score is the mean of five parts, each between 0 and 1, times 100. COMPONENTS is the
one place a part is defined: its SQL makes the publisher_quality view and its words are
stored in the publisher_quality_method table, from which the page explains the score.
Counts are stored at build time; freshness and overdue items depend on today's date, so
they stay views. A count the publisher's records may leave empty (people at an activity,
whether a project came through the Strategic Co-production Group) is stored with how many
records give it, and is empty when none do: not recorded is never shown as zero.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Component:
    name: str
    title: str
    sql: str  # over the publisher_figures columns (alias f) and publishers (alias p)
    how: str


COMPONENTS = (
    Component(
        "valid",
        "Valid",
        "CASE WHEN p.valid = 1 THEN 1.0 ELSE 0.0 END",
        "1 when the package fetched this time passed the same checks as `make validate` and could be "
        "merged with the other publishers', 0 when it failed, could not be fetched (the last good copy is "
        "then shown) or was refused at the merge.",
    ),
    Component(
        "fresh",
        "Fresh",
        "CASE WHEN p.status <> 'nothing' AND p.updated_at IS NOT NULL "
        "AND julianday(date('now', 'localtime')) - julianday(date(p.updated_at, 'localtime')) <= p.frequency_days "
        "THEN 1.0 ELSE 0.0 END",
        "1 when the data shown last changed within the update frequency the publisher promised "
        "(for example a month for P1M), 0 when it is older than that or nothing is shown.",
    ),
    Component(
        "complete",
        "Complete",
        "CASE WHEN f.projects > 0 THEN 1.0 * f.characteristics_assessed / (f.projects * f.characteristics_total) "
        "ELSE 0.0 END",
        "Equality-impact coverage: the share of (project, characteristic) pairs that the "
        "publisher's equality impact assessments cover. A pair recorded as not assessed does not count.",
    ),
    Component(
        "loop_closure",
        "Loop closed",
        "CASE WHEN f.you_said > 0 THEN 1.0 * f.loop_closed / f.you_said ELSE 0.0 END",
        'The share of "You said" items whose current status closes the loop (0 when none are published).',
    ),
    Component(
        "not_overdue",
        "Not overdue",
        # 0, not 1, when none are published, as for "Loop closed": publishing no "You said"
        # items keeps no promise, so it must not score as having none overdue.
        "CASE WHEN f.you_said > 0 THEN 1.0 - 1.0 * f.overdue / f.you_said ELSE 0.0 END",
        '1 minus the share of "You said" items past their due date with the loop still open, '
        "the due date being the one staff set or else the one the publisher's response rule gives, "
        "as on each publisher's own register (0 when none are published).",
    ),
)

# The publisher of a prefixed identifier (nn_icb:PRJ-0001 -> nn_icb), with no join.
OWNER = "substr({col}, 1, instr({col}, ':') - 1)"


def _owner(col: str) -> str:
    return OWNER.format(col=col)


# Worked out once at build time (the data never changes between builds): at a million log
# rows, counting on every visit would pass the site's SQL time limit.
STORED = f"""
CREATE TABLE publisher_counts AS
WITH pr AS (SELECT from_publisher AS publisher, COUNT(*) AS projects, SUM(via_strategic_group = 1) AS via_group,
                   COUNT(via_strategic_group) AS via_group_recorded FROM projects GROUP BY 1),
     lg AS (SELECT from_publisher AS publisher, COUNT(*) AS activities, SUM(lived_experience_count) AS lived_experience_people,
                   COUNT(lived_experience_count) AS lived_experience_recorded, SUM(staff_count) AS staff_people,
                   COUNT(staff_count) AS staff_recorded FROM coproduction_log GROUP BY 1),
     ei AS (SELECT {_owner("e.project_id")} AS publisher,
                   COUNT(DISTINCT CASE WHEN i.assessed THEN e.project_id || '|' || e.characteristic END)
                   AS characteristics_assessed,
                   COUNT(DISTINCT CASE WHEN NOT i.assessed THEN e.project_id || '|' || e.characteristic END)
                   AS characteristics_not_assessed
            -- Which impacts are an assessment: the impacts codelist's assessed column.
            FROM equality_impacts e JOIN impacts i ON i.code = e.impact GROUP BY 1),
     ys AS (SELECT {_owner("id")} AS publisher, COUNT(*) AS you_said, SUM(loop_closed) AS loop_closed
            FROM you_said_we_did_status GROUP BY 1),
     ga AS (SELECT {_owner("project_id")} AS publisher, SUM(passed) AS gates_passed,
                   SUM(passed AND NOT evidence_published) AS gates_without_evidence FROM gate_assurance GROUP BY 1)
SELECT
  p.code AS publisher,
  COALESCE(pr.projects, 0) AS projects,
  pr.via_group AS projects_via_strategic_group,  -- NULL: recorded for none of them
  COALESCE(pr.via_group_recorded, 0) AS projects_via_strategic_group_recorded,
  COALESCE(lg.activities, 0) AS activities,
  lg.lived_experience_people,
  COALESCE(lg.lived_experience_recorded, 0) AS activities_lived_experience_recorded,
  lg.staff_people,
  COALESCE(lg.staff_recorded, 0) AS activities_staff_recorded,
  COALESCE(ei.characteristics_assessed, 0) AS characteristics_assessed,
  COALESCE(ei.characteristics_not_assessed, 0) AS characteristics_not_assessed,
  (SELECT COUNT(*) FROM characteristics) AS characteristics_total,
  COALESCE(ys.you_said, 0) AS you_said,
  COALESCE(ys.loop_closed, 0) AS loop_closed,
  COALESCE(ga.gates_passed, 0) AS gates_passed,
  COALESCE(ga.gates_without_evidence, 0) AS gates_without_evidence
FROM publishers p
LEFT JOIN pr ON pr.publisher = p.code
LEFT JOIN lg ON lg.publisher = p.code
LEFT JOIN ei ON ei.publisher = p.code
LEFT JOIN ys ON ys.publisher = p.code
LEFT JOIN ga ON ga.publisher = p.code;

CREATE TABLE publisher_gate_assurance AS
SELECT {_owner("g.project_id")} AS publisher, g.gate, MIN(g.gate_order) AS gate_order,
  SUM(g.reached) AS projects_reached, SUM(g.passed) AS projects_passed,
  SUM(g.passed AND NOT g.evidence_published) AS passed_without_evidence
FROM gate_assurance g GROUP BY 1, 2 ORDER BY 1, 3;

-- The open items with a due date, counted by publisher and due date: which of them are
-- overdue depends on today's date, so the publishers page adds up, when it is read, those
-- due before today (7.5 ms, against 104 ms counting the items, at a million log rows).
-- The rule is you_said_we_did_current's overdue column; a test holds the two to one count.
CREATE TABLE publisher_open_items AS
SELECT {_owner("id")} AS publisher, due_date, COUNT(*) AS open_items
FROM you_said_we_did_status WHERE due_date IS NOT NULL AND NOT loop_closed
GROUP BY 1, 2 ORDER BY 1, 2;
CREATE INDEX idx_publisher_open_items ON publisher_open_items (publisher, due_date, open_items);
"""

# What depends on today's date stays a view: overdue items and freshness. The score
# carries the figures it is worked out from, so the publishers page reads them once.
LIVE = f"""
CREATE VIEW publisher_figures AS
SELECT c.*,
  COALESCE((SELECT SUM(o.open_items) FROM publisher_open_items o
            WHERE o.publisher = c.publisher AND o.due_date < (SELECT date('now', 'localtime'))), 0) AS overdue
FROM publisher_counts c;

CREATE VIEW publisher_quality AS
SELECT f.*, p.title,
  {", ".join(f"ROUND({c.sql}, 3) AS {c.name}" for c in COMPONENTS)},
  ROUND(100.0 * ({" + ".join(f"({c.sql})" for c in COMPONENTS)}) / {len(COMPONENTS)}, 0) AS score
FROM publishers p JOIN publisher_figures f ON f.publisher = p.code;
"""


def add_views(conn: sqlite3.Connection) -> None:
    """The publishers' views, and the table that explains the score."""
    conn.executescript(STORED + LIVE)
    conn.execute(
        "CREATE TABLE publisher_quality_method (component TEXT PRIMARY KEY, title TEXT, how TEXT, sort_order INTEGER)"
    )
    conn.executemany(
        "INSERT INTO publisher_quality_method VALUES (?, ?, ?, ?)",
        [(c.name, c.title, c.how, i) for i, c in enumerate(COMPONENTS)],
    )
