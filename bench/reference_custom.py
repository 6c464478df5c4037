"""Custom metrics (data contract 3.1) for the DuckDB SQL reference: reads a pipeline's `metrics`
list and runs it in DuckDB over the rows bench/reference_custom.sql builds.

* An aggregate runs `SELECT <agg>(<column>) FROM cm_<table> WHERE <filter>` with the filter text as
  the user wrote it (DuckDB parses and evaluates it), per employee (the scorecard rows), team and
  department (over the union of their members' rows, as `members` of reference.sql says) and company
  (every row of the period, whoever it is credited to).
* A derived metric's `expr` is rewritten token by token only where DuckDB's SQL differs from the
  contract: names are quoted, `lag(name)` reads the same row key's value in the previous period,
  `least`/`greatest` give null on any null operand, `nullif` too on a null second operand, and
  division by zero gives null (`SET ieee_floating_point_ops = false` while they are evaluated).
  Every operand is read as DOUBLE.
The custom columns are then appended to `metric_values`, in the order declared.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = ("invoices", "collections", "write_offs", "fees", "applications", "reviews", "balances")
AGGS = ("sum", "count", "count_distinct", "mean", "min", "max", "median", "quantile")
FUNCTIONS = ("nullif", "coalesce", "abs", "least", "greatest", "lag")
TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                   r"|(?P<op>[-+*/(),]))")


def die(msg):
    sys.exit(f"reference: {msg}")


def tokens(expr):
    """The expression's tokens as (kind, text)."""
    out, pos = [], 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = TOKEN.match(expr, pos)
        if not m:
            die(f"cannot read the expression {expr!r} at {expr[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class Derived:
    """A derived metric: its SQL for DuckDB, and the metrics it reads (now and one period back)."""

    def __init__(self, name, expr):
        self.name = name
        self.expr = expr
        self.refs, self.lags = [], []
        sql, stack = [], []
        toks = tokens(expr)
        i = 0
        while i < len(toks):
            kind, text = toks[i]
            nxt = toks[i + 1][1] if i + 1 < len(toks) else None
            if kind == "name" and nxt == "(":
                fn = text.lower()
                if fn not in FUNCTIONS:
                    die(f"metric {name}: unknown function {text} in {expr!r}")
                if fn == "lag":
                    if len(toks) <= i + 3 or toks[i + 2][0] != "name" or toks[i + 3][1] != ")":
                        die(f"metric {name}: lag takes one metric name, in {expr!r}")
                    ref = toks[i + 2][1].lower()
                    self.lags.append(ref)
                    sql.append(f'"lag:{ref}"')
                    i += 4
                    continue
                if fn in ("least", "greatest"):
                    sql.append(f"c_{fn}([")
                    stack.append("])")
                elif fn == "nullif":
                    sql.append("c_nullif(")
                    stack.append(")")
                else:
                    sql.append(f"{fn}(")
                    stack.append(")")
                i += 2
                continue
            if kind == "name":
                self.refs.append(text.lower())
                sql.append(f'"{text.lower()}"')
            elif kind == "num":
                sql.append(text)
            elif text == "(":
                sql.append("(")
                stack.append(")")
            elif text == ")":
                if not stack:
                    die(f"metric {name}: unbalanced parentheses in {expr!r}")
                sql.append(stack.pop())
            else:
                sql.append(f" {text} ")
            i += 1
        if stack:
            die(f"metric {name}: unbalanced parentheses in {expr!r}")
        self.sql = "".join(sql)


def parse(pipeline):
    """The pipeline's custom metrics, in declared order: dicts for aggregates, Derived for the rest."""
    out = []
    for m in pipeline.get("metrics") or []:
        name = str(m["name"])
        if "expr" in m:
            out.append(Derived(name, str(m["expr"])))
        else:
            if m["table"] not in TABLES:
                die(f"metric {name}: table {m['table']} is not one of {', '.join(TABLES)}")
            if m["agg"] not in AGGS:
                die(f"metric {name}: agg {m['agg']} is not one of {', '.join(AGGS)}")
            out.append(dict(m, name=name))
    return out


def lag_depth(metrics):
    """How many periods before a period its custom metrics look back (lag of lag counts twice)."""
    derived = {m.name: m for m in metrics if isinstance(m, Derived)}
    depth = {}

    def d(name, seen=()):
        if name not in derived:
            return 0
        if name in seen:
            die(f"metric {name}: its definition is a cycle")
        if name not in depth:
            m = derived[name]
            depth[name] = max([d(r, seen + (name,)) for r in m.refs]
                              + [d(r, seen + (name,)) + 1 for r in m.lags] + [0])
        return depth[name]

    return max([d(n) for n in derived] + [0])


def aggregate_sql(con, m):
    """The SELECT giving (level, key, period, value) of one aggregate metric, and its empty value."""
    table, agg = f"cm_{m['table']}", m["agg"]
    column = m.get("column")
    if column is None and agg != "count":
        die(f"metric {m['name']}: agg {agg} needs a column")
    value = "1" if column is None else str(column)
    where = f"WHERE ({m['filter']})" if m.get("filter") is not None else ""
    typ = con.execute(f"DESCRIBE SELECT {value} AS v FROM {table}").fetchone()[1]
    money = typ.startswith("DECIMAL")
    if agg == "count":
        expr, empty = ("count(*)" if column is None else "count(v)"), "0::BIGINT"
    elif agg == "count_distinct":
        expr, empty = "count(DISTINCT v)", "0::BIGINT"
    elif agg == "sum":
        expr, empty = ("sum(v)::DECIMAL(38, 2)", "0::DECIMAL(38, 2)") if money else ("sum(v::DOUBLE)", "0::DOUBLE")
    elif agg in ("min", "max"):
        expr, empty = (f"{agg}(v)::DECIMAL(38, 2)" if money else f"{agg}(v::DOUBLE)"), None
    elif agg == "mean":
        expr, empty = ("avg(v)::DOUBLE" if money else "avg(v::DOUBLE)"), None
    elif agg == "median":
        expr, empty = "quantile_cont(v::DOUBLE, 0.5)", None
    else:
        q = m.get("q")
        if q is None:
            die(f"metric {m['name']}: quantile needs q")
        expr, empty = f"quantile_cont(v::DOUBLE, {q})", None
    sql = f"""
      WITH r AS (SELECT __period AS period, __emp AS emp, {value} AS v FROM {table} {where}),
      g AS (
        SELECT m.level, m.key, r.period, r.v FROM r JOIN members m ON m.period = r.period AND m.emp = r.emp
        WHERE m.level <> 'company'
        UNION ALL
        SELECT 'company', 'company', period, v FROM r WHERE period IN (SELECT period FROM periods)
      )
      SELECT level, key, period, {expr} AS v FROM g GROUP BY ALL"""
    return sql, empty


def run(con, metrics):
    """Appends the custom metrics' columns to `metric_values` (reference.sql's), in declared order."""
    con.execute(open(os.path.join(HERE, "reference_custom.sql")).read())
    builtin = [r[0] for r in con.execute("DESCRIBE metric_values").fetchall()
               if r[0] not in ("level", "key", "period", "employees")]
    names = builtin + [m.name if isinstance(m, Derived) else m["name"] for m in metrics]
    if len(set(names)) != len(names):
        die("a custom metric's name repeats a metric's name")
    con.execute("CREATE OR REPLACE TEMP TABLE cm_wide AS SELECT v.*, p.pk FROM metric_values v JOIN periods p USING (period)")
    for m in metrics:
        if isinstance(m, Derived):
            continue
        sql, empty = aggregate_sql(con, m)
        value = "a.v" if empty is None else f"coalesce(a.v, {empty})"
        con.execute(f'CREATE OR REPLACE TEMP TABLE cm_next AS SELECT w.*, {value} AS "{m["name"]}" '
                    f"FROM cm_wide w LEFT JOIN ({sql}) a USING (level, key, period)")
        con.execute("CREATE OR REPLACE TEMP TABLE cm_wide AS SELECT * FROM cm_next")
    done = set(names) - {m.name for m in metrics if isinstance(m, Derived)}
    pending = [m for m in metrics if isinstance(m, Derived)]
    con.execute("SET ieee_floating_point_ops = false")
    while pending:
        ready = [m for m in pending if all(r in done for r in m.refs + m.lags)]
        if not ready:
            unknown = sorted({r for m in pending for r in m.refs + m.lags if r not in names})
            die(f"unknown metric {unknown[0]}" if unknown else
                f"derived metrics {', '.join(m.name for m in pending)} depend on each other in a cycle")
        for m in ready:
            evaluate(con, m, sorted(done))
            done.add(m.name)
            pending.remove(m)
    con.execute("RESET ieee_floating_point_ops")
    cols = ", ".join(f'"{n}"' for n in names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE metric_values AS SELECT level, key, period, employees, {cols} FROM cm_wide")


def evaluate(con, m, known):
    """Adds derived metric m's column to cm_wide: its expression over the row's values as DOUBLE,
    `lag:<name>` being the same (level, key)'s value in the previous period (null without a row)."""
    current = ", ".join(f'v."{n}"::DOUBLE AS "{n}"' for n in known)
    lags = "".join(f', p."{n}"::DOUBLE AS "lag:{n}"' for n in sorted(set(m.lags)))
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE cm_next AS
      SELECT w.*, d.val AS "{m.name}"
      FROM cm_wide w JOIN (
        SELECT level, key, period, ({m.sql})::DOUBLE AS val
        FROM (SELECT v.level, v.key, v.period, {current}{lags}
              FROM cm_wide v LEFT JOIN cm_wide p ON p.level = v.level AND p.key = v.key AND p.pk = v.pk - 1)
      ) d USING (level, key, period)""")
    con.execute("CREATE OR REPLACE TEMP TABLE cm_wide AS SELECT * FROM cm_next")
