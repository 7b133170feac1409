"""Tier management marts on the generated warehouse, recomputed here from the accepted rows
(plain DuckDB SQL over int_customers, int_orders, int_order_lines, int_service_events and
int_activity_rates) and the seeds as written, sharing no SQL with the models."""

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

SEEDS = Path(__file__).parent.parent / "seeds"
UNIT_TESTS = Path(__file__).parent.parent / "models" / "intermediate" / "management"


def seed(name: str) -> list[dict]:
    with (SEEDS / f"{name}.csv").open() as f:
        return list(csv.DictReader(f))


def default_tier_bounds(buyers: int) -> list[tuple[str, int]]:
    """(tier, last rank) of the default share scheme: round-half-up(cumulative share x buyers)."""
    rows = sorted((r for r in seed("tier_schemes") if r["is_default"] == "true"), key=lambda r: int(r["tier_order"]))
    return [
        (r["tier"], int((Decimal(r["cumulative_share"]) * buyers).quantize(Decimal(1), ROUND_HALF_UP))) for r in rows
    ]


@pytest.fixture(scope="module")
def con(generated_warehouse):
    """Per-customer tier and per-customer-activity service, recomputed into temp tables."""
    con = duckdb.connect()
    con.execute(f"attach '{generated_warehouse}' as wh (read_only)")
    con.execute("""create temp table d as select max(day) as d from (
        select max(order_ts::date) as day from wh.int_orders union all select max(event_ts::date) from wh.int_service_events)""")
    con.execute("""create temp table buyers as
        select o.customer_id, coalesce(sum(l.quantity::decimal(38, 0) * l.unit_price - l.discount_amount), 0) as net_revenue
        from wh.int_orders as o left join wh.int_order_lines as l using (order_id), d
        where o.status = 'completed' and o.order_ts::date > d.d - 365 and o.order_ts::date <= d.d
        group by o.customer_id""")
    con.execute("""create temp table ranked as
        select customer_id, net_revenue, row_number() over (order by net_revenue desc, customer_id) as rk from buyers""")
    n = con.sql("select count(*) from buyers").fetchone()[0]
    case = " ".join(f"when rk <= {last} then '{tier}'" for tier, last in default_tier_bounds(n))
    con.execute("""create temp table events as
        select e.customer_id, e.activity, e.quantity, e.quantity * r.rate_per_unit as cost
        from wh.int_service_events as e, d
        join wh.int_activity_rates as r on r.activity = e.activity
         and e.event_ts::date between r.valid_from and coalesce(r.valid_to, date '9999-12-31')
        where e.event_ts::date > d.d - 365 and e.event_ts::date <= d.d""")
    con.execute(f"""create temp table customers as
        select c.customer_id, coalesce(case {case} end, 'non_buyer') as tier, ranked.net_revenue, ranked.rk is not null as is_buyer
        from (select customer_id from wh.int_customers, d where created_date <= d.d
              union select customer_id from wh.int_orders, d where status = 'completed' and order_ts::date <= d.d
              union select customer_id from events) as c
        left join ranked using (customer_id)""")
    con.execute("""create temp table served as
        select customer_id, activity, count(*) as events, sum(quantity) as units, sum(cost) as cost
        from events group by all""")
    return con


def rates_at_as_of(con) -> dict[str, Decimal]:
    return dict(
        con.sql("""select activity, rate_per_unit from wh.int_activity_rates, d
                           where d.d between valid_from and coalesce(valid_to, date '9999-12-31')""").fetchall()
    )


def planned_units_per_customer() -> dict[tuple[str, str], Decimal]:
    """(tier, activity) -> contacts a year x units per contact, from the seeds as written."""
    cadence = {r["contact_cadence"]: int(r["contacts_per_year"]) for r in seed("contact_cadences")}
    return {
        (p["tier"], s["activity"]): cadence[p["contact_cadence"]] * Decimal(s["units_per_contact"])
        for p in seed("service_policies")
        for s in seed("service_plan")
        if s["service_channel"] == p["service_channel"] and cadence[p["contact_cadence"]] > 0
    }


def test_plan_vs_actual_equals_a_recomputation_from_accepted_rows(con):
    tiers = dict(con.sql("select tier, count(*) from customers group by tier").fetchall())
    rates = rates_at_as_of(con)
    expected = {}
    for (tier, activity), units in planned_units_per_customer().items():
        planned = tiers.get(tier, 0) * units
        expected[(tier, activity)] = [tiers.get(tier, 0), planned, planned * rates[activity], 0, Decimal(0), Decimal(0)]
    actual = con.sql("""select tier, activity, sum(events), sum(units), sum(cost)
                        from served join customers using (customer_id) group by all""").fetchall()
    for tier, activity, events, units, cost in actual:
        row = expected.setdefault((tier, activity), [tiers[tier], Decimal(0), Decimal(0), 0, Decimal(0), Decimal(0)])
        row[3:] = [events, units, cost]
    got = {
        (t, a): list(rest)
        for t, a, *rest in con.sql("""
        select tier, activity, customers, planned_units, planned_cost, actual_events, actual_units, actual_cost
        from wh.service_plan_vs_actual where planned_units > 0 or actual_events > 0""").fetchall()
    }
    assert got == expected
    assert (
        con.sql("select distinct as_of_date from wh.service_plan_vs_actual").fetchall()
        == con.sql("select d from d").fetchall()
    )
    assert {t for t, _ in got} >= {"A", "B", "C", "D", "non_buyer"}
    # the actual cost is all of the window's service cost
    assert (
        con.sql("select sum(cost) from events").fetchone()[0]
        == con.sql("select sum(actual_cost) from wh.service_plan_vs_actual").fetchone()[0]
        > 0
    )


def test_exceptions_equal_a_recomputation(con):
    rules = seed("service_exception_rules")
    allowance = {
        (r["tier"], r["activity"]): Decimal(r["allowance_units_per_year"])
        for r in rules
        if r["exception"] == "over_served"
    }
    share = {r["tier"]: Decimal(r["min_share_of_plan"]) for r in rules if r["exception"] == "under_served"}
    tier = dict(con.sql("select customer_id, tier from customers").fetchall())
    served = {(c, a): u for c, a, u in con.sql("select customer_id, activity, units from served").fetchall()}
    over = {(c, a) for (c, a), u in served.items() if (tier[c], a) in allowance and u > allowance[(tier[c], a)]}
    under = {
        (c, a)
        for c, t in tier.items()
        if t in share
        for (pt, a), units in planned_units_per_customer().items()
        if pt == t and served.get((c, a), 0) < units * share[t]
    }
    got = con.sql("select exception, customer_id, activity from wh.service_exceptions").fetchall()
    assert {(c, a) for e, c, a in got if e == "over_served"} == over and len(over) > 0
    assert {(c, a) for e, c, a in got if e == "under_served"} == under and len(under) > 0


def test_fee_income_charges_small_buyers_only(con):
    policies = {p["tier"]: p for p in seed("service_policies")}
    charged = {r["buyer_status"] for r in seed("small_balance_fee_charging") if r["fee_charged"] == "true"}
    assert charged == {"buyer"}
    expected = {}
    for tier, revenue, is_buyer in con.sql("select tier, net_revenue, is_buyer from customers").fetchall():
        p = policies[tier]
        fee = Decimal(p["small_balance_monthly_fee"])
        pays = is_buyer and fee > 0 and (revenue or 0) / 12 < Decimal(p["small_balance_threshold"])
        expected[tier] = expected.get(tier, 0) + (fee * 12 if pays else 0)
    got = dict(con.sql("select tier, fee_income_per_year from wh.fee_income").fetchall())
    assert got == expected and got["D"] > 0 and got["non_buyer"] == 0


def test_every_action_appears_once_per_customer(con):
    got = dict(con.sql("select action, count(*) from wh.customer_actions group by action").fetchall())
    assert set(got) == {r["action"] for r in seed("action_rules")}
    assert {
        "develop",
        "retain_vip_care",
        "win_back",
        "move_to_cheaper_channel",
        "charge_fee_or_reprice",
        "require_prepayment",
        "exit",
    } <= set(got)
    assert sum(got.values()) == con.sql("select count(*) from customers").fetchone()[0]
    assert con.sql("select count(distinct customer_id) from wh.customer_actions").fetchone()[0] == sum(got.values())


def _norm(value) -> str:
    text = "" if value is None else str(value).lower()
    try:
        return str(Decimal(text).normalize())
    except ArithmeticError:
        return text


@pytest.mark.parametrize(
    "unit_file, seed_name, model",
    [
        ("int_customer_actions_unit.yml", "action_rules", "int_customer_actions"),
        ("int_customer_service_exceptions_unit.yml", "service_exception_rules", "int_customer_service_exceptions"),
    ],
)
def test_unit_tests_mock_the_seeds_rules(unit_file, seed_name, model):
    """The rule rows the unit tests mock are the seed's (descriptions aside)."""
    doc = yaml.safe_load((UNIT_TESTS / unit_file).read_text())
    given = [
        g["rows"]
        for t in doc["unit_tests"]
        if t["model"] == model
        for g in t["given"]
        if g["input"] == f"ref('{seed_name}')"
    ]
    expected = [{k: _norm(v) for k, v in r.items() if k != "description"} for r in seed(seed_name)]
    assert given and all(
        [{k: _norm(v) for k, v in r.items() if k != "description"} for r in rows] == expected for rows in given
    )
