"""The event logs kept from night to night (tier_assignment_history, membership_level_history):
an incremental night keeps the rows of dates before the first stored snapshot it has not
computed them from, and equals a full rebuild on the same snapshots, whether the history grew
by a night, lost a night that was never published, or had a snapshot rewritten. A snapshot
stored from the build that computed its date's rows keeps them."""

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import build, query, run_results

from devtools.generator.cli import Spec, generate
from orchestration.publish import store_snapshot
from tiering.landing import SNAPSHOT_ORIGIN_NAME

pytestmark = pytest.mark.slow  # six builds

D1, D2, D3, D4 = (date(2026, 6, d) for d in (27, 28, 29, 30))
LOGS = ["tier_assignment_history", "membership_level_history"]


def compiled(model: str) -> str:
    return next(r["compiled_code"] for r in run_results()["results"] if r["unique_id"].endswith(f".{model}"))


def recompute_filters() -> dict[str, str | None]:
    """The date from which each log's last build computed its rows (None: all of them)."""
    found = {log: re.search(r"and as_of_date >= date '([0-9-]+)'", compiled(log)) for log in LOGS}
    return {log: m and m.group(1) for log, m in found.items()}


def rebuilt(root: Path, history: Path, as_of: date, name: str) -> Path:
    """A full build on a copy of `history` (its snapshots before `as_of`)."""
    shutil.copytree(history, root / name / "history", ignore=shutil.ignore_patterns(f"as_of={as_of}"))
    build(root / "landing", root / name / "wh.duckdb", as_of)
    return root / name / "wh.duckdb"


def differences(inc: Path, full: Path) -> dict[str, int]:
    con = duckdb.connect()
    con.execute(f"attach '{inc}' as inc (read_only)")
    con.execute(f"attach '{full}' as rebuilt (read_only)")
    found = {}
    for log in LOGS:
        assert con.sql(f"select count(*) from rebuilt.{log}").fetchone()[0] > 0, log
        found[log] = sum(
            con.sql(f"select count(*) from (from {a}.{log} except all from {b}.{log})").fetchone()[0]
            for a, b in (("inc", "rebuilt"), ("rebuilt", "inc"))
        )
    return found


def without_one_customer(snapshot: Path) -> None:
    """Rewrite a stored snapshot without its first customer (a new file, as a rebuild stores one)."""
    staged = snapshot.with_name("rewritten.parquet")
    duckdb.sql(
        f"copy (from '{snapshot}' where customer_id <> (select min(customer_id) from '{snapshot}')) to '{staged}'"
    )
    os.replace(staged, snapshot)


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("event_logs")
    generate(Spec(customers=500, seed=9), root / "landing")
    inc, history = root / "inc" / "wh.duckdb", root / "inc" / "history"
    build(root / "landing", inc, D1)
    store_snapshot(inc, history, D1.isoformat())
    build(root / "landing", inc, D2)  # a night never published: its snapshot is not stored
    after_stored = recompute_filters()
    build(root / "landing", inc, D3)
    yield root, inc, history, {"after_stored": after_stored, "after_unpublished": recompute_filters()}


def test_the_night_after_a_stored_one_computes_only_its_own_date(nights):
    """D1's rows were computed by the build whose snapshot of D1 was stored: D2 keeps them."""
    _, _, history, filtered = nights
    origin = json.loads((history / f"as_of={D1}" / SNAPSHOT_ORIGIN_NAME).read_text())
    assert sorted(origin["computed_by"]) == sorted(LOGS)
    assert filtered["after_stored"] == dict.fromkeys(LOGS, "2026-06-28")


def test_a_night_keeps_the_rows_of_stored_dates_and_drops_an_unpublished_night(nights):
    root, inc, history, filtered = nights
    assert filtered["after_unpublished"] == dict.fromkeys(LOGS, "2026-06-28")  # D1's rows kept, D2's computed again
    assert query(inc, "select distinct as_of_date from tier_assignment_history order by 1")[-1] == (D3,)
    assert differences(inc, rebuilt(root, history, D3, "full3")) == dict.fromkeys(LOGS, 0)


def test_a_rewritten_snapshot_is_recomputed_from_its_date(nights):
    root, inc, history, _ = nights
    store_snapshot(inc, history, D3.isoformat())
    without_one_customer(history / f"as_of={D1}" / "tier_snapshot.parquet")
    build(root / "landing", inc, D4)
    assert recompute_filters() == dict.fromkeys(LOGS, "2026-06-27")
    recorded = dict(query(inc, "select as_of_date, stamp from tier_assignment_history__snapshots"))
    assert sorted(recorded) == [D1, D3, D4]
    assert recorded[D1].startswith(str(history / f"as_of={D1}"))  # rewritten: its file's stamp counts
    stored_d3 = json.loads((history / f"as_of={D3}" / SNAPSHOT_ORIGIN_NAME).read_text())["computed_by"]
    assert recorded[D3] == stored_d3["tier_assignment_history"]  # stored from the build that computed it
    assert recorded[D4].startswith("computed by dbt invocation ") and recorded[D4] != recorded[D3]
    assert differences(inc, rebuilt(root, history, D4, "full4")) == dict.fromkeys(LOGS, 0)
