"""The multi-factor tier score and the prospect score, recomputed independently in Python from
the warehouse's inputs and the seeds' weights."""

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import query

SEEDS = Path(__file__).parent.parent / "seeds"
FOUR = Decimal("0.0001")


def weights(seed: str) -> dict[str, tuple[Decimal, bool]]:
    rows = csv.DictReader((SEEDS / f"{seed}.csv").open())
    return {r["factor"]: (Decimal(r["weight"]), r.get("higher_is_better", "true") == "true") for r in rows}


def percentile_ranks(values: dict[str, float | None], higher_is_better: bool) -> dict[str, Decimal]:
    """(rank - 1) / (n - 1) with equal values sharing the lowest rank; missing 0.5; 9 decimals."""
    present = sorted(v if higher_is_better else -v for v in values.values() if v is not None)
    first = {}
    for i, v in enumerate(present):
        first.setdefault(v, i)
    n = len(present)
    out = {}
    for key, v in values.items():
        if v is None:
            out[key] = Decimal("0.5")
        else:
            rank = first[v if higher_is_better else -v] / (n - 1) if n > 1 else 0.0
            out[key] = Decimal(repr(rank)).quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)
    return out


def scores(factor_values: dict[str, dict[str, float | None]], seed: str) -> dict[str, Decimal]:
    w = {
        f: wd for f, wd in weights(seed).items() if wd[0] > 0 and any(v is not None for v in factor_values[f].values())
    }
    ranks = {f: percentile_ranks(factor_values[f], better) for f, (_, better) in w.items()}
    total = sum(weight for weight, _ in w.values())
    customers = next(iter(factor_values.values()))
    return {
        c: (100 * sum(w[f][0] * ranks[f][c] for f in w) / total).quantize(FOUR, rounding=ROUND_HALF_UP)
        for c in customers
    }


def six(ratio: Decimal) -> float:
    """A ratio to 6 decimals, as the model takes it."""
    return float(ratio.quantize(Decimal("1e-6"), rounding=ROUND_HALF_UP))


def close(a: Decimal, b: Decimal) -> bool:
    """Equal to 4 decimals; a last-digit difference only where the exact value sits on a half."""
    return abs(a - b) <= FOUR


@pytest.fixture(scope="module")
def tier_inputs(generated_warehouse):
    rows = query(
        generated_warehouse,
        """select p.customer_id, s.lifetime_net_revenue, p.net_revenue, p.frequency, p.gross_margin,
                  p.avg_days_late, pot.revenue_trend
           from int_customer_profitability as p
           left join int_customer_sales as s using (customer_id)
           left join int_customer_potential as pot using (customer_id)
           where p.is_buyer""",
    )
    f = lambda v: None if v is None else float(v)
    return {
        "cumulative_sales": {r[0]: f(r[1]) for r in rows},
        "average_order_value": {r[0]: six(r[2] / r[3]) for r in rows},
        "margin_rate": {r[0]: (six(r[4] / r[2]) if r[2] > 0 else None) for r in rows},
        "payment_lateness": {r[0]: f(r[5]) for r in rows},
        "growth": {r[0]: f(r[6]) for r in rows},
    }


def test_multi_factor_score_equals_a_recomputation(generated_warehouse, tier_inputs):
    expected = scores(tier_inputs, "tier_score_factors")
    got = dict(query(generated_warehouse, "select customer_id, multi_factor_score from int_customer_tier_score"))
    assert got.keys() == expected.keys()
    assert all(close(got[c], expected[c]) for c in got), [c for c in got if not close(got[c], expected[c])][:5]


def test_score_scheme_tiers_follow_the_score_with_ties_by_customer_id(generated_warehouse):
    rows = csv.DictReader((SEEDS / "tier_schemes.csv").open())
    shares = {r["tier"]: Decimal(r["cumulative_share"]) for r in rows if r["basis"] == "multi_factor_score"}
    scheme = query(generated_warehouse, "select distinct scheme from tier_schemes where basis = 'multi_factor_score'")
    ranked = query(
        generated_warehouse, "select customer_id, multi_factor_score from int_customer_tier_score order by 2 desc, 1"
    )
    n = len(ranked)
    bounds = {t: int((s * n).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for t, s in shares.items()}
    expected = {c: min(t for t, b in bounds.items() if i < b) for i, (c, _) in enumerate(ranked)}
    got = dict(
        query(
            generated_warehouse,
            f"""select customer_id, case when tier <> 'non_buyer' then tier end
                from customer_scheme_tiers where scheme = '{scheme[0][0]}'""",
        )
    )
    assert {c: got[c] for c in expected} == expected
    assert all(t is None for c, t in got.items() if c not in expected)  # non-buyers have no tier


def test_prospect_score_equals_a_recomputation(generated_warehouse):
    customers = query(
        generated_warehouse,
        """select p.customer_id, p.is_buyer, p.segment, p.region, c.industry, c.employee_count, c.annual_revenue,
                  coalesce((select sum(events) from int_customer_activity_costs as a
                            where a.customer_id = p.customer_id), 0)
           from int_customer_profitability as p left join int_customers as c using (customer_id)""",
    )

    def buyer_rate(column: int) -> dict:
        groups = {}
        for r in customers:
            if r[column] is not None:
                groups.setdefault(r[column], []).append(r[1])
        return {k: sum(v) / len(v) for k, v in groups.items()}

    rates = {col: buyer_rate(col) for col in (2, 3, 4)}
    prospects = [r for r in customers if not r[1]]
    rate = lambda r, col: None if r[col] is None else rates[col][r[col]]
    num = lambda v: None if v is None else float(v)
    values = {
        "segment_buyer_rate": {r[0]: rate(r, 2) for r in prospects},
        "region_buyer_rate": {r[0]: rate(r, 3) for r in prospects},
        "industry_buyer_rate": {r[0]: rate(r, 4) for r in prospects},
        "employee_count": {r[0]: num(r[5]) for r in prospects},
        "annual_revenue": {r[0]: num(r[6]) for r in prospects},
        "service_engagement": {r[0]: float(r[7]) for r in prospects},
    }
    expected = scores(values, "prospect_score_factors")
    got = query(generated_warehouse, "select customer_id, prospect_score, prospect_rank from prospect_scores")
    assert {c for c, _, _ in got} == set(expected)
    assert all(close(s, expected[c]) for c, s, _ in got)
    by_rank = [c for c, _, _ in sorted(got, key=lambda r: r[2])]
    assert by_rank == [c for c, _, _ in sorted(got, key=lambda r: (-r[1], r[0]))]
