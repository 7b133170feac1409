"""The Spark tier (`make test-spark`, after `make test` in CI): the bundled sample (with one
unreadable file, a tier snapshot stored six months before its as-of date and one a month
before that, stored without the columns later versions added) built by
`dbt build --target spark` on a local Spark equals DuckDB's build, mart by mart, to the cent;
served by a Spark Connect server as on a cluster, the Python steps give the same answers.

Spark's tables are Parquet files under the Spark folder; DuckDB reads them beside its own
build and compares with EXCEPT ALL both ways. Money and counts are compared exactly (the column
types must be the same decimals); doubles (shares, ratios, scores) to 9 decimals, because
Spark divides decimals in decimal arithmetic and DuckDB in double.
"""

import json
import os
import shutil
import socket
import subprocess
import time
from datetime import date
from pathlib import Path

import duckdb
import pyspark
import pytest
from conftest import build

from orchestration import audit, spark_audit, spark_steps
from orchestration.definitions import build_definitions
from orchestration.publish import store_snapshot
from tiering.landing import default_as_of, take_inventory
from tiering.project import SAMPLE_LANDING
from tiering.settings import PUBLIC_MARTS, Settings

pytestmark = pytest.mark.spark

SCHEMA = "sample_build"
SERVED = "served"
EARLIER = "earlier_build"
# a month end six months before the sample's as-of date: its stored tier snapshot gives both
# engines a tier migration pair and a high-value retention cohort to compute
PAST = date(2025, 12, 31)
OLDER = date(2025, 11, 30)
# the columns of a tier snapshot as the first version of tier history stored them
FIRST_SNAPSHOT_COLUMNS = (
    "as_of_date",
    "customer_id",
    "is_buyer",
    "net_revenue",
    "gross_margin",
    "cost_to_serve",
    "contribution",
    "recency_days",
    "p_alive",
    "pyramid_tier",
    "scheme_tiers",
    "quadrant",
    "value_grid",
    "lifecycle_stage",
)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """The sample and one file that cannot be read (an empty CSV): rejected_files has a row."""
    landing = tmp_path_factory.mktemp("spark_landing") / "landing"
    shutil.copytree(SAMPLE_LANDING, landing)
    (landing / "orders" / "empty.csv").write_text("")
    return landing


@pytest.fixture(scope="module")
def sample_as_of(landing):
    as_of = default_as_of(take_inventory(landing))
    assert as_of == date(2026, 6, 30), "PAST is six months before the sample's as-of date"
    return as_of


@pytest.fixture(scope="module")
def past_snapshot(tmp_path_factory, landing) -> Path:
    """The tier snapshot of the landing at PAST, stored as DuckDB's pipeline stores a night's."""
    folder = tmp_path_factory.mktemp("spark_history")
    build(landing, folder / "past.duckdb", PAST, select="+int_tier_snapshot")
    return store_snapshot(folder / "past.duckdb", folder / "history", PAST.isoformat())


@pytest.fixture(scope="module")
def stored_history(past_snapshot) -> list[Path]:
    """PAST's snapshot, and the month before it as the first version of tier history stored it:
    without the loyalty club and the tier assignments (PAST's rows, dated OLDER)."""
    older = past_snapshot.parent / f"as_of={OLDER}"
    older.mkdir()
    columns = ", ".join(f"'{OLDER}'::date as {c}" if c == "as_of_date" else c for c in FIRST_SNAPSHOT_COLUMNS)
    duckdb.sql(
        f"copy (select {columns} from read_parquet('{past_snapshot / 'tier_snapshot.parquet'}')) "
        f"to '{older / 'tier_snapshot.parquet'}' (format parquet)"
    )
    return [older, past_snapshot]


@pytest.fixture(scope="module")
def duckdb_sample(tmp_path_factory, landing, sample_as_of, stored_history) -> Path:
    folder = tmp_path_factory.mktemp("duckdb_sample")
    for snapshot in stored_history:  # a build's history is beside it
        shutil.copytree(snapshot, folder / "history" / snapshot.name)
    build(landing, folder / "warehouse.duckdb", sample_as_of)
    return folder / "warehouse.duckdb"


@pytest.fixture(scope="module")
def spark_sample(tmp_path_factory, landing, sample_as_of, stored_history) -> Path:
    """The Spark folder of one build of the sample, run as a data engineer runs it: Dagster's
    spark_warehouse job (dbt's artifacts in its target/)."""
    home = tmp_path_factory.mktemp("spark")
    settings = Settings(home=home, landing_dir=landing, keep_builds=0, dbt_unit_tests=True)  # every test
    config = {"build_schema": SCHEMA, "served_schema": SERVED}
    settings.spark_dir.mkdir(parents=True)
    for snapshot in stored_history:  # where a Spark build reads it
        shutil.copytree(snapshot, settings.spark_dir / "history" / snapshot.name)
    for f in spark_steps.step_files(settings.spark_dir, EARLIER):  # an earlier night's build, to be retired
        f.write_text("{}")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(settings.spark_dir / "target"))
        result = (
            build_definitions(settings)
            .resolve_job_def("spark_warehouse")
            .execute_in_process(
                partition_key=sample_as_of.isoformat(),
                run_config={"ops": {"spark_served_marts": {"config": config}}},
                raise_on_error=False,
            )
        )
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    return settings.spark_dir


def spark_table(spark_dir: Path, name: str) -> str:
    """The Parquet files of Spark table `name` of the build."""
    return str(spark_dir / "tables" / f"{SCHEMA}.db" / name / "*.parquet")


def comparable(con, relation: str) -> list[str]:
    """Select-list of `relation` that compares across engines: doubles rounded to 9 decimals,
    timestamps as UTC wall-clock times; everything else as it is."""
    columns = con.sql(f"describe select * from {relation}").fetchall()
    out = []
    for name, kind, *_ in columns:
        if kind in ("DOUBLE", "FLOAT"):
            out.append(f"round({name}, 9) as {name}")
        elif kind.startswith("TIMESTAMP"):
            out.append(f"{name}::timestamp as {name}")
        else:
            out.append(name)
    return out


def types(con, relation: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in con.sql(f"describe select * from {relation}").fetchall()}


@pytest.mark.parametrize("mart", PUBLIC_MARTS)
def test_public_mart_equals_duckdb(mart, duckdb_sample, spark_sample):
    with duckdb.connect(str(duckdb_sample), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        ours = f"main.{mart}"
        theirs = f"read_parquet('{spark_table(spark_sample, mart)}')"
        duck_types, spark_types = types(con, ours), types(con, theirs)
        assert list(spark_types) == list(duck_types), "columns differ"
        money = {c: t for c, t in duck_types.items() if t.startswith("DECIMAL")}
        assert {c: spark_types[c] for c in money} == money, "decimal columns differ in type"
        a, b = ", ".join(comparable(con, ours)), ", ".join(comparable(con, theirs))
        only_duckdb = con.sql(f"select {a} from {ours} except all select {b} from {theirs}").fetchall()
        only_spark = con.sql(f"select {b} from {theirs} except all select {a} from {ours}").fetchall()
        rows = con.sql(f"select count(*) from {ours}").fetchone()[0]
    assert (only_duckdb, only_spark) == ([], []), (
        f"{mart}: {len(only_duckdb)} rows only on DuckDB, {len(only_spark)} only on Spark"
    )
    assert rows > 0  # compared on rows: the landing has a rejected file, the history a past night


def test_the_older_snapshot_is_read(duckdb_sample):
    """The equality above would hold if both engines skipped the older snapshot: it is compared
    in tier_migration, and its missing club columns leave the club's replay start at PAST."""
    with duckdb.connect(str(duckdb_sample), read_only=True) as con:
        pairs = con.sql("select distinct from_date, to_date from tier_migration order by all").fetchall()
    assert pairs[0] == (OLDER, PAST)


def test_every_model_and_test_ran_on_spark(spark_sample):
    """A model added without a Spark form fails here: every model of the manifest ran on
    Spark (int_clv_predictions in the Arrow step), every data and unit test passed."""
    manifest = json.loads((spark_sample / "target" / "manifest.json").read_text())
    steps = json.loads((spark_sample / f"{SCHEMA}.results.json").read_text())
    status = {node: s for step in steps.values() for node, s in step.items()}
    models = [k for k, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    tests = [k for k, n in manifest["nodes"].items() if n["resource_type"] == "test"] + list(manifest["unit_tests"])
    assert [m for m in models if status.get(m) != "success"] == []
    assert [t for t in tests if status.get(t) != "pass"] == []
    assert len(models) > 50 and len(tests) > 200


def test_spark_reads_the_rows_the_inventory_counts(spark_sample):
    """Spark's corrupt-record handling leaves out exactly the CSV rows the landing inventory
    lists as malformed: the validated rows of every file (all it staged) are the inventory's
    good rows."""
    inventory = json.loads((spark_sample / f"{SCHEMA}.inventory" / "inventory.json").read_text())
    with duckdb.connect() as con:
        for table, entry in inventory["tables"].items():
            validated = spark_table(spark_sample, f"int_{table}__validated")
            staged = con.sql(f"select source_file, count(*) from read_parquet('{validated}') group by all").fetchall()
            assert dict(staged) == {f["path"]: f["rows"] for f in entry["files"]}, table


@pytest.fixture(scope="module")
def cluster(spark_sample):
    """The sample's Spark folder served as a cluster serves it: a Spark Connect server in its
    own JVM with the Hive catalog, set up from profiles.yml's spark target except its SQL
    settings (a cluster has its own; this one's time zone is not UTC), and the Python steps'
    session to it (spark_steps.spark_session with a Connect address), which sets them."""
    port = free_port()
    parameters = spark_steps.profile_parameters({**os.environ, "WAREHOUSE_SPARK_DIR": str(spark_sample)})
    conf = {k: v for k, v in parameters.items() if not k.startswith("spark.sql.") or k == "spark.sql.warehouse.dir"}
    conf["spark.driver.extraJavaOptions"] += " -Duser.timezone=Pacific/Auckland"
    conf |= {"spark.sql.catalogImplementation": "hive", "spark.connect.grpc.binding.port": str(port)}
    spark_home = Path(pyspark.__file__).parent
    command = [
        str(spark_home / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
    ]
    command += [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]
    log = spark_sample / "connect-server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env={**os.environ, "SPARK_HOME": str(spark_home)}, stdout=out, stderr=out)
    try:
        wait_for_port(port, server, log)
        spark = spark_steps.spark_session(f"sc://127.0.0.1:{port}")
        yield spark
        spark.stop()
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    """TERM, then KILL: seen once here, the Connect server outlived TERM by minutes (its
    signal mask showed TERM ignored) and the fixture's teardown failed a passing suite."""
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Spark Connect server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.5)


def test_publish_serves_the_audited_build(cluster):
    """Write-audit-publish: the served schema has a view per public mart over the build schema."""
    views = {r.viewName for r in cluster.sql(f"show views in {SERVED}").collect()}
    definitions = {m: cluster.sql(f"show create table {SERVED}.{m}").collect()[0][0] for m in PUBLIC_MARTS}
    assert views == set(PUBLIC_MARTS)
    assert all(f"{SCHEMA}.{m}" in d.replace("`", "") for m, d in definitions.items()), definitions


def test_publish_retires_earlier_builds(spark_sample):
    """With WAREHOUSE_KEEP_BUILDS=0 the earlier build is dropped with its files (the Connect
    test drops a schema with tables)."""
    assert json.loads((spark_sample / f"{SCHEMA}.results.json").read_text())["retire"] == {EARLIER: "success"}
    assert spark_steps.finished_builds(spark_sample) == [SCHEMA]
    assert json.loads((spark_sample / spark_steps.SERVED_RECORD).read_text()) == {SERVED: SCHEMA}


def test_the_gx_audit_on_spark_compares_the_figures_it_compares_on_duckdb(duckdb_sample, spark_sample, tmp_path):
    """The GX suites ran on the Spark build before it was served, every one passed, and each
    compared figure (mart against the recomputation, with its amounts) is the DuckDB audit's."""
    on_spark = json.loads((spark_sample / f"{SCHEMA}.audit.json").read_text())
    settings = Settings(home=tmp_path / "wh")
    on_duckdb = audit.verdict_checks(
        audit.audit_warehouse(duckdb_sample, "spark comparison", settings), settings.gx_dir
    )

    def lines(verdict):
        return {c["suite"]: [f["line"] for f in c["figures"]] for c in verdict["checks"]}

    assert {c["suite"]: c["failed"] for c in on_spark["checks"]} == {s: [] for s in audit.SUITES}
    assert lines(on_spark) == lines(on_duckdb)


def test_the_python_steps_run_through_spark_connect(cluster, spark_sample):
    """On a cluster the Arrow step, the GX audit and publish reach Spark through Spark Connect:
    through a Connect server, the fit gives the predictions the local session gave, the audit
    passes with the figures and amounts of the local build's audit, and publish serves it."""
    settings = (
        "spark.sql.session.timeZone",
        "spark.sql.legacy.decimal.retainFractionDigitsOnTruncate",
        "spark.sql.cteRecursionRowLimit",
        "spark.sql.cteRecursionLevelLimit",
    )
    assert [cluster.conf.get(k) for k in settings] == ["UTC", "true", "-1", "-1"]  # the profile's, not the server's
    check = "connect_check"
    cluster.sql(f"create schema if not exists {check}")
    for table in (spark_steps.SUMMARY, "tier_settings"):
        cluster.table(f"{SCHEMA}.{table}").write.mode("overwrite").format("parquet").saveAsTable(f"{check}.{table}")
    spark_steps.write_predictions(cluster, check)
    ours, theirs = f"{check}.{spark_steps.PREDICTIONS}", f"{SCHEMA}.{spark_steps.PREDICTIONS}"
    differ = [
        cluster.sql(f"select * from {a} except all select * from {b}").count()
        for a, b in ((ours, theirs), (theirs, ours))
    ]
    assert differ == [0, 0] and cluster.table(ours).count() > 0
    here = Settings(home=spark_sample.parent / "connect-audit")
    results = spark_audit.audit_spark_build(cluster, SCHEMA, spark_sample / SCHEMA, "spark connect", here)
    local = json.loads((spark_sample / f"{SCHEMA}.audit.json").read_text())
    assert audit.verdict_checks(results, here.gx_dir)["checks"] == local["checks"]
    spark_steps.publish(cluster, SCHEMA, "served_through_connect")
    views = {r.viewName for r in cluster.sql("show views in served_through_connect").collect()}
    assert views == set(PUBLIC_MARTS)
    (spark_sample / f"{check}.results.json").write_text("{}")  # retire the check's schema
    served = {SERVED: SCHEMA, "served_through_connect": SCHEMA}
    assert spark_steps.retire_builds(cluster, spark_sample, served, keep=0) == {check: "success"}
    assert check not in {r[0] for r in cluster.sql("show schemas").collect()}
    assert cluster.table(f"served_through_connect.{PUBLIC_MARTS[0]}").count() > 0
