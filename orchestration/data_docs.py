"""GX Data Docs that open from disk with no network, and only the recent audits in them.

GX writes pages that load Bootstrap, jQuery, bootstrap-table, the date picker and Font Awesome
from CDNs and link to its web site, so offline they render unstyled (and the index table stays
empty: its date filter needs the date picker). After each build the pages are rewritten: each
CDN asset is replaced by the copy vendored in gx/vendor (npm packages, versions in
gx/vendor/README.md), assets the audit pages do not use (Vega charts, the dark theme) are
dropped, the remote logo becomes the site's own, and external links lose their address.
Rewriting is idempotent.

GX rebuilds the site's index from every validation result it stores, so each audit would cost
more than the one before: with 2,006 stored results an audit of 600 customers took 15.1 CPU
seconds, against 6.1 with at most 30 audits kept. remove_expired_runs keeps the newest runs of
each suite and drops the rest with their pages.
"""

import fcntl
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tiering.project import PROJECT_DIR

VENDOR_DIR = PROJECT_DIR / "gx" / "vendor"
# CDN address (up to the version-independent file name) -> vendored file; None: not needed
LOCAL = {
    "bootstrap.min.css": "css/bootstrap.min.css",
    "bootstrap.min.js": "js/bootstrap.min.js",
    "all.min.css": "css/fontawesome.min.css",
    "jquery-3.7.1.min.js": "js/jquery.min.js",
    "popper.min.js": "js/popper.min.js",
    "bootstrap-table.min.css": "css/bootstrap-table.min.css",
    "bootstrap-table.min.js": "js/bootstrap-table.min.js",
    "bootstrap-table-filter-control.min.js": "js/bootstrap-table-filter-control.min.js",
    "bootstrap-table-filter-control.min.css": "css/bootstrap-table-filter-control.min.css",
    "bootstrap-table-filter-control.css": "css/bootstrap-table-filter-control.min.css",
    "bootstrap-datepicker.min.js": "js/bootstrap-datepicker.min.js",
    "bootstrap-datepicker.min.css": "css/bootstrap-datepicker.min.css",
}
REMOTE = r"https?://[^\"'\s>]*"
ASSET = re.compile(rf"<(link|script)\b[^>]*?(?:href|src)=\"({REMOTE})\"[^>]*>(\s*</script>)?", re.S)
IMAGE = re.compile(rf"(<img\b[^>]*?src=\"){REMOTE}(\"[^>]*>)", re.S)
LINK = re.compile(rf"\s(?:href|action)=\"{REMOTE}\"")
CSS_URL = re.compile(rf"url\(['\"]?{REMOTE}['\"]?\)")
COMMENT = re.compile(r"<!--(?:(?!-->).)*https?://(?:(?!-->).)*-->", re.S)


def _asset(match: re.Match, prefix: str) -> str:
    kind, url = match.group(1), match.group(2)
    local = LOCAL.get(url.rsplit("/", 1)[-1].split("?")[0])
    if local is None:
        return ""
    if kind == "link":
        return f'<link rel="stylesheet" href="{prefix}vendor/{local}">'
    return f'<script src="{prefix}vendor/{local}"></script>'


def offline_page(text: str, prefix: str) -> str:
    """One page with every remote reference replaced or removed; `prefix` leads to static/."""
    text = ASSET.sub(lambda m: _asset(m, prefix), text)
    text = IMAGE.sub(lambda m: f"{m.group(1)}{prefix}images/logo-long.png{m.group(2)}", text)
    text = CSS_URL.sub(f"url('{prefix}images/logo-long.png')", text)
    text = COMMENT.sub("", text)
    return LINK.sub("", text)


@contextmanager
def site_lock(site: Path) -> Iterator[None]:
    """One writer of the site at a time, and readers that wait for it: GX writes its pages with
    CDN links, then make_offline rewrites them, so without the lock two audits at once (or a
    reader during one) could meet a page in between."""
    site.parent.mkdir(parents=True, exist_ok=True)
    with (site.parent / f".{site.name}.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # released when the file closes
        yield


def make_offline(site: Path) -> None:
    """Vendored assets into the site's static folder, and every page rewritten to use them."""
    if not site.is_dir():
        return
    shutil.copytree(VENDOR_DIR, site / "static" / "vendor", dirs_exist_ok=True)
    for page in site.rglob("*.html"):
        depth = len(page.relative_to(site).parts) - 1
        text = page.read_text(encoding="utf-8")
        rewritten = offline_page(text, "../" * depth + "static/")
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")


def expired_runs(runs: Iterable[tuple[str, str]], suites: Iterable[str], keep: int) -> list[tuple[str, str]]:
    """(suite, run) pairs beyond the newest `keep` of each declared suite, and every run of a
    suite no longer declared. A run is `<run name>/<run time>` as GX stores it; runs of a suite
    are ordered by their run time (GX writes it as 20261126T100023.834810Z, which sorts as text)."""
    by_suite: dict[str, list[str]] = {}
    for suite, run in runs:
        by_suite.setdefault(suite, []).append(run)
    declared = set(suites)
    expired = []
    for suite, names in sorted(by_suite.items()):
        newest_first = sorted(names, key=lambda r: (r.rsplit("/", 1)[-1], r), reverse=True)
        expired += [(suite, r) for r in (newest_first[keep:] if suite in declared else newest_first)]
    return expired


def remove_expired_runs(results: Path, site: Path, suites: Iterable[str], keep: int, log=print) -> list[Path]:
    """Validation results (`results/<suite>/<run name>/<run time>/`) of expired_runs removed with
    their pages (`site/validations/...`); returns the removed result folders. A run that cannot be
    removed is logged in one line and kept (the audit goes on)."""
    runs = [
        (folder.parent.parent.name, f"{folder.parent.name}/{folder.name}")
        for folder in results.glob("*/*/*")
        if folder.is_dir()
    ]
    removed = []
    for suite, run in expired_runs(runs, suites, keep):
        try:
            for base in (results, site / "validations"):
                if (base / suite / run).exists():
                    shutil.rmtree(base / suite / run)
                _remove_if_empty((base / suite / run).parent)  # the run name's folder
                _remove_if_empty(base / suite)
        except OSError as e:
            log(f"Data Docs: could not remove the expired audit {suite}/{run}: {e}")
            continue
        removed.append(results / suite / run)
    return removed


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
