"""The second delivery: re-sent keys with changed values, and bad rows of every kind."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from devtools.generator import simulate as sim
from devtools.generator.tables import as_text, ids
from tiering.contract import TABLES


def _sample(rng, table: pa.Table, share: float, where: pa.Array | None = None) -> pa.Table:
    pool = np.arange(table.num_rows) if where is None else np.flatnonzero(where.to_numpy(zero_copy_only=False))
    k = int(round(len(pool) * share))
    return table.take(np.sort(rng.choice(pool, k, replace=False))) if k else table.slice(0, 0)


def _replace(table: pa.Table, column: str, values) -> pa.Table:
    i = table.schema.get_field_index(column)
    field = table.schema.field(i)
    values = (
        values.cast(field.type) if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, field.type)
    )
    return table.set_column(i, field, values)


def resends(rng, cal: sim.Calendar, t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Keys delivered again with a changed value, as a corrected feed would."""
    cust = _sample(rng, t["customers"], 0.01)
    region = pc.index_in(cust["region"], pa.array(sim.REGIONS)).to_numpy(zero_copy_only=False)
    orders = _sample(rng, t["orders"], 0.005, pc.equal(t["orders"]["status"], "completed"))
    lines = _sample(rng, t["order_lines"], 0.003, pc.greater(t["order_lines"]["quantity"], 0))
    events = _sample(rng, t["service_events"], 0.002)
    invoices = _sample(rng, t["invoices"], 0.02, pc.is_null(t["invoices"]["paid_date"]))
    return {
        "customers": _replace(cust, "region", sim.REGIONS[(region + 1) % len(sim.REGIONS)]),
        "orders": _replace(orders, "status", np.full(orders.num_rows, "cancelled")),
        "order_lines": _replace(lines, "quantity", pc.add(lines["quantity"], 1)),
        "service_events": _replace(events, "quantity", pc.multiply(events["quantity"], 2)),
        "invoices": _replace(invoices, "paid_date", np.full(invoices.num_rows, np.datetime64(cal.end_day, "D"))),
    }


def _rows(table: str, k: int, tag: str, **values) -> pa.Table:
    """k text rows of one bad kind: fixed values, or callables of the row tag."""
    names = TABLES[table].schema.names
    cols = {}
    for name in names:
        v = values.get(name)
        if callable(v):
            cols[name] = v(tag, k)
        else:
            cols[name] = pa.array([v] * k, pa.string())
    return pa.table(cols)


def _key(prefix):
    """Unique keys for the rows of one bad kind: prefix + tag + number."""
    return lambda tag, k: ids(prefix + tag, np.arange(k), 6)


def _ref(key):
    """Keys of the rows of another bad kind, to reference them."""
    return lambda tag, k: ids(key, np.arange(k), 6)


def bad_rows(k: int, cal: sim.Calendar, customer: str, order: str) -> dict[str, list[pa.Table]]:
    """Every kind of bad row the contract names, k of each (rates: one of each)."""
    day = str(np.datetime64(cal.end_day - 10, "D"))
    ts = day + " 10:00:00"
    c = dict(customer_name="Bad Row", segment="smb", region="north", created_date=day)
    o = dict(customer_id=customer, order_ts=ts, channel="web", status="completed")
    ln = dict(
        order_id=order, product_id="P0001", quantity="1", unit_price="10.00", discount_amount="0.00", unit_cost="5.00"
    )
    e = dict(customer_id=customer, event_ts=ts, activity="support_call_minute", quantity="5.00")
    i = dict(customer_id=customer, invoice_date=day, due_date=day, amount="100.00", paid_date=None, written_off="false")
    r = dict(driver_unit="unit", rate_per_unit="1.00", valid_from="2020-01-01", valid_to="2020-12-31")
    line_no = lambda base: lambda tag, n: pc.cast(pa.array(np.arange(base, base + n)), pa.string())
    dup_names = lambda tag, n: pa.array(["Dup A", "Dup B"] * (n // 2))
    return {
        "customers": [
            _rows("customers", k, "NULLID", **{**c, "customer_id": None}),
            _rows("customers", k, "BADDATE", **{**c, "customer_id": _key("C"), "created_date": "2026-02-30"}),
            _rows("customers", k, "NODATE", **{**c, "customer_id": _key("C"), "created_date": None}),
            _rows("customers", k, "NEGEMP", **{**c, "customer_id": _key("C"), "employee_count": "-5"}),
            _rows("customers", k, "BADREV", **{**c, "customer_id": _key("C"), "annual_revenue": "a lot"}),
            _rows(
                "customers",
                2 * k,
                "DUP",
                **{**c, "customer_name": dup_names, "customer_id": lambda tag, n: ids("CDUP", np.arange(n) // 2, 6)},
            ),
        ],
        "orders": [
            _rows("orders", k, "UNKCUST", **{**o, "order_id": _key("O"), "customer_id": _key("CUNKNOWN")}),
            _rows("orders", k, "BADTS", **{**o, "order_id": _key("O"), "order_ts": "yesterday"}),
            _rows("orders", k, "BADCHAN", **{**o, "order_id": _key("O"), "channel": "carrier_pigeon"}),
            _rows("orders", k, "BADSTATUS", **{**o, "order_id": _key("O"), "status": "shipped"}),
            _rows("orders", k, "NULLID", **{**o, "order_id": None}),
            _rows("orders", k, "QCUST", **{**o, "order_id": _key("O"), "customer_id": _ref("CBADDATE")}),
            _rows(
                "orders",
                2 * k,
                "DUP",
                **{
                    **o,
                    "order_id": lambda tag, n: ids("ODUP", np.arange(n) // 2, 6),
                    "channel": lambda tag, n: pa.array(["web", "phone"] * (n // 2)),
                },
            ),
        ],
        "order_lines": [
            _rows("order_lines", k, "ZERO", **{**ln, "line_number": line_no(100000), "quantity": "0"}),
            _rows("order_lines", k, "NEGPRICE", **{**ln, "line_number": line_no(200000), "unit_price": "-5.00"}),
            _rows("order_lines", k, "BADPRICE", **{**ln, "line_number": line_no(300000), "unit_price": "12,50"}),
            _rows("order_lines", k, "FRACQTY", **{**ln, "line_number": line_no(400000), "quantity": "1.5"}),
            _rows("order_lines", k, "NEGDISC", **{**ln, "line_number": line_no(500000), "discount_amount": "-1.00"}),
            _rows("order_lines", k, "NULLNO", **{**ln, "line_number": None}),
            _rows("order_lines", k, "UNKORDER", **{**ln, "order_id": _key("OUNKNOWN"), "line_number": "1"}),
            _rows("order_lines", k, "QORDER", **{**ln, "order_id": _ref("OBADTS"), "line_number": "1"}),
            _rows(
                "order_lines",
                2 * k,
                "DUP",
                **{
                    **ln,
                    "line_number": lambda tag, n: pc.cast(pa.array(600000 + np.arange(n) // 2), pa.string()),
                    "quantity": lambda tag, n: pa.array(["1", "2"] * (n // 2)),
                },
            ),
        ],
        "service_events": [
            _rows("service_events", k, "UNKACT", **{**e, "event_id": _key("E"), "activity": "teleportation"}),
            _rows("service_events", k, "ZEROQ", **{**e, "event_id": _key("E"), "quantity": "0"}),
            _rows("service_events", k, "NEGQ", **{**e, "event_id": _key("E"), "quantity": "-3.00"}),
            _rows("service_events", k, "UNKCUST", **{**e, "event_id": _key("E"), "customer_id": _key("CUNKNOWN")}),
            _rows("service_events", k, "BADTS", **{**e, "event_id": _key("E"), "event_ts": "2026-06-31 25:00:00"}),
            _rows("service_events", k, "NULLID", **{**e, "event_id": None}),
            _rows(
                "service_events",
                k,
                "NORATE",
                **{**e, "event_id": _key("E"), "activity": "courier_express", "event_ts": "2020-06-15 10:00:00"},
            ),
        ],
        "invoices": [
            _rows("invoices", k, "DUEBEFORE", **{**i, "invoice_id": _key("I"), "due_date": "2020-01-01"}),
            _rows("invoices", k, "UNKCUST", **{**i, "invoice_id": _key("I"), "customer_id": _key("CUNKNOWN")}),
            _rows("invoices", k, "BADAMT", **{**i, "invoice_id": _key("I"), "amount": "abc"}),
            _rows("invoices", k, "NODATE", **{**i, "invoice_id": _key("I"), "invoice_date": None}),
        ],
        "activity_rates": [
            _rows("activity_rates", 1, "", **{**r, "activity": "gift_wrapping", "rate_per_unit": "-1.00"}),
            _rows("activity_rates", 1, "", **{**r, "activity": "installation", "valid_to": "2019-01-01"}),
            _rows("activity_rates", 1, "", **{**r, "activity": "courier_express"}),
            _rows(
                "activity_rates",
                1,
                "",
                **{
                    **r,
                    "activity": "courier_express",
                    "valid_from": "2020-06-01",
                    "valid_to": "2021-06-30",
                    "rate_per_unit": "2.00",
                },
            ),
        ],
    }


def second_delivery(resent: dict[str, pa.Table], bad: dict[str, list[pa.Table]] | None) -> dict[str, pa.Table]:
    out = {}
    for name in TABLES:
        parts = [as_text(resent[name])] if name in resent else []
        parts += bad.get(name, []) if bad else []
        if parts:
            out[name] = pa.concat_tables(parts)
    return out
