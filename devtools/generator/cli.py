"""`warehouse-generate`: write a contract-following landing zone, deterministic for a seed.

Delivery 1 (`<end - 1 day>.parquet`, or .csv) holds the history, written chunk by chunk so
memory stays bounded; delivery 2 (`<end>.csv`) re-sends some keys with changed values
and, unless --clean, carries bad rows of every kind the contract names.
"""

import argparse
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from devtools.generator import simulate as sim
from devtools.generator import tables as tb
from devtools.generator.deliveries import bad_rows, resends, second_delivery
from tiering.contract import TABLES

CHUNK = 50_000


@dataclass(frozen=True)
class Spec:
    customers: int
    seed: int = 42
    end: date = date(2026, 6, 30)
    history_days: int = 730
    clean: bool = False
    history_format: str = "parquet"


class _Sink:
    """One delivery file per table, appended chunk by chunk."""

    def __init__(self, out: Path, stem: str, fmt: str):
        self.out, self.stem, self.fmt, self.writers = out, stem, fmt, {}

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            path = self.out / name / f"{self.stem}.{self.fmt}"
            if self.fmt == "parquet":
                self.writers[name] = pq.ParquetWriter(path, table.schema, compression="zstd")
            else:
                self.writers[name] = pacsv.CSVWriter(path, tb.as_text(table.slice(0, 0)).schema)
        self.writers[name].write_table(table if self.fmt == "parquet" else tb.as_text(table))

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def _chunk_tables(rng, cal, products, lo: int, n: int, first: dict) -> dict[str, pa.Table]:
    cust = sim.simulate_customers(rng, cal, n)
    orders = sim.simulate_orders(rng, cal, cust)
    lines = sim.simulate_lines(rng, cust, orders, products)
    events = sim.simulate_events(rng, cal, cust, orders, lines)
    inv = sim.simulate_invoices(rng, cal, cust, orders, lines)
    return {
        "customers": tb.customers_table(cust, lo),
        "orders": tb.orders_table(orders, lo, first["orders"]),
        "order_lines": tb.lines_table(lines, first["orders"]),
        "service_events": tb.events_table(events, lo, first["events"]),
        "invoices": tb.invoices_table(inv, lo, first["orders"]),
    }


def generate(spec: Spec, out: Path, progress=None) -> dict[str, int]:
    """Write the landing zone; returns rows written per table."""
    cal = sim.Calendar.ending(spec.end, spec.history_days)
    for name in TABLES:
        (out / name).mkdir(parents=True, exist_ok=True)
    products = sim.make_products(np.random.default_rng([spec.seed, 0]))
    history = _Sink(out, (spec.end - timedelta(days=1)).isoformat(), spec.history_format)
    history.write("activity_rates", tb.rates_table(cal))
    counts = {name: 0 for name in TABLES}
    counts["activity_rates"] = tb.rates_table(cal).num_rows
    first = {"orders": 0, "events": 0}
    resent: dict[str, list[pa.Table]] = {}
    first_ids = None
    n_chunks = max(1, -(-spec.customers // CHUNK))
    for i, lo in enumerate(range(0, spec.customers, CHUNK)):
        rng = np.random.default_rng([spec.seed, 1, i])
        t = _chunk_tables(rng, cal, products, lo, min(CHUNK, spec.customers - lo), first)
        first["orders"] += t["orders"].num_rows
        first["events"] += t["service_events"].num_rows
        for name, table in t.items():
            history.write(name, table)
            counts[name] += table.num_rows
        for name, table in resends(rng, cal, t).items():
            resent.setdefault(name, []).append(table)
        first_ids = first_ids or (t["customers"]["customer_id"][0].as_py(), t["order_lines"]["order_id"][0].as_py())
        if progress:
            progress(i + 1, n_chunks, counts)
    history.close()
    resent_tables = {k: pa.concat_tables(v) for k, v in resent.items()}
    bad = None if spec.clean else bad_rows(max(1, spec.customers // 2000), cal, *first_ids)
    for name, table in second_delivery(resent_tables, bad).items():
        pacsv.write_csv(table, out / name / f"{spec.end.isoformat()}.csv")
        counts[name] += table.num_rows
    return counts


def _parse(argv) -> tuple[Spec, Path, bool]:
    p = argparse.ArgumentParser(
        prog="warehouse-generate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--customers", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--end-date", type=date.fromisoformat, default=date(2026, 6, 30), help="last simulated day (the natural as_of)"
    )
    p.add_argument("--history-days", type=int, default=730)
    p.add_argument("--clean", action="store_true", help="write clean data only: no bad rows")
    p.add_argument("--history-format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--force", action="store_true", help="replace an existing landing zone")
    a = p.parse_args(argv)
    if a.customers < 1:
        p.error("--customers must be at least 1")
    return Spec(a.customers, a.seed, a.end_date, a.history_days, a.clean, a.history_format), a.out, a.force


def main(argv=None) -> int:
    spec, out, force = _parse(argv)
    if out.exists() and any(out.iterdir()):
        if not force:
            print(f"{out} is not empty; pass --force to replace it", file=sys.stderr)
            return 2
        for name in TABLES:
            shutil.rmtree(out / name, ignore_errors=True)
    started = time.monotonic()

    def progress(done, total, counts):
        print(
            f"chunk {done}/{total}: {counts['customers']:,} customers, {counts['orders']:,} orders, "
            f"{counts['order_lines']:,} lines, {counts['service_events']:,} events "
            f"({time.monotonic() - started:.0f}s)",
            file=sys.stderr,
            flush=True,
        )

    counts = generate(spec, out, progress)
    print(f"wrote {out}: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
