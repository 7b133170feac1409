"""The tier report on the bundled sample: figures equal to independent queries, same bytes on
re-render, and in headless Chromium no console error, no network request and every chart drawn;
the browser's screenshot of every section is saved under docs/screenshots/."""

import base64
import calendar
import html
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import build, query
from websockets.sync.client import connect as ws_connect

from orchestration import audit
from orchestration import report as report_module
from orchestration.publish import store_snapshot
from orchestration.report import SECTIONS, connect, money, render, whale, whale_points, write_report
from tiering.landing import default_as_of, take_inventory
from tiering.project import PROJECT_DIR, SAMPLE_LANDING
from tiering.settings import Settings

# the committed screenshots are refreshed with UPDATE_SCREENSHOTS=1; otherwise they go to a temporary folder
SCREENSHOTS = PROJECT_DIR / "docs" / "screenshots"


def previous_month_end(d: date) -> date:
    first = d.replace(day=1) - timedelta(days=1)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory) -> Path:
    """The sample built at the month-end before its as-of date, snapshotted into tier history,
    then built at its as-of date: the report then has a migration to show."""
    folder = tmp_path_factory.mktemp("report_wh")
    as_of = default_as_of(take_inventory(SAMPLE_LANDING))
    earlier = previous_month_end(as_of)
    build(SAMPLE_LANDING, folder / f"warehouse-{earlier}.duckdb", earlier, select="+int_tier_snapshot")
    store_snapshot(folder / f"warehouse-{earlier}.duckdb", folder / "history", earlier.isoformat())
    build(SAMPLE_LANDING, folder / "warehouse.duckdb", as_of)
    return folder / "warehouse.duckdb"


PUBLICATION = {"as_of": "x", "published_at": "2026-07-01T02:03:04+00:00"}
DATA_DOCS = audit.data_docs_index(Path("/srv/warehouse/gx"))
AUDIT = {
    "as_of": "2026-06-30",
    "passed": True,
    "failed": [],
    "checks": [
        {
            "suite": "recomputed_pnl",
            "passed": True,
            "failed": [],
            "figures": [
                {
                    "figure": "customer_value contribution",
                    "compared": "mart vs recomputed",
                    "left": "-1,234.5678",
                    "right": "-1,234.5678",
                    "difference": "0.00",
                    "passed": True,
                    "line": "customer_value contribution: mart -1,234.5678 vs recomputed -1,234.5678, difference 0.00",
                }
            ],
        }
    ],
    "data_docs": str(DATA_DOCS),
}


@pytest.fixture(scope="module")
def sample_audit(sample_warehouse, tmp_path_factory) -> dict:
    """The verdict the pipeline records for the sample: the real audit's figures (the screenshot shows them)."""
    settings = Settings(home=tmp_path_factory.mktemp("report-audit"))
    results = audit.audit_warehouse(sample_warehouse, "report test", settings)
    as_of = query(sample_warehouse, "select max(as_of_date) from company_pnl")[0][0]
    failed = [r.name for r in results if not r.success]
    return {
        "as_of": as_of.isoformat(),
        "passed": not failed,
        "failed": failed,
        **audit.verdict_checks(results, settings.gx_dir),
    }


@pytest.fixture(scope="module")
def report(sample_warehouse, sample_audit, tmp_path_factory) -> Path:
    return write_report(sample_warehouse, tmp_path_factory.mktemp("reports"), PUBLICATION, sample_audit)


def test_quality_section_shows_every_audit_figure_of_the_sample(report, sample_audit):
    figures = [f for check in sample_audit["checks"] for f in check["figures"]]
    page = report.read_text()
    assert sample_audit["passed"] and len(figures) > 50
    assert f"{len(figures)} figures, 0 differ." in page
    assert all(html.escape(f["figure"]) in page for f in figures)


def test_audit_figures_keep_every_decimal_and_their_sign(sample_warehouse):
    page = render(sample_warehouse, PUBLICATION, AUDIT)[1]
    assert '<td class="num neg">-1,234.5678</td>' in page


def test_report_files_and_same_bytes_on_re_render(sample_warehouse, sample_audit, report):
    as_of = query(sample_warehouse, "select max(as_of_date) from company_pnl")[0][0]
    assert report.name == f"tier_report-{as_of}.html"
    assert (report.parent / "tier_report-latest.html").read_bytes() == report.read_bytes()
    assert render(sample_warehouse, PUBLICATION, sample_audit)[1] == report.read_text()


def test_report_loads_nothing(report, sample_audit):
    page = report.read_text()
    links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)', page, flags=re.I)
    # in-page anchors, and the home's Data Docs as a plain link (followed only when clicked)
    data_docs = Path(sample_audit["data_docs"]).as_uri()
    assert links and all(link.startswith("#") or link == data_docs for link in links)
    assert data_docs in links
    assert "<script" not in page and "@import" not in page and not re.search(r"url\((?!#)", page)


def test_report_figures_equal_the_warehouse(sample_warehouse, report):
    page = report.read_text()
    margin, cost = query(sample_warehouse, "select sum(gross_margin), sum(cost_to_serve) from customer_value")[0]
    assert f">{money(margin - cost)}<" in page  # company contribution
    tiers = query(
        sample_warehouse,
        """select pyramid_tier, count(*), sum(contribution) from customer_tiers
                                       where is_buyer group by 1 order by 1""",
    )
    for tier, customers, contribution in tiers:
        assert re.search(rf"<td>{tier}</td><td>[^<]*</td><td class=\"num\">{customers:,}</td>", page)
        assert f">{money(contribution)}<" in page
    first = query(sample_warehouse, "select customer_id, reasons from early_warning order by call_priority limit 1")
    assert not first or f"<td>{first[0][0]}</td>" in page
    for table, reason, rows in query(
        sample_warehouse, "select table_name, reason, count(*) from quarantine group by all"
    ):
        assert f'<td>{table}</td><td>{html.escape(reason)}</td><td class="num">{rows:,}</td>' in page
    assert "2026-07-01T02:03:04+00:00" in page and "passed" in page


def test_whale_curve_is_drawn_from_a_thinned_line_through_its_peak(sample_warehouse, monkeypatch):
    monkeypatch.setattr(report_module, "WHALE_POINTS", 100)
    with connect(sample_warehouse) as con:
        w = whale(con)
        points = whale_points(con, w)
    ranks = [p["rank"] for p in points]
    assert w["buyers"] > 1000 and len(points) <= 100 + 3  # every n-th buyer, plus first, peak and last
    assert ranks == sorted(ranks) and {1, w["rank"], w["buyers"]} <= set(ranks)
    assert next(p["y"] for p in points if p["rank"] == w["rank"]) == w["peak"]


def test_money_keeps_sign_and_separators():
    assert money(Decimal("-1234567.125")) == "-1,234,567.13"
    assert money(Decimal("0.004")) == "0.00"


@pytest.mark.parametrize(
    "values",
    [
        [1793641, 147672, -736720, -289101, -382514, -254284],  # the sample's grid: a long label left
        [831999, 407537, 165120, -489164, -636798],
        [5, -9_876_543],  # nearly all of the range below zero
        [9_876_543, 1],
        [0, 0],
    ],
)
def test_bar_axis_leaves_room_for_the_value_labels_on_both_sides(values):
    low, high = min([0, *values]), max([0, *values])
    start, end = report_module._padded(values, width=260)
    px_per_unit = 260 / (end - start)
    # 0.6 em per character, 3 px from the bar: the width a label at 11 px needs
    need = {v: len(f"{v:,.0f}") * 0.6 * 11 + 3 for v in (low, high)}
    assert (low - start) * px_per_unit >= (need[low] if low < 0 else 0)
    assert (end - high) * px_per_unit >= need[high]


def _contrast_with_black(rgb: tuple[str, str, str]) -> float:
    channels = [int(c) / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return (0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] + 0.05) / 0.05


def test_labelled_cells_keep_black_text_readable(report):
    """The quadrant and migration cells carry black labels: every fill keeps 4.5:1 (WCAG AA)."""
    page = report.read_text()
    for section in ("quadrants", "migration"):
        body = page.split(f'<section id="{section}">')[1].split("</section>")[0]
        fills = set(re.findall(r'fill="rgb\((\d+), (\d+), (\d+)\)"', body))
        assert len(fills) >= 4, section  # the cells are drawn with such fills
        assert min(_contrast_with_black(f) for f in fills) >= 4.5, section


# ---------------------------------------------------------------- the browser


class DevTools:
    """A minimal Chrome DevTools Protocol client on one flattened session."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id, self.events, self.session = 0, [], None

    def send(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=timeout))
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply["error"]
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))))


@pytest.fixture
def browser(tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); the report's browser test needs it")
    log = tmp_path / "chromium.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"DevTools listening on (ws://\S+)", log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        port = re.search(r"ws://[^:]+:(\d+)/", found.group(1)).group(1)
        pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30).read())
        with ws_connect(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"], max_size=None) as ws:
            yield DevTools(ws)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def expected_charts(warehouse: Path) -> int:
    """pyramids, whale curve, quadrants, grid, cost to serve; plus the migration when there is one."""
    migration = query(
        warehouse,
        """select count(*) from tier_migration m join (select distinct pyramid_scheme
                                    from customer_tiers) s on m.scheme = s.pyramid_scheme""",
    )[0][0]
    return 5 + (migration > 0)


def test_report_in_headless_chromium(browser, report, sample_warehouse, tmp_path):
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable")
    browser.send(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    )
    url = report.resolve().as_uri()
    browser.send("Page.navigate", {"url": url})
    browser.wait_for("Page.loadEventFired")
    layout = json.loads(
        browser.send(
            "Runtime.evaluate",
            {
                "returnByValue": True,
                "expression": """JSON.stringify({
        charts: [...document.querySelectorAll('figure.chart > svg')].map(s => s.getBoundingClientRect())
                .map(r => [r.width, r.height]),
        sections: [...document.querySelectorAll('section')].map(s => {const r = s.getBoundingClientRect();
                return {id: s.id, x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height}}),
        valueLabels: document.querySelectorAll('#pyramid .role-mark.mark-text text, #grid .role-mark.mark-text text')
            .length,
        clashes: ['pyramid', 'grid'].flatMap(id => [...document.querySelectorAll(`#${id} figure.chart > svg`)]
            .flatMap(svg => {
                const box = e => e.getBoundingClientRect();
                // each panel's plot spans its horizontal x-axis line; a value label stays inside it
                const plots = [...svg.querySelectorAll('.role-axis-domain > *')].map(box).filter(r => r.height < 1);
                return [...svg.querySelectorAll('.role-mark.mark-text text')].map(box).filter(v => {
                    const mid = (v.left + v.right) / 2;
                    const plot = plots.find(p => p.left <= mid && mid <= p.right);
                    return !plot || v.left < plot.left - 0.5 || v.right > plot.right + 0.5;
                }).map(v => [id, v.left, v.top]);
            }))})""",
            },
        )["result"]["value"]
    )
    methods = [e.get("method") for e in browser.events]
    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    errors = [
        e["params"]
        for e in browser.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"))
    ]
    assert "Page.loadEventFired" in methods
    assert requests == [url]  # the page itself, nothing else
    assert errors == []
    assert len(layout["charts"]) == expected_charts(sample_warehouse)
    assert all(w > 200 and h > 100 for w, h in layout["charts"])
    assert [s["id"] for s in layout["sections"]] == [key for key, _ in SECTIONS]
    assert (
        layout["valueLabels"] >= 20 and layout["clashes"] == []
    )  # value labels beside bars stay clear of the axis labels and the chart's edge
    shots = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    for number, s in enumerate(layout["sections"], start=1):
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": s["x"] - 8,
                    "y": s["y"] - 8,
                    "width": s["width"] + 16,
                    "height": s["height"] + 16,
                    "scale": 1,
                },
            },
        )
        png = base64.b64decode(shot["data"])
        assert png.startswith(b"\x89PNG") and len(png) > 5000
        (shots / f"{number:02d}-{s['id']}.png").write_bytes(png)


def test_marts_are_read_from_their_domain_schema_before_main(tmp_path):
    from orchestration.report import connect, relation

    db = tmp_path / "served.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create schema history; create table history.tier_migration(x int); create table main.tier_migration(x int);"
            "create table main.quarantine(x int)"
        )
    with connect(db) as con:
        assert relation(con, "tier_migration") == '"history"."tier_migration"'
        assert relation(con, "quarantine") == '"main"."quarantine"'
        assert relation(con, "profit_concentration", required=False) is None
        with pytest.raises(LookupError, match="whale_curve"):
            relation(con, "whale_curve")
