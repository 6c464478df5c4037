-- factorscore's metrics (data contract, section 3), month grain, in DuckDB SQL.
-- An independent reference: used by the differential test and as the benchmark's peer.
--
-- Expects views named after the canonical tables (all columns as text, as read from the files)
-- and a one-row table `params(base VARCHAR, tz VARCHAR, first_month DATE, last_month DATE)`.
-- Writes the table `reference_scorecards`.

CREATE OR REPLACE TEMP TABLE months AS
SELECT ms AS ps, last_day(ms) AS pe, strftime(ms, '%Y-%m') AS period, year(ms) * 12 + month(ms) - 1 AS mk
FROM (SELECT unnest(generate_series(first_month - INTERVAL 1 MONTH, last_month, INTERVAL 1 MONTH))::DATE AS ms FROM params);

CREATE OR REPLACE TEMP TABLE fx AS
SELECT currency, rate_date::DATE AS rate_date, rate_to_base::DECIMAL(20, 10) AS rate FROM fx_rates;

-- Invoices with their booking rate: the latest rate on or before the purchase date.
CREATE OR REPLACE TEMP TABLE inv AS
SELECT i.invoice_id, i.client_id, i.originator_id, i.face, i.advance, i.pd, i.due,
       CASE WHEN i.currency = p.base THEN 1::DECIMAL(20, 10) ELSE f.rate END AS rate
FROM (SELECT invoice_id, client_id, originator_id, currency, face_amount::DECIMAL(18, 2) AS face,
             advance_amount::DECIMAL(18, 2) AS advance, purchase_date::DATE AS pd, due_date::DATE AS due
      FROM invoices) i
CROSS JOIN params p
ASOF LEFT JOIN fx f ON f.currency = i.currency AND i.pd >= f.rate_date;

-- Each invoice's collections and write-offs in order; the balance before and after each.
-- With no rule breaks, the balance after k events is max(0, face - their running sum).
CREATE OR REPLACE TEMP TABLE events AS
WITH e AS (
  SELECT invoice_id, collection_id AS id, paid_on::DATE AS d, 0 AS kind, amount::DECIMAL(18, 2) AS amount FROM collections
  UNION ALL
  SELECT invoice_id, write_off_id, written_off_on::DATE, 1, amount::DECIMAL(18, 2) FROM write_offs
), s AS (
  SELECT e.*, i.client_id, i.face, i.rate,
         coalesce(sum(amount) OVER w_before, 0) AS cum_before,
         sum(amount) OVER w_incl AS cum_after,
         coalesce(max(kind) OVER w_before, 0) AS wo_before
  FROM e JOIN inv i USING (invoice_id)
  WINDOW w_before AS (PARTITION BY invoice_id ORDER BY d, kind, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
         w_incl AS (PARTITION BY invoice_id ORDER BY d, kind, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT *, greatest(face - cum_before, 0) - greatest(face - cum_after, 0) AS applied,
       greatest(face - cum_after, 0) AS bal_after
FROM s;

CREATE OR REPLACE TEMP TABLE coll AS
SELECT invoice_id, client_id, d,
       round(amount * rate, 2) AS amount_base,
       round(applied * rate, 2) AS applied_base,
       CASE WHEN wo_before = 1 THEN round((amount - applied) * rate, 2) ELSE 0 END AS recovery_base
FROM events WHERE kind = 0;

-- Assignee of a client on a day, as an as-of join on valid_from, bounded by valid_to.
CREATE OR REPLACE TEMP TABLE asg AS
SELECT client_id, employee_id, valid_from::DATE AS valid_from, valid_to::DATE AS valid_to FROM assignments;

CREATE OR REPLACE MACRO owner(emp, vt, d) AS
  CASE WHEN emp IS NOT NULL AND (vt IS NULL OR d < vt) THEN emp ELSE 'UNASSIGNED' END;

-- Balance segments: each invoice's balance is constant on [from_d, to_d); a day's balance is the
-- one after its last event.
CREATE OR REPLACE TEMP TABLE seg AS
WITH changes AS (
  SELECT invoice_id, pd AS d, 0 AS pri, 0 AS kind, '' AS id, face AS bal FROM inv
  UNION ALL
  SELECT invoice_id, d, 1, kind, id, bal_after FROM events
), last_of_day AS (
  SELECT invoice_id, d, arg_max(bal, (pri, kind, id)) AS bal FROM changes GROUP BY invoice_id, d
)
SELECT invoice_id, d AS from_d, lead(d) OVER (PARTITION BY invoice_id ORDER BY d) AS to_d, bal FROM last_of_day;

-- Month-end balance of every invoice still open, converted, aged, and credited at that day.
CREATE OR REPLACE TEMP TABLE month_bal AS
SELECT m.pe, m.mk, i.invoice_id, i.client_id, i.due,
       round(s.bal * i.rate, 2) AS bal,
       CASE WHEN m.pe > i.due THEN datediff('day', i.due, m.pe) ELSE 0 END AS dpd,
       owner(a.employee_id, a.valid_to, m.pe) AS emp
FROM months m
JOIN seg s ON s.from_d <= m.pe AND (s.to_d IS NULL OR m.pe < s.to_d)
JOIN inv i USING (invoice_id)
ASOF LEFT JOIN asg a ON a.client_id = i.client_id AND m.pe >= a.valid_from
WHERE s.bal > 0;

-- The client portfolio of each period, credited to the assignee at the period end.
CREATE OR REPLACE TEMP TABLE credited AS
SELECT m.period, m.ps, m.pe, c.client_id, owner(a.employee_id, a.valid_to, m.pe) AS emp
FROM months m CROSS JOIN (SELECT DISTINCT client_id FROM inv) c
ASOF LEFT JOIN asg a ON a.client_id = c.client_id AND m.pe >= a.valid_from;

CREATE OR REPLACE TEMP TABLE portfolio AS
WITH cb AS (
  SELECT client_id, pe, sum(bal) AS er, coalesce(sum(bal) FILTER (WHERE dpd >= 1), 0) AS overdue,
         coalesce(sum(bal) FILTER (WHERE dpd > 30), 0) AS par30, coalesce(sum(bal) FILTER (WHERE dpd > 60), 0) AS par60,
         coalesce(sum(bal) FILTER (WHERE dpd > 90), 0) AS par90
  FROM month_bal GROUP BY ALL
), purchases AS (
  SELECT client_id, strftime(pd, '%Y-%m') AS period, sum(round(face * rate, 2)) AS s FROM inv GROUP BY ALL
), applied AS (
  SELECT client_id, strftime(d, '%Y-%m') AS period, sum(applied_base) AS c FROM coll GROUP BY ALL
), due_face AS (
  SELECT client_id, strftime(due, '%Y-%m') AS period, sum(round(face * rate, 2)) AS rcr_face FROM inv GROUP BY ALL
), due_paid AS (
  SELECT i.client_id, strftime(i.due, '%Y-%m') AS period, sum(k.applied_base) AS rcr_collected
  FROM coll k JOIN inv i USING (invoice_id) WHERE k.d <= last_day(i.due) GROUP BY ALL
), per_client AS (
  SELECT c.period, c.emp, coalesce(e.er, 0) AS er, coalesce(e.overdue, 0) AS overdue, coalesce(e.par30, 0) AS par30,
         coalesce(e.par60, 0) AS par60, coalesce(e.par90, 0) AS par90, coalesce(b.er, 0) AS br,
         coalesce(pu.s, 0) AS s, coalesce(ap.c, 0) AS c, coalesce(df.rcr_face, 0) AS rcr_face,
         coalesce(dp.rcr_collected, 0) AS rcr_collected
  FROM credited c
  LEFT JOIN cb e ON e.client_id = c.client_id AND e.pe = c.pe
  LEFT JOIN cb b ON b.client_id = c.client_id AND b.pe = c.ps - 1
  LEFT JOIN purchases pu ON pu.client_id = c.client_id AND pu.period = c.period
  LEFT JOIN applied ap ON ap.client_id = c.client_id AND ap.period = c.period
  LEFT JOIN due_face df ON df.client_id = c.client_id AND df.period = c.period
  LEFT JOIN due_paid dp ON dp.client_id = c.client_id AND dp.period = c.period
  WHERE c.pe >= (SELECT first_month FROM params)
)
SELECT period, emp, sum(er) AS outstanding, sum(overdue) AS overdue, sum(par30) AS par30, sum(par60) AS par60,
       sum(par90) AS par90, sum(br) AS br, sum(s) AS s, sum(er) AS er, sum(er - overdue) AS ecr, sum(c) AS c,
       sum(rcr_face) AS rcr_face, sum(rcr_collected) AS rcr_collected
FROM per_client GROUP BY ALL;

-- Flows, credited to the assignee on the day of the event.
CREATE OR REPLACE TEMP TABLE flows AS
WITH f AS (
  SELECT client_id, d, amount_base AS cash, 0::DECIMAL(18, 2) AS wo, recovery_base AS rec, 0::DECIMAL(18, 2) AS fee FROM coll
  UNION ALL
  SELECT client_id, d, 0, round(amount * rate, 2), 0, 0 FROM events WHERE kind = 1
  UNION ALL
  SELECT i.client_id, f.booked_on::DATE, 0, 0, 0, round(f.amount::DECIMAL(18, 2) * i.rate, 2) FROM fees f JOIN inv i USING (invoice_id)
)
SELECT strftime(f.d, '%Y-%m') AS period, owner(a.employee_id, a.valid_to, f.d) AS emp,
       sum(cash) AS cash_collected, sum(wo) AS written_off, sum(rec) AS recoveries, sum(fee) AS fee_income
FROM f ASOF LEFT JOIN asg a ON a.client_id = f.client_id AND f.d >= a.valid_from
GROUP BY ALL;

-- Month-end balances per entity, for the average over the month and the one before.
CREATE OR REPLACE TEMP TABLE avg_out AS
WITH per_month AS (SELECT mk, emp, sum(bal) AS bal FROM month_bal GROUP BY ALL)
SELECT m.period, p.emp, sum(p.bal) / 2 AS average_sum
FROM months m JOIN per_month p ON p.mk IN (m.mk, m.mk - 1)
WHERE m.pe >= (SELECT first_month FROM params)
GROUP BY ALL;

-- Origination.
CREATE OR REPLACE TEMP TABLE orig AS
WITH firsts AS (
  SELECT client_id, arg_min(invoice_id, (pd, invoice_id)) AS invoice_id FROM inv GROUP BY client_id
)
SELECT strftime(i.pd, '%Y-%m') AS period, i.originator_id AS emp,
       sum(round(i.advance * i.rate, 2)) AS funded_volume, sum(round(i.face * i.rate, 2)) AS purchased_face,
       count(f.client_id) AS new_clients
FROM inv i LEFT JOIN firsts f USING (invoice_id)
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE apps AS
WITH t AS (
  SELECT employee_id AS emp, decision,
    CASE WHEN received_at ~ '.*(Z|[+-]\d\d:?\d\d)$' THEN received_at::TIMESTAMPTZ ELSE timezone(p.tz, received_at::TIMESTAMP) END AS rec,
    CASE WHEN decided_at IS NULL THEN NULL WHEN decided_at ~ '.*(Z|[+-]\d\d:?\d\d)$' THEN decided_at::TIMESTAMPTZ ELSE timezone(p.tz, decided_at::TIMESTAMP) END AS dec,
    CASE WHEN funded_at IS NULL THEN NULL WHEN funded_at ~ '.*(Z|[+-]\d\d:?\d\d)$' THEN funded_at::TIMESTAMPTZ ELSE timezone(p.tz, funded_at::TIMESTAMP) END AS fund,
    p.tz
  FROM applications CROSS JOIN params p
), l AS (
  SELECT *, strftime(timezone(tz, rec)::DATE, '%Y-%m') AS rec_p, strftime(timezone(tz, dec)::DATE, '%Y-%m') AS dec_p,
         strftime(timezone(tz, fund)::DATE, '%Y-%m') AS fund_p, epoch(fund) - epoch(rec) AS secs
  FROM t
), u AS (
  SELECT rec_p AS period, emp, 1 AS received, 0 AS decided, 0 AS approved, 0 AS funded, NULL::DOUBLE AS hours FROM l
  UNION ALL
  SELECT dec_p, emp, 0, 1, CASE WHEN decision = 'approved' THEN 1 ELSE 0 END, 0, NULL FROM l WHERE decision IN ('approved', 'rejected') AND dec IS NOT NULL
  UNION ALL
  SELECT fund_p, emp, 0, 0, 0, 1, secs / 3600.0 FROM l WHERE fund IS NOT NULL
)
SELECT period, emp, sum(received) AS applications_received, sum(decided) AS applications_decided,
       sum(approved) AS applications_approved, sum(funded) AS applications_funded,
       quantile_cont(hours, 0.5) AS time_to_fund_median_hours, quantile_cont(hours, 0.9) AS time_to_fund_p90_hours
FROM u GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE revs AS
SELECT strftime(reviewed_on::DATE, '%Y-%m') AS period, employee_id AS emp,
       avg(score::DOUBLE) FILTER (WHERE source = 'customer') AS customer_satisfaction,
       avg(score::DOUBLE) FILTER (WHERE source = 'peer') AS peer_review,
       avg(score::DOUBLE) FILTER (WHERE source = 'manager') AS manager_review
FROM reviews GROUP BY ALL;

-- Scorecard rows: every employee employed on a day of the period, org as of min(pe, termination).
CREATE OR REPLACE TEMP TABLE reference_scorecards AS
WITH emp AS (
  SELECT employee_id, name, hire_date::DATE AS hire, termination_date::DATE AS term FROM employees
), rows AS (
  SELECT e.employee_id, e.name, m.period, m.ps, m.pe,
         datediff('day', greatest(m.ps, e.hire), least(m.pe, coalesce(e.term, m.pe))) + 1 AS days_employed,
         least(m.pe, coalesce(e.term, m.pe)) AS as_of
  FROM emp e JOIN months m ON e.hire <= m.pe AND (e.term IS NULL OR e.term >= m.ps)
  WHERE m.pe >= (SELECT first_month FROM params)
), org AS (
  SELECT employee_id, valid_from::DATE AS valid_from, department, team, role, manager_id FROM org_history
)
SELECT r.employee_id, r.name AS employee_name, r.period, r.ps AS period_start, r.pe AS period_end,
  o.department, o.team, o.role, o.manager_id, r.days_employed,
  coalesce(p.outstanding, 0) AS outstanding, coalesce(p.overdue, 0) AS overdue, coalesce(p.par30, 0) AS par30,
  coalesce(p.par60, 0) AS par60, coalesce(p.par90, 0) AS par90,
  p.overdue / nullif(p.outstanding, 0) AS overdue_rate, p.par30 / nullif(p.outstanding, 0) AS par30_rate,
  coalesce(f.cash_collected, 0) AS cash_collected, coalesce(f.written_off, 0) AS written_off,
  coalesce(f.recoveries, 0) AS recoveries, coalesce(f.fee_income, 0) AS fee_income,
  coalesce(f.fee_income, 0) + coalesce(f.recoveries, 0) - coalesce(f.written_off, 0) AS profit_contribution,
  coalesce(p.br + p.s - p.ecr, 0) AS collectible,
  p.c / nullif(p.br + p.s - p.ecr, 0) AS cash_recovery_rate,
  (p.br + p.s - p.er) / nullif(p.br + p.s - p.ecr, 0) AS collection_effectiveness,
  p.rcr_collected / nullif(p.rcr_face, 0) AS receivables_collection_rate,
  p.outstanding * datediff('day', r.ps, r.pe + 1) / nullif(p.s, 0) AS dso,
  coalesce(a.average_sum, 0)::DOUBLE AS average_outstanding,
  coalesce(f.written_off, 0) / nullif(a.average_sum, 0) AS bad_debt_rate,
  (coalesce(f.written_off, 0) - coalesce(f.recoveries, 0)) / nullif(a.average_sum, 0) AS net_loss_rate,
  coalesce(ap.applications_received, 0) AS applications_received,
  coalesce(ap.applications_decided, 0) AS applications_decided,
  coalesce(ap.applications_approved, 0) AS applications_approved,
  ap.applications_approved / nullif(ap.applications_decided, 0) AS approval_rate,
  coalesce(ap.applications_funded, 0) AS applications_funded,
  ap.time_to_fund_median_hours, ap.time_to_fund_p90_hours,
  coalesce(og.funded_volume, 0) AS funded_volume, coalesce(og.purchased_face, 0) AS purchased_face,
  coalesce(og.new_clients, 0) AS new_clients,
  rv.customer_satisfaction, rv.peer_review, rv.manager_review
FROM rows r
ASOF LEFT JOIN org o ON o.employee_id = r.employee_id AND r.as_of >= o.valid_from
LEFT JOIN portfolio p ON p.period = r.period AND p.emp = r.employee_id
LEFT JOIN flows f ON f.period = r.period AND f.emp = r.employee_id
LEFT JOIN avg_out a ON a.period = r.period AND a.emp = r.employee_id
LEFT JOIN apps ap ON ap.period = r.period AND ap.emp = r.employee_id
LEFT JOIN orig og ON og.period = r.period AND og.emp = r.employee_id
LEFT JOIN revs rv ON rv.period = r.period AND rv.emp = r.employee_id
ORDER BY r.period, r.employee_id;
