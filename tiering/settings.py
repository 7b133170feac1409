"""Paths and names the pipeline uses, from the environment with in-repo defaults."""

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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


def duckdb_config() -> dict:
    """The DuckDB limits dbt uses (profiles.yml), for the pipeline's own connections: they
    spill beside the file instead of growing with the data."""
    return {
        "memory_limit": os.environ.get("WAREHOUSE_MEMORY_LIMIT", "4GB"),
        "threads": int(os.environ.get("WAREHOUSE_THREADS", "2")),
    }


def served_file_mode() -> int:
    """Permissions of the served file and its exports (octal, default 440: customer data, read-only)."""
    return int(os.environ.get("WAREHOUSE_SERVED_MODE", "440"), 8)


def warehouse_timezone() -> str:
    return os.environ.get("WAREHOUSE_TIMEZONE", "UTC")


def today() -> date:
    return datetime.now(ZoneInfo(warehouse_timezone())).date()


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


@dataclass(frozen=True)
class Paths:
    landing_dir: Path
    build_dir: Path  # dbt writes here, one file per as-of date
    served_file: Path  # BI opens this read-only; only publish replaces it
    alerts_file: Path
    history_dir: Path  # one tier snapshot per as-of date, per landing source

    @classmethod
    def from_env(cls) -> "Paths":
        root = Path(os.environ.get("WAREHOUSE_HOME") or PROJECT_DIR / "warehouse").resolve()
        landing = Path(os.environ.get("LANDING_DIR") or SAMPLE_LANDING).resolve()
        return cls(
            landing_dir=landing,
            build_dir=root / "build",
            served_file=Path(os.environ.get("SERVED_PATH") or root / "served" / "warehouse.duckdb").resolve(),
            alerts_file=root / "alerts" / "run_failures.jsonl",
            history_dir=root / "history" / landing_key(landing),
        )

    def build_file(self, as_of: str) -> Path:
        return self.build_dir / f"warehouse-{as_of}.duckdb"

    def verdict_file(self, as_of: str) -> Path:
        return self.build_file(as_of).with_suffix(".audit.json")

    @property
    def lock_file(self) -> Path:  # one run at a time per warehouse home
        return self.build_dir.parent / "run.lock"

    @property
    def exports_link(self) -> Path:
        return self.served_file.parent / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.build_dir.parent / "reports"

    def log_file(self, as_of: str) -> Path:
        return self.build_dir.parent / "logs" / f"warehouse-run-{as_of}.log"

    @property
    def publication_file(self) -> Path:
        return self.served_file.parent / "publication.json"
