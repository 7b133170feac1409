"""Churn risk on the generated warehouse (3000 customers, lapsing ones among them): the lapse
counts, the score rule and the high-value retention recomputed here from the accepted orders,
the attributes and the tier marts, independently of the churn models."""

import math
from datetime import date

import numpy as np
import pytest
from conftest import query

from orchestration.dbt_runner import run_dbt_build
from orchestration.publish import store_snapshot
from tiering import clv

pytestmark = pytest.mark.slow  # two builds of 3,000 customers, six months apart

D, HORIZON, HIGH_RISK = date(2026, 6, 30), 180, 70
PAST = date(2025, 12, 30)  # D - 6 months: tier history for the retention cohort


@pytest.fixture(scope="module")
def churn_warehouses(generated_landing, tmp_path_factory):
    """The generated landing built at D - 6 months (its tier snapshot kept) and at D beside it."""
    folder = tmp_path_factory.mktemp("churn_wh")
    past, now = folder / "past.duckdb", folder / "warehouse.duckdb"
    for as_of, warehouse in ((PAST, past), (D, now)):
        result = run_dbt_build(generated_landing[0], as_of, warehouse, capture=True)
        assert result.returncode == 0, result.stdout[-5000:]
        if warehouse == past:
            store_snapshot(past, folder / "history", PAST.isoformat())
    return past, now


def completed_order_customers(warehouse, after, until) -> set[str]:
    rows = query(
        warehouse,
        f"select distinct customer_id from int_orders where status = 'completed' "
        f"and order_date > date '{after}' and order_date <= date '{until}'",
    )
    return {r[0] for r in rows}


def test_backtest_lift_and_lapse_counts(churn_warehouses):
    _, warehouse = churn_warehouses
    (row,) = query(
        warehouse,
        "select backtest_date, scored_buyers, lapsed_buyers, base_rate, high_risk_buyers, "
        "high_risk_lapsed, lift from churn_backtest",
    )
    backtest_date, scored, lapsed, base_rate, high, high_lapsed, lift = row
    assert backtest_date == date(2026, 1, 1)  # D - 180 days
    buyers = completed_order_customers(warehouse, "2025-01-01", backtest_date)  # B - 365 < date <= B
    lapsers = buyers - completed_order_customers(warehouse, backtest_date, D)
    high_risk = {
        r[0]
        for r in query(
            warehouse,
            f"select customer_id from int_churn_scores where snapshot_date = "
            f"date '{backtest_date}' and churn_risk_score >= {HIGH_RISK}",
        )
    }
    assert (scored, lapsed, high, high_lapsed) == (len(buyers), len(lapsers), len(high_risk), len(high_risk & lapsers))
    assert base_rate == pytest.approx(len(lapsers) / len(buyers))
    assert lift == pytest.approx(len(high_risk & lapsers) / len(high_risk) / base_rate)
    assert lift > 1.5 and high > 50
    print(
        f"backtest at {backtest_date}: {scored} buyers, base rate {base_rate:.3f}, {high} high-risk, "
        f"{high_lapsed} lapsed ({high_lapsed / high:.3f}), lift {lift:.2f}"
    )


def test_score_follows_the_documented_rule(churn_warehouses):
    """Bins, smoothed bin lapse rates at S - 180 and the naive-Bayes combination, redone in numpy."""
    _, warehouse = churn_warehouses
    names = ["recency_ratio", "spend_trend", "late_days", "service_intensity"]
    attributes = query(
        warehouse,
        f"select snapshot_date, customer_id, lapsed, {', '.join(names)} "
        "from int_churn_attributes order by snapshot_date, customer_id",
    )
    edges = {
        name: sorted(r[0] for r in query(warehouse, f"select lower_bound from churn_bins where attribute = '{name}'"))
        for name in names
    }

    def bin_of(name, value):
        return None if value is None else max(int(np.searchsorted(edges[name], value, side="right")) - 1, 0)

    by_date = {}
    for snapshot, customer, lapsed, *values in attributes:
        by_date.setdefault(snapshot, []).append((customer, lapsed, [bin_of(n, v) for n, v in zip(names, values)]))
    expected = {}
    for snapshot in (date(2026, 1, 1), D):
        calibration = by_date[date.fromordinal(snapshot.toordinal() - HORIZON)]
        base = sum(lapsed for _, lapsed, _ in calibration) / len(calibration)
        logit = math.log(base / (1 - base))
        for customer, _, bins in by_date[snapshot]:
            log_odds = logit
            for i, b in enumerate(bins):
                members = [lapsed for _, lapsed, other in calibration if other[i] == b]
                rate = (sum(members) + 10 * base) / (len(members) + 10)
                log_odds += math.log(rate / (1 - rate)) - logit
            expected[(snapshot, customer)] = 1 / (1 + math.exp(-log_odds))
    got = {
        (s, c): (p, score)
        for s, c, p, score in query(
            warehouse, "select snapshot_date, customer_id, churn_probability, churn_risk_score from int_churn_scores"
        )
    }
    assert got.keys() == expected.keys()
    for key, probability in expected.items():
        assert got[key][0] == pytest.approx(probability, rel=1e-9) and got[key][1] == round(100 * probability), key
    (at_d,) = query(warehouse, f"select count(*) from churn_risk where as_of_date = date '{D}'")
    assert at_d[0] == len(by_date[D])


def test_high_value_retention_by_cohort(churn_warehouses):
    past, now = churn_warehouses
    high_value = "select customer_id from customer_tiers where pyramid_tier in ('A', 'B')"
    cohort = {r[0] for r in query(past, high_value)}
    still = cohort & {r[0] for r in query(now, high_value)}
    rows = query(
        now,
        "select cohort_date, follow_up_date, high_value_customers, retained_customers, retention_rate "
        "from high_value_retention",
    )
    assert rows == [(PAST, D, len(cohort), len(still), pytest.approx(len(still) / len(cohort)))]
    assert 0 < len(still) < len(cohort)
    print(f"high-value retention: {len(still)} of {len(cohort)} A/B customers at {PAST} still A/B at {D}")


def test_p_alive_is_mbgnbd_and_lets_one_time_buyers_drop_out(churn_warehouses):
    _, warehouse = churn_warehouses
    rows = query(
        warehouse,
        "select h.x, h.t_x, h.t_age, p.p_alive, p.p_alive_bgnbd from int_clv_purchase_history as h "
        "join int_clv_predictions as p using (customer_id) order by customer_id",
    )
    x, t_x, t_age, p_alive, p_alive_bgnbd = (np.array(column, dtype=float) for column in zip(*rows))
    fit = clv.fit_bgnbd(x, t_x, t_age, model=clv.MbgNbd)
    assert p_alive == pytest.approx(clv.probability_alive(fit, x, t_x, t_age), rel=1e-4)
    one_time = x == 0
    assert np.all(p_alive_bgnbd[one_time] == 1.0) and np.all(p_alive[one_time] < 1.0)
