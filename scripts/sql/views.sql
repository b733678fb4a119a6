-- Views over the register. Each is defined once here and used by the site, the
-- extracts and the notebooks alike. Statuses 'done' and 'not_taken_forward' close the
-- loop (see datasets/codelists/statuses.csv).

-- The current status of every "You said" item: the latest row of its status history,
-- or 'open' when it has none. Ties on a date are broken by the update id, which only
-- ever grows.
CREATE VIEW you_said_we_did_current AS
WITH ranked AS (
  SELECT u.*,
         ROW_NUMBER() OVER (PARTITION BY u.you_said_id ORDER BY u.update_date DESC, u.id DESC) AS rn
  FROM you_said_we_did_updates u
),
first_response AS (
  SELECT you_said_id, MIN(update_date) AS first_response_date
  FROM you_said_we_did_updates
  WHERE status <> 'open'
  GROUP BY you_said_id
),
history AS (
  SELECT you_said_id, COUNT(*) AS updates FROM you_said_we_did_updates GROUP BY you_said_id
)
SELECT
  y.id,
  y.project_id,
  y.activity_id,
  y.said_date,
  y.theme,
  y.you_said,
  COALESCE(r.status, 'open') AS status,
  r.update_date AS status_date,
  r.we_did,
  r.reason,
  y.target_date,
  fr.first_response_date,
  CAST(julianday(fr.first_response_date) - julianday(y.said_date) AS INTEGER) AS days_to_response,
  COALESCE(r.status, 'open') IN ('done', 'not_taken_forward') AS loop_closed,
  (y.target_date IS NOT NULL
   AND y.target_date < date('now')
   AND COALESCE(r.status, 'open') NOT IN ('done', 'not_taken_forward')) AS overdue,
  COALESCE(h.updates, 0) AS updates
FROM you_said_we_did y
LEFT JOIN ranked r ON r.you_said_id = y.id AND r.rn = 1
LEFT JOIN first_response fr ON fr.you_said_id = y.id
LEFT JOIN history h ON h.you_said_id = y.id;
