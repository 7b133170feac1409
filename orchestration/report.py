"""The nightly tier report: one self-contained HTML file read from the served DuckDB file.

Charts are Vega-Altair specifications rendered to inline SVG by vl-convert, so the page has
no script and loads nothing: it opens from disk, offline, and the same served file gives the
same bytes (the only times in it are the as-of date and the publication time).
"""

import html
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import altair as alt
import vl_convert

from orchestration.whatif import whatif_file
from tiering import db
from tiering.settings import Settings, duckdb_config

SCHEMAS = ("marts", "data_quality", "history", "main")  # where a public mart may live, in order
NEGATIVE, POSITIVE, NEUTRAL = "#c0392b", "#2e7d32", "#4c78a8"
# fills of cells that carry a black label, cut before the schemes' darkest ends: black text keeps
# a contrast of at least 4.5:1 on every fill (tests/test_report.py)
GAIN_LOSS_FILL = alt.SchemeParams(name="redyellowgreen", extent=[0.2, 0.8])
COUNT_FILL = alt.SchemeParams(name="blues", extent=[0.0, 0.65])
QUADRANTS = {
    "platinum": ("high value", "high potential"),
    "gold": ("high value", "low potential"),
    "iron": ("low value", "high potential"),
    "lead": ("low value", "low potential"),
}
GRID_CELLS = {
    "A": "loyal, high value",
    "B": "high value, less loyal",
    "C": "loyal, low value",
    "D": "low value, less loyal",
    "E": "lapsed",
    "F": "prospect",
}
EARLY_WARNING_ROWS = 20


# ---------------------------------------------------------------- reading the marts


def relation(con, name: str, required: bool = True) -> str | None:
    """The relation holding mart `name`: marts/data_quality/history schema first, else main."""
    found = {
        s
        for (s,) in con.execute(
            "select table_schema from information_schema.tables where table_catalog = current_database() "
            "and table_name = ?",
            [name],
        ).fetchall()
    }
    for schema in SCHEMAS:
        if schema in found:
            return f'"{schema}"."{name}"'
    if required:
        raise LookupError(f"mart {name} is not in {', '.join(SCHEMAS)} of the served file")
    return None


def rows(con, sql: str, params=()) -> list[dict]:
    """`{name}` in sql is replaced by the relation of mart `name`."""
    names = {part.split("}")[0] for part in sql.split("{")[1:]}
    cur = con.execute(sql.format(**{n: relation(con, n) for n in names}), list(params))
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, r)) for r in cur.fetchall()]


def connect(database: Path):
    """Attached, not opened: a reader in this process may hold the served file open already."""
    con = db.connect(config=duckdb_config())
    con.execute(f"attach {db.sql_string(database)} as warehouse (read_only)")
    con.execute("use warehouse")
    return con


def as_of(con) -> str:
    return str(rows(con, "select max(as_of_date) as d from {company_pnl}")[0]["d"])


def company_pnl(con) -> list[dict]:
    return rows(con, "select line_item, activity, amount from {company_pnl} order by line_order")


def default_scheme(con) -> str:
    return rows(con, "select min(pyramid_scheme) as s from {customer_tiers}")[0]["s"]


def pyramid(con, scheme: str) -> list[dict]:
    """The default scheme's tiers, best first, then non-buyers."""
    return rows(
        con,
        """select tier, tier_name, customers, buyers, net_revenue, gross_margin, cost_to_serve,
                               contribution, share_of_buyers
                        from {tier_profitability} where scheme = ? order by tier_order, tier""",
        [scheme],
    )


def whale(con) -> dict | None:
    """The peak of the whale curve and buyers' total; None without buyers."""
    found = rows(
        con,
        """
        with c as (select * from {whale_curve} where row_type = 'customer')
        select p.customer_rank as rank, p.cumulative_customer_share as share,
               p.cumulative_contribution as peak, t.cumulative_contribution as total, t.customer_rank as buyers
        from (select * from c order by cumulative_contribution desc, customer_rank limit 1) as p
        cross join (select * from c order by customer_rank desc limit 1) as t""",
    )
    return found[0] if found else None


def whale_headline(w: dict | None) -> str:
    if w is None:
        return "no buyers in the window: no whale curve"
    top = f"the top {w['share']:.0%} of buyers ({w['rank']:,} of {w['buyers']:,}) earn {money(w['peak'])}"
    if w["total"] > 0:
        return f"{top} = {w['peak'] / w['total']:.0%} of buyers' total contribution {money(w['total'])}"
    return f"{top}; buyers' total contribution is {money(w['total'])} (not positive: no profit shares)"


def reconciliation(con) -> list[dict]:
    return rows(
        con,
        """select *, case when is_reconciled then 'yes' else 'NO' end as reconciled
                        from {landing_reconciliation} order by table_name""",
    )


# ---------------------------------------------------------------- formatting


def money(value) -> str:
    """Whole cents, thousands separators, half up; a minus sign when negative."""
    if value is None:
        return ""
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def _cell(value, kind: str) -> str:
    if value is None:
        return "<td></td>"
    text = {"money": money, "int": lambda v: f"{v:,}", "pct": lambda v: f"{v:.1%}", "num": lambda v: f"{v:.2f}"}.get(
        kind, str
    )(value)
    negative = (kind in ("money", "int", "pct", "num") and value < 0) or (kind == "figure" and text.startswith("-"))
    classes = " ".join(c for c in ("num" if kind != "text" else "", "neg" if negative else "") if c)
    return f'<td class="{classes}">{html.escape(text)}</td>' if classes else f"<td>{html.escape(text)}</td>"


def table(data: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """columns: (key, header, kind) with kind money, int, pct, num, text or figure (formatted text, as a number)."""
    head = "".join(f'<th class="{"num" if k != "text" else ""}">{html.escape(h)}</th>' for _, h, k in columns)
    body = "".join("<tr>" + "".join(_cell(r.get(key), kind) for key, _, kind in columns) + "</tr>" for r in data)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def svg(chart: alt.TopLevelMixin) -> str:
    return f'<figure class="chart">{vl_convert.vegalite_to_svg(chart.to_dict(), vl_version="6.4")}</figure>'


def _floats(data: list[dict]) -> list[dict]:
    """Chart data: Vega takes numbers, not decimals."""
    return [{k: float(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in data]


def _signed_color(field: str):
    return alt.condition(f"datum.{field} < 0", alt.value(NEGATIVE), alt.value(POSITIVE))


# ---------------------------------------------------------------- sections


def headline_section(con, pub: dict | None) -> str:
    lines = [
        {
            "line": (r["line_item"] if r["activity"] is None else f"  cost to serve: {r['activity']}").replace(
                "_", " "
            ),
            "amount": r["amount"],
        }
        for r in company_pnl(con)
    ]
    counts = rows(
        con,
        """select count(*) as customers, count(*) filter (where is_buyer) as buyers
                          from {customer_tiers}""",
    )[0]
    published = f"published {pub['published_at']}" if pub else "publication record not found"
    return (
        f"<p>{counts['customers']:,} customers, {counts['buyers']:,} buyers in the 365 days up to the as-of date; "
        f"{html.escape(published)}.</p>"
        f'<p class="headline">Whale curve: {html.escape(whale_headline(whale(con)))}.</p>'
        + table(lines, [("line", "Company P&L", "text"), ("amount", "Amount", "money")])
    )


BAR_WIDTH = 260  # pixels of each bar panel
LABEL_FONT = 11
# a generous width per character of a value label (digits, separators, minus) at LABEL_FONT
LABEL_CHAR_PX = 0.62 * LABEL_FONT


def _label_px(value: float) -> float:
    return len(f"{value:,.0f}") * LABEL_CHAR_PX + 6  # 3 px from the bar, 3 px to the edge


def _padded(values: list, width: int = BAR_WIDTH) -> list[float]:
    """A bar axis with room, in pixels, for the value labels beside the longest bars on each
    side of zero: a label's width does not grow with the bar's, so a share of the range can
    leave a long negative label running into the axis labels."""
    low, high = min([0, *values]), max([0, *values])
    left = _label_px(low) if low < 0 else 0.0
    right = _label_px(high)
    per_unit = max(width - left - right, 1) / ((high - low) or 1)
    return [low - left / per_unit, high + right / per_unit]


def _group_bars(data: list[dict], label: str, measures: list[tuple[str, str]]) -> alt.HConcatChart:
    order = [r[label] for r in data]
    base = alt.Chart(alt.Data(values=data)).encode(y=alt.Y(f"{label}:N", sort=order, title=None))
    panels = []
    for field, title in measures:
        signed = field in ("contribution", "gross_margin")
        bars = base.mark_bar().encode(
            x=alt.X(
                f"{field}:Q",
                title=title,
                axis=alt.Axis(format="~s", tickCount=5),
                scale=alt.Scale(domain=_padded([r[field] for r in data])),
            ),
            color=_signed_color(field) if signed else alt.value(NEUTRAL),
        )
        labels = [
            base.transform_filter(f"datum.{field} {test}")
            .mark_text(align=align, dx=dx, fontSize=LABEL_FONT)
            .encode(x=alt.X(f"{field}:Q"), text=alt.Text(f"{field}:Q", format=",.0f"))
            for test, align, dx in ((">= 0", "left", 3), ("< 0", "right", -3))
        ]
        panels.append(alt.layer(bars, *labels).properties(width=BAR_WIDTH, height=28 * len(data), title=title))
    return alt.hconcat(*panels, spacing=40)


def pyramid_section(con) -> str:
    scheme = default_scheme(con)
    tiers = pyramid(con, scheme)
    data = _floats(
        [{**r, "label": f"{r['tier']} {r['tier_name']}" if r["tier"] != "non_buyer" else "non-buyers"} for r in tiers]
    )
    chart = _group_bars(
        data,
        "label",
        [
            ("customers", "Customers (quantity pyramid)"),
            ("net_revenue", "Net revenue"),
            ("contribution", "Contribution (profit pyramid)"),
        ],
    )
    return (
        f"<p>Default scheme <b>{html.escape(scheme)}</b>: best tier on top; non-buyers carry the cost of "
        f"serving prospects and lapsed customers. The rows add up to the company P&amp;L.</p>"
        + svg(chart)
        + table(
            tiers,
            [
                ("tier", "Tier", "text"),
                ("tier_name", "Name", "text"),
                ("customers", "Customers", "int"),
                ("share_of_buyers", "Share of buyers", "pct"),
                ("net_revenue", "Net revenue", "money"),
                ("gross_margin", "Gross margin", "money"),
                ("cost_to_serve", "Cost to serve", "money"),
                ("contribution", "Contribution", "money"),
            ],
        )
    )


WHALE_POINTS = 1000  # a 640-pixel line: drawing every buyer took 7.4 GB and 218 s at 1M customers


def whale_points(con, w: dict) -> list[dict]:
    """The curve's points drawn: every n-th buyer (at most about WHALE_POINTS), the first, the peak and the last."""
    return rows(
        con,
        """select customer_rank as rank, cumulative_customer_share as x, cumulative_contribution as y
           from {whale_curve} where row_type = 'customer'
             and (customer_rank % ? = 0 or customer_rank in (1, ?, ?))
           order by customer_rank""",
        (max(1, -(-w["buyers"] // WHALE_POINTS)), w["rank"], w["buyers"]),  # rounded up: at most WHALE_POINTS
    )


def whale_section(con) -> str:
    w = whale(con)
    if w is None:
        return "<p>No buyers in the window: no whale curve.</p>"
    points = whale_points(con, w)
    positive = w["total"] > 0
    data = [{"x": p["x"], "y": float(p["y"] / w["total"]) if positive else float(p["y"])} for p in points]
    y_axis = alt.Axis(format=".0%" if positive else ",.0f")
    title = "Cumulative share of buyers' contribution" if positive else "Cumulative contribution"
    line = (
        alt.Chart(alt.Data(values=[{"x": 0.0, "y": 0.0}] + data))
        .mark_line(color=NEUTRAL)
        .encode(
            x=alt.X("x:Q", title="Cumulative share of buyers (most profitable first)", axis=alt.Axis(format=".0%")),
            y=alt.Y("y:Q", title=title, axis=y_axis),
        )
    )
    reference = (
        alt.Chart(alt.Data(values=[{"y": 1.0 if positive else float(w["total"])}]))
        .mark_rule(strokeDash=[4, 4], color="#777")
        .encode(y="y:Q")
    )
    peak = {"x": w["share"], "y": float(w["peak"] / w["total"]) if positive else float(w["peak"])}
    dot = alt.Chart(alt.Data(values=[peak])).mark_point(filled=True, size=80, color=NEGATIVE).encode(x="x:Q", y="y:Q")
    chart = (line + reference + dot).properties(width=640, height=320)
    return (
        f'<p class="headline">{html.escape(whale_headline(w).capitalize())}.</p><p>Dashed line: buyers\' total; '
        f"red dot: the peak (where the least profitable buyers start eating profit).</p>" + svg(chart)
    )


PROFIT_COLUMNS = [
    ("customers", "Customers", "int"),
    ("net_revenue", "Net revenue", "money"),
    ("gross_margin", "Gross margin", "money"),
    ("cost_to_serve", "Cost to serve", "money"),
    ("contribution", "Contribution", "money"),
]


def quadrant_section(con) -> str:
    groups = rows(
        con,
        """select quadrant, customers, net_revenue, gross_margin, cost_to_serve, contribution
                          from {quadrant_profitability}
                          order by case quadrant when 'platinum' then 1 when 'gold' then 2 when 'iron' then 3
                                   when 'lead' then 4 else 5 end, quadrant""",
    )
    cells = [
        {
            "name": r["quadrant"],
            "value": QUADRANTS[r["quadrant"]][0],
            "potential": QUADRANTS[r["quadrant"]][1],
            "contribution": float(r["contribution"]),
            "customers": r["customers"],
            "label": f"{r['customers']:,} customers, {money(r['contribution'])}",
        }
        for r in groups
        if r["quadrant"] in QUADRANTS
    ]
    base = alt.Chart(alt.Data(values=cells)).encode(
        x=alt.X(
            "potential:N",
            sort=["low potential", "high potential"],
            title="Potential (expected growth)",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("value:N", sort=["high value", "low value"], title="Value (contribution)"),
    )
    heat = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("contribution:Q", scale=alt.Scale(scheme=GAIN_LOSS_FILL, domainMid=0), title="Contribution")
    )
    names = base.mark_text(dy=-10, fontSize=15, fontWeight="bold").encode(text="name:N")
    labels = base.mark_text(dy=12, fontSize=12).encode(text="label:N")
    chart = (heat + names + labels).properties(width=520, height=260)
    return (
        "<p>Buyers split at the value and potential thresholds; non-buyers are the last row of the table.</p>"
        + svg(chart)
        + table(groups, [("quadrant", "Quadrant", "text"), *PROFIT_COLUMNS])
    )


def grid_section(con) -> str:
    groups = rows(
        con,
        """select value_grid, customers, net_revenue, gross_margin, cost_to_serve, contribution
                          from {grid_profitability} order by value_grid""",
    )
    data = _floats([{**r, "label": f"{r['value_grid']} {GRID_CELLS.get(r['value_grid'], '')}".strip()} for r in groups])
    chart = _group_bars(data, "label", [("customers", "Customers"), ("contribution", "Contribution")])
    return (
        "<p>A-D: buyers by loyalty and value; E: lapsed customers; F: prospects.</p>"
        + svg(chart)
        + table(groups, [("value_grid", "Cell", "text"), *PROFIT_COLUMNS])
    )


def migration_section(con, scheme: str) -> str:
    pair = rows(
        con,
        """select from_date, to_date from {tier_migration}
                        where scheme = ? and from_date = last_day(from_date) and to_date = last_day(to_date)
                        order by to_date desc, from_date desc limit 1""",
        [scheme],
    )
    if not pair:
        return (
            '<p class="empty">No tier migration: tier history holds no two month-ends to compare '
            "(it fills as nightly runs are published).</p>"
        )
    moves = rows(
        con,
        """select from_tier, to_tier, movement, customers, contribution_before, contribution_after
                         from {tier_migration} where scheme = ? and from_date = ? and to_date = ?
                         order by from_tier, to_tier""",
        [scheme, pair[0]["from_date"], pair[0]["to_date"]],
    )
    tiers = [r["tier"] for r in pyramid(con, scheme)] + ["absent"]
    data = [{"from": r["from_tier"], "to": r["to_tier"], "customers": r["customers"]} for r in moves]
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X(
            "to:N",
            scale=alt.Scale(domain=tiers),
            title=f"Tier on {pair[0]['to_date']}",
            axis=alt.Axis(orient="top", labelAngle=0),
        ),
        y=alt.Y("from:N", scale=alt.Scale(domain=tiers), title=f"Tier on {pair[0]['from_date']}"),
    )
    chart = base.mark_rect(stroke="white").encode(
        color=alt.Color("customers:Q", scale=alt.Scale(scheme=COUNT_FILL), title="Customers")
    ) + base.mark_text(fontSize=12).encode(text=alt.Text("customers:Q", format=","))
    summary = rows(
        con,
        """select movement, sum(customers) as customers, sum(contribution_before) as contribution_before,
                                  sum(contribution_after) as contribution_after
                           from {tier_migration} where scheme = ? and from_date = ? and to_date = ?
                           group by movement order by case movement when 'upgrade' then 1 when 'unchanged' then 2
                               when 'downgrade' then 3 when 'new buyer' then 4 when 'lost buyer' then 5 else 6 end,
                               movement""",
        [scheme, pair[0]["from_date"], pair[0]["to_date"]],
    )
    return (
        f"<p>Scheme {html.escape(scheme)}, {pair[0]['from_date']} to {pair[0]['to_date']}: rows are the tier before, "
        f"columns the tier after ('absent': not a known customer then).</p>"
        + svg(chart.properties(width=64 * len(tiers), height=32 * len(tiers)))
        + table(
            summary,
            [
                ("movement", "Movement", "text"),
                ("customers", "Customers", "int"),
                ("contribution_before", "Contribution before", "money"),
                ("contribution_after", "Contribution after", "money"),
            ],
        )
    )


def cost_section(con, scheme: str) -> str:
    costs = rows(
        con,
        """
        select tier, activity, sum(cost_to_serve) as cost
        from (select coalesce(t.pyramid_tier, 'non_buyer') as tier, c.activity, c.cost_to_serve
              from {customer_cost_to_serve} as c join {customer_tiers} as t using (customer_id))
        group by tier, activity order by tier = 'non_buyer', tier, activity""",
    )
    if not costs:
        return '<p class="empty">No service events in the window: no cost to serve.</p>'
    order = [r["tier"] for r in pyramid(con, scheme)]
    chart = (
        alt.Chart(alt.Data(values=_floats(costs)))
        .mark_bar()
        .encode(
            y=alt.Y("tier:N", sort=order, title=f"Tier ({scheme})"),
            x=alt.X("cost:Q", title="Cost to serve", axis=alt.Axis(format=",.0f", tickCount=6)),
            color=alt.Color("activity:N", title="Activity"),
            order=alt.Order("activity:N"),
        )
        .properties(width=640, height=36 * len(order))
    )
    activities = sorted({r["activity"] for r in costs})
    cost = {(r["tier"], r["activity"]): r["cost"] for r in costs}
    per_tier = [
        {
            "tier": t["tier"],
            **{a: cost.get((t["tier"], a)) for a in activities},
            "cost_to_serve": t["cost_to_serve"],
            "net_revenue": t["net_revenue"],
            "ratio": t["cost_to_serve"] / t["net_revenue"] if t["net_revenue"] else None,
        }
        for t in pyramid(con, scheme)
    ]
    return svg(chart) + table(
        per_tier,
        [
            ("tier", "Tier", "text"),
            *[(a, a.replace("_", " "), "money") for a in activities],
            ("cost_to_serve", "Cost to serve", "money"),
            ("net_revenue", "Net revenue", "money"),
            ("ratio", "Cost to serve / revenue", "pct"),
        ],
    )


def early_warning_section(con) -> str:
    warnings = rows(
        con,
        f"""select call_priority, customer_id, tier_before, tier_now, quadrant_now, recency_days,
                                    p_alive_now, contribution_before, reasons
                             from {{early_warning}} order by call_priority limit {EARLY_WARNING_ROWS}""",
    )
    total = rows(con, "select count(*) as n from {early_warning}")[0]["n"]
    if not total:
        return '<p class="empty">No high-tier customer shows a warning sign.</p>'
    which = f"the {EARLY_WARNING_ROWS} to call first" if total > EARLY_WARNING_ROWS else "in the order to call them"
    return f"<p>{total:,} high-tier customers show a warning sign; {which}:</p>" + table(
        warnings,
        [
            ("call_priority", "Call", "int"),
            ("customer_id", "Customer", "text"),
            ("tier_before", "Tier before", "text"),
            ("tier_now", "Tier now", "text"),
            ("quadrant_now", "Quadrant", "text"),
            ("recency_days", "Days since purchase", "int"),
            ("p_alive_now", "P(alive)", "num"),
            ("contribution_before", "Contribution", "money"),
            ("reasons", "Reasons", "text"),
        ],
    )


def audit_figures(audit: dict) -> list[dict]:
    """Every figure the audit compared, failed ones first, with the suite that compared it."""
    figures = [
        {**f, "check": c["suite"], "result": "passed" if f["passed"] else "FAILED"}
        for c in audit.get("checks") or []
        for f in c["figures"]
    ]
    return sorted(figures, key=lambda f: f["passed"])


def audit_section(audit: dict | None) -> str:
    """The audit verdict, its failed figures with their amounts, every compared figure, and a
    link to the GX Data Docs (a local file)."""
    if audit is None:
        return "<p>Audit verdict: not available beside the served file.</p>"
    failed = ", ".join(audit.get("failed") or []) or "none"
    verdict = (
        f'<p class="{"pass" if audit.get("passed") else "fail"}">Great Expectations audit of '
        f"{html.escape(str(audit.get('as_of')))}: {'passed' if audit.get('passed') else 'FAILED'} "
        f"(failed suites: {html.escape(failed)}).</p>"
    )
    causes = [c for check in audit.get("checks") or [] for c in check["failed"]]
    if causes:
        verdict += "<ul>" + "".join(f'<li class="fail">{html.escape(c)}</li>' for c in causes) + "</ul>"
    figures = audit_figures(audit)
    if figures:
        verdict += (
            f"<p>The audit recomputes the customer P&amp;L from the landing files and compares it with the marts: "
            f"{len(figures)} figures, {sum(not f['passed'] for f in figures)} differ.</p>"
            + table(
                figures,
                [
                    ("check", "Check", "text"),
                    ("figure", "Figure", "text"),
                    ("compared", "Compared", "text"),
                    ("left", "Amount", "figure"),
                    ("right", "Against", "figure"),
                    ("difference", "Difference", "figure"),
                    ("result", "Result", "text"),
                ],
            )
        )
    if audit.get("data_docs"):
        link = Path(audit["data_docs"])
        verdict += (
            f'<p>Great Expectations Data Docs: <a href="{html.escape(link.as_uri())}">{html.escape(str(link))}</a></p>'
        )
    return verdict


def quality_section(con, audit: dict | None) -> str:
    quarantined = rows(
        con,
        """select table_name, reason, count(*) as rows from {quarantine}
                               group by all order by table_name, rows desc, reason""",
    )
    return (
        audit_section(audit)
        + "<h3>Landing reconciliation</h3>"
        + table(
            reconciliation(con),
            [
                ("table_name", "Table", "text"),
                ("files", "Files", "int"),
                ("files_rejected", "Files rejected", "int"),
                ("rows_landed", "Landed", "int"),
                ("rows_accepted", "Accepted", "int"),
                ("rows_quarantined", "Quarantined", "int"),
                ("rows_superseded", "Superseded", "int"),
                ("rows_malformed", "Malformed", "int"),
                ("reconciled", "Reconciled", "text"),
            ],
        )
        + "<h3>Quarantine by table and reason</h3>"
        + (
            table(quarantined, [("table_name", "Table", "text"), ("reason", "Reason", "text"), ("rows", "Rows", "int")])
            if quarantined
            else "<p>No row quarantined.</p>"
        )
    )


CSS = """
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;color:#222;margin:0;background:#f6f6f4}
header{background:#1f3a5f;color:#fff;padding:16px 32px}header h1{margin:0 0 4px;font-size:24px}
header a{color:#cfe0f5;margin-right:14px;font-size:14px}
section{background:#fff;margin:16px 32px;padding:8px 24px 20px;border-radius:6px;box-shadow:0 1px 3px #0002}
h2{border-bottom:2px solid #1f3a5f;padding-bottom:4px}h3{margin:18px 0 6px}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#eef2f7}.num{text-align:right;font-variant-numeric:tabular-nums}.neg{color:#c0392b}
figure.chart{margin:10px 0;overflow-x:auto}.headline{font-size:16px;font-weight:bold}
.empty{color:#555;font-style:italic}.pass{color:#2e7d32;font-weight:bold}.fail{color:#c0392b;font-weight:bold}
"""
SECTIONS = [
    ("headline", "Headline figures"),
    ("pyramid", "Quantity and profit pyramids"),
    ("whale", "Whale curve"),
    ("quadrants", "Value x potential quadrants"),
    ("grid", "Loyalty x value grid"),
    ("migration", "Tier migration"),
    ("cost", "Cost to serve per tier by activity"),
    ("early-warning", "Early warning"),
    ("quality", "Data quality"),
]


WHATIF_SECTION = ("whatif", "What-if")


def _decimals(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """A what-if result keeps money as exact strings: back to Decimal for the table."""
    return [{k: (Decimal(v) if k.startswith(keys) and v is not None else v) for k, v in r.items()} for r in rows]


def whatif_section(result: dict) -> str:
    """The last warehouse-whatif of the date: what the alternative seeds would change."""
    t = result["totals"]
    seeds = ", ".join(f"{name} ({Path(path).name})" for name, path in result["alternatives"].items())
    changed = [
        r
        for r in _decimals(result["tiers"], ("net_revenue", "contribution"))
        if any(r[f"{m}_before"] != r[f"{m}_after"] for m in ("customers", "net_revenue", "contribution"))
    ]
    money_cols = ("planned_cost", "fee_income", "net_revenue", "contribution")
    return (
        f"<p>Alternative seeds: {html.escape(seeds)}. Nothing served changes: the build was copied and rebuilt "
        "downstream of these seeds.</p>"
        f'<p class="headline">{t["customers_changing_tier"]:,} customers change default tier and '
        f"{t['customers_changing_action']:,} change action; planned service cost {money(t['planned_cost_before'])} "
        f"&rarr; {money(t['planned_cost_after'])}; small-balance fee income a year {money(t['fee_income_before'])} "
        f"&rarr; {money(t['fee_income_after'])}.</p>"
        "<h3>Default tier moves</h3>"
        + table(
            _decimals(result["tier_moves"], money_cols),
            [
                ("tier_before", "From", "text"),
                ("tier_after", "To", "text"),
                ("customers", "Customers", "int"),
                ("net_revenue", "Net revenue", "money"),
                ("contribution", "Contribution", "money"),
            ],
        )
        + "<h3>Tiers that change (every scheme)</h3>"
        + (
            table(
                changed,
                [("scheme", "Scheme", "text"), ("tier", "Tier", "text")]
                + [
                    (f"{m}_{side}", f"{label} {side}", kind)
                    for m, label, kind in (
                        ("customers", "Customers", "int"),
                        ("net_revenue", "Net revenue", "money"),
                        ("contribution", "Contribution", "money"),
                    )
                    for side in ("before", "after")
                ],
            )
            if changed
            else "<p>No tier of any scheme changes.</p>"
        )
        + "<h3>Planned service cost and fee income per default tier</h3>"
        + table(
            _decimals(result["service"], money_cols),
            [("tier", "Tier", "text")]
            + [
                (f"{m}_{side}", f"{label} {side}", kind)
                for m, label, kind in (
                    ("planned_cost", "Planned cost", "money"),
                    ("fee_customers", "Fee payers", "int"),
                    ("fee_income", "Fee income", "money"),
                )
                for side in ("before", "after")
            ],
        )
        + "<h3>Actions that change</h3>"
        + (
            table(
                result["action_changes"],
                [("action_before", "From", "text"), ("action_after", "To", "text"), ("customers", "Customers", "int")],
            )
            if result["action_changes"]
            else "<p>No customer's action changes.</p>"
        )
    )


VEGA_ID = r"(?:gradient|clip|pattern)_?\d+"


def _stable_ids(page: str) -> str:
    """Vega numbers gradients and clip paths with a per-process counter: renumber them by order
    of appearance so the page's bytes depend on the data only."""
    names = {old: f"vega-{i}" for i, old in enumerate(dict.fromkeys(re.findall(rf'id="({VEGA_ID})"', page)), 1)}
    return re.sub(
        rf'(id="|url\(#|href="#)({VEGA_ID})(?=[")])', lambda m: m.group(1) + names.get(m.group(2), m.group(2)), page
    )


def render(
    database: Path, publication: dict | None = None, audit: dict | None = None, whatif: dict | None = None
) -> tuple[str, str]:
    """(as-of date, the report's HTML) for a served or built DuckDB file; a What-if section when
    a warehouse-whatif result of the same date is given."""
    with connect(database) as con:
        date, scheme = as_of(con), default_scheme(con)
        bodies = {
            "headline": headline_section(con, publication),
            "pyramid": pyramid_section(con),
            "whale": whale_section(con),
            "quadrants": quadrant_section(con),
            "grid": grid_section(con),
            "migration": migration_section(con, scheme),
            "cost": cost_section(con, scheme),
            "early-warning": early_warning_section(con),
            "quality": quality_section(con, audit),
        }
    shown = SECTIONS
    if whatif and whatif.get("as_of") == date:
        bodies[WHATIF_SECTION[0]] = whatif_section(whatif)
        shown = [*SECTIONS, WHATIF_SECTION]
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title in shown)
    sections = "".join(
        f'<section id="{key}"><h2>{html.escape(title)}</h2>{bodies[key]}</section>' for key, title in shown
    )
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Customer tier report {date}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Customer tier report, as of {date}</h1><nav>{nav}</nav></header>{sections}</body></html>\n"
    )
    return date, _stable_ids(page)


def write_report(
    database: Path,
    out_dir: Path,
    publication: dict | None = None,
    audit: dict | None = None,
    whatif: dict | None = None,
) -> Path:
    """Writes tier_report-<as_of>.html and a tier_report-latest.html copy; returns the dated file."""
    date, page = render(database, publication, audit, whatif)
    out_dir.mkdir(parents=True, exist_ok=True)
    dated = out_dir / f"tier_report-{date}.html"
    dated.write_text(page, encoding="utf-8")
    shutil.copyfile(dated, out_dir / "tier_report-latest.html")
    return dated


def _json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def publication_context(paths: Settings) -> tuple[dict | None, dict | None]:
    """The publication record and the audit verdict of the served date, when they exist."""
    publication = _json(paths.publication_file)
    audit = _json(paths.build_file(publication["as_of"]).with_suffix(".audit.json")) if publication else None
    return publication, audit


def write_served_report(paths: Settings) -> Path:
    """The served file's report, with the last what-if of the served date when there is one."""
    publication, audit = publication_context(paths)
    whatif = _json(whatif_file(paths, publication["as_of"])) if publication else None
    return write_report(paths.served_file, paths.reports_dir, publication, audit, whatif)
