"""Which earlier nights' build files a night removes (orchestration/retention.py); the pipeline's
own use of it is checked in test_orchestration_nights (a backfill night)."""

import os

import pytest

from orchestration import retention
from orchestration.retention import (
    FAILED_DBT_RUNS_KEPT,
    expired,
    nights,
    protected_nights,
    remove_expired,
    remove_old_dbt_runs,
)
from tiering.settings import Settings, SettingsError

pytestmark = pytest.mark.fast

DAYS = [f"2026-06-{d:02d}" for d in range(1, 8)]


def to_remove(landings, building, served, keep):
    return expired(sorted(landings), protected_nights(landings, building, served), keep)


def test_keeps_the_night_being_built_the_served_the_newest_and_the_n_newest_others():
    landings = dict.fromkeys(DAYS, "/landing")
    assert to_remove(landings, building="2026-06-07", served="2026-06-02", keep=2) == [
        "2026-06-01",
        "2026-06-03",
        "2026-06-04",
    ]


def test_keep_zero_leaves_the_night_the_served_one_and_each_landing_folders_newest():
    landings = {**dict.fromkeys(DAYS, "/a"), "2026-06-03": "/b", "2026-06-04": None}
    assert to_remove(landings, building="2026-06-07", served="2026-06-05", keep=0) == [
        "2026-06-01",
        "2026-06-02",
        "2026-06-06",
    ]


def test_a_backfill_keeps_the_newest_nights_and_itself():
    landings = dict.fromkeys(DAYS, "/landing")
    assert to_remove(landings, building="2026-06-01", served="2026-06-07", keep=1) == DAYS[1:5]


def test_nothing_expires_while_there_are_no_more_nights_than_kept():
    assert expired(DAYS[:3], protected={"2026-06-04"}, keep=3) == []
    assert expired(DAYS[:3], protected=set(), keep=0) == DAYS[:3]


def plant(build_dir, night, landing="/landing"):
    """A night's files as the pipeline leaves them."""
    stem = build_dir / f"warehouse-{night}"
    for suffix in (".duckdb", ".duckdb.wal", ".audit.json"):
        stem.with_name(stem.name + suffix).write_bytes(b"x" * 10)
    stem.with_name(stem.name + ".landing").write_text(landing)
    inventory = stem.with_name(stem.name + ".inventory")
    inventory.mkdir()
    (inventory / "inventory.json").write_text("{}")


def test_removes_every_file_of_an_expired_night_and_nothing_else(tmp_path):
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    for night in DAYS[:4]:
        plant(build_dir, night)
    bystanders = [build_dir / "notes.txt", build_dir / "warehouse-latest.duckdb"]
    for b in bystanders:
        b.write_text("keep me")
    lines = []
    assert remove_expired(build_dir, "2026-06-05", served="2026-06-01", keep=1, log=lines.append) == ["2026-06-02"]
    assert sorted(nights(build_dir)) == ["2026-06-01", "2026-06-03", "2026-06-04"]
    assert len(nights(build_dir)["2026-06-04"]) == 5  # duckdb, wal, verdict, marker, inventory
    assert all(b.read_text() == "keep me" for b in bystanders)
    assert len(lines) == 1 and "2026-06-02" in lines[0] and "WAREHOUSE_KEEP_BUILDS" in lines[0]


def test_a_night_that_cannot_be_removed_is_reported_and_the_others_still_go(tmp_path, monkeypatch):
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    for night in DAYS[:3]:
        plant(build_dir, night)
    real_remove = retention._remove

    def refuse_first(path):
        if path.name.startswith("warehouse-2026-06-01"):
            raise PermissionError("read-only")
        real_remove(path)

    monkeypatch.setattr(retention, "_remove", refuse_first)
    lines = []
    assert remove_expired(build_dir, "2026-06-04", served=None, keep=0, log=lines.append) == ["2026-06-02"]
    assert "could not remove the build of 2026-06-01" in lines[0]
    assert sorted(nights(build_dir)) == ["2026-06-01", "2026-06-03"]


def test_a_home_without_builds_has_nothing_to_remove(tmp_path):
    assert remove_expired(tmp_path / "build", "2026-06-01", served=None, keep=0, log=print) == []


def test_keep_builds_comes_from_the_environment_and_is_not_negative():
    assert Settings.from_env({}).keep_builds == 2
    assert Settings.from_env({"WAREHOUSE_KEEP_BUILDS": "0"}).keep_builds == 0
    with pytest.raises(SettingsError, match=r"^WAREHOUSE_KEEP_BUILDS: .*greater than or equal to 0"):
        Settings.from_env({"WAREHOUSE_KEEP_BUILDS": "-1"})


def test_keep_audits_comes_from_the_environment_and_keeps_at_least_the_audit_itself(tmp_path):
    assert Settings.from_env({}).keep_audits == 30
    settings = Settings.from_env({"WAREHOUSE_KEEP_AUDITS": "1", "WAREHOUSE_HOME": str(tmp_path)})
    assert settings.keep_audits == 1 and settings.gx_dir == tmp_path.resolve() / "gx"
    with pytest.raises(SettingsError, match=r"^WAREHOUSE_KEEP_AUDITS: .*greater than or equal to 1"):
        Settings.from_env({"WAREHOUSE_KEEP_AUDITS": "0"})


def test_failed_builds_dbt_folders_beyond_the_newest_are_removed(tmp_path):
    runs = tmp_path / "dbt-runs"
    for i in range(FAILED_DBT_RUNS_KEPT + 2):
        folder = runs / f"run-{i:08d}-x"
        folder.mkdir(parents=True)
        (folder / "dbt.log").write_text("failed")
        os.utime(folder, (1_000_000 - i, 1_000_000 - i))  # the first made is the newest
    lines = []
    removed = remove_old_dbt_runs(runs, log=lines.append)
    assert removed == [f"run-{FAILED_DBT_RUNS_KEPT + 1:08d}-x", f"run-{FAILED_DBT_RUNS_KEPT:08d}-x"]
    assert len(list(runs.iterdir())) == FAILED_DBT_RUNS_KEPT and len(lines) == 1
    assert remove_old_dbt_runs(tmp_path / "none") == []
