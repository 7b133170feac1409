"""Tell a failed dbt build that is worth retrying from one that is not."""

import json
from pathlib import Path

from dagster import Failure

# Messages of failures that go away on their own (another process holds the file, I/O hiccups).
TRANSIENT = (
    "could not set lock on file",
    "resource temporarily unavailable",
    "database is locked",
    "no space left on device",
    "connection reset",
    "timed out",
)


class TransientDbtError(Exception):
    """Raised for failures the retry policy should retry."""


def failed_nodes(run_results: dict) -> list[dict]:
    return [r for r in run_results.get("results", []) if r.get("status") in ("error", "fail", "runtime error")]


def classify(run_results: dict | None, log_text: str) -> Exception:
    """A Failure that bypasses retries for failed models and tests; a TransientDbtError otherwise
    when the log shows a transient cause."""
    nodes = failed_nodes(run_results or {})
    text = " ".join([log_text] + [str(n.get("message", "")) for n in nodes]).lower()
    if any(t in text for t in TRANSIENT):
        return TransientDbtError(f"transient dbt failure, will be retried: {text[-500:]}")
    if nodes:
        lines = [f"{n['unique_id']}: {n['status']}: {(n.get('message') or '').strip()[:300]}" for n in nodes[:20]]
        return Failure(
            f"dbt build failed on {len(nodes)} node(s); nothing is published:\n" + "\n".join(lines),
            metadata={"failed_nodes": [n["unique_id"] for n in nodes]},
            allow_retries=False,
        )
    return Failure(f"dbt did not run: {log_text[-1000:]}", allow_retries=False)


def classify_dbt_failure(invocation) -> Exception:
    results_path = Path(invocation.target_path) / "run_results.json"
    run_results = json.loads(results_path.read_text()) if results_path.exists() else None
    log_text = "\n".join(str(e) for e in getattr(invocation, "_error_messages", []))
    try:
        log_text += invocation.process.stdout.read().decode() if invocation.process.stdout else ""
    except (ValueError, AttributeError, OSError):
        pass
    return classify(run_results, log_text)
