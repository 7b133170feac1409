"""Paths and names the pipeline uses, from the environment with in-repo defaults."""
import os
from dataclasses import dataclass
from pathlib import Path

from orchestration.project import PROJECT_DIR, SAMPLE_LANDING

PUBLIC_MARTS = (
    "customer_value", "customer_cost_to_serve", "company_pnl", "customer_tiers", "tier_profitability",
    "quadrant_profitability", "grid_profitability", "whale_curve", "profit_concentration", "quarantine", "landing_reconciliation",
    "rejected_files",
    "tier_migration", "membership_levels", "early_warning",
    "service_plan_vs_actual", "service_exceptions", "fee_income", "customer_actions",
    "churn_risk", "churn_backtest",
)


def duckdb_config() -> dict:
    """The DuckDB limits dbt uses (profiles.yml), for the pipeline's own connections: they
    spill beside the file instead of growing with the data."""
    return {"memory_limit": os.environ.get("WAREHOUSE_MEMORY_LIMIT", "4GB"),
            "threads": int(os.environ.get("WAREHOUSE_THREADS", "2"))}


@dataclass(frozen=True)
class Paths:
    landing_dir: Path
    build_dir: Path  # dbt writes here, one file per as-of date
    served_file: Path  # BI opens this read-only; only publish replaces it
    alerts_file: Path
    history_dir: Path  # one tier snapshot per as-of date

    @classmethod
    def from_env(cls) -> "Paths":
        root = Path(os.environ.get("WAREHOUSE_HOME") or PROJECT_DIR / "warehouse").resolve()
        return cls(
            landing_dir=Path(os.environ.get("LANDING_DIR") or SAMPLE_LANDING).resolve(),
            build_dir=root / "build",
            served_file=Path(os.environ.get("SERVED_PATH") or root / "served" / "warehouse.duckdb").resolve(),
            alerts_file=root / "alerts" / "run_failures.jsonl",
            history_dir=root / "history",
        )

    def build_file(self, as_of: str) -> Path:
        return self.build_dir / f"warehouse-{as_of}.duckdb"

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
