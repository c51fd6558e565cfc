"""report.html on real runs: a completed short window, a breaker-halted run and a killed run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _runs import DRAWDOWN_TOML, SHORT_WINDOW, aurora_here, cached_run, copy_run
from aurora_e2d.core.paths import repo_root
from aurora_e2d.report.page import REPORT, format_metric, write_report
from aurora_safety import load_declarations

WINDOW = ("--start", "2012-01-01", "--end", "2013-03-01")  # about 290 sessions: fast, still real
MAX_BYTES = 2 * 1024 * 1024
EXIT_KILLED, EXIT_HALTED = 3, 4


def aurora_run(run_dir: Path, *extra: str, expect: int = 0) -> None:
    result = aurora_here("run", "--run-dir", run_dir, *WINDOW, *extra, cwd=repo_root())
    assert result.returncode == expect, result.stderr


@pytest.fixture(scope="module")
def completed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the test run's shared short-window run, its report written here."""
    shared = cached_run(tmp_path_factory, *SHORT_WINDOW)
    run_dir = copy_run(shared.run_dir, tmp_path_factory.mktemp("report") / "run")
    write_report(run_dir)
    return run_dir


@pytest.fixture(scope="module")
def halted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared = cached_run(tmp_path_factory, *SHORT_WINDOW, config_toml=DRAWDOWN_TOML, expect=EXIT_HALTED)
    run_dir = copy_run(shared.run_dir, tmp_path_factory.mktemp("halted") / "run")
    write_report(run_dir)
    return run_dir


def lock_of(run_dir: Path) -> str:
    return json.loads((run_dir / "manifest.json").read_text())["snapshot_identity"]["lock_sha256"]


def html_of(run_dir: Path) -> str:
    return (run_dir / REPORT).read_text("utf-8")


def summary_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


class TestFormatMetric:
    @pytest.mark.parametrize(
        ("name", "value", "shown"),
        [
            ("annual_return", 0.14345865547493664, "14.35%"),
            ("max_drawdown", -0.16418775946203848, "-16.42%"),
            ("fill_rate", 0.7682628451590353, "76.83%"),
            ("sharpe_ratio", 1.1399610358380308, "1.14"),
            ("calmar_ratio", -28.21294866221694, "-28.21"),
            ("ic", 0.018918918918918916, "0.0189"),
            ("sharpe_ratio", None, "n/a"),
            ("sharpe_ratio", float("nan"), "n/a"),
            ("sharpe_ratio", "1.0", "n/a"),
        ],
    )
    def test_formats(self, name: str, value: object, shown: str) -> None:
        assert format_metric(name, value) == shown


class TestWriteReportCompleted:
    def test_one_file_under_two_megabytes_and_no_temp_left(self, completed: Path) -> None:
        path = completed / REPORT
        assert path.is_file()
        assert 10_000 < path.stat().st_size < MAX_BYTES
        assert not list(completed.glob(f".{REPORT}.*"))

    def test_shows_every_headline_number_from_summary(self, completed: Path) -> None:
        html = html_of(completed)
        metrics = summary_of(completed)["metrics"]
        assert len(metrics) >= 10
        for name, value in metrics.items():
            assert f'data-metric="{name}">{format_metric(name, value)}</span>' in html, name

    def test_a_span_of_a_year_or_more_is_not_marked_extrapolated(
        self, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        full = cached_run(tmp_path_factory).run_dir  # the whole bundled run (l0 builds it once anyway)
        html = html_of(full)
        assert summary_of(full)["sessions"]["done"] >= 252
        assert 'data-metric="total_return"' not in html
        assert "extrapolated" not in html

    def test_the_frictionless_reference_is_named_for_what_it_is(self, completed: Path) -> None:
        html = html_of(completed)
        assert "before costs" not in html
        assert "<th>idealised close-to-close</th>" in html
        assert "another execution model, not this run without costs" in html

    def test_no_external_resources(self, completed: Path) -> None:
        html = html_of(completed)
        assert "http://" not in html
        assert "https://" not in html
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*//""", html)
        assert "<link" not in html
        assert "@import" not in html
        assert "@font-face" not in html

    def test_plots_are_inline_svg_with_drawn_paths(self, completed: Path) -> None:
        svgs = re.findall(r"<svg\b.*?</svg>", html_of(completed), re.S)
        assert len(svgs) == 5  # equity+drawdown, exposure+weights, rolling Sharpe, P&L by symbol, fills
        for svg in svgs:
            assert len(re.findall(r"<path\b", svg)) > 10
            assert sum(len(d) for d in re.findall(r' d="([^"]*)"', svg)) > 2_000  # real data, not just axes

    def test_ids_are_unique_across_plots(self, completed: Path) -> None:
        ids = re.findall(r' id="([^"]+)"', html_of(completed))
        assert len(ids) == len(set(ids))

    def test_same_run_gives_the_same_bytes_in_another_process(self, completed: Path) -> None:
        first = (completed / REPORT).read_bytes()
        write_report(completed)
        assert (completed / REPORT).read_bytes() == first
        code = (
            "import sys; from pathlib import Path; from aurora_e2d.report.page import write_report; "
            "write_report(Path(sys.argv[1]))"
        )
        env = {**os.environ, "PYTHONHASHSEED": "12345"}
        subprocess.run([sys.executable, "-c", code, str(completed)], check=True, env=env, timeout=120)
        assert (completed / REPORT).read_bytes() == first

    def test_the_runs_own_report_is_the_one_its_directory_gives(
        self, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """The job hands the report the idealised book it simulated for summary.json; the report
        written from the run directory alone simulates it again and must be the same page, bar the
        manifest's row for report.html itself (the job lists the report after writing it)."""
        shared = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
        run_dir = copy_run(shared, tmp_path_factory.mktemp("rerendered") / "run")
        own, again = html_of(shared), write_report(run_dir).read_text("utf-8")

        def page(html: str) -> list[str]:
            return [line for line in html.splitlines() if not line.startswith("<tr><td>report</td>")]

        assert "<th>idealised close-to-close</th>" in own
        assert page(own) == page(again)
        assert own != again  # only that row: the comparison above saw the rest of both pages

    def test_symbol_pnl_sums_to_the_equity_change(self, completed: Path) -> None:
        found = re.search(
            r"Sum over symbols ([+-][\d,]+) USD; equity change ([+-][\d,]+) USD", html_of(completed)
        )
        assert found is not None
        assert found.group(1) == found.group(2)

    def test_no_banner_and_a_quiet_timeline_for_a_completed_run(self, completed: Path) -> None:
        html = html_of(completed)
        assert 'id="halt-banner"' not in html
        assert "aurora resume" not in html
        assert "the run stayed ACTIVE throughout" in html

    def test_flags_with_their_adrs(self, completed: Path) -> None:
        html = html_of(completed)
        for declaration in load_declarations():
            assert f"<code>{declaration.name}</code>" in html
            assert f"<code>{declaration.adr}</code>" in html

    def test_manifest_essentials(self, completed: Path) -> None:
        html = html_of(completed)
        manifest = json.loads((completed / "manifest.json").read_text())
        assert manifest["config_hash"] in html
        for digest in manifest["snapshot"].values():
            assert digest in html
        if manifest.get("git_revision"):
            assert manifest["git_revision"] in html


class TestGoldensAndGates:
    """``repo_root`` points at a scratch repo so the test controls goldens and gate reports."""

    def test_without_goldens_every_metric_says_no_golden(self, completed: Path, tmp_path: Path) -> None:
        html = (write_report(completed, repo_root=tmp_path)).read_text()
        # the ten headline metrics, and total return (this window is under a year: ADR 0013)
        assert html.count('<span class="badge muted">no golden</span>') == 11
        assert "No gate report for this revision" in html

    def test_golden_pass_and_fail_follow_direction_and_tolerance(
        self, completed: Path, tmp_path: Path
    ) -> None:
        sharpe = summary_of(completed)["metrics"]["sharpe_ratio"]
        turnover = summary_of(completed)["metrics"]["turnover"]
        goldens = {
            "snapshot_lock_sha256": lock_of(completed),
            "metrics": {
                "sharpe_ratio": {
                    "value": sharpe + 0.2,
                    "direction": "higher",
                    "tolerance": 0.05,
                },  # worse: FAIL
                "turnover": {"value": turnover + 0.5, "direction": "lower", "tolerance": 0.0},  # better: pass
            },
        }
        (tmp_path / "goldens").mkdir()
        (tmp_path / "goldens" / "metrics.json").write_text(json.dumps(goldens))
        html = write_report(completed, repo_root=tmp_path).read_text()
        rows = {
            m: re.search(rf'data-metric="{m}">.*?</tr>', html, re.S).group(0)
            for m in ("sharpe_ratio", "turnover")
        }
        assert ">FAIL</span>" in rows["sharpe_ratio"]
        assert format_metric("sharpe_ratio", sharpe + 0.2) in rows["sharpe_ratio"]
        assert ">pass</span>" in rows["turnover"]

    def test_goldens_of_another_snapshot_are_not_compared(self, completed: Path, tmp_path: Path) -> None:
        metrics = summary_of(completed)["metrics"]
        goldens = {
            "reference": {"snapshot_lock_sha256": "f" * 64},  # as `aurora goldens init` records it
            "metrics": {
                n: {"value": v + 1.0, "direction": "higher", "tolerance": 0.0} for n, v in metrics.items()
            },
        }
        (tmp_path / "goldens").mkdir()
        (tmp_path / "goldens" / "metrics.json").write_text(json.dumps(goldens))
        html = write_report(completed, repo_root=tmp_path).read_text()
        assert ">FAIL</span>" not in html
        # the ten headline metrics, and total return (this window is under a year: ADR 0013)
        assert html.count('<span class="badge muted">no golden</span>') == 11
        assert (
            f"the goldens belong to snapshot ffffffffffff, this run read snapshot "
            f"{lock_of(completed)[:12]}: not compared" in html
        )

    def test_goldens_without_a_recorded_snapshot_belong_to_the_bundled_one(
        self, completed: Path, tmp_path: Path
    ) -> None:
        sharpe = summary_of(completed)["metrics"]["sharpe_ratio"]
        (tmp_path / "goldens" / "snapshot").mkdir(parents=True)
        shutil.copy(
            repo_root() / "goldens" / "snapshot" / "snapshot.lock.json", tmp_path / "goldens" / "snapshot"
        )
        goldens = {"metrics": {"sharpe_ratio": {"value": sharpe, "direction": "higher", "tolerance": 0.0}}}
        (tmp_path / "goldens" / "metrics.json").write_text(json.dumps(goldens))
        html = write_report(completed, repo_root=tmp_path).read_text()
        row = re.search(r'data-metric="sharpe_ratio">.*?</tr>', html, re.S).group(0)
        assert ">pass</span>" in row
        assert f"goldens/metrics.json (snapshot {lock_of(completed)[:12]}, this run&#x27;s)" in html

    def test_gate_report_of_this_revision_is_shown(self, completed: Path, tmp_path: Path) -> None:
        revision = json.loads((completed / "manifest.json").read_text())["git_revision"]
        (tmp_path / "reports").mkdir()
        mine = {
            "level": "l0",
            "revision": revision,
            "passed": False,
            "checks": [{"name": "timezone", "passed": False, "reason": "bars.ts not UTC"}],
        }
        other = {"level": "l1", "revision": "0" * 40, "passed": True, "checks": []}
        (tmp_path / "reports" / "gate-l0.json").write_text(json.dumps(mine))
        (tmp_path / "reports" / "gate-l1.json").write_text(json.dumps(other))
        html = write_report(completed, repo_root=tmp_path).read_text()
        assert "gate l0" in html
        assert "bars.ts not UTC" in html
        assert "gate l1" not in html
        assert "gate-l1.json (revision 000000000000)" in html


class TestHaltedAndKilled:
    def test_breaker_halt_banner_gives_reason_and_exact_commands(self, halted: Path) -> None:
        html = html_of(halted)
        summary = summary_of(halted)
        assert summary["status"] == "halted"
        banner = re.search(r'<div class="banner" id="halt-banner">.*?</div>', html, re.S).group(0)
        assert "Run HALTED by circuit breaker drawdown" in banner
        assert summary["message"] in banner
        where = str(halted.resolve())
        reset = f"aurora breaker reset drawdown --reason &#x27;WHY IT IS SAFE&#x27; --run-dir {where}"
        assert reset in banner
        assert banner.index(reset) < banner.index(f"aurora resume --run-dir {where}")
        assert html.index('id="halt-banner"') < html.index("id='metrics'")  # on top, before anything else

    def test_halt_timeline_lists_the_trip_and_the_state_change(self, halted: Path) -> None:
        html = html_of(halted)
        timeline = html[html.index("id='timeline'") : html.index("id='flags'")]
        assert "breaker trip" in timeline
        assert "drawdown" in timeline
        assert "max_drawdown_pct=1" in timeline
        assert "ACTIVE → HALTED" in timeline

    def test_halted_headline_numbers_and_partial_note(self, halted: Path) -> None:
        html = html_of(halted)
        summary = summary_of(halted)
        for name, value in summary["metrics"].items():
            assert f'data-metric="{name}">{format_metric(name, value)}</span>' in html
        done, total = summary["sessions"]["done"], summary["sessions"]["total"]
        assert f"The run stopped after {done} of {total} sessions" in html

    def test_a_span_under_a_year_shows_total_return_and_marks_annualised_figures(self, halted: Path) -> None:
        html = html_of(halted)
        sessions = summary_of(halted)["sessions"]["done"]
        assert sessions < 252
        headline = html[html.index("id='metrics'") : html.index("id='equity'")]
        assert 'data-metric="total_return">' in headline
        for name in ("annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio", "calmar_ratio"):
            row = re.search(rf"<b>{name}</b>.*?</tr>", headline, re.S).group(0)
            assert "extrapolated: annualised from" in row, name
        for name in ("max_drawdown", "turnover", "hit_rate"):
            row = re.search(rf"<b>{name}</b>.*?</tr>", headline, re.S).group(0)
            assert "extrapolated" not in row, name
        assert "annual return (extrapolated)" in html

    def test_killed_run_banner_says_unkill_then_resume(self, tmp_path: Path) -> None:
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        (run_dir / "kill.flag").write_text("drill\n")
        aurora_run(run_dir, expect=EXIT_KILLED)
        html = write_report(run_dir).read_text()
        banner = re.search(r'<div class="banner" id="halt-banner">.*?</div>', html, re.S).group(0)
        assert "KILLED by the kill switch" in banner
        where = str(run_dir.resolve())
        assert banner.index(f"aurora unkill --run-dir {where}") < banner.index(
            f"aurora resume --run-dir {where}"
        )
