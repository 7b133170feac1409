"""The pipeline's next night on a published home: a crash, a reader, a backfill (split from
test_orchestration so the two files run side by side; both copy the same published night)."""

import hashlib
import json
import threading

import duckdb
import pytest
from conftest import PIPELINE_AS_OF

from orchestration.main_job import main
from orchestration.retention import nights

AS_OF, NEXT = PIPELINE_AS_OF, "2026-07-01"


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_crash_mid_build_leaves_served_file_intact(published_home, monkeypatch):
    home = published_home
    served = home / "served" / "warehouse.duckdb"
    before = digest(served)
    monkeypatch.setenv("WAREHOUSE_MEMORY_LIMIT", "2MB")  # DuckDB runs out of memory part way
    assert main(["--as-of", AS_OF]) == 1
    assert digest(served) == before
    [kept] = (home / "dbt-runs").iterdir()  # the failed build's dbt artifacts and log stay
    assert (kept / "dbt.log").exists()


@pytest.mark.slow
def test_read_only_reader_keeps_working_across_a_run(published_home):
    home = published_home
    served = home / "served" / "warehouse.duckdb"
    reader = duckdb.connect(str(served), read_only=True)
    before = reader.sql("select distinct as_of_date::varchar from marts.customer_value").fetchall()
    answers = []
    stop = threading.Event()

    def keep_reading():  # a BI tool's pace: a query, then a pause (a busy loop would take a core from the run)
        while not stop.wait(0.05):
            answers.append(reader.cursor().sql("select count(*) from marts.customer_tiers").fetchone()[0])

    thread = threading.Thread(target=keep_reading)
    thread.start()
    try:
        assert main(["--as-of", NEXT]) == 0  # the next night is published
    finally:
        stop.set()
        thread.join()
    assert before == [(AS_OF,)] and answers and all(a > 0 for a in answers)
    assert reader.sql("select count(*) from marts.customer_value").fetchone()[0] > 0  # old snapshot still answers
    reader.close()
    with duckdb.connect(str(served), read_only=True) as fresh:
        assert fresh.sql("select distinct as_of_date::varchar from marts.customer_value").fetchall() == [(NEXT,)]


@pytest.mark.slow
def test_backfill_of_an_older_date_is_audited_but_not_published(published_home, monkeypatch):
    """It also removes an expired night's build but not the served one (orchestration/retention.py)."""
    home = published_home
    build = home / "build"
    landing = (build / f"warehouse-{AS_OF}.landing").read_text()
    (build / "warehouse-2026-04-30.landing").write_text(landing)
    (build / "warehouse-2026-04-30.duckdb").write_bytes(b"an expired night")
    monkeypatch.setenv("WAREHOUSE_KEEP_BUILDS", "0")
    assert main(["--as-of", "2026-05-31"]) == 0
    assert sorted(nights(build)) == ["2026-05-31", AS_OF]
    assert list((home / "dbt-runs").iterdir()) == []  # a build that passed leaves no dbt folder
    assert json.loads((home / "served" / "publication.json").read_text())["as_of"] == AS_OF
    alert = json.loads((home / "alerts" / "run_failures.jsonl").read_text().splitlines()[-1])
    assert alert["kind"] == "not_published" and alert["served_as_of"] == AS_OF and "--republish" in alert["error"]
