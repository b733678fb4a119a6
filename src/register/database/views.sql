-- Views over the register. Each is defined once here and used by the site, the
-- extracts and the notebooks alike. Which statuses are a response and which close the
-- loop is said once, in the responds and closes_loop columns of
-- datasets/codelists/statuses.csv, and which impacts record an
-- assessment in the assessed column of datasets/codelists/impacts.csv; the views read
-- them from there.

-- The current status of every "You said" item: the latest row of its status history,
-- or, when it has none, the first status (by sort order) that is not a response. Ties on a date are broken by the update id's number, which
-- only ever grows (by number, not as text: UPD-10000 comes after UPD-9999; the expression
-- is register/schema/ddl.py's id_number). In two parts, for speed at national scale:
--
-- you_said_we_did_status holds everything that depends only on the data, the due date
-- included (worked out at build time into you_said_due_dates, register/database/deadlines.py).
-- The build stores its rows as a table (the "build: materialise" line;
-- register/database/build.py), so pages and measures read 278,000 stored rows instead of
-- working out 278,000 latest updates on every request (3.1 s at a million log rows with a
-- window over the whole history; over 1 s still with index lookups).
-- you_said_we_did_current adds what depends on today's date (`overdue`, `days_open`) to
-- that one table, so it stays a view and is always up to date. It reads no other table:
-- with the due dates joined here instead, counting its rows took 356 ms at a million log
-- rows (SQLite 3.40 does not drop the unused join) against 1 ms from the stored table's
-- index, and a filter on `overdue` timed out. Today is date('now', 'localtime'): the server runs with TZ=Europe/London, so
-- the day turns at midnight in England, not in UTC.
-- tests/unit/test_generate.py holds the pair to the single-window formulation.
CREATE INDEX IF NOT EXISTS idx_you_said_we_did_updates_latest
  ON you_said_we_did_updates (you_said_id, update_date, id, status);

-- When each item's response is due: filled by the build from the response rules
-- (register/database/deadlines.py), so the rules' calendar (working days, bank holidays)
-- is worked out once. One row per item; due_date_basis is 'set' or 'derived'.
CREATE TABLE IF NOT EXISTS you_said_due_dates (
  you_said_id TEXT PRIMARY KEY,
  response_rule TEXT,
  due_date TEXT,
  due_date_basis TEXT
);
-- Items by due date, earliest first (any without one last): the overdue query
-- (metadata.yml) and the /you-said list sorted by due date walk this and stop at a page
-- instead of sorting 278,000 items at a million log rows.
CREATE INDEX IF NOT EXISTS idx_you_said_due_dates_due_date
  ON you_said_due_dates ((due_date IS NULL), due_date, you_said_id);

-- build: materialise
CREATE VIEW you_said_we_did_status AS
SELECT
  y.id,
  y.project_id,
  y.activity_id,
  y.said_date,
  y.theme,
  y.you_said,
  COALESCE(r.status, (SELECT code FROM statuses WHERE NOT responds ORDER BY sort_order, code LIMIT 1)) AS status,
  -- Since when the item has had its status: the first of its latest updates that all
  -- have it. An update that keeps the status (planned, then planned again with more said)
  -- does not move it; done twice, it has been done since the first.
  CASE WHEN r.id IS NOT NULL THEN (
    SELECT MIN(c.update_date) FROM you_said_we_did_updates c
    WHERE c.you_said_id = y.id
      AND COALESCE((c.update_date, CAST(substr(c.id, length(rtrim(c.id, '0123456789')) + 1) AS INTEGER), c.id) > (
        SELECT o.update_date, CAST(substr(o.id, length(rtrim(o.id, '0123456789')) + 1) AS INTEGER), o.id FROM you_said_we_did_updates o
        WHERE o.you_said_id = y.id AND o.status <> r.status
        ORDER BY o.update_date DESC, CAST(substr(o.id, length(rtrim(o.id, '0123456789')) + 1) AS INTEGER) DESC, o.id DESC
        LIMIT 1), 1)
  ) END AS status_date,
  r.we_did,
  r.reason,
  y.target_date,
  fr.first_response_date,
  CAST(julianday(fr.first_response_date) - julianday(y.said_date) AS INTEGER) AS days_to_response,
  CAST(COALESCE(s.closes_loop, 0) AS INTEGER) AS loop_closed,
  (SELECT COUNT(*) FROM you_said_we_did_updates h WHERE h.you_said_id = y.id) AS updates,
  d.response_rule,
  d.due_date,
  d.due_date_basis,
  -- When the loop closed, while it is closed: the first of the closing updates since the
  -- last that did not close it. An item done and then done again closed on the first date;
  -- one reopened and closed again, on the date it closed again.
  CASE WHEN s.closes_loop THEN (
    SELECT MIN(c.update_date) FROM you_said_we_did_updates c
    WHERE c.you_said_id = y.id
      AND COALESCE((c.update_date, CAST(substr(c.id, length(rtrim(c.id, '0123456789')) + 1) AS INTEGER), c.id) > (
        SELECT o.update_date, CAST(substr(o.id, length(rtrim(o.id, '0123456789')) + 1) AS INTEGER), o.id FROM you_said_we_did_updates o
        JOIN statuses os ON os.code = o.status AND NOT COALESCE(os.closes_loop, 0)
        WHERE o.you_said_id = y.id
        ORDER BY o.update_date DESC, CAST(substr(o.id, length(rtrim(o.id, '0123456789')) + 1) AS INTEGER) DESC, o.id DESC
        LIMIT 1), 1)
  ) END AS loop_closed_date
FROM you_said_we_did y
LEFT JOIN you_said_we_did_updates r ON r.id = (
  SELECT u.id FROM you_said_we_did_updates u
  WHERE u.you_said_id = y.id
  ORDER BY u.update_date DESC, CAST(substr(u.id, length(rtrim(u.id, '0123456789')) + 1) AS INTEGER) DESC, u.id DESC
  LIMIT 1)
LEFT JOIN (
  SELECT y2.id AS you_said_id,
         (SELECT MIN(u.update_date) FROM you_said_we_did_updates u
          WHERE u.you_said_id = y2.id
            AND u.status IN (SELECT code FROM statuses WHERE responds)) AS first_response_date
  FROM you_said_we_did y2
) fr ON fr.you_said_id = y.id
LEFT JOIN statuses s ON s.code = COALESCE(r.status, (SELECT code FROM statuses WHERE NOT responds ORDER BY sort_order, code LIMIT 1))
LEFT JOIN you_said_due_dates d ON d.you_said_id = y.id;
-- The /you-said list walks the items newest (or oldest) first, by status or by theme,
-- and stops at one page: these indexes let it read a page instead of sorting 278,000
-- items at a million log rows, and count a theme's or a period's items by status
-- from the index alone. The first and the theme's hold what `overdue` reads too, so the
-- current view filtered on it reads a page newest first from the index, passing the
-- 25,000 newest items that are not yet due without reading their rows (8 ms against
-- 90 ms at a million log rows), a theme's items are counted by status and overdue, or
-- sorted by due date, from the index alone (5 ms against 43 ms), and so are the items
-- of each status said between two dates (10 ms for those said since 2023, against 250 ms
-- from the rows when overdue too).
-- build: index you_said_we_did_status (said_date, id, status, loop_closed, due_date)
-- build: index you_said_we_did_status (status, said_date, id, loop_closed, due_date)
-- build: index you_said_we_did_status (theme, said_date, id, status, loop_closed, due_date)
-- Open or closed items newest first, and whether each is overdue, from the index alone:
-- the table page of you_said_we_did_current filtered on loop_closed reads a page of it
-- (0.5 ms against 574 ms sorting 160,000 items at a million log rows), and its overdue
-- facet counts from it instead of from the rows.
-- build: index you_said_we_did_status (loop_closed, said_date, id, due_date)
-- Counting `overdue` (a facet of the current view) for a page filtered on status reads
-- this index alone: 29 ms for the 150,000 open items at a million log rows, 218 ms from the rows.
-- build: index you_said_we_did_status (status, loop_closed, due_date)

-- Only these two columns read today's date: the build stores the counts of the others
-- for the table page's facets (register/database/facet_counts.py). Today is a subquery,
-- worked out once per query rather than once per row (75 ms against 113 ms to count
-- the overdue items at a million log rows).
-- `overdue` depends on the day and on two columns of the row alone: the site works it out
-- for one item of each pair of their values, and counts its facet from those
-- (register/database/facet_codes.py; tests/integration/test_dated_columns.py checks the line).
-- build: dated overdue by (due_date, loop_closed) of id
-- build: dated (overdue, days_open)
CREATE VIEW you_said_we_did_current AS
SELECT
  s.id,
  s.project_id,
  s.activity_id,
  s.said_date,
  s.theme,
  s.you_said,
  s.status,
  s.status_date,
  s.we_did,
  s.reason,
  s.target_date,
  s.first_response_date,
  s.days_to_response,
  s.loop_closed,
  CAST(s.due_date IS NOT NULL
   AND s.due_date < (SELECT date('now', 'localtime'))
   AND NOT s.loop_closed AS INTEGER) AS overdue,
  s.updates,
  s.response_rule,
  s.due_date,
  s.due_date_basis,
  CAST(julianday(CASE WHEN s.loop_closed THEN s.loop_closed_date ELSE (SELECT date('now', 'localtime')) END)
       - julianday(s.said_date) AS INTEGER) AS days_open
FROM you_said_we_did_status s;

-- Partners' verdicts (issue "Close the loop"): every verdict beside the claim it judges,
-- a "we did" update (and so its "You said" item) or a co-production log entry, with the
-- partner's name and kind and the verdict in words. claim is what the register says was
-- done: the update's "we did" (or its reason, when not taken forward), or what changed as
-- a result of the activity (or what happened, when nothing is recorded as changed).
CREATE INDEX IF NOT EXISTS idx_partner_verdicts_update ON partner_verdicts (update_id);
CREATE INDEX IF NOT EXISTS idx_partner_verdicts_log ON partner_verdicts (log_id);

CREATE VIEW partner_verdicts_current AS
SELECT
  v.id,
  v.verdict,
  vc.title AS verdict_title,
  vc.sort_order AS verdict_order,
  v.in_their_words,
  v.verdict_date,
  v.partner,
  o.title AS partner_title,
  o.kind AS partner_kind,
  k.title AS partner_kind_title,
  CASE WHEN v.update_id IS NOT NULL THEN 'update' ELSE 'activity' END AS claim_type,
  u.you_said_id,
  v.update_id,
  v.log_id,
  COALESCE(y.project_id, l.project_id) AS project_id,
  CASE WHEN v.update_id IS NOT NULL THEN COALESCE(u.we_did, u.reason)
       ELSE COALESCE(l.what_changed, l.description) END AS claim,
  COALESCE(u.update_date, l.activity_date) AS claim_date,
  u.status AS claim_status,
  v.source,
  v.source_section
FROM partner_verdicts v
LEFT JOIN you_said_we_did_updates u ON u.id = v.update_id
LEFT JOIN you_said_we_did y ON y.id = u.you_said_id
LEFT JOIN coproduction_log l ON l.id = v.log_id
LEFT JOIN organisations o ON o.code = v.partner
LEFT JOIN organisation_kinds k ON k.code = o.kind
LEFT JOIN verdicts vc ON vc.code = v.verdict;

-- Counts of the co-production log by a few columns, which the measures below add up
-- further. Each is stored at build time and, after `make append`, added to from the new
-- rows alone (register/database/incremental.py) instead of being counted again from a
-- million rows: 1.8 s for log_by_project_gate at a million log rows. A
-- `-- build: add up by (<columns>)` line names the columns rows are counted by; every
-- other column is a COUNT or a SUM, so the counts of the new rows add to the stored ones
-- (tests/integration/test_add_up.py holds every such view to that). They are not shown
-- on the site: the measures are. `... looking up (<tables>)` names tables a view reads
-- whole as well, each counted row looking up rows of theirs (its project, its gate),
-- which an append never changes; an append copies them beside its new rows. A view with
-- an ORDER BY is worked out whole when the new rows need a row it does not have, which
-- a full build would put in its place rather than at the end.

-- build: add up by (project_id, gate)
-- build: materialise
CREATE VIEW log_by_project_gate AS
SELECT project_id, gate,
       COUNT(*) AS activities,
       SUM(lived_experience_count > 0 AND reimbursement_offered = 1) AS panel_activities
FROM coproduction_log NOT INDEXED  -- one pass and a sort beat a million lookups by project
GROUP BY project_id, gate;

-- build: add up by (project_id, place)
-- build: materialise
CREATE VIEW log_by_project_place AS
SELECT project_id, place,
       COUNT(*) AS activities,
       SUM(participation_level = 'co_production') AS coproduction_activities,
       SUM(lived_experience_count) AS lived_experience_people,
       SUM(staff_count) AS staff_people
FROM coproduction_log NOT INDEXED
GROUP BY project_id, place;

-- build: add up by (month, participation_level, reimbursement_offered)
-- build: materialise
CREATE VIEW log_by_month AS
SELECT substr(activity_date, 1, 7) AS month, participation_level, reimbursement_offered,
       COUNT(*) AS activities,
       SUM(lived_experience_count) AS lived_experience_people,
       SUM(staff_count) AS staff_people
FROM coproduction_log NOT INDEXED
GROUP BY month, participation_level, reimbursement_offered;

-- Gate assurance (strategy 003 s7.0): for every project and every gate it has reached,
-- whether the evidence the strategy asks for at that gate is published here.
--   assess           co-production activity at the Assess gate
--   plan             a co-production log (activity at the Plan gate) and equality impacts
--                    assessed for every characteristic: an entry recorded as not assessed
--                    (an impact the impacts codelist marks as not an assessment) is not
--                    the evidence, as the codelist says of it and the national score counts
--   procure          people with lived experience on the procurement activity, with
--                    reimbursement offered
--   monitor_evaluate "You said, we did" responses published for the project: updates
--                    whose status is a response (the statuses codelist's responds), not
--                    an update that leaves an item open with nothing done or decided
-- A gate is 'passed' when the project's current gate is later, or when co-production
-- activity is logged at a later gate: a project with activity at Procure has moved past
-- Assess and Plan whatever its current gate says (staff record the activity and forget to
-- move the project on), and counting only the current gate hid the gates it skipped.
-- 'reached' includes the current gate and the furthest gate with activity logged. The yes/no columns are cast to INTEGER so that they have a type once
-- stored: a link filtering on one (`?passed=1`) compares the text "1" with them, which
-- matches an integer column's 1 but nothing in an untyped one. The rules are written only here; pages, measures and reports read them.
-- The log is added up by project and gate in log_by_project_gate; the equality impacts
-- and the updates are counted once per project, through their indexes, before the
-- project is joined to the five gates (counting them for every project and gate took
-- 4.0 s at a million log rows, grouping the whole tables first 3.0 s, this 2.5 s).
-- Stored at build time. A project's rows depend on that project's rows alone (and on the
-- gates, characteristics and impacts, read whole), so an append works out again only the projects
-- it adds to. per_project is grouped by project so that SQLite cannot flatten it (its
-- counts would then be worked out once per gate) and does push a filter on project_id
-- into it: 1 ms for one project, where the grouped tables took 0.6 s.
-- build: redo by (project_id)
-- build: materialise
CREATE VIEW gate_assurance AS
WITH log AS (
  SELECT project_id, gate, activities, panel_activities FROM log_by_project_gate
),
per_project AS (
  SELECT p.id AS project_id,
    MAX(cg.sort_order, COALESCE((SELECT MAX(lg.sort_order) FROM log_by_project_gate l2
                                 JOIN gates lg ON lg.code = l2.gate WHERE l2.project_id = p.id), 0)) AS furthest_order,
    (SELECT COUNT(DISTINCT e.characteristic) FROM equality_impacts e JOIN impacts i ON i.code = e.impact
     WHERE e.project_id = p.id AND i.assessed = 1) AS characteristics_assessed,
    (SELECT COUNT(*) FROM you_said_we_did y JOIN you_said_we_did_updates u ON u.you_said_id = y.id
     WHERE y.project_id = p.id AND u.status IN (SELECT code FROM statuses WHERE responds)) AS yswd_updates
  FROM projects p JOIN gates cg ON cg.code = p.current_gate
  GROUP BY p.id
),
facts AS (
  SELECT
    p.project_id,
    g.code AS gate,
    g.sort_order AS gate_order,
    p.furthest_order,
    COALESCE(l.activities, 0) AS activities,
    p.characteristics_assessed,
    (SELECT COUNT(*) FROM characteristics) AS characteristics_total,
    COALESCE(l.panel_activities, 0) AS panel_activities,
    p.yswd_updates
  FROM per_project p
  CROSS JOIN gates g
  LEFT JOIN log l ON l.project_id = p.project_id AND l.gate = g.code
)
SELECT
  project_id,
  gate,
  gate_order,
  CAST(gate_order <= furthest_order AS INTEGER) AS reached,
  CAST(gate_order < furthest_order AS INTEGER) AS passed,
  CAST(CASE gate
    WHEN 'assess' THEN activities > 0
    WHEN 'plan' THEN activities > 0 AND characteristics_assessed >= characteristics_total
    WHEN 'procure' THEN panel_activities > 0
    WHEN 'monitor_evaluate' THEN yswd_updates > 0
  END AS INTEGER) AS evidence_published,
  CASE gate
    -- "1 co-production activity", not "1 co-production activities".
    WHEN 'assess' THEN activities || IIF(activities = 1, ' co-production activity', ' co-production activities')
                       || ' at this gate'
    WHEN 'plan' THEN activities || IIF(activities = 1, ' co-production activity', ' co-production activities')
                     || ' at this gate; equality impacts assessed for '
                     || characteristics_assessed || ' of ' || characteristics_total || ' characteristics'
    WHEN 'procure' THEN panel_activities || IIF(panel_activities = 1, ' activity', ' activities')
                        || ' with people with lived experience and reimbursement offered'
    WHEN 'monitor_evaluate' THEN yswd_updates || ' "You said, we did"'
                                 || IIF(yswd_updates = 1, ' response', ' responses') || ' published'
  END AS evidence,
  CASE gate
    WHEN 'assess' THEN CASE WHEN activities > 0 THEN NULL ELSE 'No co-production activity is logged at the Assess gate.' END
    WHEN 'plan' THEN CASE
        WHEN activities = 0 AND characteristics_assessed < characteristics_total THEN 'No co-production log and incomplete equality impacts.'
        WHEN activities = 0 THEN 'No co-production activity is logged at the Plan gate.'
        WHEN characteristics_assessed < characteristics_total THEN 'Equality impacts are not assessed for every characteristic.'
      END
    WHEN 'procure' THEN CASE WHEN panel_activities > 0 THEN NULL ELSE 'No procurement activity with people with lived experience and reimbursement is logged.' END
    WHEN 'monitor_evaluate' THEN CASE WHEN yswd_updates > 0 THEN NULL ELSE 'No "You said, we did" response is published.' END
  END AS missing
FROM facts
ORDER BY project_id, gate_order;

-- The figures of one project, one row per project: what its page and the list of
-- projects show. Correlated subqueries, so `WHERE project_id = ?` (or a page of ids)
-- looks the project up through the indexes instead of adding up the whole register.
-- Not stored: the overdue count depends on today's date.
CREATE VIEW project_figures AS
SELECT
  p.id AS project_id,
  (SELECT COUNT(*) FROM coproduction_log l WHERE l.project_id = p.id) AS activities,
  (SELECT SUM(l.lived_experience_count) FROM coproduction_log l WHERE l.project_id = p.id) AS lived_experience_people,
  (SELECT SUM(l.staff_count) FROM coproduction_log l WHERE l.project_id = p.id) AS staff_people,
  (SELECT COUNT(DISTINCT e.characteristic) FROM equality_impacts e WHERE e.project_id = p.id) AS characteristics_recorded,
  (SELECT COUNT(DISTINCT e.characteristic) FROM equality_impacts e JOIN impacts i ON i.code = e.impact
   WHERE e.project_id = p.id AND i.assessed = 0) AS characteristics_not_assessed,
  (SELECT COUNT(*) FROM characteristics) AS characteristics_total,
  (SELECT COUNT(*) FROM you_said_we_did_current y WHERE y.project_id = p.id) AS you_said_items,
  (SELECT COALESCE(SUM(y.loop_closed), 0) FROM you_said_we_did_current y WHERE y.project_id = p.id) AS you_said_closed,
  (SELECT COALESCE(SUM(y.overdue), 0) FROM you_said_we_did_current y WHERE y.project_id = p.id) AS you_said_overdue,
  (SELECT COALESCE(SUM(g.passed AND NOT g.evidence_published), 0) FROM gate_assurance g
   WHERE g.project_id = p.id) AS gates_without_evidence
FROM projects p;

-- Measure: projects that came through the Strategic Co-production Group (000; 003 s8.6).
-- build: materialise
CREATE VIEW measure_strategic_group AS
SELECT
  p.organisation,
  CASE p.via_strategic_group WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'not recorded' END AS came_through_group,
  COUNT(*) AS projects
FROM projects p
GROUP BY p.organisation, came_through_group
ORDER BY p.organisation, came_through_group;

-- Measure: equality impact assessments indicating the transformation was co-produced
-- (000). One row per project that has an assessment. characteristics_assessed counts the
-- characteristics it assesses: entries recorded as not assessed (an impact the impacts
-- codelist marks as not an assessment) are counted in not_assessed instead, as the
-- national score counts them.
-- build: materialise
CREATE VIEW measure_eia_coproduced AS
SELECT
  e.project_id,
  CASE WHEN MAX(e.coproduced) = 1 THEN 'yes' WHEN MIN(e.coproduced) = 0 THEN 'no' ELSE 'not recorded' END AS coproduced,
  SUM(i.assessed = 1) AS characteristics_assessed,
  SUM(e.impact = 'negative') AS negative_impacts,
  SUM(e.impact = 'negative' AND e.mitigation IS NOT NULL) AS negative_with_mitigation,
  SUM(i.assessed = 0) AS not_assessed
FROM equality_impacts e
JOIN impacts i ON i.code = e.impact
GROUP BY e.project_id
ORDER BY e.project_id;

-- "You said" items counted by status, whether the loop is closed and due date, with what
-- their days to a response add up to: everything measure_you_said_we_did needs that does
-- not depend on today's date, in a few thousand rows. Stored at build time.
-- build: materialise
CREATE VIEW summary_you_said_we_did AS
SELECT
  s.status,
  s.loop_closed,
  d.due_date,
  COUNT(*) AS items,
  COUNT(s.days_to_response) AS responded,
  SUM(s.days_to_response) AS days_to_response_total,
  MAX(s.days_to_response) AS longest_days_to_response
FROM you_said_we_did_status s
LEFT JOIN you_said_due_dates d ON d.you_said_id = s.id
GROUP BY s.status, s.loop_closed, d.due_date
ORDER BY s.status, s.loop_closed, d.due_date;

-- The summary with whether its items are overdue today: the rule of
-- you_said_we_did_current (a due date before today, the loop still open), applied to
-- each due date once. Counts of items by status and overdue (the measure below, the
-- /you-said list unfiltered) read this instead of 278,000 items at a million log rows.
CREATE VIEW summary_you_said_we_did_today AS
SELECT
  status,
  loop_closed,
  due_date,
  (due_date IS NOT NULL AND due_date < date('now', 'localtime') AND NOT loop_closed) AS overdue,
  items,
  responded,
  days_to_response_total,
  longest_days_to_response
FROM summary_you_said_we_did;

-- Measure: "You said" items by current status, with loop closure and days to a response.
-- Read from the summary above, so only `overdue` is worked out on the day, over a few
-- thousand rows (0.25 s for the 278,000 items at a million log rows). The average is the
-- summed days over the items with a response, as AVG gives it. A status no item has
-- shows 0 items, none closed or overdue, and no days to a response (NULL).
CREATE VIEW measure_you_said_we_did AS
SELECT
  s.code AS status,
  s.title AS status_title,
  s.sort_order,
  COALESCE(c.items, 0) AS items,
  COALESCE(c.loop_closed, 0) AS loop_closed,
  COALESCE(c.overdue, 0) AS overdue,
  ROUND(c.average_days_to_response, 1) AS average_days_to_response,
  c.longest_days_to_response
FROM statuses s
LEFT JOIN (
  SELECT status,
         SUM(items) AS items,
         SUM(loop_closed * items) AS loop_closed,
         SUM(overdue * items) AS overdue,
         1.0 * SUM(days_to_response_total) / NULLIF(SUM(responded), 0) AS average_days_to_response,
         MAX(longest_days_to_response) AS longest_days_to_response
  FROM summary_you_said_we_did_today
  GROUP BY status
) c ON c.status = s.code
ORDER BY s.sort_order;

-- Measure: closed loops confirmed by an independent partner (issue "Close the loop").
-- One row: of the items whose loop is closed, how many have at least one partner verdict
-- of agrees or partly agrees on an update that closed the loop, and how many have one of
-- disagrees. Verdicts on updates that did not close the loop (planned, in progress) do not
-- confirm that anything was done, and nor do verdicts on a closing update from before the
-- item was reopened: the loop closed again later (loop_closed_date above), by the closing
-- updates since the last update that did not close it, and only those are its claim.
-- share_confirmed is a percentage, NULL with no closed item.
-- Stored at build time (it reads every closed item: 80 ms at a million log rows).
-- build: materialise
CREATE VIEW measure_loop_confirmed AS
WITH judged AS (
  SELECT u.you_said_id,
         MAX(v.verdict IN ('agrees', 'partly_agrees')) AS confirmed,
         MAX(v.verdict = 'disagrees') AS disputed
  FROM partner_verdicts v
  JOIN you_said_we_did_updates u ON u.id = v.update_id
  JOIN statuses s ON s.code = u.status AND s.closes_loop = 1
  WHERE NOT EXISTS (
    SELECT 1 FROM you_said_we_did_updates o
    JOIN statuses os ON os.code = o.status AND NOT COALESCE(os.closes_loop, 0)
    WHERE o.you_said_id = u.you_said_id
      AND (o.update_date, CAST(substr(o.id, length(rtrim(o.id, '0123456789')) + 1) AS INTEGER), o.id)
        > (u.update_date, CAST(substr(u.id, length(rtrim(u.id, '0123456789')) + 1) AS INTEGER), u.id))
  GROUP BY u.you_said_id
)
SELECT
  COUNT(*) AS closed_items,
  COALESCE(SUM(j.you_said_id IS NOT NULL), 0) AS items_with_verdict,
  COALESCE(SUM(j.confirmed), 0) AS confirmed_items,
  COALESCE(SUM(j.disputed), 0) AS disputed_items,
  ROUND(100.0 * COALESCE(SUM(j.confirmed), 0) / NULLIF(COUNT(*), 0), 1) AS share_confirmed
FROM you_said_we_did_status c
LEFT JOIN judged j ON j.you_said_id = c.id
WHERE c.loop_closed = 1;

-- Measure: disputed claims: every claim (a "we did" update or a co-production log entry)
-- that an independent partner disagrees with, newest verdict first, with the partner's
-- own words beside the claim.
CREATE VIEW disputed_claims AS
SELECT
  id AS verdict_id,
  verdict_date,
  partner,
  partner_title,
  claim_type,
  you_said_id,
  update_id,
  log_id,
  project_id,
  claim,
  claim_date,
  in_their_words,
  source,
  source_section
FROM partner_verdicts_current
WHERE verdict = 'disagrees'
ORDER BY verdict_date DESC, id DESC;

-- Measure: co-production depth by gate: activities at each participation level.
-- The log is counted once by gate and level (read from the index below alone) and then
-- joined to every gate and level, so pairs with no activity show 0: 0.1 s at a million
-- log rows, against 2.2 s joining every pair to the log first.
CREATE INDEX IF NOT EXISTS idx_coproduction_log_gate_level
  ON coproduction_log (gate, participation_level);

-- build: add up by (gate, gate_order, participation_level, level_order) looking up (gates, participation_levels)
-- build: materialise
CREATE VIEW measure_depth_by_gate AS
SELECT
  g.code AS gate,
  g.sort_order AS gate_order,
  pl.code AS participation_level,
  pl.sort_order AS level_order,
  COALESCE(n.activities, 0) AS activities
FROM gates g
CROSS JOIN participation_levels pl
LEFT JOIN (
  SELECT gate, participation_level, COUNT(*) AS activities
  FROM coproduction_log
  GROUP BY gate, participation_level
) n ON n.gate = g.code AND n.participation_level = pl.code
ORDER BY g.sort_order, pl.sort_order;

-- Measure: the balance rule (000): activities where staff outnumbered people with lived
-- experience. Only activities where both counts were recorded can be judged. One row per
-- activity, in the log's order; no ORDER BY, because a sorted view cannot be grouped
-- without sorting a million rows first (4.8 s against 0.8 s for summary_balance below).
-- build: row by row
CREATE VIEW measure_balance AS
SELECT
  l.id AS activity_id,
  l.project_id,
  l.activity_date,
  l.title,
  l.gate,
  l.lived_experience_count,
  l.staff_count,
  CASE
    WHEN l.lived_experience_count IS NULL OR l.staff_count IS NULL THEN 'not recorded'
    WHEN l.staff_count > l.lived_experience_count THEN 'staff outnumbered people with lived experience'
    ELSE 'balanced'
  END AS balance
FROM coproduction_log l;

-- Measure: reimbursement offered to people with lived experience, by activity.
-- build: materialise
CREATE VIEW measure_reimbursement AS
SELECT
  CASE l.reimbursement_offered WHEN 1 THEN 'offered' WHEN 0 THEN 'not offered' ELSE 'not recorded' END AS reimbursement,
  SUM(l.activities) AS activities
FROM log_by_month l
GROUP BY reimbursement
ORDER BY reimbursement;

-- Measure: co-production activity per calendar quarter and participation level (003
-- s8.6: "regular reporting ... where co-production occurs"). Every quarter from the first
-- activity to the last is listed, so quiet quarters show as zero rather than vanish.
-- financial_quarter is the NHS financial year (April to March) the quarter falls in.
-- The log is counted once by month and level (log_by_month) and the months are then added
-- up into quarters (joining every quarter to the whole log by date range took 10.8 s at a
-- million log rows; this takes well under a second). Stored at build time.
-- build: materialise
CREATE VIEW measure_activity_by_quarter AS
WITH RECURSIVE span AS (
  -- Two subqueries, each answered from the index on activity_date: MIN and MAX in one
  -- SELECT read every row (0.17 s at a million log rows, this 0.01 s).
  SELECT (SELECT MIN(activity_date) FROM coproduction_log) AS first_date,
         (SELECT MAX(activity_date) FROM coproduction_log) AS last_date
),
bounds AS (
  SELECT
    date(first_date, 'start of month',
         '-' || ((CAST(strftime('%m', first_date) AS INTEGER) - 1) % 3) || ' months') AS first_quarter,
    last_date
  FROM span
),
quarters(quarter_start) AS (
  SELECT first_quarter FROM bounds WHERE first_quarter IS NOT NULL
  UNION ALL
  SELECT date(q.quarter_start, '+3 months') FROM quarters q, bounds b
  WHERE date(q.quarter_start, '+3 months') <= b.last_date
),
labelled AS (
  SELECT
    quarter_start,
    date(quarter_start, '+3 months', '-1 day') AS quarter_end,
    CAST(strftime('%Y', quarter_start) AS INTEGER) AS y,
    CAST(strftime('%m', quarter_start) AS INTEGER) AS m
  FROM quarters
),
months AS (
  SELECT month, participation_level,
         SUM(activities) AS activities,
         SUM(lived_experience_people) AS lived_experience_people,
         SUM(staff_people) AS staff_people
  FROM log_by_month
  GROUP BY month, participation_level
)
SELECT
  q.quarter_start,
  q.quarter_end,
  q.y || ' Q' || ((q.m - 1) / 3 + 1) AS quarter,
  (CASE WHEN q.m >= 4 THEN q.y ELSE q.y - 1 END) || '/'
    || substr(CAST((CASE WHEN q.m >= 4 THEN q.y + 1 ELSE q.y END) AS TEXT), 3, 2)
    || ' Q' || (((q.m + 8) % 12) / 3 + 1) AS financial_quarter,
  pl.code AS participation_level,
  pl.sort_order AS level_order,
  COALESCE(SUM(n.activities), 0) AS activities,
  SUM(n.lived_experience_people) AS lived_experience_people,
  SUM(n.staff_people) AS staff_people
FROM labelled q
CROSS JOIN participation_levels pl
LEFT JOIN months n
  ON n.participation_level = pl.code
 AND n.month BETWEEN substr(q.quarter_start, 1, 7) AND substr(q.quarter_end, 1, 7)
GROUP BY q.quarter_start, pl.code
ORDER BY q.quarter_start, pl.sort_order;

-- Measure: co-production activity by the organisation that leads the project and the
-- place the activity covered (003 s8.6 "where co-production occurs"). place is NULL when
-- the log does not record one. The log is counted once per project and place
-- (log_by_project_place) before the projects are joined (1.7 s at a million log rows otherwise). Stored at build time.
-- build: add up by (organisation, organisation_order, place, place_order) looking up (projects, organisations, places)
-- build: materialise
CREATE VIEW measure_activity_by_place AS
WITH by_project AS (
  SELECT project_id, place, activities, coproduction_activities, lived_experience_people, staff_people
  FROM log_by_project_place
)
SELECT
  p.organisation,
  o.sort_order AS organisation_order,
  l.place,
  pl.sort_order AS place_order,
  SUM(l.activities) AS activities,
  SUM(l.coproduction_activities) AS coproduction_activities,
  SUM(l.lived_experience_people) AS lived_experience_people,
  SUM(l.staff_people) AS staff_people
FROM by_project l
JOIN projects p ON p.id = l.project_id
LEFT JOIN organisations o ON o.code = p.organisation
LEFT JOIN places pl ON pl.code = l.place
GROUP BY p.organisation, l.place
ORDER BY o.sort_order, pl.sort_order IS NULL, pl.sort_order;

-- Measure: equality impact coverage, one row per project and characteristic: whether the
-- project's assessment covers it ('assessed'), covers it without judging the impact
-- ('not assessed', with a reason) or does not mention it ('missing'). Rows come project by
-- project; no ORDER BY, which made every summary of it sort 821,000 rows at national scale.
-- Each project and characteristic is looked up by both (without this index, and before
-- the build's ANALYZE, SQLite looked up by characteristic alone: 38,000 rows each time).
-- Stored at build time (0.6 s of CPU at a million log rows): its table page counted and
-- faceted 821,000 rows of the view on every request (1.2 s). With the impact, gate
-- assurance counts a project's assessed characteristics from this index alone (1.06 s
-- for the whole view at a million log rows, against 1.18 s reading the rows).
CREATE INDEX IF NOT EXISTS idx_equality_impacts_project_characteristic
  ON equality_impacts (project_id, characteristic, impact);

-- build: materialise
CREATE VIEW measure_equality_coverage AS
SELECT
  p.id AS project_id,
  c.code AS characteristic,
  c.sort_order AS characteristic_order,
  e.impact,
  CASE
    WHEN e.id IS NULL THEN 'missing'
    WHEN i.assessed = 0 THEN 'not assessed'
    ELSE 'assessed'
  END AS coverage,
  (e.impact = 'negative' AND e.mitigation IS NULL) AS negative_without_mitigation
FROM projects p
CROSS JOIN characteristics c
LEFT JOIN equality_impacts e ON e.project_id = p.id AND e.characteristic = c.code
LEFT JOIN impacts i ON i.code = e.impact;

-- Summaries: the few rows that the headline figures and charts of the row-by-row measures
-- need, so that no page aggregates a million rows while someone waits. Each is worked out
-- from its measure above, so the rules stay written once. Stored at build time.

-- Activities by balance (measure_balance): counted in balance_counts, which an append adds
-- to; summary_balance puts them in order.
-- build: add up by (balance)
-- build: materialise
CREATE VIEW balance_counts AS
SELECT balance, COUNT(*) AS activities
FROM measure_balance
GROUP BY balance;

-- build: materialise
CREATE VIEW summary_balance AS
SELECT balance, activities
FROM balance_counts
ORDER BY balance;

-- Projects by how many of the characteristics their equality impact assessment does not
-- mention (measure_equality_coverage): 0 means complete.
-- build: materialise
CREATE VIEW summary_equality_coverage AS
SELECT characteristics_missing, COUNT(*) AS projects
FROM (
  SELECT project_id, SUM(coverage = 'missing') AS characteristics_missing
  FROM measure_equality_coverage
  GROUP BY project_id
)
GROUP BY characteristics_missing
ORDER BY characteristics_missing;

-- Assessments by whether they say the transformation was co-produced and how many
-- characteristics they assess (measure_eia_coproduced).
-- build: materialise
CREATE VIEW summary_eia_coproduced AS
SELECT coproduced, characteristics_assessed, COUNT(*) AS projects
FROM measure_eia_coproduced
GROUP BY coproduced, characteristics_assessed
ORDER BY coproduced, characteristics_assessed;

-- Projects at each gate by whether they have reached it and published its evidence
-- (gate_assurance), with the number of projects that moved past a gate without it.
-- Counted from an index in its GROUP BY order, which also holds the project: sorting
-- gate_assurance's rows took 0.5 s at a million log rows, on every append; this 0.1 s.
-- build: index gate_assurance (gate, gate_order, reached, passed, evidence_published, project_id)
-- build: materialise
CREATE VIEW summary_gate_assurance AS
SELECT
  gate,
  gate_order,
  reached,
  passed,
  evidence_published,
  COUNT(*) AS projects,
  (SELECT COUNT(DISTINCT project_id) FROM gate_assurance
   WHERE passed AND NOT evidence_published) AS projects_with_gaps,
  (SELECT COUNT(*) FROM projects) AS projects_total
FROM gate_assurance
GROUP BY gate, gate_order, reached, passed, evidence_published
ORDER BY gate_order, reached, passed, evidence_published;

-- The headline figure of each measure, one row per measure, worked out once here and read
-- by the site (home page, /measures) and the impact report alike; they only put it into
-- words. figure is the headline number and of_total what it is out of; total counts
-- everything the measure covers, not_recorded what it could not judge; the other columns
-- belong to one measure each. characteristics counts the characteristics codelist, so no
-- page or report writes the number. Each part reads its measure (or stored summary) in a
-- subquery, so `WHERE measure = ?` works out that measure alone. Not stored: the overdue
-- count depends on today's date.
CREATE VIEW headlines AS
SELECT 'strategic_group' AS measure, f.yes AS figure, f.total AS of_total, f.total, f.unknown AS not_recorded,
       NULL AS still_open, NULL AS overdue, NULL AS gates, NULL AS latest_quarter, NULL AS latest_activities,
       NULL AS characteristics
FROM (SELECT COALESCE(SUM(projects), 0) AS total,
             COALESCE(SUM(CASE WHEN came_through_group = 'yes' THEN projects END), 0) AS yes,
             COALESCE(SUM(CASE WHEN came_through_group = 'not recorded' THEN projects END), 0) AS unknown
      FROM measure_strategic_group) f
UNION ALL
SELECT 'eia_coproduced', f.yes, f.total, f.total, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT COALESCE(SUM(projects), 0) AS total,
             COALESCE(SUM(CASE WHEN coproduced = 'yes' THEN projects END), 0) AS yes
      FROM summary_eia_coproduced) f
UNION ALL
SELECT 'you_said_we_did', f.closed, f.total, f.total, NULL, f.total - f.closed, f.overdue, NULL, NULL, NULL, NULL
FROM (SELECT COALESCE(SUM(items), 0) AS total, COALESCE(SUM(loop_closed), 0) AS closed,
             COALESCE(SUM(overdue), 0) AS overdue
      FROM measure_you_said_we_did) f
UNION ALL
SELECT 'depth_by_gate', f.deepest, f.total, f.total, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT COALESCE(SUM(activities), 0) AS total,
             COALESCE(SUM(CASE WHEN level_order = (SELECT MAX(level_order) FROM measure_depth_by_gate)
                          THEN activities END), 0) AS deepest
      FROM measure_depth_by_gate) f
UNION ALL
-- Only activities where both counts were recorded can be judged; when none can, the
-- headline is how many could not.
SELECT 'balance',
       CASE WHEN f.total > f.unknown THEN f.outnumbered ELSE f.unknown END,
       CASE WHEN f.total > f.unknown THEN f.total - f.unknown ELSE f.total END,
       f.total, f.unknown, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT COALESCE(SUM(activities), 0) AS total,
             COALESCE(SUM(CASE WHEN balance = 'staff outnumbered people with lived experience' THEN activities END), 0)
               AS outnumbered,
             COALESCE(SUM(CASE WHEN balance = 'not recorded' THEN activities END), 0) AS unknown
      FROM summary_balance) f
UNION ALL
-- As with the balance: when no activity's record says, the headline is how many do not.
SELECT 'reimbursement', CASE WHEN f.total > f.unknown THEN f.offered ELSE f.unknown END,
       f.total, f.total, f.unknown, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT COALESCE(SUM(activities), 0) AS total,
             COALESCE(SUM(CASE WHEN reimbursement = 'offered' THEN activities END), 0) AS offered,
             COALESCE(SUM(CASE WHEN reimbursement = 'not recorded' THEN activities END), 0) AS unknown
      FROM measure_reimbursement) f
UNION ALL
SELECT 'equality_coverage', f.complete, f.total, f.total, NULL, NULL, NULL, NULL, NULL, NULL,
       (SELECT COUNT(*) FROM characteristics)
FROM (SELECT COALESCE(SUM(projects), 0) AS total,
             COALESCE(SUM(CASE WHEN characteristics_missing = 0 THEN projects END), 0) AS complete
      FROM summary_equality_coverage) f
UNION ALL
SELECT 'activity_by_quarter', f.active, f.quarters, f.total, NULL, NULL, NULL, NULL, f.latest, f.latest_n, NULL
FROM (SELECT COUNT(*) AS quarters, COALESCE(SUM(n > 0), 0) AS active, COALESCE(SUM(n), 0) AS total,
             (SELECT quarter FROM measure_activity_by_quarter GROUP BY quarter_start
              HAVING SUM(activities) > 0 ORDER BY quarter_start DESC LIMIT 1) AS latest,
             (SELECT SUM(activities) FROM measure_activity_by_quarter GROUP BY quarter_start
              HAVING SUM(activities) > 0 ORDER BY quarter_start DESC LIMIT 1) AS latest_n
      FROM (SELECT quarter_start, SUM(activities) AS n FROM measure_activity_by_quarter GROUP BY quarter_start)) f
UNION ALL
SELECT 'activity_by_place', f.places, NULL, f.total, f.unknown, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT COUNT(DISTINCT place) AS places, COALESCE(SUM(activities), 0) AS total,
             COALESCE(SUM(CASE WHEN place IS NULL THEN activities END), 0) AS unknown
      FROM measure_activity_by_place) f
UNION ALL
SELECT 'gate_assurance', f.projects, f.projects_total, f.projects_total, NULL, NULL, NULL, f.gates, NULL, NULL, NULL
FROM (SELECT COALESCE(MAX(projects_with_gaps), 0) AS projects,
             COALESCE(MAX(projects_total), (SELECT COUNT(*) FROM projects)) AS projects_total,
             COALESCE(SUM(CASE WHEN passed AND NOT evidence_published THEN projects END), 0) AS gates
      FROM summary_gate_assurance) f
UNION ALL
SELECT 'loop_confirmed', f.confirmed_items, f.closed_items, f.closed_items, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM measure_loop_confirmed f
UNION ALL
SELECT 'disputed_claims', f.disputed, f.judged, f.judged, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT (SELECT COUNT(*) FROM disputed_claims) AS disputed,
             (SELECT COUNT(*) FROM (SELECT DISTINCT update_id, log_id FROM partner_verdicts)) AS judged) f;
