"""Settings, package layering, command-line help, partitions and progress lines (no dbt run)."""

import ast
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration import dbt_runner, main_job, spark_runner, whatif
from orchestration.dbt_runner import parser as build_parser
from orchestration.main_job import parser as run_parser
from orchestration.partitions import FALLBACK_START, nightly_partitions, partitions_start
from orchestration.progress import dbt_node_count, ended, started
from tiering import landing
from tiering.project import PROJECT_DIR, SAMPLE_LANDING
from tiering.settings import Settings, SettingsError, dbt_allowed_empty_tables

pytestmark = pytest.mark.fast

PACKAGES = ("tiering", "orchestration", "devtools")


def test_settings_come_from_the_environment_then_the_command_line(tmp_path):
    environ = {
        "WAREHOUSE_HOME": str(tmp_path / "home"),
        "LANDING_DIR": str(tmp_path / "env-landing"),
        "WAREHOUSE_MEMORY_LIMIT": "1GB",
        "WAREHOUSE_THREADS": "1",
        "WAREHOUSE_TIMEZONE": "Europe/Zurich",
        "WAREHOUSE_SERVED_MODE": "400",
        "WAREHOUSE_ALLOWED_EMPTY_TABLES": "invoices, service_events,",
        "WAREHOUSE_INCREMENTAL": "1",
    }
    s = Settings.from_env(environ, landing_dir=tmp_path / "cli-landing", incremental=None)
    assert s.home == tmp_path / "home" and s.landing_dir == tmp_path / "cli-landing"  # the command line wins
    assert s.served_file == tmp_path / "home" / "served" / "warehouse.duckdb"
    assert s.duckdb_config == {"memory_limit": "1GB", "threads": 1}
    assert (s.timezone, s.served_mode, s.incremental) == ("Europe/Zurich", 0o400, True)
    assert s.allowed_empty_tables == ("invoices", "service_events")
    assert s.build_file("2026-06-30") == tmp_path / "home" / "build" / "warehouse-2026-06-30.duckdb"
    assert s.dagster_home == tmp_path / "home" / "dagster"


def test_defaults_are_the_repository_layout_and_dbt_project_vars():
    s = Settings.from_env({})
    assert s.home == PROJECT_DIR / "warehouse" and s.landing_dir == SAMPLE_LANDING
    assert s.allowed_empty_tables == dbt_allowed_empty_tables() and not s.incremental
    assert s.served_mode == 0o440 and s.timezone == "UTC"


def test_an_unknown_time_zone_is_refused_in_one_line_naming_its_variable():
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"WAREHOUSE_TIMEZONE": "Mars/Olympus"})
    assert str(refused.value) == "WAREHOUSE_TIMEZONE: unknown time zone 'Mars/Olympus'"


def test_a_bad_setting_names_where_it_came_from_and_not_its_value():
    with pytest.raises(SettingsError, match="^WAREHOUSE_THREADS: ") as refused:
        Settings.from_env({"WAREHOUSE_THREADS": "many"})
    assert "\n" not in str(refused.value)
    with pytest.raises(SettingsError) as refused:  # a Connect address may carry a token
        Settings.from_env({"WAREHOUSE_SPARK_CONNECT": "https://spark.internal/;token=s3cret"})
    assert "s3cret" not in str(refused.value) and str(refused.value).startswith("WAREHOUSE_SPARK_CONNECT: ")
    with pytest.raises(SettingsError, match="^timezone: "):  # given on the command line, not the environment
        Settings.from_env({"WAREHOUSE_TIMEZONE": "UTC"}, timezone="Mars/Olympus")


@pytest.mark.parametrize(
    "command", [main_job.main, dbt_runner.main, spark_runner.main, lambda argv: whatif.main(["x.csv"])]
)
def test_commands_end_with_one_line_on_a_bad_setting(command, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SystemExit) as ended:
        command([])
    said = capsys.readouterr().err.strip()
    assert ended.value.code == 2 and "\n" not in said
    assert said.endswith(": WAREHOUSE_TIMEZONE: unknown time zone 'Mars/Olympus'")


def test_settings_default_as_of_is_the_landing_rule():
    inventory = landing.take_inventory(SAMPLE_LANDING)
    assert Settings().default_as_of(inventory) == landing.default_as_of(inventory) is not None


# ---------------------------------------------------------------- layering and the environment


def modules(package: str):
    for path in sorted((PROJECT_DIR / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "package, forbidden", [("tiering", {"orchestration", "devtools"}), ("orchestration", {"devtools"})]
)
def test_packages_import_only_downwards(package, forbidden):
    wrong = {str(path.relative_to(PROJECT_DIR)): imported(tree) & forbidden for path, tree in modules(package)}
    assert not {path: names for path, names in wrong.items() if names}


def environ_writes(tree: ast.AST) -> list[int]:
    """Lines that assign, delete, update or setdefault os.environ (or an item of it)."""

    def is_environ(node):
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        if any(is_environ(t) or (isinstance(t, ast.Subscript) and is_environ(t.value)) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_environ(node.func.value):
            if node.func.attr in ("update", "setdefault", "pop", "popitem", "clear", "__setitem__"):
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("putenv", "unsetenv")
        ):
            lines.append(node.lineno)
    return lines


def test_the_environment_check_finds_each_kind_of_write():
    code = (
        "import os\nos.environ['A'] = '1'\nos.environ.update(B='2')\nos.environ.setdefault('C', '3')\n"
        "del os.environ['A']\nos.putenv('D', '4')\nx = os.environ.get('E')\n"
    )
    assert sorted(environ_writes(ast.parse(code))) == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("package", [*PACKAGES, "tests"])
def test_no_module_writes_the_environment(package):
    writes = {str(path.relative_to(PROJECT_DIR)): environ_writes(tree) for path, tree in modules(package)}
    assert not {path: lines for path, lines in writes.items() if lines}


# ---------------------------------------------------------------- command lines


@pytest.mark.parametrize("parser", [run_parser, build_parser])
def test_every_option_has_help(parser):
    options = [a for a in parser()._actions if a.option_strings and a.dest != "help"]
    assert options and all(a.help and a.help.strip() for a in options), [a.dest for a in options if not a.help]


# ---------------------------------------------------------------- partitions


def write_orders(folder: Path, name: str, timestamps: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"o{i},c1,{ts},completed\n" for i, ts in enumerate(timestamps))
    (folder / name).write_text("order_id,customer_id,order_ts,status\n" + rows)


def test_partitions_start_at_the_first_order_date(tmp_path):
    write_orders(tmp_path / "orders", "2026-02.csv", ["2026-02-03 10:00:00", "not a date", "2026-02-01T23:30:00+02:00"])
    table = pa.table(
        {"order_id": ["p1"], "order_ts": pa.array([date(2026, 3, 1)], pa.date32()).cast(pa.timestamp("us"))}
    )
    pq.write_table(table, tmp_path / "orders" / "2026-03.parquet")
    assert landing.first_order_date(tmp_path) == date(2026, 2, 1)  # 23:30 at +02:00 is 21:30 UTC
    partitions = nightly_partitions(Settings(home=tmp_path / "home", landing_dir=tmp_path))
    assert partitions.get_first_partition_key() == "2026-02-01"


def test_partitions_fall_back_when_the_landing_has_no_order_date(tmp_path):
    write_orders(tmp_path / "unreadable" / "orders", "a.csv", [])
    (tmp_path / "unreadable" / "orders" / "b.csv").write_bytes(b"\xff\xfe\x00bad header\n")
    for folder in (tmp_path / "missing", tmp_path / "unreadable"):
        assert landing.first_order_date(folder) is None
    assert partitions_start(None) == FALLBACK_START and partitions_start(date(2025, 5, 4)) == date(2025, 5, 4)


# ---------------------------------------------------------------- progress lines


def test_progress_lines_and_the_dbt_node_count():
    manifest = {
        "nodes": {
            "model.a": {"resource_type": "model", "config": {"materialized": "table"}},
            "model.b": {"resource_type": "model", "config": {"materialized": "ephemeral"}},
            "seed.c": {"resource_type": "seed", "config": {}},
            "test.d": {"resource_type": "test", "config": {}},
            "analysis.e": {"resource_type": "analysis", "config": {}},
        },
        "unit_tests": {"unit_test.f": {}},
    }
    assert dbt_node_count(manifest, unit_tests=False) == 3 and dbt_node_count(manifest, unit_tests=True) == 4
    assert started("dbt build", "4 nodes") == "dbt build (4 nodes): started" and started("audit") == "audit: started"
    assert (
        ended("audit", 5.26) == "audit: done in 5.3 s" and ended("publish", 1, "failed") == "publish: failed in 1.0 s"
    )
