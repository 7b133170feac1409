"""`warehouse-run --history-months N`: which month-ends are built first."""

from datetime import date

import pytest

from orchestration.main_job import history_backfill, month_ends_before

pytestmark = pytest.mark.fast


def test_month_ends_before_a_date_oldest_first():
    assert month_ends_before(date(2026, 6, 30), 2) == [date(2026, 4, 30), date(2026, 5, 31)]
    assert month_ends_before(date(2026, 3, 15), 1) == [date(2026, 2, 28)]
    assert month_ends_before(date(2024, 3, 1), 1) == [date(2024, 2, 29)]
    assert month_ends_before(date(2026, 1, 31), 1) == [date(2025, 12, 31)]


def test_backfill_only_when_no_earlier_snapshot(tmp_path):
    as_of = date(2026, 6, 30)
    assert history_backfill(tmp_path, as_of, 1) == [date(2026, 5, 31)]
    assert history_backfill(tmp_path, as_of, 0) == []
    (tmp_path / "as_of=2026-06-30").mkdir()  # the same date does not count as a past
    assert history_backfill(tmp_path, as_of, 1) == [date(2026, 5, 31)]
    (tmp_path / "as_of=2026-04-30").mkdir()
    assert history_backfill(tmp_path, as_of, 1) == []
