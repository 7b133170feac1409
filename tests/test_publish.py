"""Build-file preparation and publication bookkeeping (no dbt)."""

from pathlib import Path

import duckdb

from orchestration.publish import prepare_build_file, should_publish
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
