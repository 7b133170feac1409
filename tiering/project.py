"""Where things live: the dbt project and the bundled sample landing zone."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_LANDING = PROJECT_DIR / "sample" / "landing"
