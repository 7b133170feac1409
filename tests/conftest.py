import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from filelock import FileLock

from devtools.generator.cli import Spec, generate
from orchestration.dbt_args import dbt_env, dbt_executable
from orchestration.dbt_runner import run_dbt_build
from orchestration.dbt_slot import fixed_build_path
from orchestration.main_job import main
from tiering.landing import inventory_dir, inventory_file
from tiering.project import PROJECT_DIR
from tiering.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
HANDMADE_AS_OF = date(2026, 6, 30)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest-xdist


def pytest_configure(config):
    """Each pytest process gives dbt its own target and log folder, so two builds at once
    (pytest-xdist workers) never share dbt's artifacts; `target/` itself is left to `mf`
    (tests that need it set DBT_TARGET_PATH back) and to the manifest Dagster loads."""
    config.dbt_folders = pytest.MonkeyPatch()  # undone when the session ends
    config.dbt_folders.setenv("DBT_TARGET_PATH", str(PROJECT_DIR / "target" / f"pytest-{WORKER}"))
    config.dbt_folders.setenv("DBT_LOG_PATH", str(PROJECT_DIR / "logs" / f"pytest-{WORKER}"))


def pytest_unconfigure(config):
    config.dbt_folders.undo()


# The files that take longest go first: with one file per worker at a time (--dist loadfile,
# handed out in this order: --no-loadscope-reorder), a long file started last would leave the
# other workers idle at the end. Ranked by their time in `make test` and `make test-slow`
# (measured 2026-11-27); each tier skips the files it deselects.
HEAVY_FIRST = (
    "test_orchestration.py",  # makes the published night that test_orchestration_nights copies
    "test_history.py",
    "test_whatif.py",  # makes the generated and the handmade build that many files read
    "test_increment.py",
    "test_event_logs.py",
    "test_audit.py",
    "test_bad_deliveries.py",
    "test_publish_faults.py",
    "test_churn.py",
    "test_customer_value.py",
    "test_report.py",
    "test_tiers.py",  # reads no shared build
    "test_summary.py",
    "test_benchmark.py",
    "test_slicing.py",
    "test_extreme_values.py",
    "test_semantic_layer.py",
    "test_orchestration_nights.py",
    "test_environment.py",
    "test_contract_change.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: order within a file kept


def shared(tmp_path_factory, key: str, make: Callable[[Path], None]) -> Path:
    """A folder made once per test run under `key` (name it after everything that goes into
    it): the first worker to ask makes it while the others wait on a file lock, then all read it."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if WORKER != "main" else base) / "shared"
    root.mkdir(exist_ok=True)
    folder = root / key
    with FileLock(str(root / f"{key}.lock")):
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".made").touch()
    return folder


def copy_handmade(dest: Path) -> Path:
    """The hand-written landing zone; service_events' first delivery becomes typed Parquet."""
    shutil.copytree(FIXTURES / "handmade_landing", dest)
    csv = dest / "service_events" / "2026-06-01.csv"
    table = duckdb.execute(
        """select event_id, customer_id, event_ts::timestamp as event_ts, activity, quantity
                              from read_csv(?, all_varchar = true)""",
        [str(csv)],
    ).to_arrow_table()
    pq.write_table(table, csv.with_suffix(".parquet"))
    csv.unlink()
    return dest


def build(
    landing: Path, warehouse: Path, as_of: date | None = None, select: str | None = None, extra: Sequence[str] = ()
):
    """`dbt build` of `landing`; with `select`, only those models (dbt syntax, e.g. "+customer_value")
    and the tests whose every parent is selected; `extra`: more dbt options."""
    selection = ["--select", select, "--indirect-selection", "cautious"] if select else []
    result = run_dbt_build(landing, as_of, warehouse, capture=True, extra=[*selection, *extra])
    assert result.returncode == 0, result.stdout[-5000:]
    return result


def copy_of(build_file: Path, folder: Path) -> Path:
    """A copy of a shared build with its landing inventory, to change."""
    copy = folder / build_file.name
    shutil.copy(build_file, copy)
    shutil.copytree(inventory_dir(build_file), inventory_dir(copy))
    return copy


def dbt_test(warehouse: Path, select: str, as_of: date) -> subprocess.CompletedProcess:
    """`dbt test --select select` on a build file (give it a copy_of: dbt opens it read-write),
    as a build runs dbt (its environment, the worker's slot), so dbt reuses the saved parse."""
    args = ["test", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--select", select]
    with fixed_build_path(warehouse, Path(os.environ["DBT_TARGET_PATH"])) as path:
        return subprocess.run(
            [dbt_executable(), *args],
            cwd=PROJECT_DIR,
            env=dbt_env(Settings.from_env(), path, inventory_file(warehouse), as_of, os.environ),
            capture_output=True,
            text=True,
        )


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def shared_build(tmp_path_factory, key: str, landing: Path, as_of: date | None) -> Path:
    """One build per (landing, as-of) and test run, read by every test (and worker) that needs it."""
    made = shared(tmp_path_factory, key, lambda folder: build(landing, folder / "warehouse.duckdb", as_of))
    return made / "warehouse.duckdb"


# Built once per test run; tests only read them (read-only connections, or a copy to change).
@pytest.fixture(scope="session")
def handmade_landing(tmp_path_factory) -> Path:
    return shared(tmp_path_factory, "handmade", lambda folder: copy_handmade(folder / "landing")) / "landing"


def with_unit_tests(folder: Path, landing: Path, as_of: date) -> None:
    """A build that runs the dbt unit tests too (builds skip them unless Settings.dbt_unit_tests:
    they do not read the landing, so the test run needs them once)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_DBT_UNIT_TESTS", "1")
        result = build(landing, folder / "warehouse.duckdb", as_of)
    assert "unit_test" in {r["unique_id"].split(".")[0] for r in run_results()["results"]}, result.stdout[-2000:]


def run_results() -> dict:
    return json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "run_results.json").read_text())


@pytest.fixture(scope="session")
def handmade_warehouse(handmade_landing, tmp_path_factory) -> Path:
    made = shared(
        tmp_path_factory,
        f"handmade-{HANDMADE_AS_OF}",
        lambda folder: with_unit_tests(folder, handmade_landing, HANDMADE_AS_OF),
    )
    return made / "warehouse.duckdb"


GENERATED = Spec(customers=3000, seed=11)


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory) -> tuple[Path, dict]:
    def make(folder: Path) -> None:
        counts = generate(GENERATED, folder / "landing")
        (folder / "counts.json").write_text(json.dumps(counts))

    folder = shared(tmp_path_factory, f"generated-{GENERATED.customers}-{GENERATED.seed}", make)
    return folder / "landing", json.loads((folder / "counts.json").read_text())


@pytest.fixture(scope="session")
def generated_warehouse(generated_landing, tmp_path_factory) -> Path:
    return shared_build(
        tmp_path_factory, f"generated-{GENERATED.customers}-{GENERATED.seed}-default", generated_landing[0], None
    )


PIPELINE, PIPELINE_AS_OF = Spec(customers=600, seed=5), "2026-06-30"  # the pipeline tests' landing and night


@pytest.fixture(scope="session")
def pipeline_landing(tmp_path_factory) -> Path:
    def make(folder: Path) -> None:
        generate(PIPELINE, folder / "landing")

    return shared(tmp_path_factory, f"generated-{PIPELINE.customers}-{PIPELINE.seed}", make) / "landing"


@contextmanager
def terminal_to(out: Path, err: Path) -> Iterator[None]:
    """stdout and stderr, Python's and the process's file descriptors both, written to `out` and
    `err` (line-buffered appends: the lines keep their order), as a terminal would show them."""
    with out.open("a", buffering=1) as o, err.open("a", buffering=1) as e:
        saved = os.dup(1), os.dup(2)
        os.dup2(o.fileno(), 1)
        os.dup2(e.fileno(), 2)
        try:
            with redirect_stdout(o), redirect_stderr(e):
                yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


@pytest.fixture(scope="session")
def published_night(pipeline_landing, tmp_path_factory) -> Path:
    """A warehouse home after one successful night of `warehouse-run --json` (its as-of date the
    landing's default, PIPELINE_AS_OF), with what it printed beside the home (stdout.txt,
    stderr.txt); made once per test run, only copied (published_home)."""

    def make(folder: Path) -> None:
        with pytest.MonkeyPatch.context() as mp, terminal_to(folder / "stdout.txt", folder / "stderr.txt"):
            mp.setenv("WAREHOUSE_HOME", str(folder / "wh"))
            mp.setenv("LANDING_DIR", str(pipeline_landing))
            code = main(["--json"])
        assert code == 0, (folder / "stderr.txt").read_text()[-3000:]
        assert json.loads((folder / "stdout.txt").read_text())["as_of"] == PIPELINE_AS_OF

    return shared(tmp_path_factory, f"published-{PIPELINE.customers}-{PIPELINE.seed}-{PIPELINE_AS_OF}", make) / "wh"


@pytest.fixture
def published_home(published_night, pipeline_landing, tmp_path, monkeypatch) -> Path:
    """This test's copy of `published_night` (build, verdict, served file, relative exports link,
    history, the Dagster instance's runs), set as WAREHOUSE_HOME: as if the test had run that night."""
    home = tmp_path / "wh"
    shutil.copytree(published_night, home, symlinks=True)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    monkeypatch.setenv("LANDING_DIR", str(pipeline_landing))
    return home
