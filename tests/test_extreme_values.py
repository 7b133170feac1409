"""The largest values the source contract allows flow through every model without an overflow,
and the extreme customer's figures equal an exact Decimal computation."""

import csv
from decimal import Context, localcontext
from decimal import Decimal as D
from math import floor
from pathlib import Path

import pytest
from conftest import HANDMADE_AS_OF, build, copy_handmade, query

MONEY = D("9999999999999999.99")  # decimal(18,2) at its largest
QUANTITY = 999999999  # the largest integer the typing accepts
RATE_ACTIVITY = "extreme_activity"

LINES = [  # (order, line, quantity, unit_price, discount_amount, unit_cost)
    ("OX1", 1, QUANTITY, MONEY, D("0.00"), D("1234567890123456.78")),
    ("OX1", 2, QUANTITY, MONEY, MONEY, D("0.01")),
    ("OX2", 1, QUANTITY, MONEY, D("0.00"), MONEY),
    ("OX2", 2, -QUANTITY, D("0.01"), D("0.00"), MONEY),
]
ORDERS = [("OX1", "2026-06-10 10:00:00"), ("OX2", "2026-03-10 10:00:00")]
EVENTS = [  # (event, date, activity, quantity, rate)
    ("EX1", "2026-05-01 09:00:00", RATE_ACTIVITY, MONEY, MONEY),
    ("EX2", "2026-06-01 09:00:00", RATE_ACTIVITY, MONEY, MONEY),
    ("EX3", "2026-06-02 09:00:00", RATE_ACTIVITY, D("0.01"), MONEY),
]
INVOICES = [  # (invoice, amount, written_off): both overdue at D
    ("IX1", MONEY, "false"),
    ("IX2", MONEY, "true"),
]


def _append(folder: Path, header: list[str], rows: list[list]) -> None:
    with (folder / "extreme.csv").open("w", newline="") as f:  # sorts after the dated files
        csv.writer(f).writerows([header, *rows])


def write_extreme_customer(landing: Path) -> None:
    _append(
        landing / "customers",
        ["customer_id", "customer_name", "segment", "region", "created_date", "employee_count", "annual_revenue"],
        [["CX", "Extreme Ltd", "enterprise", "north", "2025-01-01", QUANTITY, MONEY]],
    )
    _append(
        landing / "orders",
        ["order_id", "customer_id", "order_ts", "channel", "status"],
        [[o, "CX", ts, "field_sales", "completed"] for o, ts in ORDERS],
    )
    _append(
        landing / "order_lines",
        ["order_id", "line_number", "product_id", "quantity", "unit_price", "discount_amount", "unit_cost"],
        [[o, n, "PX", q, p, d, c] for o, n, q, p, d, c in LINES],
    )
    _append(
        landing / "activity_rates",
        ["activity", "driver_unit", "rate_per_unit", "valid_from", "valid_to"],
        [[RATE_ACTIVITY, "unit", MONEY, "2024-01-01", "9999-12-31"]],
    )
    _append(
        landing / "service_events",
        ["event_id", "customer_id", "event_ts", "activity", "quantity"],
        [[e, "CX", ts, a, q] for e, ts, a, q, _ in EVENTS],
    )
    _append(
        landing / "invoices",
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "paid_date", "written_off"],
        [[i, "CX", "2026-01-01", "2026-01-31", a, "", w] for i, a, w in INVOICES],
    )


def expected() -> dict[str, D]:
    with localcontext(Context(prec=80)):  # exact: the default 28 digits would round
        return _figures()


def _figures() -> dict[str, D]:
    net_revenue = sum(q * p - d for _, _, q, p, d, _ in LINES)
    cogs = sum(q * c for *_, q, _, _, c in LINES)
    cost_to_serve = sum(q * r for *_, q, r in EVENTS)
    return {
        "net_revenue": net_revenue,
        "cogs": cogs,
        "gross_margin": net_revenue - cogs,
        "cost_to_serve": cost_to_serve,
        "contribution": net_revenue - cogs - cost_to_serve,
        "overdue_balance": MONEY,
        "amount_written_off": MONEY,
    }


@pytest.fixture(scope="module")
def extreme_warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extreme")
    landing = copy_handmade(root / "landing")
    write_extreme_customer(landing)
    warehouse = root / "warehouse.duckdb"
    build(landing, warehouse, HANDMADE_AS_OF)  # asserts dbt build (models and tie-out tests) passes
    return warehouse


def test_extreme_rows_are_accepted(extreme_warehouse):
    assert query(extreme_warehouse, "select * from quarantine where source_file like '%extreme.csv'") == []


def test_extreme_customer_figures_are_exact(extreme_warehouse):
    want = expected()
    assert want["net_revenue"] > 10**25 and want["cost_to_serve"] > 10**32  # beyond decimal(18) and bigint
    columns = ", ".join(want)
    row = query(extreme_warehouse, f"select {columns} from customer_value where customer_id = 'CX'")
    assert dict(zip(want, row[0])) == want


def test_extreme_cost_to_serve_per_activity(extreme_warehouse):
    rows = query(
        extreme_warehouse,
        """select activity, events, driver_quantity, cost_to_serve
        from customer_cost_to_serve where customer_id = 'CX'""",
    )
    assert rows == [(RATE_ACTIVITY, 3, sum(q for *_, q, _ in EVENTS), expected()["cost_to_serve"])]


def test_extreme_customer_in_company_and_tier_marts(extreme_warehouse):
    want = expected()
    tiers = query(
        extreme_warehouse,
        """select net_revenue, contribution, pyramid_tier is not null
        from customer_tiers where customer_id = 'CX'""",
    )
    assert tiers == [(want["net_revenue"], want["contribution"], True)]
    # CX is by far the largest loss: last on the whale curve, which ends at buyers' total
    whale = query(
        extreme_warehouse,
        """select customer_id, contribution from whale_curve
        where row_type = 'customer' qualify customer_rank = max(customer_rank) over ()""",
    )
    assert whale == [("CX", want["contribution"])]


def test_extreme_membership_points(extreme_warehouse):
    points = query(extreme_warehouse, "select points, level from membership_levels where customer_id = 'CX'")
    assert points == [(floor(expected()["net_revenue"]), "diamond")]
