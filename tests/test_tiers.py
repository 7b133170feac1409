"""Exact pyramid tier counts, the tie rule and band edges, on landing zones built for the purpose."""

import csv
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from conftest import build, query

SHARE_SCHEMES = {
    "vip_1_4_15_80": ["0.01", "0.05", "0.20", "1.00"],
    "abc_20_30_50": ["0.20", "0.50", "1.00"],
    "pyramid_1_19_30_50": ["0.01", "0.20", "0.50", "1.00"],
}
TIERS = "ABCD"
# the marts these tests read and what they are built from (customer_tiers needs every model)
TIER_MARTS = "+customer_scheme_tiers +tier_profitability +quadrant_profitability +grid_profitability"


@pytest.fixture
def warehouse(tmp_path_factory) -> Path:
    """This test's build file, at one path per worker (emptied first)."""
    folder = tmp_path_factory.getbasetemp() / "tier-builds"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder / "wh.duckdb"


@pytest.fixture(autouse=True)
def no_service_or_billing(monkeypatch):
    """These landings deliver no service events and no invoices: allowed empty here."""
    monkeypatch.setenv("WAREHOUSE_ALLOWED_EMPTY_TABLES", "service_events,invoices")


def bounds(shares: list[str], n: int) -> list[int]:
    return [int((Decimal(s) * n).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for s in shares]


def expected_counts(shares, n):
    b = [0] + bounds(shares, n)
    return {TIERS[i]: b[i + 1] - b[i] for i in range(len(shares)) if b[i + 1] > b[i]}


def tied_revenues(n: int) -> list[Decimal]:
    """Descending revenues in which ranks b and b + 1 tie at every boundary b of every scheme."""
    values = [Decimal(1000 + n - i) for i in range(n)]
    for shares in SHARE_SCHEMES.values():
        for b in bounds(shares, n):
            if 0 < b < n:
                values[b] = values[b - 1]
    for i in range(1, n):
        values[i] = min(values[i], values[i - 1])
    return values


def write_landing(root: Path, revenues: list[Decimal], seed: int = 0) -> dict[str, Decimal]:
    """One customer per revenue, ids in an order unrelated to revenue, one completed order each."""
    ids = [f"K{i:05d}" for i in np.random.default_rng(seed).permutation(len(revenues))]
    tables = {
        "customers": (
            ["customer_id", "customer_name", "segment", "region", "created_date"],
            [[c, c, "smb", "north", "2025-01-01"] for c in ids],
        ),
        "orders": (
            ["order_id", "customer_id", "order_ts", "channel", "status"],
            [[f"O{c}", c, "2026-06-01 10:00:00", "web", "completed"] for c in ids],
        ),
        "order_lines": (
            ["order_id", "line_number", "product_id", "quantity", "unit_price", "discount_amount", "unit_cost"],
            [[f"O{c}", 1, "P1", 1, f"{r:.2f}", "0.00", "0.00"] for c, r in zip(ids, revenues)],
        ),
        "activity_rates": (
            ["activity", "driver_unit", "rate_per_unit", "valid_from", "valid_to"],
            [["call", "minute", "1.00", "2020-01-01", ""]],
        ),
        "service_events": (["event_id", "customer_id", "event_ts", "activity", "quantity"], []),
        "invoices": (
            ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "paid_date", "written_off"],
            [],
        ),
    }
    for name, (header, rows) in tables.items():
        (root / name).mkdir(parents=True)
        with (root / name / "2026-06-01.csv").open("w", newline="") as f:
            csv.writer(f).writerows([header, *rows])
    return dict(zip(ids, revenues))


# one build each: 7 (shares round down and half up: 1.4 -> 1, 3.5 -> 4; empty tiers) and 101
# (a tie at every edge; 50.5 -> 51) in `make test`, the other sizes in `make test-slow`
SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "n",
    [
        pytest.param(1, marks=SLOW),
        pytest.param(2, marks=SLOW),
        7,
        pytest.param(99, marks=SLOW),
        pytest.param(100, marks=SLOW),
        101,
        pytest.param(1000, marks=SLOW),
    ],
)
def test_exact_tier_counts_and_tie_rule(n, tmp_path, warehouse):
    revenue = write_landing(tmp_path / "landing", tied_revenues(n), seed=n)
    build(tmp_path / "landing", warehouse, select="+customer_scheme_tiers +tier_profitability")
    got = query(
        warehouse, "select scheme, tier, buyers from tier_profitability where tier <> 'non_buyer' and buyers > 0"
    )
    for scheme, shares in SHARE_SCHEMES.items():
        assert {t: c for s, t, c in got if s == scheme} == expected_counts(shares, n), scheme
    # ranking: revenue descending, ties by customer_id ascending
    ranked = sorted(revenue, key=lambda c: (-revenue[c], c))
    b = [0] + bounds(SHARE_SCHEMES["vip_1_4_15_80"], n)
    expected = {c: TIERS[next(i for i in range(4) if r < b[i + 1])] for r, c in enumerate(ranked)}
    # the default scheme (customer_tiers.pyramid_tier copies it; test_semantic_layer compares them)
    default = "select customer_id, tier from customer_scheme_tiers where is_default_scheme"
    assert dict(query(warehouse, default)) == expected


def test_the_oracle_rounds_exact_decimal_half_up():
    assert bounds(["0.05"], 1000) == [50] and bounds(["0.01", "0.05"], 150) == [2, 8]  # 1.5 -> 2, 7.5 -> 8
    assert expected_counts(SHARE_SCHEMES["vip_1_4_15_80"], 7) == {"C": 1, "D": 6}  # 0.2 x 7 = 1.4 -> 1
    assert expected_counts(SHARE_SCHEMES["vip_1_4_15_80"], 50) == {"A": 1, "B": 2, "C": 7, "D": 40}


def test_revenue_bands_include_their_lower_edge(tmp_path, warehouse):
    revenues = [Decimal(v) for v in ("150000.00", "100000.00", "99999.99", "50000.00", "20000.00", "19999.99", "5.00")]
    revenue = write_landing(tmp_path / "landing", revenues)
    build(tmp_path / "landing", warehouse, select="+customer_scheme_tiers")
    got = dict(query(warehouse, "select customer_id, tier from customer_scheme_tiers where scheme = 'revenue_bands'"))
    by_revenue = {str(revenue[c]): t for c, t in got.items()}
    assert by_revenue == {
        "150000.00": "A",
        "100000.00": "A",
        "99999.99": "B",
        "50000.00": "B",
        "20000.00": "C",
        "19999.99": "D",
        "5.00": "D",
    }


def test_empty_categories_keep_their_rows(tmp_path, warehouse):
    """Only buyers and no service costs: the non_buyer rows, empty tiers, quadrants and grid
    cells are all there, with zeros."""
    write_landing(tmp_path / "landing", [Decimal("300.00"), Decimal("200.00"), Decimal("100.00")])
    build(tmp_path / "landing", warehouse, select=TIER_MARTS)
    schemes = query(
        warehouse,
        "select scheme, tier from tier_schemes union all "
        "select distinct scheme, 'non_buyer' from tier_schemes order by all",
    )
    tiers = query(
        warehouse, "select scheme, tier, customers, contribution from tier_profitability order by scheme, tier"
    )
    assert [t[:2] for t in tiers] == schemes
    assert {t[2:] for t in tiers if t[1] == "non_buyer"} == {(0, Decimal("0.0000"))}
    quadrants = dict(query(warehouse, "select quadrant, customers from quadrant_profitability"))
    assert set(quadrants) == {"platinum", "gold", "iron", "lead", "non_buyer"} and quadrants["non_buyer"] == 0
    assert sum(quadrants.values()) == 3 and 0 in [quadrants[q] for q in ("platinum", "gold", "iron", "lead")]
    grid = dict(query(warehouse, "select value_grid, customers from grid_profitability"))
    assert set(grid) == set("ABCDEF") and sum(grid.values()) == 3
    assert query(warehouse, "select count(*) from customer_scheme_tiers where tier = 'non_buyer'") == [(0,)]
    assert query(
        warehouse,
        "select value_grid, customers, contribution from grid_profitability where value_grid in ('E', 'F') order by 1",
    ) == [("E", 0, Decimal("0.0000")), ("F", 0, Decimal("0.0000"))]
