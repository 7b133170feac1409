"""Tier history over several as-of dates: migration totals and rebuilding one past date."""

import hashlib

import duckdb
import pytest

from devtools.generator.cli import Spec, generate
from orchestration.main_job import main
from tiering.settings import Settings

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
        assert con.sql("select count(*) from history.membership_levels").fetchone()[0] > 0
        assert con.sql("select count(*) from history.early_warning where reasons is not null").fetchone()[0] > 0


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
