"""Where things live: the dbt project, the bundled sample, the default warehouse file."""
import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_LANDING = PROJECT_DIR / "sample" / "landing"
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "warehouse.duckdb"


def warehouse_path() -> Path:
    """The DuckDB file dbt builds: $WAREHOUSE_PATH, else a git-ignored file in the repo."""
    return Path(os.environ.get("WAREHOUSE_PATH") or DEFAULT_WAREHOUSE).resolve()
