"""Customer value figures: hand-computed on the handmade landing zone, and equal to an
independent computation on a generated one, to the cent."""

from datetime import date
from decimal import Decimal as D

import duckdb
import pytest
from conftest import HANDMADE_AS_OF, build, copy_of, dbt_test, query
from reference import connect_landing, customer_figures

from devtools.generator.cli import Spec, generate
from orchestration.dbt_runner import prepare_landing
from tiering.settings import Settings

COLUMNS = "customer_id, buyer_status, net_revenue, cogs, cost_to_serve, contribution, frequency, recency_days"

# Counted by hand from tests/fixtures/handmade_landing (see the comments in test_landing.py)
AT_JUNE_30 = [
    ("C1", "buyer", D("770.00"), D("488.00"), D("495.0000"), D("-213.0000"), 1, 112),
    ("C10", "prospect", D("0.00"), D("0.00"), D("0.0000"), D("0.0000"), 0, None),
    ("C2", "buyer", D("59.97"), D("37.50"), D("25.0000"), D("-2.5300"), 1, 0),
    ("C3", "buyer", D("18.00"), D("12.50"), D("50.0000"), D("-44.5000"), 1, 145),
    ("C4", "prospect", D("0.00"), D("0.00"), D("165.0000"), D("-165.0000"), 0, None),
    ("C5", "lapsed", D("0.00"), D("0.00"), D("8.7000"), D("-8.7000"), 0, 606),
    ("C8", "prospect", D("0.00"), D("0.00"), D("0.0000"), D("0.0000"), 0, None),
    ("C9", "buyer", D("-100.00"), D("-60.00"), D("12.0000"), D("-52.0000"), 1, 60),
]
AT_MARCH_31 = [
    ("C1", "buyer", D("1270.00"), D("788.00"), D("495.0000"), D("-13.0000"), 2, 21),
    ("C10", "prospect", D("0.00"), D("0.00"), D("0.0000"), D("0.0000"), 0, None),
    ("C2", "prospect", D("0.00"), D("0.00"), D("25.0000"), D("-25.0000"), 0, None),
    ("C3", "buyer", D("18.00"), D("12.50"), D("50.0000"), D("-44.5000"), 1, 54),
    ("C4", "prospect", D("0.00"), D("0.00"), D("165.0000"), D("-165.0000"), 0, None),
    ("C5", "lapsed", D("0.00"), D("0.00"), D("0.0000"), D("0.0000"), 0, 515),
    ("C8", "prospect", D("0.00"), D("0.00"), D("0.0000"), D("0.0000"), 0, None),
    ("C9", "prospect", D("0.00"), D("0.00"), D("0.0000"), D("0.0000"), 0, None),
]


def test_handmade_figures_at_as_of(handmade_warehouse):
    assert query(handmade_warehouse, f"select {COLUMNS} from customer_value order by customer_id") == AT_JUNE_30


def test_handmade_credit_behaviour(handmade_warehouse):
    rows = query(
        handmade_warehouse,
        """select customer_id, invoices_in_window, avg_days_late, share_paid_late,
        overdue_balance, amount_written_off from customer_value where customer_id in ('C1', 'C2', 'C3', 'C9')
        order by 1""",
    )
    assert rows == [
        ("C1", 2, 5.5, 0.5, D("0.00"), D("0.00")),
        ("C2", 1, 15.0, 1.0, D("0.00"), D("0.00")),
        ("C3", 1, 242.0, 1.0, D("0.00"), D("18.00")),
        ("C9", 0, None, None, D("0.00"), D("0.00")),
    ]


def test_handmade_company_pnl(handmade_warehouse):
    rows = query(handmade_warehouse, "select line_item, activity, amount from company_pnl order by line_order")
    assert rows == [
        ("net_revenue", None, D("747.97")),
        ("cogs", None, D("478.00")),
        ("gross_margin", None, D("269.97")),
        ("cost_to_serve", None, D("755.70")),
        ("cost_to_serve_by_activity", "delivery", D("75.00")),
        ("cost_to_serve_by_activity", "sales_visit", D("645.00")),
        ("cost_to_serve_by_activity", "support_call_minute", D("35.70")),
        ("buyer_contribution", None, D("-312.03")),
        ("non_buyer_cost", None, D("173.70")),
        ("company_contribution", None, D("-485.73")),
    ]


def test_backfilled_as_of_gives_that_dates_figures(handmade_landing, tmp_path):
    warehouse = tmp_path / "march.duckdb"
    build(handmade_landing, warehouse, date(2026, 3, 31), select="+customer_value")
    assert query(warehouse, f"select {COLUMNS} from customer_value order by customer_id") == AT_MARCH_31


def test_as_of_defaults_to_latest_order_or_event_date(handmade_landing, tmp_path):
    """The as-of date a build without one is given (run_dbt_build passes it to dbt as the var
    every explicit build passes)."""
    settings = Settings(landing_dir=handmade_landing)
    as_of, _ = prepare_landing(settings, None, tmp_path / "default.duckdb", tmp_path / "history")
    assert as_of == date(2026, 7, 2)  # E9 on 2026-07-02 is the latest order or event date


@pytest.fixture(scope="module")
def clean_generated(tmp_path_factory):
    landing = tmp_path_factory.mktemp("clean") / "landing"
    generate(Spec(customers=2000, seed=23, clean=True), landing)
    warehouse = landing.parent / "wh.duckdb"
    build(landing, warehouse, date(2026, 6, 30), select="+customer_value +company_pnl")
    return landing, warehouse


def test_every_customer_equals_independent_computation(clean_generated):
    landing, warehouse = clean_generated
    con = connect_landing(landing)
    expected = customer_figures(con, date(2026, 6, 30))
    con.sql(f"attach '{warehouse}' as wh (read_only)")
    diff = con.sql("""
        select * from (select customer_id, net_revenue, cogs, gross_margin, cost_to_serve, contribution,
                              frequency, recency_days, is_buyer from expected) as expected
        full join (select customer_id, net_revenue, cogs, gross_margin, cost_to_serve, contribution,
                          frequency, recency_days, is_buyer from wh.customer_value) as got using (customer_id)
        where expected.net_revenue is distinct from got.net_revenue or expected.cogs is distinct from got.cogs
           or expected.cost_to_serve is distinct from got.cost_to_serve
           or expected.contribution is distinct from got.contribution
           or expected.frequency is distinct from got.frequency
           or expected.recency_days is distinct from got.recency_days
           or expected.is_buyer is distinct from got.is_buyer""").fetchall()
    assert diff == []
    assert con.sql("select count(*) from wh.customer_value").fetchone()[0] > 1900


def dbt_test_after(handmade_warehouse, folder, update: str, select: str):
    """`dbt test --select select` on a copy of the hand-made build changed by `update`."""
    broken = copy_of(handmade_warehouse, folder)
    with duckdb.connect(str(broken)) as con:
        con.execute(update)
    return dbt_test(broken, select, HANDMADE_AS_OF)


def test_pnl_tie_out_test_fails_when_a_figure_is_off_by_a_cent(handmade_warehouse, tmp_path):
    result = dbt_test_after(
        handmade_warehouse,
        tmp_path,
        # customer_value is a view over int_customer_profitability
        "update int_customer_profitability set net_revenue = net_revenue + 0.01, gross_margin = gross_margin + 0.01, "
        "contribution = contribution + 0.01 where customer_id = 'C1'",
        "assert_company_pnl_ties_to_customer_value",
    )
    assert result.returncode != 0 and "FAIL" in result.stdout


def test_the_key_test_fails_on_a_missing_and_on_a_repeated_key(handmade_warehouse, tmp_path):
    """`key` (macros/generic_tests.sql) stands for unique and not_null: each fault fails it."""
    result = dbt_test_after(
        handmade_warehouse,
        tmp_path,
        "update int_customer_segments set customer_id = null where customer_id = 'C1'; "
        "insert into quadrant_profitability (select * from quadrant_profitability where quadrant = 'gold')",
        "test_name:key,int_customer_segments test_name:key,quadrant_profitability",
    )
    assert result.returncode != 0, result.stdout[-3000:]
    for name in ("key_int_customer_segments_customer_id", "key_quadrant_profitability_quadrant"):
        assert f"FAIL 1 {name}" in result.stdout, result.stdout[-3000:]


def test_a_null_in_a_mart_view_fails_its_not_null_test(handmade_warehouse, tmp_path):
    """The marts that are views hold no NOT NULL constraint; `not_null_columns` stands for it."""
    result = dbt_test_after(
        handmade_warehouse,
        tmp_path,
        "update int_customer_scheme_tiers set tier = null where customer_id = 'C1' and is_default_scheme",
        "test_name:not_null_columns,customer_scheme_tiers",
    )
    assert result.returncode != 0, result.stdout[-3000:]
    assert "FAIL 1 not_null_columns_customer_scheme_tiers" in result.stdout, result.stdout[-3000:]


def test_the_contract_test_fails_on_an_accepted_row_that_breaks_a_rule(handmade_warehouse, tmp_path):
    """conforms_to_contract, the second check of the validated models' verdicts, can fail."""
    result = dbt_test_after(
        handmade_warehouse,
        tmp_path,
        "update int_order_lines__validated set quantity = 0 "
        "where order_id = 'O1' and line_number = 3 and row_status = 'accepted'",
        "test_name:conforms_to_contract,int_order_lines",
    )
    assert result.returncode != 0, result.stdout[-3000:]
    assert "FAIL 1 conforms_to_contract_int_order_lines_order_lines" in result.stdout, result.stdout[-3000:]


def test_company_pnl_keeps_every_decimal(clean_generated):
    landing, warehouse = clean_generated
    con = connect_landing(landing)
    rel = customer_figures(con, date(2026, 6, 30))
    buyers, total = con.sql("select sum(contribution) filter (where is_buyer), sum(contribution) from rel").fetchone()
    pnl = dict(query(warehouse, "select line_item, amount from company_pnl where activity is null"))
    assert buyers % D("0.01") != 0, "pick data whose figure has sub-cent digits, or this proves nothing"
    assert (pnl["buyer_contribution"], pnl["company_contribution"]) == (buyers, total)
