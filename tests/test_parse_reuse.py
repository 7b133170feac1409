"""dbt reuses its saved parse from one build to the next: the as-of date reaches it in the
environment and every build is made at its target folder's fixed path (orchestration/dbt_slot.py)."""

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from conftest import build, query

from orchestration.dbt_slot import ORIGIN_FILE, SLOT_FILE


@pytest.mark.slow  # two builds
def test_a_build_on_another_day_and_file_reuses_the_saved_parse(handmade_landing, tmp_path, monkeypatch):
    """The parse dbt saved in its target folder serves the next build, of another as-of date into
    another file (dbt reports each parse it cannot reuse); each build reads its own as-of date."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    days = [date(2026, 6, 30), date(2026, 6, 15)]
    said = [build(handmade_landing, tmp_path / f"w-{d}.duckdb", d, select="int_run_parameters").stdout for d in days]
    assert "Unable to do partial parsing because saved manifest not found" in said[0]
    assert "Unable to do partial parsing" not in said[1], said[1][:2000]
    for d in days:
        assert query(tmp_path / f"w-{d}.duckdb", "select as_of_date from int_run_parameters") == [(d,)]
    assert not (tmp_path / "target" / SLOT_FILE).exists()


def test_a_stopped_build_is_moved_back_from_the_slot(handmade_landing, tmp_path):
    """SIGTERM stops warehouse-build as Ctrl-C does: dbt is stopped and the file it was building
    in the slot is back at its own path."""
    target, warehouse = tmp_path / "target", tmp_path / "w.duckdb"
    command = [sys.executable, "-m", "orchestration.dbt_runner", "--landing-dir", str(handmade_landing)]
    command += ["--as-of", "2026-06-30", "--warehouse", str(warehouse)]
    env = {**os.environ, "DBT_TARGET_PATH": str(target)}
    build = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not (target / SLOT_FILE).exists() and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (target / SLOT_FILE).exists() and not warehouse.exists()
        build.send_signal(signal.SIGTERM)
        assert build.wait(timeout=120) == 128 + signal.SIGTERM
    finally:
        build.kill()
    assert warehouse.exists() and not (target / SLOT_FILE).exists() and not (target / ORIGIN_FILE).exists()
