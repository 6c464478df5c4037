-- factorscore's scores (data contract, section 5) and rollups (section 4) in DuckDB SQL.
-- Runs after reference.sql (and bench/reference_custom.sql with the custom metrics' columns, when
-- the pipeline declares some), on their tables `periods`, `sc_rows`, `members` and `metric_values`,
-- with the `targets` and `adjustments` views and the plan tables that reference.py loads from the
-- pipeline's `plans`:
--   plans(plan, role, valid_from DATE, valid_to DATE (last day of valid_to's month, NULL = open),
--         cg_department, cg_team, cg_role, cg_manager BOOLEAN, swing_threshold DOUBLE,
--         bonus_pool HUGEINT (cents, NULL = no pool))
--   plan_kpis(plan, ord, metric, weight, perspective, direction, threshold, target, stretch)
--   plan_grades(plan, ord, grade, min DOUBLE (NULL on the last), multiplier DECIMAL(18, 4),
--               multiplier_units HUGEINT (the multiplier in 1/10000))
-- Writes `out_scorecards`, `out_kpi_scores` and `out_rollups`, for every computed period (the caller
-- keeps the window's).
--
-- Readings of the contract where it leaves room (the project's decisions):
-- * a row's plan: the plan of its role (org as of the org date) with pe in [first day of valid_from,
--   last day of valid_to]; none = not rated (no kpi_scores rows, null scores, flag false, bonus 0);
-- * targets: only rows whose label equals the row's period (so a month run never sees `2026-Q4`);
--   precedence employee > department_role > role > department > company > plan; a missing
--   threshold / stretch on the chosen row comes from the plan's KPI;
-- * grade bands and the swing threshold are met within 1e-9, so float noise never moves them;
-- * calibration groups compare NULL manager_id (or any NULL column) as equal, as GROUP BY does;
--   a group of one has null percentile and z-score, and a zero sample deviation a null z-score;
--   composites within 1e-9 are equal there (ties in the rank, zero deviation), like the grade bands:
--   two composites that are equal in exact arithmetic may differ in their last bit as floats;
-- * review_flag compares with the employee's composite of the previous period whatever plan scored
--   it (the contract says "the employee's composite"), using the current row's swing_threshold;
-- * bonus: salary x months x multiplier x days employed / days in p, exact, one rounding half away
--   from zero; 0 when not rated or the composite is null (a D with multiplier 0 gives 0 too);
-- * bonus pool: per plan and period, when the plan's rows' bonuses sum to S > pool B, each becomes
--   floor(b * B / S) cents, and the B - sum(floors) cents left go one each to the rows ranked first
--   by the remainder (b * B) mod S descending, then employee_id ascending (VARCHAR order: bytes);
-- * rollups: `rated` counts rows with a plan in force, scored or not (composite may be null).

-- Section 3 (and the custom metrics) per scorecard row (every computed period, the ones before the
-- window included).
CREATE OR REPLACE TEMP TABLE reference_scorecards AS
SELECT r.employee_id, r.name AS employee_name, r.period, r.ps AS period_start, r.pe AS period_end,
  r.department, r.team, r.role, r.manager_id, r.days_employed::BIGINT AS days_employed,
  v.* EXCLUDE (level, key, period, employees)
FROM sc_rows r JOIN metric_values v ON v.level = 'employee' AND v.key = r.employee_id AND v.period = r.period
ORDER BY r.period, r.employee_id;

-- d(x, y) of 5.2: how far x is on the good side of y.
CREATE OR REPLACE MACRO better_by(dir, x, y) AS CASE WHEN dir = 'higher' THEN x - y ELSE y - x END;

-- The plan of each scorecard row: its role's plan in force on the period end.
CREATE OR REPLACE TEMP TABLE rated AS
SELECT r.employee_id, r.period, r.pk, r.department, r.team, r.role, r.manager_id, p.plan, p.swing_threshold,
       CASE WHEN p.cg_department THEN r.department END AS g_department,
       CASE WHEN p.cg_team THEN r.team END AS g_team,
       CASE WHEN p.cg_role THEN r.role END AS g_role,
       CASE WHEN p.cg_manager THEN r.manager_id END AS g_manager
FROM sc_rows r JOIN plans p
  ON p.role = r.role AND r.pe >= p.valid_from AND (p.valid_to IS NULL OR r.pe <= p.valid_to);

-- Raw actuals: every metric (section 3 and custom) of every scorecard row, as DOUBLE, one row per metric.
CREATE OR REPLACE TEMP TABLE metric_wide AS
SELECT employee_id, period,
       COLUMNS(* EXCLUDE (employee_id, employee_name, period, period_start, period_end, department, team, role,
                          manager_id, days_employed))::DOUBLE
FROM reference_scorecards;

-- (null values are left out: the KPI rows join it with a LEFT JOIN, which gives them back as null)
CREATE OR REPLACE TEMP TABLE metric_long AS
UNPIVOT metric_wide ON COLUMNS(* EXCLUDE (employee_id, period)) INTO NAME metric VALUE raw_actual;

CREATE OR REPLACE TEMP TABLE tgt AS
SELECT period, metric, target::DOUBLE AS target, threshold::DOUBLE AS threshold, stretch::DOUBLE AS stretch,
       employee_id, role, department
FROM targets;

CREATE OR REPLACE TEMP TABLE kpi AS
WITH k AS (
  SELECT r.employee_id, r.period, r.department, r.role, r.plan, k.ord, k.metric, k.perspective, k.direction,
         k.weight, k.threshold AS p_threshold, k.target AS p_target, k.stretch AS p_stretch
  FROM rated r JOIN plan_kpis k USING (plan)
), cand AS (
  -- every targets row that applies to the row, with its level of precedence (1 = most specific)
  SELECT k.employee_id, k.period, k.metric, t.target, t.threshold, t.stretch,
         CASE WHEN t.employee_id IS NOT NULL THEN 1
              WHEN t.department IS NOT NULL AND t.role IS NOT NULL THEN 2
              WHEN t.role IS NOT NULL THEN 3
              WHEN t.department IS NOT NULL THEN 4
              ELSE 5 END AS lvl
  FROM k JOIN tgt t ON t.period = k.period AND t.metric = k.metric
   AND (t.employee_id = k.employee_id
        OR (t.employee_id IS NULL AND (t.department IS NULL OR t.department = k.department)
            AND (t.role IS NULL OR t.role = k.role)))
), best AS (
  SELECT employee_id, period, metric, arg_min({'target': target, 'threshold': threshold, 'stretch': stretch, 'lvl': lvl}, lvl) AS b FROM cand GROUP BY ALL
), a AS (
  SELECT k.*, m.raw_actual,
         adj.value::DOUBLE AS adj_value, adj.reason AS adjustment_reason, adj.approved_by,
         coalesce(b.b.target, k.p_target) AS target,
         coalesce(b.b.threshold, k.p_threshold) AS threshold,
         coalesce(b.b.stretch, k.p_stretch) AS stretch,
         CASE b.b.lvl WHEN 1 THEN 'employee' WHEN 2 THEN 'department_role' WHEN 3 THEN 'role'
                      WHEN 4 THEN 'department' WHEN 5 THEN 'company' ELSE 'plan' END AS target_source,
         adj.employee_id IS NOT NULL AS adjusted
  FROM k
  LEFT JOIN metric_long m USING (employee_id, period, metric)
  LEFT JOIN best b USING (employee_id, period, metric)
  LEFT JOIN adjustments adj ON adj.employee_id = k.employee_id AND adj.period = k.period AND adj.metric = k.metric
), s AS (
  SELECT *, CASE WHEN adjusted THEN adj_value ELSE raw_actual END AS actual FROM a
), sc AS (
  SELECT *,
    CASE WHEN actual IS NULL THEN NULL
         WHEN better_by(direction, actual, threshold) <= 0 THEN 0
         WHEN better_by(direction, actual, target) < 0
           THEN 100 * better_by(direction, actual, threshold) / better_by(direction, target, threshold)
         WHEN better_by(direction, actual, stretch) < 0
           THEN 100 + 20 * better_by(direction, actual, target) / better_by(direction, stretch, target)
         ELSE 120 END::DOUBLE AS score
  FROM s
), w AS (
  SELECT *, CASE WHEN score IS NULL THEN 0
                 ELSE weight / sum(weight) FILTER (WHERE score IS NOT NULL) OVER (PARTITION BY employee_id, period) END AS effective_weight
  FROM sc
)
SELECT *, CASE WHEN score IS NULL THEN 0 ELSE effective_weight * score END AS weighted_score FROM w;

-- Composite, grade, bonus inputs.
CREATE OR REPLACE TEMP TABLE row_scores AS
WITH c AS (
  SELECT employee_id, period,
         CASE WHEN count(score) > 0 THEN fsum(weighted_score) END AS composite_score,
         bool_or(adjusted) AS any_adjusted
  FROM kpi GROUP BY ALL
), g AS (
  SELECT r.*, c.composite_score, coalesce(c.any_adjusted, false) AS any_adjusted,
         (SELECT arg_min({'grade': gr.grade, 'multiplier_units': gr.multiplier_units}, gr.ord) FROM plan_grades gr
          WHERE gr.plan = r.plan AND (gr.min IS NULL OR c.composite_score >= gr.min - 1e-9)) AS band
  FROM rated r LEFT JOIN c USING (employee_id, period)
)
SELECT * EXCLUDE (band),
       CASE WHEN composite_score IS NOT NULL THEN band.grade END AS grade,
       CASE WHEN composite_score IS NOT NULL THEN band.multiplier_units END AS multiplier_units
FROM g;

-- Calibration: same period, plan and calibration-group values, non-null composite. Composites within
-- 1e-9 of each other count as equal (as in the grade bands), so that float noise in the sums never
-- splits a tie: r - 1 = the members lower by 1e-9 or more; the deviation is 0 when all are within 1e-9.
CREATE OR REPLACE TEMP TABLE calibration AS
SELECT employee_id, period,
       CASE WHEN n >= 2 THEN lower_n / (n - 1) END AS percentile_in_group,
       CASE WHEN n >= 2 AND hi - lo >= 1e-9 THEN (composite_score - mean) / sd END AS zscore_in_group
FROM (
  SELECT employee_id, period, composite_score,
         count(*) OVER w AS n,
         count(*) OVER (w ORDER BY composite_score RANGE BETWEEN UNBOUNDED PRECEDING AND 1e-9 PRECEDING) AS lower_n,
         avg(composite_score) OVER w AS mean, stddev_samp(composite_score) OVER w AS sd,
         min(composite_score) OVER w AS lo, max(composite_score) OVER w AS hi
  FROM row_scores
  WHERE composite_score IS NOT NULL
  WINDOW w AS (PARTITION BY period, plan, g_department, g_team, g_role, g_manager)
);

-- The scorecards: section 3 plus the scores. Bonus in exact integer arithmetic: salary in cents x
-- multiplier in 1/10000 x months x days employed, over days in p x 10000, rounded half away from zero
-- (bonus_uncapped); then scaled to the plan's pool where the plan's bonuses of the period exceed it.
CREATE OR REPLACE TEMP TABLE out_scorecards AS
WITH b AS (
  SELECT s.employee_id, s.period, rs.plan, rs.composite_score, rs.grade, rs.swing_threshold, rs.any_adjusted,
         prev.composite_score AS prev_composite, pl.bonus_pool AS pool,
         (s.base_salary * 100)::HUGEINT * rs.multiplier_units * s.months_in_p * s.days_employed AS num,
         s.days_in_p::HUGEINT * 10000 AS den
  FROM sc_rows s
  LEFT JOIN row_scores rs USING (employee_id, period)
  LEFT JOIN plans pl ON pl.plan = rs.plan
  LEFT JOIN sc_rows sp ON sp.employee_id = s.employee_id AND sp.pk = s.pk - 1
  LEFT JOIN row_scores prev ON prev.employee_id = sp.employee_id AND prev.period = sp.period
), u AS (
  SELECT *, (CASE WHEN num IS NULL THEN 0
                  ELSE sign(num) * ((2 * abs(num) + den) // (2 * den)) END)::HUGEINT AS uncapped
  FROM b
), s AS (
  -- S: the plan's bonuses of the period; the pool binds when S > B
  SELECT *, sum(uncapped) OVER (PARTITION BY period, plan)::HUGEINT AS plan_total FROM u
), c AS (
  SELECT *, CASE WHEN pool IS NOT NULL AND plan_total > pool THEN uncapped * pool // plan_total END AS cut,
            CASE WHEN pool IS NOT NULL AND plan_total > pool THEN uncapped * pool % plan_total END AS lost
  FROM s
), r AS (
  SELECT *, pool - sum(cut) OVER (PARTITION BY period, plan) AS cents_left,
            row_number() OVER (PARTITION BY period, plan ORDER BY lost DESC, employee_id ASC) AS place
  FROM c
)
SELECT sc.*,
       r.composite_score, r.grade, cal.percentile_in_group, cal.zscore_in_group,
       CASE WHEN r.plan IS NULL THEN false
            ELSE r.any_adjusted OR coalesce(abs(r.composite_score - r.prev_composite) >= r.swing_threshold - 1e-9, false)
       END AS review_flag,
       r.uncapped::DECIMAL(38, 0) * 0.01::DECIMAL(3, 2) AS bonus_uncapped,
       (CASE WHEN r.cut IS NULL THEN r.uncapped
             ELSE r.cut + CASE WHEN r.place <= r.cents_left THEN 1 ELSE 0 END END)::DECIMAL(38, 0) * 0.01::DECIMAL(3, 2) AS bonus,
       r.pool::DECIMAL(38, 0) * 0.01::DECIMAL(3, 2) AS bonus_pool
FROM reference_scorecards sc
JOIN r USING (employee_id, period)
LEFT JOIN calibration cal USING (employee_id, period);

CREATE OR REPLACE TEMP TABLE out_kpi_scores AS
SELECT employee_id, period, plan, metric, perspective, direction, raw_actual, actual, adjusted,
       adjustment_reason, approved_by, target, threshold, stretch, target_source, weight, effective_weight,
       score, weighted_score
FROM kpi ORDER BY period, employee_id, ord;

-- Rollups: the group metrics of reference.sql with the count of rated rows.
CREATE OR REPLACE TEMP TABLE out_rollups AS
WITH rated_count AS (
  SELECT m.level, m.key, m.period, count(*) AS rated
  FROM members m JOIN rated r ON r.employee_id = m.emp AND r.period = m.period
  WHERE m.is_row GROUP BY ALL
)
SELECT v.level, v.key, v.period, v.employees::BIGINT AS employees, coalesce(rc.rated, 0)::BIGINT AS rated,
       v.* EXCLUDE (level, key, period, employees)
FROM metric_values v LEFT JOIN rated_count rc USING (level, key, period)
WHERE v.level <> 'employee'
ORDER BY v.period, v.level, v.key;
