"""Tier management on the bundled sample (sample/landing, `make sample`) at its as-of date:
the sample must show what the marts are for: over-served small customers, under-served VIPs,
every action and every rule of seed action_rules, and the service following the assigned tier."""

import csv
from pathlib import Path

import pytest
from conftest import query, shared_build

from tiering.landing import default_as_of, take_inventory
from tiering.project import PROJECT_DIR, SAMPLE_LANDING


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    as_of = default_as_of(take_inventory(SAMPLE_LANDING))
    return shared_build(tmp_path_factory, f"sample-{as_of}", SAMPLE_LANDING, as_of)


def action_rules() -> list[dict]:
    with (PROJECT_DIR / "seeds" / "action_rules.csv").open() as f:
        return list(csv.DictReader(f))


def test_every_action_and_rule_fires_on_the_sample(sample):
    fired = dict(query(sample, "select rule_id, count(*) from customer_actions group by rule_id"))
    assert set(fired) == {r["rule_id"] for r in action_rules()}
    actions = {a for (a,) in query(sample, "select distinct action from customer_actions")}
    assert actions == {r["action"] for r in action_rules()}


def test_sample_has_over_served_small_and_under_served_vip_customers(sample):
    got = dict(
        query(
            sample,
            """select exception || ' ' || t.tier, count(distinct e.customer_id)
               from service_exceptions as e join int_customer_service_tier as t using (customer_id)
               group by 1""",
        )
    )
    assert {"over_served D", "over_served non_buyer", "under_served A", "under_served B"} <= set(got)


def test_service_policy_and_actions_follow_the_assigned_default_tier(sample):
    mismatched = query(
        sample,
        """select count(*) from assigned_tiers as a
           join customer_tiers as c using (customer_id)
           join customer_actions as x using (customer_id)
           where a.is_default_scheme
             and (c.service_policy_tier <> a.assigned_tier or x.tier <> a.assigned_tier)""",
    )[0][0]
    assert mismatched == 0
    assert (
        query(sample, "select count(*) from assigned_tiers where is_default_scheme")[0][0]
        == query(sample, "select count(*) from customer_tiers")[0][0]
    )
