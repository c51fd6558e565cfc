"""report.html in a real browser: headless Chromium loads it offline, runs its script, draws its plots.

Skipped (with the reason in the pytest summary) only where Chromium is not
installed; `.ci/run` installs the Debian package so CI always runs it. The
screenshot is kept as a test artifact at ``reports/report-screenshot.png``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from _browser import CHROMIUM, chromium, console_problems
from _runs import SHORT_WINDOW, cached_run, copy_run
from aurora_e2d.core.paths import repo_root
from aurora_e2d.report.page import REPORT, format_metric, write_report

WINDOW = "--window-size=1280,5200"  # tall enough for the whole report of a run
AURORA = shutil.which("aurora", path=str(Path(sys.executable).parent))
SCREENSHOT = Path("reports") / "report-screenshot.png"


@pytest.fixture(autouse=True)
def _chromium_is_installed() -> None:
    """No silent skip: without the browser this test fails and says how to get it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium; .ci/run does)"
        )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a private copy of the test run's shared short-window run."""
    shared = cached_run(tmp_path_factory, *SHORT_WINDOW)
    return write_report(copy_run(shared.run_dir, tmp_path_factory.mktemp("browser") / "run"))


@pytest.fixture(scope="module")
def dom(report: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    result = chromium(report, tmp_path_factory.mktemp("chromium") / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, result.stderr


def test_the_console_check_catches_errors(tmp_path: Path) -> None:
    """The harness itself: a page with a console error and an uncaught exception is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><script>console.error("boom"); notDefined();</script></body></html>')
    result = chromium(bad, tmp_path / "profile", "--dump-dom")
    problems = console_problems(result.stderr)
    assert any("boom" in p for p in problems)
    assert any("Uncaught ReferenceError" in p for p in problems)


def test_loads_without_console_errors_and_its_script_ran(dom: tuple[str, str]) -> None:
    html, stderr = dom
    assert console_problems(stderr) == []
    assert re.search(r'<body[^>]*\bdata-ready="1"', html), "the inline script did not run"


def test_shows_the_headline_numbers_from_summary(report: Path, dom: tuple[str, str]) -> None:
    html, _ = dom
    summary = json.loads((report.parent / "summary.json").read_text())
    for name, value in summary["metrics"].items():
        assert f'data-metric="{name}">{format_metric(name, value)}</span>' in html, name
    done, total = summary["sessions"]["done"], summary["sessions"]["total"]
    assert f"{done} / {total}" in html


def test_plots_are_rendered_with_content(dom: tuple[str, str]) -> None:
    html, _ = dom
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 5  # equity, exposure, rolling Sharpe, P&L by symbol, fills
    for svg in svgs:
        assert 'viewBox="0 0 ' in svg
        assert sum(len(d) for d in re.findall(r' d="([^"]*)"', svg)) > 2_000


def test_screenshot_is_saved_as_an_artifact(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / REPORT.replace(".html", ".png")
    result = chromium(report, tmp_path / "profile", f"--screenshot={shot}", WINDOW)
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 100_000  # a blank 1280x5200 page compresses to a few kB
    target = repo_root() / SCREENSHOT
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, target)
