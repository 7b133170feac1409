"""Publish faults: none of them may change what is served (file hashes) or leave debris behind."""

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml
from conftest import HANDMADE_AS_OF, copy_handmade
from dagster import AssetKey

from orchestration import publish as pub
from orchestration.assets.common import hold_lock
from orchestration.definitions import build_definitions
from orchestration.drift import breaches, describe, figures, load_thresholds
from orchestration.main_job import main
from orchestration.run_lock import acquire, release
from tiering.project import PROJECT_DIR
from tiering.settings import Settings

AS_OF = HANDMADE_AS_OF.isoformat()
SCHEMAS = {
    "customer_value": "marts",
    "customer_cost_to_serve": "marts",
    "company_pnl": "marts",
    "customer_tiers": "marts",
    "customer_scheme_tiers": "marts",
    "tier_profitability": "marts",
    "quadrant_profitability": "marts",
    "grid_profitability": "marts",
    "whale_curve": "marts",
    "quarantine": "data_quality",
    "landing_reconciliation": "data_quality",
    "tier_migration": "history",
    "membership_levels": "history",
    "membership_level_history": "history",
    "early_warning": "history",
    "profit_concentration": "marts",
    "rejected_files": "data_quality",
    "service_plan_vs_actual": "management",
    "service_exceptions": "management",
    "fee_income": "management",
    "customer_actions": "management",
    "churn_risk": "marts",
    "churn_backtest": "marts",
    "high_value_retention": "marts",
    "assigned_tiers": "management",
    "tier_assignment_history": "history",
    "prospect_scores": "management",
}


@pytest.fixture(scope="module")
def template(handmade_warehouse, tmp_path_factory):
    """A finished, stamped build of the handmade landing (a copy of the shared build) with a
    passed verdict (the audit itself is tested in test_orchestration); the landing is this
    module's own copy, which a test changes and a rebuild reads."""
    root = tmp_path_factory.mktemp("faults")
    landing = copy_handmade(root / "landing")
    p = Settings(home=root / "wh", landing_dir=landing)
    p.build_dir.mkdir(parents=True)
    shutil.copy(handmade_warehouse, p.build_file(AS_OF))
    pub.stamp_build(p.build_file(AS_OF), "template")
    pub.write_verdict(p, AS_OF, pub.build_identity(p.build_file(AS_OF)), [], {"compared_with": None, "breaches": []})
    return p


@pytest.fixture
def home(tmp_path, template, monkeypatch) -> Settings:
    """A warehouse home holding a copy of the audited build (size and mtime kept), nothing served yet."""
    shutil.copytree(template.build_dir, tmp_path / "wh" / "build")  # copy2: the verdict still matches
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "wh"))
    monkeypatch.setenv("LANDING_DIR", str(template.landing_dir))
    monkeypatch.delenv("SERVED_PATH", raising=False)
    return Settings.from_env()


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}


def served_state(p: Settings) -> dict:
    """Hash of every file BI sees: the served file, publication.json and each export."""
    files = [p.served_file, p.publication_file, *sorted(p.exports_link.iterdir())]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def served_folder(p: Settings) -> set[str]:
    return {f.name for f in p.served_file.parent.iterdir()}


def one_line(message: str) -> bool:
    return "\n" not in message.strip() and "Traceback" not in message


# ---------------------------------------------------------------- the verdict belongs to one build


def test_a_build_changed_after_its_audit_is_refused(home):
    pub.publish(home, AS_OF)
    before = served_state(home)
    with duckdb.connect(str(home.build_file(AS_OF))) as con:  # a later, unaudited write to the build
        con.execute("update company_pnl set amount = 0 where line_item = 'net_revenue'")
    with pytest.raises(pub.PublishRefused, match="not the build the audit checked") as refused:
        pub.publish(home, AS_OF)
    assert one_line(str(refused.value))
    assert served_state(home) == before


def test_a_killed_rebuild_is_not_published_with_the_old_verdict(home):
    """The build process is killed after dbt replaced the file: only published_warehouse is then
    materialised; the verdict of the earlier build must not let the new file through."""
    pub.publish(home, AS_OF)
    before = served_state(home)
    verdict = home.verdict_file(AS_OF).read_text()
    script = (
        "import os, signal, sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute('create table customer_value as select 1 as half_built')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    home.build_file(AS_OF).unlink()  # a full rebuild starts from a new file
    killed = subprocess.run([sys.executable, "-c", script, str(home.build_file(AS_OF))], env=env())
    assert killed.returncode == -signal.SIGKILL
    home.verdict_file(AS_OF).write_text(verdict)  # even if the old verdict survived
    result = (
        build_definitions(home)
        .resolve_job_def("nightly_warehouse")
        .execute_in_process(
            partition_key=AS_OF, asset_selection=[AssetKey("published_warehouse")], raise_on_error=False
        )
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "not the build the audit checked" in message and "'build_id': None" in message and one_line(message)
    assert served_state(home) == before


def test_a_new_build_discards_the_previous_verdict(home):
    pub.prepare_build_file(home, AS_OF, incremental=True)
    with pytest.raises(pub.PublishRefused, match="no audit verdict"):
        pub.passed_verdict(home, AS_OF)


# ---------------------------------------------------------------- one run at a time

HOLDER = (
    "import sys, time\nfrom pathlib import Path\nfrom orchestration.run_lock import acquire\n"
    "acquire(Path(sys.argv[1]), 'night-of-the-holder')\nprint('held', flush=True)\ntime.sleep(float(sys.argv[2]))\n"
)


@pytest.mark.parametrize("as_of", [["--as-of", AS_OF], []], ids=["given", "default"])
def test_a_second_run_fails_at_once_naming_the_holder(home, capsys, as_of):
    builds = {f.name: f.stat().st_mtime_ns for f in home.build_dir.iterdir()}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home.lock_file), "120"], env=env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(as_of) == 1
    finally:
        holder.kill()
        holder.wait()
    lines = capsys.readouterr().err.strip().splitlines()
    err = "\n".join(line for line in lines if not line.startswith("as-of date"))  # the default's progress lines
    assert one_line(err) and "night-of-the-holder" in err and f"pid {holder.pid}" in err
    assert {f.name: f.stat().st_mtime_ns for f in home.build_dir.iterdir()} == builds
    assert not home.served_file.parent.exists()  # nothing touched


def test_a_stale_lock_is_taken_over_with_a_log_line(home):
    dead = subprocess.run([sys.executable, "-c", HOLDER, str(home.lock_file), "0"], env=env())
    assert dead.returncode == 0 and json.loads(home.lock_file.read_text())["run_id"] == "night-of-the-holder"
    lines = []
    me = acquire(home.lock_file, "next-night", log=lines.append)
    assert me["pid"] == os.getpid() and json.loads(home.lock_file.read_text())["run_id"] == "next-night"
    assert len(lines) == 1 and "stale" in lines[0] and "night-of-the-holder" in lines[0]
    assert acquire(home.lock_file, "next-night", log=lines.append)["run_id"] == "next-night"  # its own steps
    release(home.lock_file, "next-night")
    assert not home.lock_file.exists()


# ---------------------------------------------------------------- crashes and a full disk during publish

KILLER = (
    "import os, signal, sys\nfrom orchestration import publish\nfrom tiering.settings import Settings\n"
    "name, n = sys.argv[1], int(sys.argv[2])\nreal, calls = getattr(publish, name), []\n"
    "def dying(*a, **k):\n    calls.append(1)\n"
    "    if len(calls) == n:\n        os.kill(os.getpid(), signal.SIGKILL)\n    return real(*a, **k)\n"
    "setattr(publish, name, dying)\npublish.publish(Settings.from_env(), sys.argv[3])\n"
)


@pytest.mark.parametrize("point, call", [("export_mart", 3), ("_fsync", 2)])
def test_kill_during_publish_leaves_served_intact_and_retry_cleans_up(home, point, call):
    pub.publish(home, AS_OF)
    before, folder = served_state(home), served_folder(home)
    killed = subprocess.run([sys.executable, "-c", KILLER, point, str(call), AS_OF], env=env())
    assert killed.returncode == -signal.SIGKILL
    assert served_state(home) == before
    debris = served_folder(home) - folder
    assert any(n.startswith(".warehouse.duckdb.") for n in debris) and any(n.startswith("exports-") for n in debris)
    record = pub.publish(home, AS_OF)
    assert served_folder(home) == {"warehouse.duckdb", "publication.json", "exports", home.exports_link.resolve().name}
    assert json.loads(home.publication_file.read_text())["published_at"] == record["published_at"]


@pytest.mark.parametrize("point, call", [("_swap_link", 1), ("_write_atomically", 2)])
def test_a_publish_killed_while_switching_is_finished_by_the_next_locked_step(home, point, call):
    """Killed after the served file was replaced (before the exports link, or before the
    publication record): the next step that takes the lock serves the rest of that night."""
    pub.publish(home, AS_OF)
    # an earlier publish time: both publishes may fall in one second, and then a half-switched
    # state would equal the finished one
    served = json.loads(home.publication_file.read_text())
    home.publication_file.write_text(json.dumps({**served, "published_at": "2026-07-01T00:00:00+00:00"}))
    killed = subprocess.run([sys.executable, "-c", KILLER, point, str(call), AS_OF], env=env())
    assert killed.returncode == -signal.SIGKILL
    intent = json.loads(pub.intent_file(home).read_text())
    published = json.loads(home.publication_file.read_text())
    assert (home.exports_link.resolve().name, published) != (intent["exports"], intent["record"])  # half switched
    lines = []
    hold_lock(SimpleNamespace(run=SimpleNamespace(run_id="next"), log=SimpleNamespace(warning=lines.append)), home)
    release(home.lock_file, "next")
    assert home.exports_link.resolve().name == intent["exports"]
    assert json.loads(home.publication_file.read_text()) == intent["record"]
    assert served_folder(home) == {"warehouse.duckdb", "publication.json", "exports", intent["exports"]}
    assert lines == [f"finishing the publish of {AS_OF} that was interrupted while switching the served files"]
    assert not pub.finish_interrupted(home)


def test_disk_full_in_served_folder_changes_nothing_and_retry_publishes(home, monkeypatch):
    pub.publish(home, AS_OF)
    before, folder = served_state(home), served_folder(home)
    real, calls = pub.export_mart, []

    def full_disk(con, table, target, order=None):
        calls.append(table)
        if len(calls) == 4:
            target.write_bytes(b"PAR1 half a file")
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real(con, table, target, order)

    monkeypatch.setattr(pub, "export_mart", full_disk)
    with pytest.raises(OSError) as full:
        pub.publish(home, AS_OF)
    assert full.value.errno == errno.ENOSPC
    assert served_state(home) == before and served_folder(home) == folder
    monkeypatch.setattr(pub, "export_mart", real)
    pub.publish(home, AS_OF)
    assert served_state(home)["warehouse.duckdb"] != before["warehouse.duckdb"]  # a new file was published
    assert len([n for n in served_folder(home) if n.startswith("exports-")]) == 1


# ---------------------------------------------------------------- what the served file is


def test_foreign_wal_is_not_replayed_and_served_file_is_read_only(home):
    pub.publish(home, AS_OF)
    assert os.stat(home.served_file).st_mode & 0o777 == 0o440
    assert all(os.stat(f).st_mode & 0o777 == 0o440 for f in home.exports_link.iterdir())
    writer = (
        "import duckdb, os, sys\ncon = duckdb.connect(sys.argv[1])\n"  # root ignores the mode bits
        "con.execute(\"set checkpoint_threshold = '10GB'\")\n"
        "con.execute('create table marts.intruder as select 42 as x')\nos._exit(0)\n"
    )
    assert subprocess.run([sys.executable, "-c", writer, str(home.served_file)], env=env()).returncode == 0
    wal = home.served_file.with_name(home.served_file.name + ".wal")
    assert wal.exists()
    pub.publish(home.model_copy(update={"served_mode": 0o400}), AS_OF)
    assert not wal.exists() and os.stat(home.served_file).st_mode & 0o777 == 0o400
    with duckdb.connect(str(home.served_file), read_only=True) as con:
        assert con.sql("select count(*) from duckdb_tables() where table_name = 'intruder'").fetchone()[0] == 0
        assert con.sql("select count(*) from marts.customer_value").fetchone()[0] == 8


def test_served_file_holds_the_public_marts_by_domain_with_types_and_comments(home):
    pub.publish(home, AS_OF)
    with duckdb.connect(str(home.served_file), read_only=True) as con:
        con.execute(f"attach '{home.build_file(AS_OF)}' as build (read_only)")
        tables = dict(
            con.sql("select table_name, schema_name from duckdb_tables() where database_name = 'warehouse'").fetchall()
        )
        assert tables == SCHEMAS
        assert (
            con.sql(
                "select count(*) from duckdb_views() where database_name = 'warehouse' and not internal"
            ).fetchone()[0]
            == 0
        )
        for mart, schema in SCHEMAS.items():
            types = "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ? order by column_index"
            assert (
                con.execute(types, ["warehouse", schema, mart]).fetchall()
                == con.execute(types, ["build", "main", mart]).fetchall()
            )
            for a, b in ((f"{schema}.{mart}", f"build.main.{mart}"), (f"build.main.{mart}", f"{schema}.{mart}")):
                assert (
                    con.sql(f"select count(*) from (select * from {a} except all select * from {b})").fetchone()[0] == 0
                )
        assert (
            con.sql(
                "select data_type from duckdb_columns() where table_name = 'company_pnl' and column_name = 'amount' "
                "and database_name = 'warehouse'"
            ).fetchone()[0]
            == "DECIMAL(38,4)"
        )
        yml = yaml.safe_load((PROJECT_DIR / "models/marts/data_quality/landing_reconciliation.yml").read_text())[
            "models"
        ][0]
        comment = con.sql(
            "select comment from duckdb_tables() where table_name = 'landing_reconciliation' and database_name = 'warehouse'"
        ).fetchone()[0]
        assert comment == yml["description"].strip()
        column = con.sql(
            "select comment from duckdb_columns() where table_name = 'landing_reconciliation' "
            "and column_name = 'rows_quarantined' and database_name = 'warehouse'"
        ).fetchone()[0]
        assert column == next(c["description"] for c in yml["columns"] if c["name"] == "rows_quarantined")


# ---------------------------------------------------------------- dates


def test_a_later_date_served_alerts_and_republish_replaces_it(home):
    pub.publish(home, AS_OF)
    record = json.loads(home.publication_file.read_text())
    home.publication_file.write_text(json.dumps({**record, "as_of": "2026-12-31"}))  # a run with a future --as-of
    before = served_state(home)
    job = build_definitions(home).resolve_job_def("nightly_warehouse")
    only_publish = {"partition_key": AS_OF, "asset_selection": [AssetKey("published_warehouse")]}
    assert job.execute_in_process(**only_publish).success
    assert served_state(home) == before
    alert = json.loads(home.alerts_file.read_text().splitlines()[-1])
    assert alert["kind"] == "not_published" and alert["served_as_of"] == "2026-12-31"
    assert f"--as-of {AS_OF} --republish" in alert["error"]
    assert job.execute_in_process(
        **only_publish, run_config={"ops": {"published_warehouse": {"config": {"republish": True}}}}
    ).success
    published = json.loads(home.publication_file.read_text())
    assert published["as_of"] == AS_OF and published["replaced_as_of"] == "2026-12-31"


def test_future_as_of_is_refused_up_front_in_the_configured_timezone(home, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_TIMEZONE", "Pacific/Kiritimati")
    tomorrow = datetime.now(ZoneInfo("Pacific/Kiritimati")).date() + timedelta(days=1)
    assert main(["--as-of", tomorrow.isoformat()]) == 2
    err = capsys.readouterr().err.strip()
    assert one_line(err) and "later than today" in err and "Pacific/Kiritimati" in err
    assert not home.served_file.parent.exists() and not home.lock_file.exists()


@pytest.mark.parametrize(
    "args, says",
    [
        (["--as-of", "2026-13-01"], "is not a date"),
        (["--as-of", "2020-01-01"], "is not a nightly partition"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_argument_and_partition_errors_are_one_line(args, says, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "orchestration.main_job", *args],
        capture_output=True,
        text=True,
        env={**env(), "WAREHOUSE_HOME": str(tmp_path)},
        cwd=PROJECT_DIR,
    )
    assert run.returncode == 2 and says in run.stderr and one_line(run.stderr), run.stderr


# ---------------------------------------------------------------- history per landing source


def test_history_is_kept_per_landing_source(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path))
    folders = []
    for landing in ("sample/landing", str(PROJECT_DIR / "sample" / "landing"), str(tmp_path / "other")):
        monkeypatch.setenv("LANDING_DIR", landing)
        monkeypatch.chdir(PROJECT_DIR)
        folders.append(Settings.from_env().history_dir)
    assert folders[0] == folders[1] != folders[2]
    assert all(f.parent == tmp_path / "history" for f in folders)


# ---------------------------------------------------------------- drift against the served night


def test_drift_breaches_are_relative_to_the_served_figures():
    limits = load_thresholds()
    served = {"customers": Decimal(100), "net_revenue": Decimal("1000.00"), "accepted_rows.orders": Decimal(0)}
    found = {
        b["metric"]: b
        for b in breaches(
            {"customers": Decimal(126), "net_revenue": Decimal("500.00"), "accepted_rows.orders": Decimal(3)},
            served,
            limits,
        )
    }
    assert set(found) == {"customers", "accepted_rows.orders"}  # 26% > 25%; 50% is not > 50%; 0 -> 3 unbounded
    assert found["customers"]["change"] == "0.2600" and found["accepted_rows.orders"]["change"] == "unbounded"
    assert describe(found["customers"]) == "drift customers: served 100 -> build 126 (change 26.0%, limit 25%)"


def test_drift_figures_read_marts_that_are_views_in_the_build_and_tables_when_served(tmp_path):
    """customer_value is a view in a build (over int_customer_profitability) and a table of schema
    marts in the served file: both give the same figures."""
    marts = {
        "company_pnl": "select * from (values ('net_revenue', null, 10.50), ('cost_to_serve', null, 2.25))"
        " t(line_item, activity, amount)",
        "landing_reconciliation": "select 'orders' as table_name, 7 as rows_accepted",
    }
    build, served = tmp_path / "build.duckdb", tmp_path / "served.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create table int_customer_profitability as select * from (values (true), (false)) t(is_buyer)")
        con.execute("create view customer_value as select * from int_customer_profitability")
        for name, sql in marts.items():
            con.execute(f"create table {name} as {sql}")
    with duckdb.connect(str(served)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.customer_value as select * from (values (true), (false)) t(is_buyer)")
        for name, sql in marts.items():
            con.execute(f"create table marts.{name} as {sql}")
    expected = {
        "customers": Decimal(2),
        "buyers": Decimal(1),
        "net_revenue": Decimal("10.50"),
        "cost_to_serve": Decimal("2.25"),
        "accepted_rows.orders": Decimal(7),
    }
    assert figures(build) == expected and figures(served) == expected


@pytest.mark.slow
def test_drift_fails_the_night_and_an_accepted_override_publishes_and_is_logged(home, capsys):
    pub.publish(home, AS_OF)
    before = served_state(home)
    with duckdb.connect(str(home.served_file), read_only=True) as con:
        served_revenue = con.sql("select amount from marts.company_pnl where line_item = 'net_revenue'").fetchone()[0]
    for name in ("orders/2026-06-30.csv", "order_lines/2026-06-30.csv"):  # the last delivery of orders is lost
        (home.landing_dir / name).rename(home.landing_dir / f"{name}.held")
    try:
        assert main(["--as-of", AS_OF]) == 1
        err = capsys.readouterr().err
        assert served_state(home) == before
        line = next(x for x in err.splitlines() if "drift net_revenue" in x)
        with duckdb.connect(str(home.build_file(AS_OF)), read_only=True) as con:
            built_revenue = con.sql("select amount from company_pnl where line_item = 'net_revenue'").fetchone()[0]
        change = abs(built_revenue - served_revenue) / served_revenue
        assert change > Decimal("0.5") and f"served {served_revenue} -> build {built_revenue}" in line
        assert main(["--as-of", AS_OF, "--accept-drift", "orders feed cut, confirmed by sales ops"]) == 0
    finally:
        for name in ("orders/2026-06-30.csv", "order_lines/2026-06-30.csv"):
            (home.landing_dir / f"{name}.held").rename(home.landing_dir / name)
    override = json.loads(home.publication_file.read_text())["drift_override"]
    assert override["reason"] == "orders feed cut, confirmed by sales ops"
    assert "net_revenue" in {b["metric"] for b in override["breaches"]}
    alert = json.loads(home.alerts_file.read_text().splitlines()[-1])
    assert alert["kind"] == "drift_accepted" and "confirmed by sales ops" in alert["error"]
