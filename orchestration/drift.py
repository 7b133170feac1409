"""Night-over-night drift: the build against the last published night (the served file).

Figures: customers, buyers, net revenue, cost to serve and accepted rows per contract table.
A figure whose relative change exceeds its threshold (config/drift_thresholds.csv) is a
breach; breaches fail the audit unless an operator accepts them with a reason.
"""

import csv
from decimal import Decimal
from pathlib import Path

from tiering import db
from tiering.db import sql_string
from tiering.landing import DUCKDB_DEFAULTS
from tiering.settings import DRIFT_THRESHOLDS_FILE


def load_thresholds(path: Path = DRIFT_THRESHOLDS_FILE) -> dict[str, Decimal]:
    with path.open() as f:
        return {row["metric"]: Decimal(row["max_relative_change"]) for row in csv.DictReader(f)}


def _table(con, name: str) -> str:
    """A mart by name in the build (schema main; a table or a view) or in the served file (schema by domain)."""
    schema = con.execute(
        "select table_schema from information_schema.tables where table_name = ? and table_catalog = 'night' "
        "order by table_schema = 'main' limit 1",
        [name],
    ).fetchone()
    if schema is None:
        raise LookupError(f"{name} is missing")
    return f"night.{schema[0]}.{name}"


def figures(database: Path, duckdb_config: dict = DUCKDB_DEFAULTS) -> dict[str, Decimal]:
    """Attached, not opened: a reader in this process may hold the served file open already."""
    with db.connect(config=duckdb_config) as con:
        con.execute(f"attach {sql_string(database)} as night (read_only)")
        value, pnl, recon = (_table(con, t) for t in ("customer_value", "company_pnl", "landing_reconciliation"))
        customers, buyers = con.sql(f"select count(*), count(*) filter (where is_buyer) from {value}").fetchone()
        amounts = dict(
            con.sql(
                f"select line_item, amount from {pnl} where line_item in ('net_revenue', 'cost_to_serve') "
                "and activity is null"
            ).fetchall()
        )
        accepted = con.sql(f"select table_name, rows_accepted from {recon} order by table_name").fetchall()
    out = {
        "customers": Decimal(customers),
        "buyers": Decimal(buyers),
        "net_revenue": amounts.get("net_revenue", Decimal(0)),
        "cost_to_serve": amounts.get("cost_to_serve", Decimal(0)),
    }
    out.update({f"accepted_rows.{table}": Decimal(rows) for table, rows in accepted})
    return out


def relative_change(previous: Decimal, current: Decimal) -> Decimal | None:
    """|current - previous| / |previous|; None (unbounded) when only the previous figure is zero."""
    if previous == 0:
        return Decimal(0) if current == 0 else None
    return abs(current - previous) / abs(previous)


def breaches(current: dict, previous: dict, thresholds: dict[str, Decimal]) -> list[dict]:
    out = []
    for metric in sorted(set(current) | set(previous)):
        limit = thresholds[metric.split(".")[0]]
        before, now = previous.get(metric, Decimal(0)), current.get(metric, Decimal(0))
        change = relative_change(before, now)
        if change is None or change > limit:
            out.append(
                {
                    "metric": metric,
                    "served": str(before),
                    "build": str(now),
                    "change": "unbounded" if change is None else f"{change:.4f}",
                    "limit": str(limit),
                }
            )
    return out


def describe(breach: dict) -> str:
    change = breach["change"] if breach["change"] == "unbounded" else f"{Decimal(breach['change']):.1%}"
    return (
        f"drift {breach['metric']}: served {breach['served']} -> build {breach['build']} "
        f"(change {change}, limit {Decimal(breach['limit']):.0%})"
    )


def check(build_file: Path, served_file: Path, served_as_of: str | None, duckdb_config: dict = DUCKDB_DEFAULTS) -> dict:
    """The drift section of the audit verdict; no served file yet, no comparison."""
    if not served_file.exists():
        return {"compared_with": None, "breaches": []}
    found = breaches(figures(build_file, duckdb_config), figures(served_file, duckdb_config), load_thresholds())
    return {"compared_with": served_as_of, "breaches": found}
