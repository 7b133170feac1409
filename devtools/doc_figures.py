"""The bundled sample's figures quoted in docs/, rendered from a build instead of typed by hand.

Each block sits in a doc between `<!-- figures:NAME -->` and `<!-- /figures -->`.
`make doc-figures` builds the sample at its default as-of date and rewrites the blocks;
tests/test_doc_figures.py fails when a doc quotes a figure the sample no longer gives.
"""

import argparse
import re
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.dbt_runner import run_dbt_build
from tiering.landing import default_as_of, take_inventory
from tiering.project import PROJECT_DIR, SAMPLE_LANDING

DOCS = PROJECT_DIR / "docs"
# a block may sit indented in a list item: its body takes the markers' indent
BLOCK = re.compile(
    r"^(?P<indent>[ ]*)(?P<open><!-- figures:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)^(?P=indent)<!-- /figures -->",
    re.S | re.M,
)


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


def pct(share) -> str:
    return f"{Decimal(share) * 100:.1f}%"


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def management(con) -> str:
    as_of = _rows(con, "select max(as_of_date) from service_plan_vs_actual")[0][0]
    plan = _rows(
        con,
        """select tier, max(customers), sum(planned_cost), sum(actual_cost)
           from service_plan_vs_actual group by tier, tier_order order by tier_order, tier""",
    )
    exceptions = dict(
        _rows(
            con,
            """select exception || ' ' || tier, count(distinct customer_id)
               from service_exceptions group by 1""",
        )
    )
    fee = _rows(con, "select sum(customers_charged), sum(fee_income_per_year) from fee_income")[0]
    actions = _rows(con, "select action, count(*) from customer_actions group by action order by 2 desc, 1")
    lines = [
        f"On a build of the bundled sample at D = {as_of}:",
        "",
        "| tier | customers | planned cost | actual cost to serve |",
        "|---|---:|---:|---:|",
        *(f"| {t} | {n:,} | {money(p)} | {money(a)} |" for t, n, p, a in plan),
        "",
        "Over-served: "
        + ", ".join(f"{n:,} tier-{k.split()[1]}" for k, n in sorted(exceptions.items()) if k.startswith("over_"))
        + ". Under-served: "
        + ", ".join(f"{n:,} tier-{k.split()[1]}" for k, n in sorted(exceptions.items()) if k.startswith("under_"))
        + f". Fee income: {fee[0]:,} customers pay {money(fee[1])} a year in all.",
        "Actions: " + ", ".join(f"{a} {n:,}" for a, n in actions) + ".",
    ]
    return "\n".join(lines) + "\n"


def concentration(con) -> str:
    (b, total, top20, bottom30, unprof, peak_b, peak_p, top10, bottom10) = _rows(
        con,
        """select buyers, total_contribution, top_20_share, bottom_30_share, unprofitable_buyer_share,
                  peak_buyer_share, peak_profit_share, top_10_share, bottom_10_share
           from profit_concentration""",
    )[0]
    return (
        f"On the bundled sample ({b:,} buyers, buyers' contribution {money(total)}): the top 20% earn\n"
        f"{pct(top20)} of it, the bottom 30% consume {pct(-bottom30)}, {pct(unprof)} of buyers are unprofitable,\n"
        f"the whale curve peaks at {pct(peak_b)} of buyers with {pct(peak_p)}, the top decile earns\n"
        f"{pct(top10)} and the bottom decile consumes {pct(-bottom10)}.\n"
    )


def backtest(con) -> str:
    scored, base, high, lapsed, rate, lift = _rows(
        con,
        """select scored_buyers, base_rate, high_risk_buyers, high_risk_lapsed, high_risk_lapse_rate, lift
           from churn_backtest""",
    )[0]
    return (
        f"On the bundled sample: {scored:,} buyers, base rate {pct(base)}, {high:,} scored\n"
        f"high-risk of whom {lapsed:,} lapsed ({pct(rate)}): a **lift of {Decimal(lift):.2f}**.\n"
    )


RENDERERS: dict[str, Callable] = {"management": management, "concentration": concentration, "backtest": backtest}


def rendered(build_file: Path) -> dict[str, str]:
    with duckdb.connect(str(build_file), read_only=True) as con:
        return {name: render(con) for name, render in RENDERERS.items()}


def indented(body: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in body.splitlines(keepends=True))


def blocks(text: str) -> dict[str, str]:
    """Each block's body as rendered (the list indent taken off)."""
    return {m["name"]: re.sub(rf"(?m)^{m['indent']}", "", m["body"]) for m in BLOCK.finditer(text)}


def rewrite(text: str, figures: dict[str, str]) -> str:
    def block(m: re.Match) -> str:
        i = m["indent"]
        return f"{i}{m['open']}{indented(figures[m['name']], i)}{i}<!-- /figures -->"

    return BLOCK.sub(block, text)


def doc_files() -> list[Path]:
    candidates = [PROJECT_DIR / "README.md", *sorted(DOCS.glob("*.md"))]
    return [p for p in candidates if BLOCK.search(p.read_text())]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", type=Path, help="a build of the bundled sample (default: build one in a temp folder)")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        build = a.build
        if build is None:
            build = Path(tmp) / "warehouse.duckdb"
            result = run_dbt_build(SAMPLE_LANDING, default_as_of(take_inventory(SAMPLE_LANDING)), build, capture=True)
            if result.returncode:
                raise SystemExit(f"the sample did not build: {result.stdout.strip().splitlines()[-1]}")
        figures = rendered(build)
    for doc in doc_files():
        doc.write_text(rewrite(doc.read_text(), figures))
        print(f"rewrote {doc.relative_to(PROJECT_DIR)}")


if __name__ == "__main__":
    main()
