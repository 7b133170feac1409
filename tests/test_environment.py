"""The installed environment: what the pipeline's child processes import works as they start them."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.fast


def test_great_expectations_imports_in_a_python_c_child():
    # pyspark (the Spark tier) ends a `python -c` process with exit 0 when GX imports
    # pyspark.sql.connect without connect's dependencies: the audit would vanish, reported as passed
    child = subprocess.run(
        [sys.executable, "-c", "import orchestration.audit, great_expectations; print('imported')"],
        capture_output=True,
        text=True,
    )
    assert child.returncode == 0 and child.stdout.strip() == "imported", child.stderr[-2000:]
    assert "PySpark" not in child.stderr  # no warning about Spark on a DuckDB night
