-- The rows that custom metrics (data contract 3.1) aggregate, one table per source table, in DuckDB
-- SQL. Runs after reference.sql, on its ledger tables (`inv`, `events`, `seg`, `asg`, `apps`, `fx`,
-- `periods`) and the canonical views. bench/reference_custom.py then runs each metric's aggregate,
-- with its filter as written by the user, over `cm_<table>`.
--
-- Each `cm_<table>` has two internal columns, `__period` (the label of the period the row's date
-- falls in) and `__emp` (who it is credited to), then what 3.1 says a metric and its filter see:
-- the table's canonical columns (section 1), typed, and its extra columns. Every money column is in
-- the base currency, converted and rounded to the cent per row as in section 2 (DECIMAL(38, 2));
-- `currency` keeps the original currency. collections, write_offs and fees carry the invoice as a
-- STRUCT column named `invoice`, so that `invoice.recourse` in a filter is DuckDB's own field access
-- (the filter text runs unchanged). Timestamps are TIMESTAMPTZ (reference.py sets the session time
-- zone to the pipeline's, so a DATE literal compared with one is midnight there).

-- A `bool` cell as factorscore reads one (true/t/1/yes/y, false/f/0/no/n, any case).
CREATE OR REPLACE MACRO as_bool(x) AS
  CASE WHEN lower(trim(x::VARCHAR)) IN ('true', 't', '1', 'yes', 'y') THEN true
       WHEN lower(trim(x::VARCHAR)) IN ('false', 'f', '0', 'no', 'n') THEN false END;

-- An amount in the invoice currency at the invoice's booking rate, rounded half away from zero.
CREATE OR REPLACE MACRO to_base(amount, rate) AS round(amount * rate, 2)::DECIMAL(38, 2);

-- Every invoice's canonical columns, money converted.
CREATE OR REPLACE TEMP TABLE cm_invoice AS
SELECT invoice_id::VARCHAR AS invoice_id, client_id::VARCHAR AS client_id, debtor_id::VARCHAR AS debtor_id,
       currency::VARCHAR AS currency, to_base(face, rate) AS face_amount, to_base(advance, rate) AS advance_amount,
       pd AS purchase_date, due AS due_date, originator_id::VARCHAR AS originator_id, as_bool(recourse) AS recourse,
       application_id::VARCHAR AS application_id
FROM inv;

-- invoices: dated by purchase_date, credited to the originator.
CREATE OR REPLACE TEMP TABLE cm_invoices AS
SELECT plabel(purchase_date) AS __period, originator_id AS __emp, * FROM cm_invoice;

-- collections: dated by paid_on, credited to the client's assignee that day; with the applied and
-- recovery parts of section 2 and the invoice.
CREATE OR REPLACE TEMP TABLE cm_collections AS
SELECT plabel(e.d) AS __period, owner(a.employee_id, a.valid_to, e.d) AS __emp,
       e.id::VARCHAR AS collection_id, e.invoice_id::VARCHAR AS invoice_id, e.d AS paid_on,
       to_base(e.amount, e.rate) AS amount, to_base(e.applied, e.rate) AS applied,
       CASE WHEN e.wo_before = 1 THEN to_base(e.amount - e.applied, e.rate) ELSE 0::DECIMAL(38, 2) END AS recovery,
       ci AS invoice
FROM events e JOIN cm_invoice ci USING (invoice_id)
ASOF LEFT JOIN asg a ON a.client_id = e.client_id AND e.d >= a.valid_from
WHERE e.kind = 0;

-- write_offs: dated by written_off_on, credited to the assignee that day; with the invoice.
CREATE OR REPLACE TEMP TABLE cm_write_offs AS
SELECT plabel(e.d) AS __period, owner(a.employee_id, a.valid_to, e.d) AS __emp,
       e.id::VARCHAR AS write_off_id, e.invoice_id::VARCHAR AS invoice_id, e.d AS written_off_on,
       to_base(e.amount, e.rate) AS amount, ci AS invoice
FROM events e JOIN cm_invoice ci USING (invoice_id)
ASOF LEFT JOIN asg a ON a.client_id = e.client_id AND e.d >= a.valid_from
WHERE e.kind = 1;

-- fees: dated by booked_on, credited to the assignee that day; with the invoice.
CREATE OR REPLACE TEMP TABLE cm_fees AS
WITH f AS (
  SELECT f.fee_id::VARCHAR AS fee_id, f.invoice_id::VARCHAR AS invoice_id, f.booked_on::DATE AS booked_on,
         to_base(f.amount::DECIMAL(18, 2), i.rate) AS amount, i.client_id, ci AS invoice
  FROM fees f JOIN inv i USING (invoice_id) JOIN cm_invoice ci USING (invoice_id)
)
SELECT plabel(f.booked_on) AS __period, owner(a.employee_id, a.valid_to, f.booked_on) AS __emp,
       f.fee_id, f.invoice_id, f.booked_on, f.amount, f.invoice
FROM f ASOF LEFT JOIN asg a ON a.client_id = f.client_id AND f.booked_on >= a.valid_from;

-- applications: dated by the received date, credited to employee_id; the requested amount at the
-- latest rate on or before the received date.
CREATE OR REPLACE TEMP TABLE cm_applications AS
SELECT plabel(x.rec_d) AS __period, x.emp AS __emp,
       x.application_id::VARCHAR AS application_id, x.client_id::VARCHAR AS client_id, x.emp::VARCHAR AS employee_id,
       x.rec AS received_at, x.dec AS decided_at, x.decision::VARCHAR AS decision, x.fund AS funded_at,
       round(x.requested_amount::DECIMAL(18, 2) * CASE WHEN x.currency = p.base THEN 1::DECIMAL(20, 10) ELSE f.rate END,
             2)::DECIMAL(38, 2) AS requested_amount,
       x.currency::VARCHAR AS currency, x.decided_by::VARCHAR AS decided_by
FROM apps x CROSS JOIN params p
ASOF LEFT JOIN fx f ON f.currency = x.currency AND x.rec_d >= f.rate_date;

-- reviews: dated by reviewed_on, credited to employee_id.
CREATE OR REPLACE TEMP TABLE cm_reviews AS
SELECT plabel(reviewed_on::DATE) AS __period, employee_id::VARCHAR AS __emp,
       employee_id::VARCHAR AS employee_id, reviewed_on::DATE AS reviewed_on, source::VARCHAR AS source,
       score::DOUBLE AS score
FROM reviews;

-- balances: each invoice with bal_i(pe) > 0 at the end of each computed period, credited to the
-- assignee on pe, with its balance and days past due then, and the invoice's own columns.
CREATE OR REPLACE TEMP TABLE cm_balances AS
SELECT m.period AS __period, owner(a.employee_id, a.valid_to, m.pe) AS __emp, ci.*,
       to_base(s.bal, i.rate) AS balance,
       (CASE WHEN m.pe > i.due THEN datediff('day', i.due, m.pe) ELSE 0 END)::BIGINT AS days_past_due
FROM periods m
JOIN seg s ON s.from_d <= m.pe AND (s.to_d IS NULL OR m.pe < s.to_d)
JOIN inv i USING (invoice_id)
JOIN cm_invoice ci USING (invoice_id)
ASOF LEFT JOIN asg a ON a.client_id = i.client_id AND m.pe >= a.valid_from
WHERE s.bal > 0;

-- Derived metrics (3.1): any null operand gives null, in least and greatest too (DuckDB's own skip
-- nulls), and in nullif's second operand; reference_custom.py passes least/greatest a list.
CREATE OR REPLACE MACRO c_least(l) AS CASE WHEN list_count(l) < len(l) THEN NULL ELSE list_min(l) END;
CREATE OR REPLACE MACRO c_greatest(l) AS CASE WHEN list_count(l) < len(l) THEN NULL ELSE list_max(l) END;
CREATE OR REPLACE MACRO c_nullif(a, b) AS CASE WHEN b IS NULL THEN NULL ELSE nullif(a, b) END;
