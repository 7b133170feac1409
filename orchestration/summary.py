"""What `warehouse-run` tells people at the end of a run, and where the run's debug output goes."""

import contextlib
import json
import os
import sys
from pathlib import Path

import duckdb

from orchestration.report import (
    company_pnl,
    connect,
    default_scheme,
    money,
    publication_context,
    pyramid,
    reconciliation,
    whale,
    whale_headline,
)
from tiering.settings import Settings


@contextlib.contextmanager
def output_to(log_file: Path):
    """Sends everything written to stdout and stderr (Dagster's and dbt's debug lines, warnings,
    subprocesses) to `log_file` instead of the terminal."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_file.open("w", buffering=1) as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            log.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def summarize(
    database: Path,
    as_of: str,
    audit: dict | None = None,
    publication: dict | None = None,
    report: Path | None = None,
    log_file: Path | None = None,
) -> dict:
    """The run's figures from the file it built (exact decimals), and what became of it."""
    summary = {
        "as_of": as_of,
        "audit": audit,
        "published": publication,
        "report": str(report) if report else None,
        "log_file": str(log_file) if log_file else None,
    }
    if not database.exists():
        return summary
    try:
        summary |= _figures(database)
    except (LookupError, duckdb.Error) as e:  # a build that stopped part way has no marts to show
        summary["no_figures"] = str(e).splitlines()[0]
    return summary


def _figures(database: Path) -> dict:
    with connect(database) as con:
        scheme = default_scheme(con)
        return {
            "tables": [
                {
                    k: r[k]
                    for k in (
                        "table_name",
                        "rows_landed",
                        "rows_accepted",
                        "rows_quarantined",
                        "rows_superseded",
                        "rows_malformed",
                    )
                }
                for r in reconciliation(con)
            ],
            "company_pnl": [
                {"line_item": r["line_item"], "activity": r["activity"], "amount": r["amount"]}
                for r in company_pnl(con)
            ],
            "pyramid": {
                "scheme": scheme,
                "tiers": [
                    {k: r[k] for k in ("tier", "tier_name", "customers", "net_revenue", "contribution")}
                    for r in pyramid(con, scheme)
                ],
            },
            "whale_curve": whale_headline(whale(con)),
        }


def to_json(summary: dict) -> str:
    """Decimals as strings, so amounts stay exact."""
    return json.dumps(summary, indent=2, default=str)


def _rows(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows
    ]


def to_text(summary: dict) -> str:
    lines = [f"as-of date: {summary['as_of']}"]
    if "tables" in summary:
        lines += ["", "rows per table:"] + _rows(
            [["table", "landed", "accepted", "quarantined", "superseded", "malformed"]]
            + [
                [
                    t["table_name"],
                    *(
                        f"{t[k]:,}"
                        for k in (
                            "rows_landed",
                            "rows_accepted",
                            "rows_quarantined",
                            "rows_superseded",
                            "rows_malformed",
                        )
                    ),
                ]
                for t in summary["tables"]
            ]
        )
        lines += ["", "company P&L:"] + _rows(
            [
                [
                    (p["line_item"] if p["activity"] is None else f"  {p['activity']}").replace("_", " "),
                    money(p["amount"]),
                ]
                for p in summary["company_pnl"]
            ]
        )
        pyr = summary["pyramid"]
        lines += ["", f"pyramid ({pyr['scheme']}):"] + _rows(
            [["tier", "customers", "net revenue", "contribution"]]
            + [
                [
                    t["tier_name"] if t["tier"] == "non_buyer" else f"{t['tier']} {t['tier_name']}",
                    f"{t['customers']:,}",
                    money(t["net_revenue"]),
                    money(t["contribution"]),
                ]
                for t in pyr["tiers"]
            ]
        )
        lines += ["", f"whale curve: {summary['whale_curve']}"]
    if "no_figures" in summary:
        lines += ["", f"figures:    none ({summary['no_figures']})"]
    audit = summary["audit"]
    lines += [
        "",
        "audit:      "
        + (
            "not run"
            if audit is None
            else "passed"
            if audit.get("passed")
            else f"FAILED ({', '.join(audit.get('failed') or [])})"
        ),
    ]
    pub = summary["published"]
    lines += [
        "published:  "
        + (
            f"{pub['served_file']} (as of {pub['as_of']}; open it read-only), exports in {pub['exports']}"
            if pub
            else "nothing (served file unchanged)"
        )
    ]
    if summary["report"]:
        lines.append(f"report:     {summary['report']}")
    if summary["log_file"]:
        lines.append(f"log:        {summary['log_file']}")
    return "\n".join(lines)


def print_summary(paths: Settings, as_of: str, success: bool, log_file: Path, as_json: bool) -> None:
    """The end of `warehouse-run`: figures of the file this run built, and what it published."""
    publication, _ = publication_context(paths)
    verdict = paths.build_file(as_of).with_suffix(".audit.json")
    report = paths.reports_dir / f"tier_report-{publication['as_of']}.html" if publication else None
    summary = summarize(
        paths.build_file(as_of),
        as_of,
        audit=json.loads(verdict.read_text()) if verdict.exists() else None,
        publication=publication if success and publication and publication["as_of"] == as_of else None,
        report=report if success and report and report.exists() else None,
        log_file=log_file,
    )
    print(to_json(summary) if as_json else to_text(summary))
