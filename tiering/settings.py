"""The pipeline's settings (one typed object, from the environment and the command line) and
the names of the public marts."""

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tiering.landing import DUCKDB_DEFAULTS, Inventory, default_as_of
from tiering.project import PROJECT_DIR, SAMPLE_LANDING

PUBLIC_MARTS = (
    "customer_value",
    "customer_cost_to_serve",
    "company_pnl",
    "customer_tiers",
    "customer_scheme_tiers",
    "tier_profitability",
    "quadrant_profitability",
    "grid_profitability",
    "whale_curve",
    "profit_concentration",
    "quarantine",
    "landing_reconciliation",
    "rejected_files",
    "tier_migration",
    "membership_levels",
    "membership_level_history",
    "early_warning",
    "service_plan_vs_actual",
    "service_exceptions",
    "fee_income",
    "customer_actions",
    "prospect_scores",
    "churn_risk",
    "churn_backtest",
    "high_value_retention",
    "assigned_tiers",
    "tier_assignment_history",
)
# Schema of a public mart in the served file, by its folder under models/marts.
MART_FOLDER_SCHEMAS = {
    "customer_value": "marts",
    "tiers": "marts",
    "churn": "marts",
    "management": "management",
    "data_quality": "data_quality",
    "history": "history",
}
DRIFT_THRESHOLDS_FILE = PROJECT_DIR / "config" / "drift_thresholds.csv"


def mart_schemas(manifest_path: Path = PROJECT_DIR / "target" / "manifest.json") -> dict[str, str]:
    """Public mart -> schema of the served file, from the mart's folder under models/marts."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    folders = {
        n["name"]: Path(n["path"]).parts[1]
        for n in nodes
        if n["resource_type"] == "model" and Path(n["path"]).parts[0] == "marts"
    }
    missing = [m for m in PUBLIC_MARTS if folders.get(m) not in MART_FOLDER_SCHEMAS]
    if missing:
        raise ValueError(f"public marts outside {sorted(MART_FOLDER_SCHEMAS)} under models/marts: {missing}")
    return {m: MART_FOLDER_SCHEMAS[folders[m]] for m in PUBLIC_MARTS}


def landing_key(landing_dir: Path) -> str:
    """Short name of a landing source: its resolved path, hashed."""
    return hashlib.sha256(str(Path(landing_dir).resolve()).encode()).hexdigest()[:12]


def dbt_allowed_empty_tables(project_dir: Path = PROJECT_DIR) -> tuple[str, ...]:
    """Var allowed_empty_tables of dbt_project.yml: the default of Settings.allowed_empty_tables."""
    config = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text())
    return tuple(config.get("vars", {}).get("allowed_empty_tables") or ())


# environment variable -> Settings field (the CLI of each entry point overrides them)
ENVIRONMENT = {
    "WAREHOUSE_HOME": "home",
    "LANDING_DIR": "landing_dir",
    "SERVED_PATH": "served_file",
    "WAREHOUSE_MEMORY_LIMIT": "memory_limit",
    "WAREHOUSE_THREADS": "threads",
    "WAREHOUSE_DBT_THREADS": "dbt_threads",
    "WAREHOUSE_TIMEZONE": "timezone",
    "WAREHOUSE_SERVED_MODE": "served_mode",
    "WAREHOUSE_ALLOWED_EMPTY_TABLES": "allowed_empty_tables",
    "WAREHOUSE_INCREMENTAL": "incremental",
    "WAREHOUSE_SPARK_CONNECT": "spark_connect",
    "WAREHOUSE_KEEP_BUILDS": "keep_builds",
    "WAREHOUSE_KEEP_AUDITS": "keep_audits",
    "WAREHOUSE_DBT_UNIT_TESTS": "dbt_unit_tests",
}


class SettingsError(ValueError):
    """A setting that cannot be used, in one line naming its environment variable."""


def settings_error(error: ValidationError, from_env: set[str]) -> SettingsError:
    """The first problem of `error` in one line; values are not repeated (a Connect address may
    hold a token) unless the check's own message quotes them."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "settings"
    name = next((env for env, f in ENVIRONMENT.items() if f == field and env in from_env), field)
    return SettingsError(f"{name}: {first['msg'].removeprefix('Value error, ')}")


class Settings(BaseModel):
    """Everything a run needs to know about where and how: built once at each entry point
    (warehouse-run, warehouse-build, the Dagster code location) and passed down."""

    model_config = ConfigDict(frozen=True)

    home: Path = PROJECT_DIR / "warehouse"  # builds, served file, history, logs, Dagster runs
    landing_dir: Path = SAMPLE_LANDING
    served_file: Path | None = None  # BI opens this read-only; default <home>/served/warehouse.duckdb
    memory_limit: str = DUCKDB_DEFAULTS["memory_limit"]  # DuckDB, for dbt and the pipeline's own connections
    threads: int = DUCKDB_DEFAULTS["threads"]
    dbt_threads: int = 1
    timezone: str = "UTC"  # of the nightly schedule, "today" and the partitions
    served_mode: int = 0o440  # permissions of the served file and exports: customer data, read-only
    allowed_empty_tables: tuple[str, ...] = Field(default_factory=dbt_allowed_empty_tables)
    incremental: bool = False  # build on the latest earlier build of the landing folder
    # dbt's unit tests in the build too (the test suite's). They prove the models' code on
    # fixtures, not the landed data, so a night runs the data tests only.
    dbt_unit_tests: bool = False
    # earlier nights' build files kept besides the served and the newest (orchestration/retention.py)
    keep_builds: int = Field(default=2, ge=0)
    # audits whose GX results and Data Docs pages are kept (orchestration/data_docs.py)
    keep_audits: int = Field(default=30, ge=1)
    # Spark on a cluster (dbt over Thrift or HTTP): the Spark Connect address the Arrow, GX and
    # publish steps use, sc://host:port[/;token=...]; unset: dbt's local session (docs/spark.md)
    spark_connect: str | None = None

    @field_validator("home", "landing_dir", "served_file")
    @classmethod
    def _resolved(cls, path: Path | None) -> Path | None:
        return None if path is None else Path(path).resolve()

    @field_validator("served_mode", mode="before")
    @classmethod
    def _octal(cls, mode):
        return int(mode, 8) if isinstance(mode, str) else mode

    @field_validator("allowed_empty_tables", mode="before")
    @classmethod
    def _comma_separated(cls, tables):
        return tuple(t.strip() for t in tables.split(",") if t.strip()) if isinstance(tables, str) else tables

    @field_validator("incremental", "dbt_unit_tests", mode="before")
    @classmethod
    def _flag(cls, value):
        return value == "1" if isinstance(value, str) else value

    @field_validator("spark_connect")
    @classmethod
    def _connect_address(cls, address: str | None) -> str | None:
        if address and not address.startswith("sc://"):
            raise ValueError("a Spark Connect address starts with sc:// (sc://host:15002)")
        return address or None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return zone

    @model_validator(mode="after")
    def _served_default(self) -> "Settings":
        if self.served_file is None:  # frozen: set once, while validating
            object.__setattr__(self, "served_file", self.home / "served" / "warehouse.duckdb")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides) -> "Settings":
        """Settings from the environment (ENVIRONMENT), then `overrides` (the command line; None
        values are ignored), then the defaults. Reads the environment, never writes it; raises
        SettingsError (one line) for a value that cannot be used."""
        values = {field: environ[name] for name, field in ENVIRONMENT.items() if environ.get(name)}
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return cls(**{**values, **given})
        except ValidationError as e:
            raise settings_error(e, {n for n, f in ENVIRONMENT.items() if f in values and f not in given}) from None

    @property
    def duckdb_config(self) -> dict:
        """The DuckDB limits dbt uses (profiles.yml), for the pipeline's own connections: they
        spill beside the file instead of growing with the data."""
        return {"memory_limit": self.memory_limit, "threads": self.threads}

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()

    def default_as_of(self, inventory: Inventory) -> date | None:
        """The as-of date when none is given: the one rule, tiering.landing.default_as_of."""
        return default_as_of(inventory, self.duckdb_config)

    @property
    def build_dir(self) -> Path:  # dbt writes here, one file per as-of date
        return self.home / "build"

    @property
    def dbt_runs_dir(self) -> Path:  # each dbt build's target and log folder; a failed one's stays
        return self.home / "dbt-runs"

    @property
    def dbt_parse_dir(self) -> Path:  # dbt's saved parse, and the one path it builds every night at
        return self.home / "dbt-parse"

    @property
    def whatif_dir(self) -> Path:  # the what-if's project copy with its saved parse, and the file it rebuilds
        return self.home / "whatif"

    @property
    def alerts_file(self) -> Path:
        return self.home / "alerts" / "run_failures.jsonl"

    @property
    def history_dir(self) -> Path:  # one tier snapshot per as-of date, per landing source
        return self.home / "history" / landing_key(self.landing_dir)

    @property
    def gx_dir(self) -> Path:  # the GX project the audit writes: results and Data Docs of this home
        return self.home / "gx"

    @property
    def dagster_home(self) -> Path:  # the Dagster instance recording warehouse-run's runs
        return self.home / "dagster"

    def build_file(self, as_of: str) -> Path:
        return self.build_dir / f"warehouse-{as_of}.duckdb"

    def verdict_file(self, as_of: str) -> Path:
        return self.build_file(as_of).with_suffix(".audit.json")

    @property
    def lock_file(self) -> Path:  # one run at a time per warehouse home
        return self.home / "run.lock"

    @property
    def exports_link(self) -> Path:
        return self.served_file.parent / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def log_file(self, as_of: str) -> Path:
        return self.home / "logs" / f"warehouse-run-{as_of}.log"

    @property
    def spark_dir(self) -> Path:  # the Spark builds' tables and metastore (warehouse-build-spark)
        return self.home / "spark"

    @property
    def publication_file(self) -> Path:
        return self.served_file.parent / "publication.json"


def entry_point_settings(prog: str, **overrides) -> Settings:
    """Settings.from_env for a command: a setting that cannot be used ends it with code 2 and
    one line, as a wrong argument does."""
    try:
        return Settings.from_env(**overrides)
    except SettingsError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def duckdb_config() -> dict:
    """DuckDB limits for code not yet handed a Settings (report, audit, dev tools)."""
    return Settings.from_env().duckdb_config
