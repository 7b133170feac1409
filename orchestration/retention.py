"""Which nights' build files stay in <home>/build (a 1M-customer build is about 4 GB, a 5M one
18 GB, so keeping every night fills a disk within weeks).

Before a night writes its build, the files of earlier nights are removed except:
- the night being built (an incremental rebuild of the same date builds on it);
- the served night (the report and the run summary read its audit verdict);
- the newest night of each landing folder (the next incremental night copies it);
- the `keep` newest other nights (Settings.keep_builds, WAREHOUSE_KEEP_BUILDS).
A night's files are `warehouse-<as-of>.*`: the DuckDB file, its WAL, its audit verdict, its
landing marker and its inventory folder. `as-of.inventory` (warehouse-run's default as-of)
is no night's and is overwritten. The served file, its exports and the tier history live
elsewhere and are never touched.
"""

import re
import shutil
from pathlib import Path

from tiering.landing import built_from

NIGHT_FILE = re.compile(r"warehouse-(\d{4}-\d{2}-\d{2})\.")
FAILED_DBT_RUNS_KEPT = 10  # a failed build's dbt folder (~20 MB); a passed build removes its own


def nights(build_dir: Path) -> dict[str, list[Path]]:
    """as-of date -> the files and folders of that night in `build_dir`."""
    found: dict[str, list[Path]] = {}
    for path in sorted(build_dir.iterdir()) if build_dir.is_dir() else ():
        match = NIGHT_FILE.match(path.name)
        if match:
            found.setdefault(match.group(1), []).append(path)
    return found


def expired(ordered: list[str], protected: set, keep: int) -> list[str]:
    """Of `ordered` (oldest first), the ones to remove: all but the protected and the `keep`
    newest others."""
    others = [n for n in ordered if n not in protected]
    return others[: max(len(others) - keep, 0)]


def protected_nights(landings: dict[str, str | None], building: str, served: str | None) -> set:
    """The night being built, the served one and the newest of each landing folder
    (`landings` maps each night to its landing folder)."""
    newest = {landings[n]: n for n in sorted(landings)}
    return {building, served, *newest.values()}


def remove_expired(build_dir: Path, building: str, served: str | None, keep: int, log=print) -> list[str]:
    """Remove the expired nights' files (expired()); a file that cannot be removed is reported
    and left, the night goes on."""
    found = nights(build_dir)
    protected = protected_nights({n: built_from(build_dir / f"warehouse-{n}.duckdb") for n in found}, building, served)
    removed = []
    for night in expired(sorted(found), protected, keep):
        size = sum(_size(f) for f in found[night])
        try:
            for f in found[night]:
                _remove(f)
        except OSError as e:
            log(f"could not remove the build of {night} ({e}); it stays in {build_dir}")
            continue
        log(f"removed the build of {night} ({size / 1e9:.1f} GB): older than the {keep} kept (WAREHOUSE_KEEP_BUILDS)")
        removed.append(night)
    return removed


def _size(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return path.lstat().st_size


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def remove_old_dbt_runs(runs_dir: Path, log=print) -> list[str]:
    """The dbt folders failed builds left in <home>/dbt-runs, beyond the newest
    FAILED_DBT_RUNS_KEPT (by modification time, then name)."""
    runs = sorted(runs_dir.glob("run-*"), key=lambda p: (p.stat().st_mtime, p.name)) if runs_dir.is_dir() else []
    old = expired([p.name for p in runs if p.is_dir()], set(), FAILED_DBT_RUNS_KEPT)
    for name in old:
        shutil.rmtree(runs_dir / name, ignore_errors=True)
    if old:
        log(f"removed {len(old)} failed builds' dbt folders from {runs_dir} (the newest {FAILED_DBT_RUNS_KEPT} stay)")
    return old
