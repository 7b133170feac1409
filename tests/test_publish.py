"""Build-file preparation and publication bookkeeping (no dbt)."""

from datetime import date
from pathlib import Path

import duckdb

from orchestration.publish import CLUB_COLUMNS, add_club_state, prepare_build_file, should_publish
from tiering.settings import Settings


def paths(tmp_path, landing="/data/a"):
    return Settings(home=tmp_path, landing_dir=Path(landing))


def make_build(p, as_of, marker):
    f = p.build_file(as_of)
    f.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(f)).execute(f"create table t as select '{as_of}' as built").close()
    f.with_suffix(".landing").write_text(marker)
    return f


def built(f):
    with duckdb.connect(str(f), read_only=True) as con:
        return con.sql("select built from t").fetchone()[0]


def test_full_build_starts_from_a_new_file(tmp_path):
    p = paths(tmp_path)
    make_build(p, "2026-06-30", "/data/a")
    assert not prepare_build_file(p, "2026-06-30", incremental=False).exists()


def test_increment_starts_from_latest_earlier_build_of_the_same_landing(tmp_path):
    p = paths(tmp_path)
    make_build(p, "2026-06-28", "/data/a")
    make_build(p, "2026-06-29", "/data/a")
    make_build(p, "2026-06-30", "/data/other")  # another landing folder: never reused
    make_build(p, "2026-07-02", "/data/a")  # later: never reused
    assert built(prepare_build_file(p, "2026-07-01", incremental=True)) == "2026-06-29"


def test_a_rerun_builds_on_its_own_file_only_when_it_read_the_same_landing(tmp_path):
    p = paths(tmp_path)
    make_build(p, "2026-06-29", "/data/a")
    make_build(p, "2026-06-30", "/data/a")
    assert built(prepare_build_file(p, "2026-06-30", incremental=True)) == "2026-06-30"
    p.build_file("2026-06-30").unlink()
    make_build(p, "2026-06-30", "/data/other")
    f = prepare_build_file(p, "2026-06-30", incremental=True)
    assert built(f) == "2026-06-29" and f.with_suffix(".landing").read_text() == "/data/a"


def test_increment_without_an_earlier_build_is_a_full_build(tmp_path):
    p = paths(tmp_path)
    assert not prepare_build_file(p, "2026-07-01", incremental=True).exists()


def test_only_a_date_not_older_than_the_served_one_is_published(tmp_path):
    p = paths(tmp_path)
    assert should_publish(p, "2026-01-01")
    p.publication_file.parent.mkdir(parents=True)
    p.publication_file.write_text('{"as_of": "2026-06-30"}')
    assert should_publish(p, "2026-06-30") and should_publish(p, "2026-07-01") and not should_publish(p, "2026-06-29")


def test_old_snapshots_get_the_replayed_club_state_once(tmp_path):
    """Snapshots stored without club state (an older version) get the state the build replayed
    for their date; one with state, D's own date and a date the replay lacks are left alone, and
    a staged file a killed run left behind is removed."""
    con = duckdb.connect()
    con.execute(
        "create table int_membership_replay as select * from (values "
        "('2026-05-31'::date, 'c1', 120.00, 'silver', 'silver', '2026-05-31'::date, '2027-05-31'::date, "
        "'joined', true)) as r(as_of_date, customer_id, points, points_level, level, level_since, "
        "valid_until, reason, is_event)"
    )

    def snapshot(day, extra=""):
        folder = tmp_path / f"as_of={day}"
        folder.mkdir()
        con.execute(
            f"copy (select '{day}'::date as as_of_date, c as customer_id {extra} from (values ('c1'), ('c2')) v(c)) "
            f"to '{folder / 'tier_snapshot.parquet'}' (format parquet)"
        )
        return folder / "tier_snapshot.parquet"

    old, with_state, own = (
        snapshot("2026-05-31"),
        snapshot("2026-06-15", ", 'gold' as membership_level"),
        snapshot("2026-06-30"),
    )
    unreplayed = snapshot("2026-04-30")
    leftover = old.with_name(".tier_snapshot.0123.parquet")
    leftover.write_bytes(b"half written")
    before = {p: p.read_bytes() for p in (with_state, own, unreplayed)}

    assert add_club_state(con, tmp_path, "2026-06-30") == [old]
    rows = con.sql(f"select customer_id, {', '.join(CLUB_COLUMNS)} from '{old}' order by customer_id").fetchall()
    assert rows[0][1:] == (120, "silver", "silver", date(2026, 5, 31), date(2027, 5, 31), "joined", True)
    assert rows[1] == ("c2",) + (None,) * len(CLUB_COLUMNS)  # no replayed row: no state, kept
    assert {p: p.read_bytes() for p in before} == before and not leftover.exists()
    assert add_club_state(con, tmp_path, "2026-06-30") == []  # once
