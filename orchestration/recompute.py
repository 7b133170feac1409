"""The customer P&L recomputed straight from the landing files, independent of the dbt models.

Reads the files the landing inventory lists with pyarrow and applies the source contract
(/work/shared/source-contract.md) column by column with pyarrow compute: typing (values the
plain patterns do not cover go through the Python typers below), the key rules (the file that
sorts last wins; identical copies in one file count once; different versions in one file are
all quarantined), the row rules and references, then each customer's window net revenue, COGS
and cost to serve in exact decimal arithmetic (Arrow decimal128). The audit compares the result with the marts:
two implementations of the same contract that must agree to the last decimal.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
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
        "industry": "text",  # optional columns: absent from a file means null
        "employee_count": "integer",
        "annual_revenue": "money",
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


# ---------------------------------------------------------------- typing columns

ARROW = {
    "text": pa.string(),
    "code": pa.string(),
    "integer": pa.int32(),
    "money": pa.decimal128(18, 2),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}
# text a fast cast types exactly; any other present value goes through the Python typer
FAST_TEXT = {
    "integer": r"^-?[0-9]{1,9}$",
    "money": r"^-?[0-9]{1,16}\.[0-9]{2}$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
}
FORMATS = {"date": "%Y-%m-%d", "timestamp": "%Y-%m-%d %H:%M:%S"}


def _fast_text(text: pa.Array, kind: str) -> pa.Array:
    """Values in the plain form of `kind` typed by Arrow, null elsewhere (and for impossible dates)."""
    plain = pc.if_else(pc.match_substring_regex(text, FAST_TEXT[kind]), text, None)
    if kind in FORMATS:
        parsed = pc.strptime(plain, format=FORMATS[kind], unit="us", error_is_null=True)
        exact = pc.equal(pc.strftime(parsed, format=FORMATS[kind]), plain)  # 2026-02-30 parses as March 2
        parsed = pc.if_else(exact, parsed, None)
        return parsed.cast(pa.date32()) if kind == "date" else parsed
    return plain.cast(ARROW[kind])


def _native(raw: pa.Array, kind: str) -> pa.Array | None:
    """A Parquet column whose stored type converts exactly, or None."""
    t = raw.type
    if kind == "integer" and pa.types.is_integer(t) and t.bit_width <= 32 and t != pa.uint32():
        return raw.cast(pa.int32())
    if kind == "money" and pa.types.is_decimal(t) and t.scale <= 2 and t.precision - t.scale <= 16:
        return raw.cast(ARROW["money"])
    if kind == "date" and t == pa.date32():
        return raw
    if kind == "timestamp" and pa.types.is_timestamp(t) and t.unit in ("s", "ms", "us"):
        return raw.cast(pa.timestamp(t.unit)).cast(ARROW["timestamp"])  # a zoned one is stored as UTC
    if kind == "timestamp" and t == pa.date32():
        return raw.cast(pa.timestamp("us"))
    return None


def typed_column(raw: pa.Array, kind: str) -> tuple[pa.Array, pa.Array]:
    """(typed values, whether the row's value failed to type) of one landed column."""
    if pa.types.is_nested(raw.type):  # a nested Parquet column is never read as null: every row fails
        return pa.nulls(len(raw), ARROW[kind]), pa.repeat(True, len(raw))
    native = _native(raw, kind)
    if native is not None:
        return native, pa.repeat(False, len(raw))
    text = pc.utf8_trim_whitespace(raw.cast(pa.string())) if raw.type != pa.string() else pc.utf8_trim_whitespace(raw)
    text = pc.if_else(pc.equal(text, ""), None, text)
    if kind in ("text", "code"):
        return (pc.utf8_lower(text) if kind == "code" else text), pa.repeat(False, len(raw))
    typed = _fast_text(text, kind) if raw.type == pa.string() else pa.nulls(len(raw), ARROW[kind])
    pending = pc.and_(pc.is_null(typed), pc.is_valid(raw))
    if not pc.any(pending).as_py():
        return typed, pa.repeat(False, len(raw))
    values, failed = [], []
    for v in pc.filter(raw, pending).to_pylist():  # the rare value in another form, or a bad one
        try:
            values.append(TYPERS[kind](v))
            failed.append(False)
        except Invalid:
            values.append(None)
            failed.append(True)
    typed = pc.replace_with_mask(typed, pending, pa.array(values, ARROW[kind]))
    errors = pc.replace_with_mask(pa.repeat(False, len(raw)), pending, pa.array(failed))
    return typed, errors


# ---------------------------------------------------------------- reading


def _csv_table(path: Path) -> tuple[pa.Table, int]:
    """One CSV file (contract dialect) as text columns named by the header lower-cased, and how
    many rows were malformed (wrong field count, invalid UTF-8)."""
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
    good = pa.repeat(True, table.num_rows)
    for column in table.columns:
        try:
            column.cast(pa.string())
        except pa.ArrowInvalid:  # a value that is not UTF-8 makes its row malformed
            good = pc.and_(good, pa.array([_utf8(v) for v in column.to_pylist()]))
    kept = table.filter(good)
    columns = {}
    for name, column in zip(names, kept.columns):
        columns.setdefault(name, column.cast(pa.string()))
    return pa.table(columns), len(bad) + table.num_rows - kept.num_rows


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _typed_file(table: pa.Table, columns: dict, file_index: int) -> pa.Table:
    """Contract columns typed, `_error` (a value failed to type), `_file` and, for telling
    versions apart, `_raw` (the failed values as delivered)."""
    out, errors, raw_failed = {}, pa.repeat(False, table.num_rows), []
    names = {n.lower(): n for n in table.column_names}
    for column, kind in columns.items():
        raw = table.column(names[column]).combine_chunks() if column in names else pa.nulls(table.num_rows, pa.string())
        typed, failed = typed_column(raw, kind)
        out[column] = typed
        errors = pc.or_(errors, failed)
        delivered = pa.repeat("nested", len(raw)) if pa.types.is_nested(raw.type) else raw.cast(pa.string())
        raw_failed.append(pc.if_else(failed, delivered, None))
    out["_error"] = errors
    out["_raw"] = (
        pc.binary_join_element_wise(*[pc.fill_null(r, "") for r in raw_failed], "\x1f") if raw_failed else None
    )
    out["_file"] = pa.repeat(pa.scalar(file_index, pa.int32()), table.num_rows)
    return pa.table(out)


def read_landed(inventory: dict, table: str) -> tuple[pa.Table, int]:
    """Typed rows of every readable file of `table` the inventory lists (name order) and the
    number of malformed rows."""
    files = sorted(inventory["tables"].get(table, {}).get("files", []), key=lambda f: f["path"])
    parts, malformed = [], 0
    for i, f in enumerate(files):
        path = Path(f["path"])
        if f["kind"] == "csv":
            raw, broken = _csv_table(path)
            malformed += broken
        else:
            raw = pq.read_table(path)
        parts.append(_typed_file(raw, COLUMNS[table], i))
    if not parts:
        parts = [_typed_file(pa.table({c: pa.array([], pa.string()) for c in COLUMNS[table]}), COLUMNS[table], 0)]
    return pa.concat_tables(parts), malformed


# ---------------------------------------------------------------- judging


@dataclass
class Judged:
    accepted: pa.Table
    quarantined: int
    superseded: int
    malformed: int


def _key(rows: pa.Table, table: str) -> pa.Array:
    parts = [pc.cast(rows.column(k), pa.string()) for k in KEYS[table]]
    return pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]


def latest_versions(table: str, rows: pa.Table) -> tuple[pa.Table, int, int]:
    """The version of each key that counts before the row rules (from the key's last file), with
    unkeyed and conflicting rows counted as quarantined and older or repeated copies as superseded."""
    key = _key(rows, table)
    keyed = pc.is_valid(key)
    rows = rows.append_column("_key", key).filter(keyed)
    unkeyed = len(key) - rows.num_rows
    counts = rows.group_by("_key").aggregate([("_key", "count")])
    repeated = pc.filter(counts["_key"], pc.greater(counts["_key_count"], 1))
    is_repeated = pc.is_in(rows["_key"], value_set=repeated)
    single = rows.filter(pc.invert(is_repeated))
    keep, quarantined, superseded = _resolve_repeated(rows.filter(is_repeated), table)
    return pa.concat_tables([single, keep]), unkeyed + quarantined, superseded


def _resolve_repeated(rows: pa.Table, table: str) -> tuple[pa.Table, int, int]:
    """Keys delivered more than once (few): the last file's rows; one kept if they are the same version."""
    version_columns = [*COLUMNS[table], "_raw"]
    records = rows.select(["_key", "_file", *version_columns]).to_pylist()
    last = {}
    for r in records:
        last[r["_key"]] = max(last.get(r["_key"], -1), r["_file"])
    versions, copies = {}, Counter()
    for r in records:
        if r["_file"] == last[r["_key"]]:
            versions.setdefault(r["_key"], set()).add(tuple(r[c] for c in version_columns))
            copies[r["_key"]] += 1
    conflicting = {k for k, v in versions.items() if len(v) > 1}
    kept, seen = [], set()
    for i, r in enumerate(records):
        if r["_file"] == last[r["_key"]] and r["_key"] not in conflicting and r["_key"] not in seen:
            seen.add(r["_key"])
            kept.append(i)
    quarantined = sum(copies[k] for k in conflicting)
    return rows.take(pa.array(kept, pa.int64())), quarantined, len(records) - len(kept) - quarantined


def judge(table: str, landed: tuple[pa.Table, int], rule) -> Judged:
    """Accepted rows of a table: the latest version of each key that passes typing, the required
    columns and `rule` (table -> boolean array)."""
    rows, malformed = landed
    latest, quarantined, superseded = latest_versions(table, rows)
    passes = pc.invert(latest["_error"])
    for column in REQUIRED[table]:
        passes = pc.and_(passes, pc.is_valid(latest[column]))
    passes = pc.fill_null(pc.and_(passes, rule(latest)), False)
    accepted = latest.filter(passes)
    return Judged(accepted, quarantined + latest.num_rows - accepted.num_rows, superseded, malformed)


def accepted_rates(landed: tuple[pa.Table, int]) -> Judged:
    """Rates without overlapping validity: overlapping accepted rates of one activity are all quarantined."""
    until = lambda t: pc.fill_null(t["valid_to"], date.max)  # noqa: E731
    base = judge(
        "activity_rates",
        landed,
        lambda t: pc.and_(pc.greater_equal(t["rate_per_unit"], 0), pc.greater_equal(until(t), t["valid_from"])),
    )
    rates = base.accepted.select(["activity", "valid_from", "valid_to"]).to_pylist()
    clear = [
        not any(
            o is not r
            and o["activity"] == r["activity"]
            and o["valid_from"] <= (r["valid_to"] or date.max)
            and r["valid_from"] <= (o["valid_to"] or date.max)
            for o in rates
        )
        for r in rates
    ]
    keep = base.accepted.filter(pa.array(clear, pa.bool_()))
    return Judged(keep, base.quarantined + base.accepted.num_rows - keep.num_rows, base.superseded, base.malformed)


def rate_on(events: pa.Table, rates: pa.Table) -> pa.Array:
    """The accepted rate of each event's activity valid on its date (null when none)."""
    day = pc.cast(events["event_ts"], pa.date32())
    rate = pa.nulls(events.num_rows, pa.decimal128(18, 2))
    for r in rates.to_pylist():  # finance's rates: a handful
        valid = pc.and_(
            pc.equal(events["activity"], r["activity"]),
            pc.and_(pc.greater_equal(day, r["valid_from"]), pc.less_equal(day, r["valid_to"] or date.max)),
        )
        rate = pc.if_else(pc.fill_null(valid, False), pa.scalar(r["rate_per_unit"], pa.decimal128(18, 2)), rate)
    return rate


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


def _in_window(ts: pa.ChunkedArray, as_of: date) -> pa.Array:
    day = pc.cast(ts, pa.date32())
    return pc.and_(pc.greater(day, as_of - timedelta(days=365)), pc.less_equal(day, as_of))


def _sums(table: pa.Table, columns: list[str]) -> dict[str, dict]:
    totals = table.group_by("customer_id").aggregate([(c, "sum") for c in columns])
    return {r["customer_id"]: r for r in totals.to_pylist()}


def recompute(inventory: dict, as_of: date) -> Recomputed:
    """Per-customer window figures from the landing files the inventory lists."""
    customers = judge(
        "customers",
        read_landed(inventory, "customers"),
        lambda t: pc.and_(
            pc.fill_null(pc.greater_equal(t["employee_count"], 0), True),
            pc.fill_null(pc.greater_equal(t["annual_revenue"], 0), True),
        ),
    )
    known = customers.accepted["customer_id"]
    orders = judge(
        "orders",
        read_landed(inventory, "orders"),
        lambda t: pc.and_(
            pc.and_(
                pc.is_in(t["channel"], pa.array(sorted(CHANNELS))), pc.is_in(t["status"], pa.array(sorted(STATUSES)))
            ),
            pc.is_in(t["customer_id"], value_set=known),
        ),
    )
    lines = judge(
        "order_lines",
        read_landed(inventory, "order_lines"),
        lambda t: pc.and_(
            pc.and_(pc.not_equal(t["quantity"], 0), pc.greater_equal(t["unit_price"], 0)),
            pc.and_(
                pc.and_(pc.greater_equal(t["discount_amount"], 0), pc.greater_equal(t["unit_cost"], 0)),
                pc.is_in(t["order_id"], value_set=orders.accepted["order_id"]),
            ),
        ),
    )
    rates = accepted_rates(read_landed(inventory, "activity_rates"))
    events = judge(
        "service_events",
        read_landed(inventory, "service_events"),
        lambda t: pc.and_(
            pc.and_(pc.greater(t["quantity"], 0), pc.is_in(t["customer_id"], value_set=known)),
            pc.is_valid(rate_on(t, rates.accepted)),
        ),
    )
    sold = orders.accepted.filter(
        pc.and_(pc.equal(orders.accepted["status"], "completed"), _in_window(orders.accepted["order_ts"], as_of))
    ).select(["order_id", "customer_id"])
    sales = lines.accepted.select(["order_id", "quantity", "unit_price", "discount_amount", "unit_cost"]).join(
        sold, keys="order_id", join_type="inner"
    )
    quantity = pc.cast(sales["quantity"], pa.decimal128(10, 0))
    sales = pa.table(
        {
            "customer_id": sales["customer_id"],
            "net_revenue": pc.subtract(pc.multiply(quantity, sales["unit_price"]), sales["discount_amount"]),
            "cogs": pc.multiply(quantity, sales["unit_cost"]),
        }
    )
    served = events.accepted.filter(_in_window(events.accepted["event_ts"], as_of))
    costs = pa.table(
        {
            "customer_id": served["customer_id"],
            "cost_to_serve": pc.multiply(served["quantity"], rate_on(served, rates.accepted)),
        }
    )
    figures = {}
    for customer in set(sold["customer_id"].to_pylist()):
        figures[customer] = _blank() | {"is_buyer": True}
    for customer, r in _sums(sales, ["net_revenue", "cogs"]).items():
        figures.setdefault(customer, _blank()).update(net_revenue=r["net_revenue_sum"], cogs=r["cogs_sum"])
    for customer, r in _sums(costs, ["cost_to_serve"]).items():
        figures.setdefault(customer, _blank())["cost_to_serve"] = r["cost_to_serve_sum"]
    counts = {
        "customers": customers,
        "orders": orders,
        "order_lines": lines,
        "service_events": events,
        "activity_rates": rates,
    }
    return Recomputed(as_of, figures, counts)


def _blank() -> dict:
    return {"net_revenue": Decimal(0), "cogs": Decimal(0), "cost_to_serve": Decimal(0), "is_buyer": False}
