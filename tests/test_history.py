"""Tier history over several as-of dates: migration totals and rebuilding one past date."""

import calendar
import csv
import hashlib
import math
import shutil
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from devtools.generator.cli import Spec, generate
from orchestration.main_job import main
from tiering.project import PROJECT_DIR
from tiering.settings import Settings

pytestmark = pytest.mark.slow  # three nights, then one rebuilt

DATES = ["2026-04-30", "2026-05-31", "2026-06-30"]


@pytest.fixture(scope="module")
def history_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    landing = root / "landing"
    generate(Spec(customers=500, seed=9), landing)
    mp = pytest.MonkeyPatch()
    mp.setenv("WAREHOUSE_HOME", str(root / "wh"))
    mp.setenv("LANDING_DIR", str(landing))
    for d in DATES:
        assert main(["--as-of", d]) == 0
    yield root, landing, mp
    mp.undo()


def snapshot_digests(root):
    return {
        p.parent.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Settings.from_env().history_dir.glob("as_of=*/tier_snapshot.parquet"))
    }


def test_history_keeps_one_snapshot_per_date(history_run):
    root, _, _ = history_run
    assert list(snapshot_digests(root)) == [f"as_of={d}" for d in DATES]


def test_migration_totals_equal_both_dates_populations(history_run):
    root, _, _ = history_run
    with duckdb.connect(str(root / "wh" / "served" / "warehouse.duckdb"), read_only=True) as con:
        pairs = con.sql(
            "select distinct from_date::varchar, to_date::varchar from history.tier_migration order by 1"
        ).fetchall()
        assert pairs == [(DATES[0], DATES[1]), (DATES[1], DATES[2])]
        for from_date, to_date in pairs:
            for scheme in ("vip_1_4_15_80", "abc_20_30_50"):
                sides = con.sql(f"""select sum(customers) filter (where from_tier <> 'absent'),
                                           sum(customers) filter (where to_tier <> 'absent')
                                    from history.tier_migration where from_date = '{from_date}' and scheme = '{scheme}'""").fetchone()
                populations = tuple(
                    duckdb.sql(
                        f"select count(*) from read_parquet('{Settings.from_env().history_dir}/as_of={d}/tier_snapshot.parquet')"
                    ).fetchone()[0]
                    for d in (from_date, to_date)
                )
                assert sides == populations
        movements = dict(con.sql("select movement, sum(customers) from history.tier_migration group by 1").fetchall())
        assert {"upgrade", "downgrade", "unchanged", "new buyer", "lost buyer"} <= set(movements)
        assert con.sql("select count(*) from history.membership_levels").fetchone()[0] == len(populations_at(DATES[2]))
        assert con.sql("select count(*) from history.early_warning where reasons is not null").fetchone()[0] > 0


def test_migration_counts_every_customer_and_scheme_as_a_plain_recount_does(history_run):
    """Each row of tier_migration against a recount of the two stored snapshots in Python:
    a customer on one side only is 'absent' on the other, a known customer without a tier in
    a scheme 'non_buyer' there."""
    root, _, _ = history_run
    schemes = sorted({row["scheme"] for row in seed("tier_schemes")})
    snapshots = {d: snapshot_tiers(d) for d in DATES}
    expected = Counter()
    sums = {}
    for before, after in zip(DATES, DATES[1:]):
        a, b = snapshots[before], snapshots[after]
        for customer in a.keys() | b.keys():
            for scheme in schemes:
                key = (before, after, scheme, tier_on(a, customer, scheme), tier_on(b, customer, scheme))
                expected[key] += 1
                figures = [side[customer][i] if customer in side else None for i in (1, 2) for side in (a, b)]
                sums[key] = [total + (f or 0) for total, f in zip(sums.get(key, [0] * 4), figures)]
    with duckdb.connect(str(root / "wh" / "served" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("""select from_date::varchar, to_date::varchar, scheme, from_tier, to_tier, customers,
                                 net_revenue_before, net_revenue_after, contribution_before, contribution_after
                          from history.tier_migration""").fetchall()
    assert {r[:5]: r[5] for r in rows} == dict(expected)
    assert {r[:5]: list(r[6:]) for r in rows} == sums
    # customers appear over time and none vanish here (a vanished one: the dbt unit test)
    assert {r[3] for r in rows} >= {"absent", "non_buyer"} and "non_buyer" in {r[4] for r in rows}


def snapshot_tiers(day: str) -> dict[str, tuple]:
    path = Settings.from_env().history_dir / f"as_of={day}" / "tier_snapshot.parquet"
    rows = duckdb.sql(f"select customer_id, scheme_tiers, net_revenue, contribution from read_parquet('{path}')")
    return {customer: (tiers, revenue, contribution) for customer, tiers, revenue, contribution in rows.fetchall()}


def tier_on(snapshot: dict[str, tuple], customer: str, scheme: str) -> str:
    if customer not in snapshot:
        return "absent"
    return snapshot[customer][0].get(scheme, "non_buyer")


def populations_at(day: str) -> list[tuple]:
    path = Settings.from_env().history_dir / f"as_of={day}" / "tier_snapshot.parquet"
    return duckdb.sql(f"select customer_id from read_parquet('{path}')").fetchall()


def seed(name: str) -> list[dict]:
    with (PROJECT_DIR / "seeds" / f"{name}.csv").open() as f:
        return list(csv.DictReader(f))


def add_months(d: date, months: int) -> date:
    """d + months, the day clamped to the month's last day (as DuckDB adds an interval)."""
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, min(d.day, calendar.monthrange(d.year + y, m + 1)[1]))


def stored_assignments(as_of: str) -> dict[tuple[str, str], dict]:
    path = Settings.from_env().history_dir / f"as_of={as_of}" / "tier_snapshot.parquet"
    rows = duckdb.sql(f"select customer_id, unnest(tier_assignments) as a from read_parquet('{path}')").fetchall()
    return {(c, a["scheme"]): a for c, a in rows}


def test_assigned_tiers_follow_review_dates_and_bands(history_run):
    """The served assignments at the last date, recomputed in Python from the seeds and the
    assignments stored with the previous date's snapshot."""
    root, _, _ = history_run
    rules = {(r["scheme"], r["tier"]): r for r in seed("tier_review_rules")}
    order = {(r["scheme"], r["tier"]): int(r["tier_order"]) for r in seed("tier_schemes")}
    for scheme in {s for s, _ in order}:
        order[(scheme, "non_buyer")] = max(o for (s, _), o in order.items() if s == scheme) + 1
    previous, d = stored_assignments(DATES[1]), date.fromisoformat(DATES[2])
    with duckdb.connect(str(root / "wh" / "served" / "warehouse.duckdb"), read_only=True) as con:
        served = con.sql("""select customer_id, scheme, computed_tier, assigned_tier, assigned_since, next_review_date,
                                   assignment_reason from management.assigned_tiers""").fetchall()
        history = con.sql("""select as_of_date::varchar, assignment_reason, count(*) from history.tier_assignment_history
                             group by all""").fetchall()
    reasons = {}
    for customer, scheme, computed, assigned, since, review, reason in served:
        prev = previous.get((customer, scheme))
        if prev is None:
            expected = (computed, d, "first_assignment")
        elif d >= prev["next_review_date"]:
            expected = (computed, d if computed != prev["assigned_tier"] else prev["assigned_since"], "review_date")
        elif abs(order[(scheme, computed)] - order[(scheme, prev["assigned_tier"])]) > int(
            rules[(scheme, prev["assigned_tier"])]["band_steps"]
        ):
            expected = (computed, d, "beyond_band")
        else:
            expected = (prev["assigned_tier"], prev["assigned_since"], "kept")
        if expected[2] == "kept":
            expected_review = prev["next_review_date"]
        else:
            expected_review = add_months(d, int(rules[(scheme, expected[0])]["review_months"]))
        assert (assigned, since, reason, review) == (*expected, expected_review), (customer, scheme)
        reasons[reason] = reasons.get(reason, 0) + 1
    assert reasons.get("kept", 0) > 0 and reasons.get("beyond_band", 0) > 0
    assert any(c != a for _, _, c, a, *_ in served)  # an assigned tier that stays put
    first = {(d_, r): n for d_, r, n in history if d_ == DATES[0]}
    assert first == {(DATES[0], "first_assignment"): len(stored_assignments(DATES[0]))}
    assert {r for d_, r, _ in history if d_ == DATES[2]} == set(reasons) - {"kept"}


def test_assignment_history_gives_the_tier_served_before(history_run):
    """previous_assigned_tier of each assignment is the assigned tier stored with the date before."""
    root, _, _ = history_run
    with duckdb.connect(str(root / "wh" / "served" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("""select as_of_date::varchar, customer_id, scheme, previous_assigned_tier
                          from history.tier_assignment_history""").fetchall()
    stored = {d: stored_assignments(d) for d in DATES[:-1]}
    compared = 0
    for day, customer, scheme, previous in rows:
        i = DATES.index(day)
        before = stored[DATES[i - 1]].get((customer, scheme)) if i else None
        assert previous == (before["assigned_tier"] if before else None), (day, customer, scheme)
        compared += previous is not None
    assert compared > 0 and {d for d, *_ in rows} == set(DATES)


CLUB = ["membership_level", "membership_since", "membership_valid_until", "membership_reason"]


def stored_club(day: str) -> dict[str, dict]:
    path = Settings.from_env().history_dir / f"as_of={day}" / "tier_snapshot.parquet"
    rows = duckdb.sql(f"select customer_id, net_revenue, {', '.join(CLUB)} from read_parquet('{path}')").fetchall()
    return {c: dict(zip(["net_revenue", *CLUB], rest, strict=True)) for c, *rest in rows}


def club_step(previous: dict | None, net_revenue, d: date) -> tuple:
    """The loyalty club's rules (docs/tiers.md), one step from the state stored the night before."""
    rules = {r["rule"]: r["value"] for r in seed("membership_rules")}
    levels = sorted(
        (int(r["level_rank"]), int(r["min_points"]), r["level"]) for r in seed("membership_level_thresholds")
    )
    rank_of = {name: rank for rank, _, name in levels}
    points = math.floor(max(net_revenue, 0) * Decimal(rules["points_per_currency_unit"]))
    earned = next(rank for rank, floor_, _ in levels if floor_ <= points)
    until = d + timedelta(days=int(rules["validity_days"]) - 1)
    if previous is None or previous["membership_level"] not in rank_of:
        return earned, d, until, "joined at the level its points earn", True
    old, since, old_until = (
        rank_of[previous["membership_level"]],
        previous["membership_since"],
        previous["membership_valid_until"],
    )
    review = f"{d:%m-%d}" in rules["review_dates"].split(";")
    top = earned == levels[0][0] and earned < old
    if old_until < d:
        reason = f"expired on {old_until}: recomputed from points"
    elif review and earned < old:
        reason = "review date: upgraded by points"
    elif review and earned == old:
        reason = "review date: level confirmed and renewed"
    elif review:
        reason = "review date: points earn a lower level; kept until validity ends (up only)"
    elif top:
        reason = "reached the top level: upgraded at once"
    else:
        return old, since, old_until, previous["membership_reason"], False
    if old_until < d or (review and earned <= old) or top:
        return earned, since if earned == old else d, until, reason, True
    return old, since, old_until, reason, True


def test_membership_steps_on_from_the_state_stored_the_night_before(history_run):
    """The served club at the last date, recomputed in Python from the seeds, D's net revenue and
    the club state stored with the previous date's snapshot; D's stored state and events agree."""
    root, _, _ = history_run
    names = {int(r["level_rank"]): r["level"] for r in seed("membership_level_thresholds")}
    previous, now, d = stored_club(DATES[1]), stored_club(DATES[2]), date.fromisoformat(DATES[2])
    with duckdb.connect(str(root / "wh" / "served" / "warehouse.duckdb"), read_only=True) as con:
        served = con.sql(
            "select customer_id, level, level_since, valid_until, reason from history.membership_levels"
        ).fetchall()
        events = con.sql(f"""select customer_id, previous_level, level from history.membership_level_history
                             where as_of_date = '{DATES[2]}'""").fetchall()
    expected_events, reasons = set(), set()
    for customer, level, since, until, reason in served:
        rank, e_since, e_until, e_reason, event = club_step(previous.get(customer), now[customer]["net_revenue"], d)
        assert (level, since, until, reason) == (names[rank], e_since, e_until, e_reason), customer
        assert [now[customer][c] for c in CLUB] == [level, since, until, reason], customer
        if event:
            prev = previous.get(customer)
            expected_events.add((customer, prev and prev["membership_level"], level))
        reasons.add(reason.split(":")[0])
    assert set(events) == expected_events and len(served) == len(now)
    assert {"joined at the level its points earn", "review date"} <= reasons


def test_club_replayed_from_history_without_club_state_equals_the_stepped_one(history_run, tmp_path):
    """Snapshots stored by a version that kept no club state and no change flag: the night
    replays the club from the first stored date, reads every stored assignment, serves what the
    nights that stepped on served, and stores the replayed state in those snapshots."""
    root, landing, mp = history_run
    home = tmp_path / "wh"
    with mp.context() as m:
        m.setenv("WAREHOUSE_HOME", str(home))
        source, target = (Settings.from_env(home=h).history_dir for h in (root / "wh", home))
        for day in DATES[:2]:
            (target / f"as_of={day}").mkdir(parents=True)
            duckdb.sql(f"""copy (select * exclude (membership_points, membership_points_level, {", ".join(CLUB)},
                                                   membership_event, assignment_changed)
                                 from read_parquet('{source}/as_of={day}/tier_snapshot.parquet'))
                           to '{target}/as_of={day}/tier_snapshot.parquet'""")
        assert main(["--as-of", DATES[2]]) == 0
    marts = ["history.membership_levels", "history.membership_level_history", "history.tier_assignment_history"]
    tables = {}
    for h in (root / "wh", home):
        with duckdb.connect(str(h / "served" / "warehouse.duckdb"), read_only=True) as con:
            tables[h] = [sorted(con.sql(f"select * from {t}").fetchall()) for t in marts]
    assert tables[home] == tables[root / "wh"]
    assert {r[0].isoformat() for r in tables[home][1]} == set(DATES)
    # the night wrote the replayed state into the older snapshots, so later nights keep their events
    club = f"customer_id, membership_points, membership_points_level, {', '.join(CLUB)}, membership_event"
    for day in DATES[:2]:
        stored = [
            sorted(duckdb.sql(f"select {club} from read_parquet('{h}/as_of={day}/tier_snapshot.parquet')").fetchall())
            for h in (source, target)
        ]
        assert stored[1] == stored[0] and stored[0]


def test_crm_delta_lists_the_tier_changes_since_the_last_published_night(history_run):
    tiers = {
        day: dict(
            duckdb.sql(
                f"""select customer_id, coalesce(pyramid_tier, 'non_buyer')
                    from read_parquet('{Settings.from_env().history_dir}/as_of={day}/tier_snapshot.parquet')"""
            ).fetchall()
        )
        for day in DATES[1:]
    }
    before, now = tiers[DATES[1]], tiers[DATES[2]]
    expected = {(c, before.get(c), t) for c, t in now.items() if before.get(c) != t}
    exports = Settings.from_env().exports_link
    got = duckdb.sql(f"""select customer_id, old_value, new_value, as_of_date::varchar, previous_as_of_date::varchar
                         from read_csv('{exports}/crm_delta.csv') where change_type = 'tier'""").fetchall()
    assert {r[:3] for r in got} == expected and expected
    assert {r[3:] for r in got} == {(DATES[2], DATES[1])}
    kinds = {
        k
        for (k,) in duckdb.sql(
            f"select distinct change_type from read_parquet('{exports}/crm_delta.parquet')"
        ).fetchall()
    }
    assert {"tier", "action", "warning"} <= kinds


def test_rebuilding_a_past_date_changes_only_that_date(history_run):
    root, landing, _ = history_run
    before = snapshot_digests(root)
    served = root / "wh" / "served" / "warehouse.duckdb"
    served_before = hashlib.sha256(served.read_bytes()).hexdigest()
    # a correction arrives: every May order is cancelled
    con = duckdb.connect()
    con.execute(f"""copy (select order_id, customer_id, order_ts, channel, 'cancelled' as status
                          from read_parquet('{landing}/orders/*.parquet')
                          where order_ts >= '2026-05-01' and order_ts < '2026-06-01')
                    to '{landing}/orders/2026-07-01.csv' (header)""")
    assert main(["--as-of", DATES[1]]) == 0
    after = snapshot_digests(root)
    assert after[f"as_of={DATES[0]}"] == before[f"as_of={DATES[0]}"]
    assert after[f"as_of={DATES[2]}"] == before[f"as_of={DATES[2]}"]
    assert after[f"as_of={DATES[1]}"] != before[f"as_of={DATES[1]}"]
    assert hashlib.sha256(served.read_bytes()).hexdigest() == served_before  # a backfill is not published
    (landing / "orders" / "2026-07-01.csv").unlink()


def test_a_snapshot_stored_under_another_date_fails_the_night(history_run, capsys):
    """A folder copied under a date it does not hold would count its customers twice: red run."""
    history = Settings.from_env().history_dir
    copied = history / "as_of=2026-03-31"
    shutil.copytree(history / f"as_of={DATES[0]}", copied)
    try:
        capsys.readouterr()
        assert main(["--as-of", DATES[2]]) == 1
        assert "stored_snapshots_hold_their_own_date" in capsys.readouterr().err
    finally:
        shutil.rmtree(copied)
