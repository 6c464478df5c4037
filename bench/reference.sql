-- factorscore's metrics (data contract, sections 3 and 4) in DuckDB SQL, per employee and per
-- team / department / company, month or quarter grain.
-- An independent reference: used by the differential test and as the benchmark's peer.
--
-- Expects (set up by reference.py):
--   * views named after the canonical tables (columns as text, as read from the files);
--   * a one-row table `params(base VARCHAR, tz VARCHAR, grain VARCHAR, first_ps DATE, last_ps DATE)`:
--     the start of the first and of the last period to compute (reference.py starts one period
--     before the first period it writes, for review_flag);
--   * macros for the grain: `pstart(d)` (start of d's period, a DATE), `plabel(d)` (its label,
--     `2026-10` or `2026-Q4`) and `pmonths()` (months in a period).
--   * the optional columns of section 1 present in the views (reference.py adds a missing
--     invoices.application_id, invoices.recourse or applications.decided_by as all-null text).
-- Writes the tables `periods`, `sc_rows` (scorecard rows with their org), `metric_values` (every
-- section 3 metric per level: `employee` keyed by employee_id, `team`, `department`, `company`) and
-- `members` (who counts in which group), and the ledger tables that bench/reference_custom.sql
-- builds the custom metrics' rows from (`inv`, `events`, `seg`, `asg`, `apps`, `fx`).

CREATE OR REPLACE TEMP TABLE periods AS
SELECT ps, (ps + to_months(pmonths()) - INTERVAL 1 DAY)::DATE AS pe, plabel(ps) AS period,
       row_number() OVER (ORDER BY ps) AS pk, pmonths() AS months_in_p,
       datediff('day', ps, (ps + to_months(pmonths()))::DATE) AS days_in_p
FROM (SELECT unnest(generate_series(first_ps, last_ps, to_months(pmonths())))::DATE AS ps FROM params);

-- Every month end that a balance is needed at: from the month before the first period to the last.
CREATE OR REPLACE TEMP TABLE months AS
SELECT ms AS ps, last_day(ms) AS pe, year(ms) * 12 + month(ms) - 1 AS mk
FROM (SELECT unnest(generate_series(min(ps) - INTERVAL 1 MONTH, max(pe), INTERVAL 1 MONTH))::DATE AS ms FROM periods);

CREATE OR REPLACE TEMP TABLE fx AS
SELECT currency, rate_date::DATE AS rate_date, rate_to_base::DECIMAL(20, 10) AS rate FROM fx_rates;

-- Invoices with their booking rate: the latest rate on or before the purchase date.
CREATE OR REPLACE TEMP TABLE inv AS
SELECT i.invoice_id, i.client_id, i.originator_id, i.face, i.advance, i.pd, i.due,
       CASE WHEN i.currency = p.base THEN 1::DECIMAL(20, 10) ELSE f.rate END AS rate,
       i.debtor_id, i.currency, i.recourse, i.application_id
FROM (SELECT invoice_id, client_id, originator_id, currency, face_amount::DECIMAL(18, 2) AS face,
             advance_amount::DECIMAL(18, 2) AS advance, purchase_date::DATE AS pd, due_date::DATE AS due,
             debtor_id, recourse, application_id
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
FROM periods m CROSS JOIN (SELECT DISTINCT client_id FROM inv) c
ASOF LEFT JOIN asg a ON a.client_id = c.client_id AND m.pe >= a.valid_from;

CREATE OR REPLACE TEMP TABLE portfolio AS
WITH cb AS (
  SELECT client_id, pe, sum(bal) AS er, coalesce(sum(bal) FILTER (WHERE dpd >= 1), 0) AS overdue,
         coalesce(sum(bal) FILTER (WHERE dpd > 30), 0) AS par30, coalesce(sum(bal) FILTER (WHERE dpd > 60), 0) AS par60,
         coalesce(sum(bal) FILTER (WHERE dpd > 90), 0) AS par90
  FROM month_bal GROUP BY ALL
), purchases AS (
  SELECT client_id, plabel(pd) AS period, sum(round(face * rate, 2)) AS s FROM inv GROUP BY ALL
), applied AS (
  SELECT client_id, plabel(d) AS period, sum(applied_base) AS c FROM coll GROUP BY ALL
), due_face AS (
  SELECT client_id, plabel(due) AS period, sum(round(face * rate, 2)) AS rcr_face FROM inv GROUP BY ALL
), due_paid AS (
  -- collections paid by the end of the period the invoice falls due in
  SELECT i.client_id, plabel(i.due) AS period, sum(k.applied_base) AS rcr_collected
  FROM coll k JOIN inv i USING (invoice_id)
  WHERE k.d < (pstart(i.due) + to_months(pmonths()))::DATE GROUP BY ALL
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
SELECT plabel(f.d) AS period, owner(a.employee_id, a.valid_to, f.d) AS emp,
       sum(cash) AS cash_collected, sum(wo) AS written_off, sum(rec) AS recoveries, sum(fee) AS fee_income
FROM f ASOF LEFT JOIN asg a ON a.client_id = f.client_id AND f.d >= a.valid_from
GROUP BY ALL;

-- Month-end balances per entity, summed over the period's months and the month before (the
-- average divides by their count later, so that groups add the sums exactly).
CREATE OR REPLACE TEMP TABLE avg_out AS
WITH per_month AS (SELECT pe, emp, sum(bal) AS bal FROM month_bal GROUP BY ALL)
SELECT m.period, p.emp, sum(p.bal) AS month_end_sum
FROM periods m JOIN per_month p ON p.pe BETWEEN m.ps - 1 AND m.pe
GROUP BY ALL;

-- Origination.
CREATE OR REPLACE TEMP TABLE orig AS
WITH firsts AS (
  SELECT client_id, arg_min(invoice_id, (pd, invoice_id)) AS invoice_id FROM inv GROUP BY client_id
)
SELECT plabel(i.pd) AS period, i.originator_id AS emp,
       sum(round(i.advance * i.rate, 2)) AS funded_volume, sum(round(i.face * i.rate, 2)) AS purchased_face,
       count(f.client_id) AS new_clients
FROM inv i LEFT JOIN firsts f USING (invoice_id)
GROUP BY ALL;

-- A timestamp of section 1 as an instant: with an offset (or Z) as written, else read in the
-- pipeline's timezone.
CREATE OR REPLACE MACRO instant(s, tz) AS
  CASE WHEN s IS NULL THEN NULL
       WHEN s ~ '.*(Z|[+-]\d\d:?\d\d)$' THEN s::TIMESTAMPTZ
       ELSE timezone(tz, s::TIMESTAMP) END;

-- Applications with their instants and the days they fall on in the pipeline's timezone.
CREATE OR REPLACE TEMP TABLE apps AS
WITH t AS (
  SELECT application_id, client_id, employee_id AS emp, decision, decided_by, requested_amount, currency,
         instant(received_at, p.tz) AS rec, instant(decided_at, p.tz) AS dec, instant(funded_at, p.tz) AS fund, p.tz
  FROM applications CROSS JOIN params p
)
SELECT *, timezone(tz, rec)::DATE AS rec_d, timezone(tz, dec)::DATE AS dec_d, timezone(tz, fund)::DATE AS fund_d
FROM t;

-- Application facts, one row per counted event (received, decided, funded), with the hours to
-- fund on the funded ones: quantiles are taken over these rows per group.
CREATE OR REPLACE TEMP TABLE app_facts AS
WITH l AS (SELECT *, epoch(fund) - epoch(rec) AS secs FROM apps)
SELECT plabel(rec_d) AS period, emp, 1 AS received, 0 AS decided, 0 AS approved, 0 AS funded, NULL::DOUBLE AS hours FROM l
UNION ALL
SELECT plabel(dec_d), emp, 0, 1, CASE WHEN decision = 'approved' THEN 1 ELSE 0 END, 0, NULL FROM l WHERE decision IN ('approved', 'rejected') AND dec IS NOT NULL
UNION ALL
SELECT plabel(fund_d), emp, 0, 0, 0, 1, secs / 3600.0 FROM l WHERE fund IS NOT NULL;

-- Decisions, credited to decided_by (applications without one count in none of these), with the
-- hours from received to decided (exact instants).
CREATE OR REPLACE TEMP TABLE decision_facts AS
SELECT plabel(dec_d) AS period, decided_by AS emp, (epoch_us(dec) - epoch_us(rec)) / 3600e6 AS hours
FROM apps
WHERE decided_by IS NOT NULL AND dec IS NOT NULL AND decision IN ('approved', 'rejected');

-- The invoices bought under an application approved by e mature on m_i = due + 90 days and are
-- credited to e then: face, and what was still unpaid on m_i (face - applied collections paid on or
-- before m_i, written off or not), in the invoice currency, converted and rounded like a balance.
CREATE OR REPLACE TEMP TABLE matured AS
WITH m AS (
  SELECT i.invoice_id, i.face, i.rate, a.decided_by AS emp, (i.due + INTERVAL 90 DAY)::DATE AS mat
  FROM inv i JOIN apps a ON a.application_id = i.application_id
  WHERE a.decision = 'approved' AND a.decided_by IS NOT NULL
), paid AS (
  SELECT m.invoice_id, sum(e.applied) AS applied
  FROM m JOIN events e ON e.invoice_id = m.invoice_id AND e.kind = 0 AND e.d <= m.mat
  GROUP BY ALL
)
SELECT plabel(m.mat) AS period, m.emp, round(m.face * m.rate, 2) AS matured_face,
       round((m.face - coalesce(p.applied, 0)) * m.rate, 2) AS defaulted
FROM m LEFT JOIN paid p USING (invoice_id);

CREATE OR REPLACE TEMP TABLE review_facts AS
SELECT plabel(reviewed_on::DATE) AS period, employee_id AS emp, source, score::DOUBLE AS score FROM reviews;

-- The additive parts of every metric per (period, credited entity), UNASSIGNED included.
CREATE OR REPLACE TEMP TABLE emp_sums AS
SELECT period, emp,
  sum(outstanding) AS outstanding, sum(overdue) AS overdue, sum(par30) AS par30, sum(par60) AS par60, sum(par90) AS par90,
  sum(br) AS br, sum(s) AS s, sum(er) AS er, sum(ecr) AS ecr, sum(c) AS c, sum(rcr_face) AS rcr_face,
  sum(rcr_collected) AS rcr_collected,
  sum(cash_collected) AS cash_collected, sum(written_off) AS written_off, sum(recoveries) AS recoveries,
  sum(fee_income) AS fee_income, sum(month_end_sum) AS month_end_sum,
  sum(received) AS received, sum(decided) AS decided, sum(approved) AS approved, sum(funded) AS funded,
  sum(funded_volume) AS funded_volume, sum(purchased_face) AS purchased_face, sum(new_clients) AS new_clients,
  sum(decisions) AS decisions, sum(matured_face) AS matured_face, sum(defaulted) AS defaulted
FROM (
  SELECT * FROM portfolio
  UNION ALL BY NAME SELECT * FROM flows
  UNION ALL BY NAME SELECT * FROM avg_out
  UNION ALL BY NAME SELECT period, emp, received, decided, approved, funded FROM app_facts
  UNION ALL BY NAME SELECT * FROM orig
  UNION ALL BY NAME SELECT period, emp, 1 AS decisions FROM decision_facts
  UNION ALL BY NAME SELECT * FROM matured
)
WHERE period IN (SELECT period FROM periods)
GROUP BY ALL;

-- Scorecard rows: every employee employed on a day of the period, org as of min(pe, termination).
CREATE OR REPLACE TEMP TABLE sc_rows AS
WITH emp AS (
  SELECT employee_id, name, hire_date::DATE AS hire, termination_date::DATE AS term,
         base_salary::DECIMAL(38, 2) AS base_salary FROM employees
), rows AS (
  SELECT e.employee_id, e.name, e.base_salary, m.period, m.pk, m.ps, m.pe, m.months_in_p, m.days_in_p,
         datediff('day', greatest(m.ps, e.hire), least(m.pe, coalesce(e.term, m.pe))) + 1 AS days_employed,
         least(m.pe, coalesce(e.term, m.pe)) AS as_of
  FROM emp e JOIN periods m ON e.hire <= m.pe AND (e.term IS NULL OR e.term >= m.ps)
), org AS (
  SELECT employee_id, valid_from::DATE AS valid_from, department, team, role, manager_id FROM org_history
)
SELECT r.*, o.department, o.team, o.role, o.manager_id
FROM rows r
ASOF LEFT JOIN org o ON o.employee_id = r.employee_id AND r.as_of >= o.valid_from;

-- Who counts where. A scorecard row counts for its employee, its team and its department (as shown
-- on the row); the company holds every credited entity with a fact in the period (employees without
-- a scorecard row that period and UNASSIGNED too), and a NULL member so that it always appears.
CREATE OR REPLACE TEMP TABLE members AS
SELECT 'employee' AS level, employee_id AS key, period, employee_id AS emp, true AS is_row FROM sc_rows
UNION ALL SELECT 'team', team, period, employee_id, true FROM sc_rows
UNION ALL SELECT 'department', department, period, employee_id, true FROM sc_rows
UNION ALL
SELECT 'company', 'company', period, emp, bool_or(is_row) FROM (
  SELECT period, employee_id AS emp, true AS is_row FROM sc_rows
  UNION ALL SELECT period, emp, false FROM emp_sums
  UNION ALL SELECT period, emp, false FROM review_facts WHERE period IN (SELECT period FROM periods)
  UNION ALL SELECT period, NULL, false FROM periods
) GROUP BY period, emp;

CREATE OR REPLACE TEMP TABLE group_sums AS
SELECT m.level, m.key, m.period, count(*) FILTER (WHERE m.is_row) AS employees,
  sum(outstanding) AS outstanding, sum(overdue) AS overdue, sum(par30) AS par30, sum(par60) AS par60, sum(par90) AS par90,
  sum(br) AS br, sum(s) AS s, sum(er) AS er, sum(ecr) AS ecr, sum(c) AS c, sum(rcr_face) AS rcr_face,
  sum(rcr_collected) AS rcr_collected,
  sum(cash_collected) AS cash_collected, sum(written_off) AS written_off, sum(recoveries) AS recoveries,
  sum(fee_income) AS fee_income, sum(month_end_sum) AS month_end_sum,
  sum(received) AS received, sum(decided) AS decided, sum(approved) AS approved, sum(funded) AS funded,
  sum(funded_volume) AS funded_volume, sum(purchased_face) AS purchased_face, sum(new_clients) AS new_clients,
  sum(decisions) AS decisions, sum(matured_face) AS matured_face, sum(defaulted) AS defaulted
FROM members m LEFT JOIN emp_sums s ON s.period = m.period AND s.emp = m.emp
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE group_funding AS
SELECT m.level, m.key, m.period,
       quantile_cont(a.hours, 0.5) AS time_to_fund_median_hours, quantile_cont(a.hours, 0.9) AS time_to_fund_p90_hours
FROM members m JOIN app_facts a ON a.period = m.period AND a.emp = m.emp
WHERE a.funded = 1
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE group_decisions AS
SELECT m.level, m.key, m.period, quantile_cont(d.hours, 0.5) AS decision_time_median_hours
FROM members m JOIN decision_facts d ON d.period = m.period AND d.emp = m.emp
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE group_reviews AS
SELECT m.level, m.key, m.period,
       avg(r.score) FILTER (WHERE r.source = 'customer') AS customer_satisfaction,
       avg(r.score) FILTER (WHERE r.source = 'peer') AS peer_review,
       avg(r.score) FILTER (WHERE r.source = 'manager') AS manager_review
FROM members m JOIN review_facts r ON r.period = m.period AND r.emp = m.emp
GROUP BY ALL;

-- Every section 3 metric, from the summed parts: one set of formulas for employees and groups.
CREATE OR REPLACE TEMP TABLE metric_values AS
WITH g AS (
  SELECT level, key, period, employees,
    coalesce(COLUMNS(* EXCLUDE (level, key, period, employees, received, decided, approved, funded, new_clients,
                                    decisions)), 0)::DECIMAL(38, 2),
    coalesce(COLUMNS(c -> c IN ('received', 'decided', 'approved', 'funded', 'new_clients', 'decisions')), 0)::BIGINT
  FROM group_sums
)
SELECT g.level, g.key, g.period, g.employees,
  outstanding, overdue, par30, par60, par90,
  overdue / nullif(outstanding, 0) AS overdue_rate, par30 / nullif(outstanding, 0) AS par30_rate,
  cash_collected, written_off, recoveries, fee_income,
  fee_income + recoveries - written_off AS profit_contribution,
  br + s - ecr AS collectible,
  c / nullif(br + s - ecr, 0) AS cash_recovery_rate,
  (br + s - er) / nullif(br + s - ecr, 0) AS collection_effectiveness,
  rcr_collected / nullif(rcr_face, 0) AS receivables_collection_rate,
  outstanding * days_in_p / nullif(s, 0) AS dso,
  (month_end_sum / (months_in_p + 1))::DOUBLE AS average_outstanding,
  written_off / nullif(month_end_sum / (months_in_p + 1), 0) AS bad_debt_rate,
  (written_off - recoveries) / nullif(month_end_sum / (months_in_p + 1), 0) AS net_loss_rate,
  received AS applications_received, decided AS applications_decided, approved AS applications_approved,
  approved / nullif(decided, 0) AS approval_rate,
  funded AS applications_funded,
  f.time_to_fund_median_hours, f.time_to_fund_p90_hours,
  funded_volume, purchased_face, new_clients,
  r.customer_satisfaction, r.peer_review, r.manager_review,
  decisions AS decisions_made, d.decision_time_median_hours,
  matured_face AS approved_matured_face, defaulted AS approved_defaulted,
  defaulted / nullif(matured_face, 0) AS approved_default_rate
FROM g JOIN periods p USING (period)
LEFT JOIN group_funding f USING (level, key, period)
LEFT JOIN group_reviews r USING (level, key, period)
LEFT JOIN group_decisions d USING (level, key, period);
