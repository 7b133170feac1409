"""profit_concentration and the share rule on the generated landing, against a computation in
plain Python from the buyers' contributions (the ranking, group sizes, peak and shares are
recomputed here; the contributions themselves are checked in test_customer_value)."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from conftest import query


def half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share(part: Decimal, total: Decimal) -> float | None:
    return None if total == 0 else float(part / abs(total))


def concentration(contributions: dict[str, Decimal]) -> dict:
    ranked = [c for _, c in sorted(contributions.items(), key=lambda kv: (-kv[1], kv[0]))]
    n, total = len(ranked), sum(ranked, Decimal(0))
    top20, bottom30, decile = (half_up(Decimal(p) * n) for p in ("0.2", "0.3", "0.1"))
    cumulative = [sum(ranked[: k + 1], Decimal(0)) for k in range(n)]
    peak = max(range(n), key=lambda k: (cumulative[k], -k))
    losers = [c for c in ranked if c < 0]

    def bottom(k: int) -> Decimal:
        return sum(ranked[n - k :], Decimal(0)) if k else Decimal(0)

    return {
        "buyers": n,
        "total_contribution": total,
        "top_20_buyers": top20,
        "top_20_contribution": sum(ranked[:top20]),
        "top_20_share": share(sum(ranked[:top20]), total),
        "bottom_30_buyers": bottom30,
        "bottom_30_contribution": bottom(bottom30),
        "bottom_30_share": share(bottom(bottom30), total),
        "unprofitable_buyers": len(losers),
        "unprofitable_buyer_share": len(losers) / n,
        "unprofitable_contribution": sum(losers),
        "unprofitable_share": share(sum(losers), total),
        "peak_buyers": peak + 1,
        "peak_buyer_share": (peak + 1) / n,
        "peak_contribution": cumulative[peak],
        "peak_profit_share": share(cumulative[peak], total),
        "decile_buyers": decile,
        "top_10_contribution": sum(ranked[:decile]),
        "top_10_share": share(sum(ranked[:decile]), total),
        "bottom_10_contribution": bottom(decile),
        "bottom_10_share": share(bottom(decile), total),
    }


@pytest.fixture(scope="module")
def buyers(generated_warehouse) -> dict[str, Decimal]:
    return dict(query(generated_warehouse, "select customer_id, contribution from customer_value where is_buyer"))


def test_concentration_equals_python_computation(generated_warehouse, buyers):
    want = concentration(buyers)
    assert want["buyers"] > 1000 and want["unprofitable_buyers"] > 0 and want["decile_buyers"] > 0
    rows = query(generated_warehouse, f"select {', '.join(want)} from profit_concentration")
    assert len(rows) == 1
    got = dict(zip(want, rows[0]))
    for key, value in want.items():
        assert got[key] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), key


def test_whale_curve_peak_row_matches_concentration(generated_warehouse, buyers):
    want = concentration(buyers)
    peak = query(
        generated_warehouse,
        """select customer_rank, cumulative_contribution, cumulative_profit_share, summary
        from whale_curve where row_type = 'peak'""",
    )
    assert [p[:2] for p in peak] == [(want["peak_buyers"], want["peak_contribution"])]
    assert peak[0][2] == pytest.approx(want["peak_profit_share"], rel=1e-12)
    assert peak[0][3].startswith(f"top {round(want['peak_buyer_share'] * 100, 1)}% of buyers earn ")


def test_every_share_has_the_sign_of_its_part(generated_warehouse):
    """Shares of contribution are part / |total|: per grouping they add up to the sign of the total."""
    rows = query(
        generated_warehouse,
        """
        select 'tier ' || scheme, contribution, total_contribution, share_of_contribution from tier_profitability
        union all select 'quadrant', contribution, total_contribution, share_of_contribution from quadrant_profitability
        union all select 'grid', contribution, total_contribution, share_of_contribution from grid_profitability""",
    )
    sums: dict[str, float] = {}
    for grouping, part, total, got in rows:
        assert got == pytest.approx(float(part / abs(total)), rel=1e-12, abs=1e-15)
        sums[grouping] = sums.get(grouping, 0.0) + got
    totals = {g: t for g, _, t, _ in rows}
    assert sums == {g: pytest.approx(1.0 if totals[g] > 0 else -1.0) for g in sums}


def test_every_category_has_a_row(generated_warehouse):
    schemes = query(
        generated_warehouse,
        "select scheme, tier from tier_schemes union all "
        "select distinct scheme, 'non_buyer' from tier_schemes order by all",
    )
    assert query(generated_warehouse, "select scheme, tier from tier_profitability order by all") == schemes
    assert query(generated_warehouse, "select quadrant from quadrant_profitability order by all") == [
        ("gold",),
        ("iron",),
        ("lead",),
        ("non_buyer",),
        ("platinum",),
    ]
    assert query(generated_warehouse, "select value_grid from grid_profitability order by all") == [
        (c,) for c in "ABCDEF"
    ]
