"""dbt command lines, built by pure functions so they can be unit-tested."""
import json
import shutil
import sys
from datetime import date
from pathlib import Path


def dbt_vars(landing_dir: Path, as_of: date | None, history_dir: Path | None = None) -> str:
    values = {"landing_dir": str(Path(landing_dir).resolve()), "as_of": as_of.isoformat() if as_of else ""}
    if history_dir is not None:
        values["history_dir"] = str(Path(history_dir).resolve())
    return json.dumps(values)


def build_args(project_dir: Path, landing_dir: Path, as_of: date | None, select: str | None = None,
               history_dir: Path | None = None) -> list[str]:
    args = ["build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            "--vars", dbt_vars(landing_dir, as_of, history_dir)]
    if select:
        args += ["--select", select]
    return args


def dbt_executable() -> str:
    """dbt from the running interpreter's environment, else from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
