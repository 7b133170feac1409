"""One more day of deliveries for an existing landing zone (the nightly increment).

The new day repeats the previous day's activity under new keys, dated one day later, adds a
few new prospects, and corrects some earlier keys (late cancellations, payments), so it has
the shape of a real daily delivery: one new file per table.
"""

import tempfile
from datetime import date, timedelta
from pathlib import Path

import duckdb

from tiering.contract import TABLES
from tiering.settings import duckdb_config


def typed_columns(table: str) -> str:
    """The columns every file of `table` carries, cast to their contract types."""
    return ", ".join(
        c.name if c.data_type == "text" else f"try_cast({c.name} as {c.duckdb_type}) as {c.name}"
        for c in TABLES[table].columns
        if not c.optional
    )


def _current(con, landing: Path, table: str, candidates: str = "true") -> str:
    """The latest delivered version of each key, typed, as a SQL view name; only keys with a
    version matching `candidates` (a filter on the delivered rows), so large landing zones
    de-duplicate the few keys the new day needs, not every key."""
    key = ", ".join(TABLES[table].key)
    parts = [
        f"select * from read_{kind}('{landing / table}/*.{kind}', filename = true{opt})"
        for kind, opt in (("parquet", ""), ("csv", ", all_varchar = true"))
        if list((landing / table).glob(f"*.{kind}"))
    ]
    con.execute(f"create or replace temp view raw_{table} as {' union all by name '.join(parts)}")
    con.execute(f"""create or replace temp view cur_{table} as
        select {typed_columns(table)} from raw_{table}
        where {" and ".join(f"try_cast({k} as varchar) is not null" for k in TABLES[table].key)}
          and ({key}) in (select {key} from raw_{table} where {candidates})
        qualify row_number() over (partition by {key} order by filename desc) = 1""")
    return f"cur_{table}"


def append_day(landing: Path, day: date) -> dict[str, int]:
    prev, tag = day - timedelta(days=1), day.strftime("%Y%m%d")
    with (
        tempfile.TemporaryDirectory() as spill,
        duckdb.connect(config={**duckdb_config(), "temp_directory": spill, "preserve_insertion_order": False}) as con,
    ):
        con.execute("set enable_progress_bar = false")
        return _append(con, landing, day, prev, tag)


def _append(con, landing: Path, day: date, prev: date, tag: str) -> dict[str, int]:
    # candidates on the key hash select those keys outright (about 0.1% new prospects, 5% of invoices)
    _current(con, landing, "customers", "hash(customer_id) % 1000 = 7")
    _current(con, landing, "orders", f"try_cast(order_ts as timestamp)::date > date '{prev}' - 30")
    _current(
        con,
        landing,
        "order_lines",
        f"order_id in (select order_id from cur_orders where order_ts::date = date '{prev}')",
    )
    _current(con, landing, "service_events", f"try_cast(event_ts as timestamp)::date = date '{prev}'")
    _current(con, landing, "invoices", "hash(invoice_id) % 20 = 0")
    queries = {
        "customers": f"""select 'N{tag}' || customer_id as customer_id, customer_name, segment, region, date '{day}' as created_date
                         from cur_customers""",
        "orders": f"""select 'N{tag}' || order_id as order_id, customer_id, order_ts + interval 1 day as order_ts, channel, status
                      from cur_orders where order_ts::date = date '{prev}'
                      union all
                      select order_id, customer_id, order_ts, channel, 'cancelled' from cur_orders
                      where status = 'completed' and order_ts::date > date '{prev}' - 30 and hash(order_id) % 200 = 0""",
        "order_lines": f"""select 'N{tag}' || l.order_id as order_id, l.line_number, l.product_id, l.quantity, l.unit_price,
                                  l.discount_amount, l.unit_cost
                           from cur_order_lines l join cur_orders o using (order_id) where o.order_ts::date = date '{prev}'""",
        "service_events": f"""select 'N{tag}' || event_id as event_id, customer_id, event_ts + interval 1 day as event_ts, activity, quantity
                              from cur_service_events where event_ts::date = date '{prev}'""",
        "invoices": f"""select invoice_id, customer_id, invoice_date, due_date, amount, date '{day}' as paid_date, written_off
                        from cur_invoices where paid_date is null and not written_off""",
    }
    counts = {}
    for table, sql in queries.items():
        target = landing / table / f"{day.isoformat()}.parquet"
        con.execute(f"copy ({sql} order by all) to '{target}' (format parquet)")
        counts[table] = con.sql(f"select count(*) from read_parquet('{target}')").fetchone()[0]
    return counts
