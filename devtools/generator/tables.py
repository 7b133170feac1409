"""Turn simulated numpy arrays into contract-typed Arrow tables (vectorised, no row loops)."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from devtools.generator import simulate as sim
from tiering.contract import MONEY, TABLES


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def money(cents: np.ndarray) -> pa.Array:
    """Exact DECIMAL(18,2) from integer cents (the int128 buffer is built directly)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words.tobytes())])


def dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32(), mask=mask)


def timestamps(days: np.ndarray, seconds: np.ndarray) -> pa.Array:
    return pa.array((days * 86400 + seconds) * 1_000_000, pa.timestamp("us"))


def _table(name: str, columns: dict) -> pa.Table:
    return pa.Table.from_pydict(columns, schema=TABLES[name].schema)


def firmographics(cust: dict, first: int) -> dict[str, pa.Array]:
    """The contract's optional customer columns, derived from size without new random draws
    (the rest of the data stays as it was); consumers are people: null."""
    person = cust["segment"] == list(sim.SEGMENTS).index("consumer")
    employees = np.round(cust["size"] ** 1.5 * 10).astype(np.int64)
    industry = sim.INDUSTRIES[(np.arange(len(person)) + first) % len(sim.INDUSTRIES)]
    return {
        "industry": pa.array(industry, mask=person),
        "employee_count": pa.array(employees, pa.int32(), mask=person),
        "annual_revenue": pc.if_else(person, pa.scalar(None, MONEY), money(employees * sim.REVENUE_PER_EMPLOYEE_CENTS)),
    }


def customers_table(cust: dict, first: int) -> pa.Table:
    n = len(cust["kind"])
    cid = ids("C", np.arange(first, first + n), 8)
    return _table(
        "customers",
        {
            "customer_id": cid,
            "customer_name": pc.binary_join_element_wise("Customer ", cid, ""),
            "segment": pa.array(sim.SEGMENTS[cust["segment"]]),
            "region": pa.array(sim.REGIONS[cust["region"]]),
            "created_date": dates(cust["created"]),
            **firmographics(cust, first),
        },
    )


def orders_table(orders: dict, first_customer: int, first_order: int) -> pa.Table:
    n = len(orders["day"])
    return _table(
        "orders",
        {
            "order_id": ids("O", np.arange(first_order, first_order + n), 10),
            "customer_id": ids("C", orders["customer"] + first_customer, 8),
            "order_ts": timestamps(orders["day"], orders["second"]),
            "channel": pa.array(sim.CHANNELS[orders["channel"]]),
            "status": pa.array(np.where(orders["cancelled"], "cancelled", "completed")),
        },
    )


def lines_table(lines: dict, first_order: int) -> pa.Table:
    return _table(
        "order_lines",
        {
            "order_id": ids("O", lines["order"] + first_order, 10),
            "line_number": pa.array(lines["line_number"].astype(np.int32)),
            "product_id": ids("P", lines["product"], 4),
            "quantity": pa.array(lines["quantity"].astype(np.int32)),
            "unit_price": money(lines["price"]),
            "discount_amount": money(lines["discount"]),
            "unit_cost": money(lines["cost"]),
        },
    )


def events_table(events: dict, first_customer: int, first_event: int) -> pa.Table:
    n = len(events["day"])
    return _table(
        "service_events",
        {
            "event_id": ids("E", np.arange(first_event, first_event + n), 10),
            "customer_id": ids("C", events["customer"] + first_customer, 8),
            "event_ts": timestamps(events["day"], events["second"]),
            "activity": pa.array(events["activity"].astype(str)),
            "quantity": money(events["quantity"]),
        },
    )


def invoices_table(inv: dict, first_customer: int, first_order: int) -> pa.Table:
    return _table(
        "invoices",
        {
            "invoice_id": ids("I", inv["order"] + first_order, 10),
            "customer_id": ids("C", inv["customer"] + first_customer, 8),
            "invoice_date": dates(inv["day"]),
            "due_date": dates(inv["due"]),
            "amount": money(inv["amount"]),
            "paid_date": dates(inv["paid"], mask=inv["paid"] < 0),
            "written_off": pa.array(inv["written_off"]),
        },
    )


def rates_table(cal: sim.Calendar) -> pa.Table:
    names = sorted(sim.ACTIVITIES)
    units = [sim.ACTIVITIES[a][0] for a in names]
    before = np.array([sim.ACTIVITIES[a][1] for a in names])
    after = np.array([sim.ACTIVITIES[a][2] for a in names])
    k = len(names)
    open_end = np.full(k, 2932896)  # 9999-12-31
    return _table(
        "activity_rates",
        {
            "activity": names * 2,
            "driver_unit": units * 2,
            "rate_per_unit": money(np.concatenate([before, after])),
            "valid_from": dates(np.concatenate([np.full(k, cal.start_day - 365), np.full(k, cal.rate_change_day)])),
            "valid_to": dates(np.concatenate([np.full(k, cal.rate_change_day - 1), open_end])),
        },
    )


def as_text(table: pa.Table) -> pa.Table:
    """All columns as strings, as a CSV delivery carries them."""
    cols = []
    for field, col in zip(table.schema, table.columns):
        if pa.types.is_timestamp(field.type):
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        cols.append(pc.cast(col, pa.string()))
    return pa.table(cols, names=table.column_names)
