"""The customer P&L recomputed straight from the landing files, independent of the dbt models.

Reads the files the landing inventory lists with pyarrow and applies the source contract
(docs: /work/shared/source-contract.md) in plain Python: typing, the key rules (the file that
sorts last wins; identical copies in one file count once; different versions in one file are
all quarantined), the row rules and references, then each customer's window net revenue, COGS
and cost to serve in exact Decimal arithmetic. The audit compares the result with the marts:
two implementations of the same contract that must agree to the last decimal.
"""

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** 16
MONEY_TEXT = re.compile(r"[+-]?([0-9]{1,16}(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)")
INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,9}")
OFFSET = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$")

# contract columns and how each is typed (the columns the customer P&L depends on)
COLUMNS = {
    "customers": {
        "customer_id": "text",
        "customer_name": "text",
        "segment": "text",
        "region": "text",
        "created_date": "date",
    },
    "orders": {"order_id": "text", "customer_id": "text", "order_ts": "timestamp", "channel": "code", "status": "code"},
    "order_lines": {
        "order_id": "text",
        "line_number": "integer",
        "product_id": "text",
        "quantity": "integer",
        "unit_price": "money",
        "discount_amount": "money",
        "unit_cost": "money",
    },
    "service_events": {
        "event_id": "text",
        "customer_id": "text",
        "event_ts": "timestamp",
        "activity": "text",
        "quantity": "money",
    },
    "activity_rates": {
        "activity": "text",
        "driver_unit": "text",
        "rate_per_unit": "money",
        "valid_from": "date",
        "valid_to": "date",
    },
}
KEYS = {
    "customers": ("customer_id",),
    "orders": ("order_id",),
    "order_lines": ("order_id", "line_number"),
    "service_events": ("event_id",),
    "activity_rates": ("activity", "valid_from"),
}
REQUIRED = {
    "customers": ("customer_id", "created_date"),
    "orders": ("order_id", "customer_id", "order_ts", "channel", "status"),
    "order_lines": ("order_id", "line_number", "quantity", "unit_price", "discount_amount", "unit_cost"),
    "service_events": ("event_id", "customer_id", "event_ts", "activity", "quantity"),
    "activity_rates": ("activity", "valid_from", "rate_per_unit"),
}
CHANNELS = {"field_sales", "phone", "web", "partner"}
STATUSES = {"completed", "cancelled"}


class Invalid(ValueError):
    """A value that is present but does not convert exactly to its contract type."""


# ---------------------------------------------------------------- typing


def _text(v) -> str | None:
    if v is None:
        return None
    s = (v if isinstance(v, str) else str(v)).strip()
    return s or None


def _money(v) -> Decimal | None:
    if isinstance(v, str):
        s = _text(v)
        if s is None:
            return None
        if not MONEY_TEXT.fullmatch(s):
            raise Invalid(s)
        v = Decimal(s)
    d = Decimal(v) if isinstance(v, int) else v
    if not isinstance(d, Decimal) or d != d.quantize(CENT) or abs(d) >= MONEY_LIMIT:
        raise Invalid(str(v))
    return d.quantize(CENT)


def _integer(v) -> int | None:
    if isinstance(v, str):
        s = _text(v)
        if s is None:
            return None
        if not INTEGER_TEXT.fullmatch(s):
            raise Invalid(s)
        return int(s)
    if not isinstance(v, int) or abs(v) >= 2**31:
        raise Invalid(str(v))
    return v


def _date(v) -> date | None:
    if isinstance(v, datetime):
        raise Invalid(str(v))
    if isinstance(v, date):
        return v
    s = _text(v)
    if s is None:
        return None
    try:
        return date.fromisoformat(s) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s) else _fail(s)
    except ValueError:
        raise Invalid(s) from None


def _timestamp(v) -> datetime | None:
    """UTC, without zone: an offset converts to UTC; a time without one is UTC."""
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    s = _text(v)
    if s is None:
        return None
    try:
        t = datetime.fromisoformat(s.replace(" Z", "Z").replace("z", "Z"))
    except ValueError:
        raise Invalid(s) from None
    if OFFSET.search(s) and t.tzinfo:
        return t.astimezone(UTC).replace(tzinfo=None)
    return t.replace(tzinfo=None)


def _fail(s):
    raise Invalid(s)


TYPERS = {
    "text": _text,
    "code": lambda v: None if _text(v) is None else _text(v).lower(),
    "integer": _integer,
    "money": _money,
    "date": _date,
    "timestamp": _timestamp,
}


def typed_row(raw: dict, columns: dict) -> tuple[dict, tuple]:
    """Contract values of one landed row and its typing errors (column and raw value)."""
    values, errors = {}, []
    for column, kind in columns.items():
        try:
            values[column] = TYPERS[kind](raw.get(column))
        except Invalid as e:
            values[column] = None
            errors.append((column, str(e)))
    return values, tuple(errors)


# ---------------------------------------------------------------- reading


@dataclass
class Landed:
    """One contract table as landed: typed rows (file order) and the malformed-row count."""

    rows: list[tuple[int, dict, tuple]] = field(default_factory=list)  # (file index, values, errors)
    malformed: int = 0


def _csv_rows(path: Path) -> tuple[list[dict], int]:
    """Rows of one CSV file (contract dialect) as text, keyed by the header's names lower-cased,
    and how many rows were malformed (wrong field count, invalid UTF-8)."""
    with path.open("rb") as f:
        header = next(csv.reader([f.readline().decode("utf-8-sig")]))
    names = [n.strip().lower() for n in header]
    slots = [f"c{i}" for i in range(len(names))]
    bad = []
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, column_names=slots, skip_rows=1),
        parse_options=pacsv.ParseOptions(
            delimiter=",",
            quote_char='"',
            double_quote=True,
            newlines_in_values=True,
            invalid_row_handler=lambda row: bad.append(row) or "skip",
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(slots, pa.binary()), strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    rows, broken = [], len(bad)
    for record in zip(*(c.to_pylist() for c in table.columns)):
        try:
            rows.append({n: v.decode("utf-8") for n, v in zip(names, record)})
        except UnicodeDecodeError:
            broken += 1
    return rows, broken


def _parquet_rows(path: Path) -> list[dict]:
    table = pq.read_table(path)
    names = [n.lower() for n in table.column_names]
    return [dict(zip(names, r)) for r in zip(*(c.to_pylist() for c in table.columns))]


def read_landed(inventory: dict, table: str) -> Landed:
    """Every readable file of `table` the inventory lists, in name order."""
    landed = Landed()
    files = sorted(inventory["tables"].get(table, {}).get("files", []), key=lambda f: f["path"])
    for i, f in enumerate(files):
        path = Path(f["path"])
        if f["kind"] == "csv":
            rows, broken = _csv_rows(path)
            landed.malformed += broken
        else:
            rows = _parquet_rows(path)
        landed.rows += [(i, *typed_row(r, COLUMNS[table])) for r in rows]
    return landed


# ---------------------------------------------------------------- judging


@dataclass
class Judged:
    accepted: list[dict]
    quarantined: int
    superseded: int
    malformed: int


def latest_versions(table: str, landed: Landed) -> tuple[list[tuple[dict, tuple]], int, int]:
    """Rows that count before the row rules: (values, errors) of each key's last file, with the
    unkeyed and conflicting rows counted as quarantined and older or repeated copies as superseded."""
    key = KEYS[table]
    by_key = defaultdict(list)
    quarantined = superseded = 0
    for i, values, errors in landed.rows:
        if any(values[k] is None for k in key):
            quarantined += 1
        else:
            by_key[tuple(values[k] for k in key)].append((i, values, errors))
    latest = []
    for rows in by_key.values():
        last = max(r[0] for r in rows)
        mine = [r for r in rows if r[0] == last]
        superseded += len(rows) - len(mine)
        versions = {(tuple(v.values()), e) for _, v, e in mine}
        if len(versions) > 1:
            quarantined += len(mine)
        else:
            superseded += len(mine) - 1
            latest.append(mine[0][1:])
    return latest, quarantined, superseded


def judge(table: str, landed: Landed, rule) -> Judged:
    """Accepted rows of a table: the latest version of each key that passes typing, the required
    columns and `rule` (values -> passes)."""
    latest, quarantined, superseded = latest_versions(table, landed)
    accepted = [v for v, errors in latest if not errors and all(v[c] is not None for c in REQUIRED[table]) and rule(v)]
    return Judged(accepted, quarantined + len(latest) - len(accepted), superseded, landed.malformed)


def accepted_rates(landed: Landed) -> Judged:
    """Rates without overlapping validity: overlapping accepted rates of one activity are all quarantined."""
    base = judge(
        "activity_rates", landed, lambda v: v["rate_per_unit"] >= 0 and (v["valid_to"] or date.max) >= v["valid_from"]
    )
    by_activity = defaultdict(list)
    for r in base.accepted:
        by_activity[r["activity"]].append(r)
    keep = []
    for rates in by_activity.values():
        for r in rates:
            until = r["valid_to"] or date.max
            if not any(
                o is not r and o["valid_from"] <= until and r["valid_from"] <= (o["valid_to"] or date.max)
                for o in rates
            ):
                keep.append(r)
    return Judged(keep, base.quarantined + len(base.accepted) - len(keep), base.superseded, base.malformed)


def rate_on(rates: list[dict], activity: str, day: date) -> Decimal | None:
    for r in rates:
        if r["activity"] == activity and r["valid_from"] <= day <= (r["valid_to"] or date.max):
            return r["rate_per_unit"]
    return None


# ---------------------------------------------------------------- the customer P&L


@dataclass
class Recomputed:
    as_of: date
    customers: dict[str, dict]  # customer_id -> net_revenue, cogs, cost_to_serve, is_buyer
    counts: dict[str, Judged]

    def totals(self) -> dict[str, Decimal]:
        out = {"net_revenue": Decimal(0), "cogs": Decimal(0), "cost_to_serve": Decimal(0)}
        for c in self.customers.values():
            for k in out:
                out[k] += c[k]
        out["gross_margin"] = out["net_revenue"] - out["cogs"]
        out["contribution"] = out["gross_margin"] - out["cost_to_serve"]
        return out

    def buyers(self) -> int:
        return sum(c["is_buyer"] for c in self.customers.values())


def _blank() -> dict:
    return {"net_revenue": Decimal(0), "cogs": Decimal(0), "cost_to_serve": Decimal(0), "is_buyer": False}


def recompute(inventory: dict, as_of: date) -> Recomputed:
    """Per-customer window figures from the landing files the inventory lists."""

    def in_window(ts: datetime) -> bool:
        return as_of - timedelta(days=365) < ts.date() <= as_of

    customers = judge("customers", read_landed(inventory, "customers"), lambda v: True)
    known = {c["customer_id"] for c in customers.accepted}
    orders = judge(
        "orders",
        read_landed(inventory, "orders"),
        lambda v: v["channel"] in CHANNELS and v["status"] in STATUSES and v["customer_id"] in known,
    )
    order_of = {o["order_id"]: o for o in orders.accepted}
    lines = judge(
        "order_lines",
        read_landed(inventory, "order_lines"),
        lambda v: (
            v["quantity"] != 0
            and min(v["unit_price"], v["discount_amount"], v["unit_cost"]) >= 0
            and v["order_id"] in order_of
        ),
    )
    rates = accepted_rates(read_landed(inventory, "activity_rates"))
    events = judge(
        "service_events",
        read_landed(inventory, "service_events"),
        lambda v: (
            v["quantity"] > 0
            and v["customer_id"] in known
            and rate_on(rates.accepted, v["activity"], v["event_ts"].date()) is not None
        ),
    )
    figures = defaultdict(_blank)
    for o in orders.accepted:
        if o["status"] == "completed" and in_window(o["order_ts"]):
            figures[o["customer_id"]]["is_buyer"] = True
    for line in lines.accepted:
        o = order_of[line["order_id"]]
        if o["status"] == "completed" and in_window(o["order_ts"]):
            f = figures[o["customer_id"]]
            f["net_revenue"] += line["quantity"] * line["unit_price"] - line["discount_amount"]
            f["cogs"] += line["quantity"] * line["unit_cost"]
    for e in events.accepted:
        if in_window(e["event_ts"]):
            f = figures[e["customer_id"]]
            f["cost_to_serve"] += e["quantity"] * rate_on(rates.accepted, e["activity"], e["event_ts"].date())
    counts = {
        "customers": customers,
        "orders": orders,
        "order_lines": lines,
        "service_events": events,
        "activity_rates": rates,
    }
    return Recomputed(as_of, dict(figures), counts)
