"""aurora_gates.mutation without running mutmut: stats parsing, scoring, threshold, failure modes.

The orchestration tests replace the interpreter with a tiny fake ``mutmut`` (a script answering
``-m mutmut run|export-cicd-stats|results|show``), so a crash, a hang, missing stats and zero
mutants are exercised for real in well under a second each.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aurora_gates import mutation as mu
from aurora_gates.mutation import Mutant, MutationError, MutationStats, evaluate, parse_results, parse_stats
from aurora_gates.mutation import cli as mutation_cli
from aurora_gates.mutation import run as mutation_run
from aurora_gates.mutation.progress import Progress


def write_stats(path: Path, **counts: object) -> Path:
    base = {
        "killed": 0,
        "survived": 0,
        "total": 0,
        "no_tests": 0,
        "skipped": 0,
        "suspicious": 0,
        "timeout": 0,
        "check_was_interrupted_by_user": 0,
        "segfault": 0,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**base, **counts}))
    return path


# --------------------------------------------------------------------------- parse_stats


class TestParseStats:
    def test_reads_real_mutmut_output(self, tmp_path):
        stats = parse_stats(write_stats(tmp_path / "s.json", killed=696, survived=67, total=763))
        assert stats == MutationStats(killed=696, survived=67, total=763)
        assert stats.score == pytest.approx(696 / 763)

    def test_score_formula_counts_timeouts_and_drops_skipped(self, tmp_path):
        stats = parse_stats(
            write_stats(tmp_path / "s.json", killed=70, timeout=10, survived=10, skipped=10, total=100)
        )
        assert stats.denominator == 90
        assert stats.score == pytest.approx(80 / 90)

    def test_no_tests_and_suspicious_count_against(self, tmp_path):
        stats = parse_stats(write_stats(tmp_path / "s.json", killed=8, no_tests=1, suspicious=1, total=10))
        assert stats.score == pytest.approx(0.8)

    def test_missing_file(self, tmp_path):
        with pytest.raises(MutationError, match="mutmut wrote no stats file"):
            parse_stats(tmp_path / "mutants" / "mutmut-cicd-stats.json")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{not json", "unreadable mutmut stats"),
            ("[1, 2]", "is not a JSON object"),
            ('{"killed": 1, "total": 1}', "lack survived"),
            ('{"killed": -1, "survived": 0, "total": 0}', "'killed' must be a count >= 0, was -1"),
            ('{"killed": 1.5, "survived": 0, "total": 2}', "'killed' must be a count"),
            ('{"killed": true, "survived": 0, "total": 1}', "'killed' must be a count"),
            ('{"killed": 5, "survived": 5, "total": 6}', "add up to 10, more than total 6"),
        ],
    )
    def test_malformed(self, tmp_path, text, message):
        path = tmp_path / "s.json"
        path.write_text(text)
        with pytest.raises(MutationError, match=message):
            parse_stats(path)


# --------------------------------------------------------------------------- evaluate


def survivor(name: str) -> Mutant:
    return Mutant(name, "survived", f"--- a\n+++ b\n-{name}")


class TestEvaluate:
    def test_exactly_at_threshold_passes(self):
        passed, reason, score, _ = evaluate(MutationStats(killed=8, survived=2, total=10), 0.8)
        assert passed
        assert score == 0.8
        assert reason == "score 80.0% >= 80% (8/10 detected)"

    def test_below_threshold_fails_with_the_numbers(self):
        passed, reason, score, _ = evaluate(MutationStats(killed=79, survived=21, total=100), 0.8)
        assert not passed
        assert score == pytest.approx(0.79)
        assert reason == "score 79.0% < 80% (79/100 detected, 21 not)"

    def test_timeouts_count_as_detected(self):
        passed, _, score, _ = evaluate(MutationStats(killed=70, timeout=10, survived=20, total=100), 0.8)
        assert passed
        assert score == pytest.approx(0.8)

    def test_zero_mutants_is_a_vacuous_failure(self):
        passed, reason, score, excluding = evaluate(MutationStats(killed=0, survived=0, total=0), 0.8)
        assert not passed
        assert score is None
        assert excluding is None
        assert "0 mutants" in reason
        assert "vacuous" in reason

    def test_everything_skipped_is_a_vacuous_failure(self):
        passed, reason, score, _ = evaluate(MutationStats(killed=0, survived=0, skipped=5, total=5), 0.0)
        assert not passed
        assert score is None
        assert "all 5 mutants were skipped" in reason

    def test_equivalents_reported_but_never_change_the_verdict(self):
        stats = MutationStats(killed=7, survived=3, total=10)
        survivors = [survivor("a"), survivor("b"), survivor("c")]
        passed, _, score, excluding = evaluate(
            stats, 0.8, survivors=survivors, equivalents={"a": "x", "b": "y", "not-a-survivor": "z"}
        )
        assert not passed  # 70 % raw: equivalents do not rescue a failing score
        assert score == pytest.approx(0.7)
        assert excluding == pytest.approx(7 / 8)  # only listed names that really survived are excluded

    def test_all_survivors_equivalent(self):
        stats = MutationStats(killed=9, survived=1, total=10)
        _, _, score, excluding = evaluate(stats, 0.8, survivors=[survivor("a")], equivalents={"a": "x"})
        assert (score, excluding) == (pytest.approx(0.9), 1.0)

    @pytest.mark.parametrize("threshold", [-0.1, 1.5, 80.0])
    def test_threshold_must_be_a_fraction(self, threshold):
        with pytest.raises(MutationError, match="threshold must be in"):
            evaluate(MutationStats(killed=1, survived=0, total=1), threshold)


# --------------------------------------------------------------------------- results and equivalents


class TestParseResultsAndEquivalents:
    def test_results_lines(self):
        text = (
            "    aurora_e2d.data.sanity.xǁSanityModeǁparse__mutmut_1: killed\n"
            "    aurora_e2d.report.metrics.x_ic__mutmut_23: survived\n"
            "    aurora_e2d.report.metrics.x_ic__mutmut_24: no tests\n"
            "    aurora_e2d.report.metrics.x_ic__mutmut_25: timeout\n"
            "/some/file.py:12: UserWarning: not a result line\n"
            "\n"
        )
        assert parse_results(text) == {
            "aurora_e2d.data.sanity.xǁSanityModeǁparse__mutmut_1": "killed",
            "aurora_e2d.report.metrics.x_ic__mutmut_23": "survived",
            "aurora_e2d.report.metrics.x_ic__mutmut_24": "no tests",
            "aurora_e2d.report.metrics.x_ic__mutmut_25": "timeout",
        }

    def test_equivalents_file(self, tmp_path):
        path = tmp_path / "eq.toml"
        path.write_text('[equivalent]\n"a.b__mutmut_1" = "  same value either way  "\n')
        assert mu.load_equivalents(path) == {"a.b__mutmut_1": "same value either way"}
        assert mu.load_equivalents(tmp_path / "missing.toml") == {}

    @pytest.mark.parametrize(
        "text",
        [
            '[equivalent]\n"a" = ""\n',
            '[equivalent]\n"a" = 3\n',
            'equivalent = "x"\n',
            '[equivalent]\n"a" = """x\ny"""\n',
            "[broken",
        ],
    )
    def test_bad_equivalents_file(self, tmp_path, text):
        path = tmp_path / "eq.toml"
        path.write_text(text)
        with pytest.raises(MutationError):
            mu.load_equivalents(path)

    def test_committed_e2d_equivalents_file_is_valid(self):
        path = Path(__file__).resolve().parents[2] / "e2d" / mu.EQUIVALENTS_FILE
        equivalents = mu.load_equivalents(path)
        assert equivalents, f"{path} is missing or empty"
        assert all(name.startswith("aurora_e2d.") and "__mutmut_" in name for name in equivalents)

    def test_committed_safety_equivalents_file_is_valid(self):
        path = Path(__file__).resolve().parents[2] / "safety" / mu.EQUIVALENTS_FILE
        equivalents = mu.load_equivalents(path)
        assert equivalents, f"{path} is missing or empty"
        assert all(name.startswith("aurora_safety.") and "__mutmut_" in name for name in equivalents)


# --------------------------------------------------------------------------- run_mutation with a fake mutmut

FAKE_MUTMUT = """\
#!{python}
# Stands in for `python -m mutmut ...`; behaviour chosen by FAKE_MODE in this file's directory.
import json, os, sys, time
from pathlib import Path
mode = (Path(__file__).parent / "FAKE_MODE").read_text().strip()
DIFF = "--- src/pkg/mod.py\\n+++ src/pkg/mod.py\\n-    return a < b\\n+    return a <= b"
if sys.argv[1] == "-c":  # the batch of diffs through mutmut's own diff function
    Path("calls.log").open("a").write("batch-diff\\n")
    if mode == "no-batch":
        print("ImportError: cannot import name 'get_diff_for_mutant'"); sys.exit(1)
    names = json.loads(Path(sys.argv[3]).read_text())
    print(json.dumps({{name: DIFF for name in names}})); sys.exit(0)
assert sys.argv[1:3] == ["-m", "mutmut"], sys.argv
command = sys.argv[3]
Path("calls.log").open("a").write(command + "\\n")
if command == "run":
    assert os.environ["HYPOTHESIS_PROFILE"] == "mutation"
    assert not Path("mutants/stale").exists(), "mutants/ was not deleted before the run"
    if mode == "crash":
        print("Traceback: boom in conftest"); sys.exit(3)
    if mode == "hang":
        time.sleep(60)
    Path("mutants").mkdir(exist_ok=True)
    print("⠙ 3/4  🎉 2 🫥 0  ⏰ 0  🤔 0  🙁 1  🔇 0  🧙 0")
elif command == "export-cicd-stats":
    if mode == "no-stats":
        print('No previous mutation data found. Run "mutmut run" first.'); sys.exit(0)
    counts = dict(killed=2, survived=1, total=4, timeout=1) if mode != "zero" else dict(killed=0, survived=0, total=0)
    Path("mutants/mutmut-cicd-stats.json").write_text(json.dumps(counts))
elif command == "results":
    print("    pkg.mod.x_f__mutmut_1: killed")
    print("    pkg.mod.x_f__mutmut_2: survived")
    print("    pkg.mod.x_f__mutmut_3: killed")
    print("    pkg.mod.x_g__mutmut_1: timeout")
elif command == "show":
    print("# " + sys.argv[4] + ": survived")
    print(DIFF)
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A package dir with [tool.mutmut], a stale mutants/, and a fake interpreter; returns a runner."""
    package = tmp_path / "pkg"
    (package / "mutants").mkdir(parents=True)
    (package / "mutants" / "stale").write_text("from a previous run")
    (package / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.mutmut]\nsource_paths = ["src"]\n'
    )
    script = tmp_path / "fakepython"
    script.write_text(FAKE_MUTMUT.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(mutation_run, "mutmut_version", lambda: "3.8.1")

    def run(mode: str, **kwargs):
        (tmp_path / "FAKE_MODE").write_text(mode)
        report = tmp_path / "reports" / "mutation.json"
        result = mu.run_mutation(package, report, python=str(script), **kwargs)
        return result, json.loads(report.read_text()), package

    return run


class TestRunMutation:
    def test_full_pass_writes_report_with_survivors_and_diffs(self, fake):
        result, report, package = fake("ok", threshold=0.6)
        assert result.passed, result.reason
        assert report["passed"] is True
        assert report["score"] == 0.75  # (2 killed + 1 timeout) / 4
        assert report["counts"]["killed"] == 2
        assert report["counts"]["timeout"] == 1
        assert [s["name"] for s in report["survivors"]] == ["pkg.mod.x_f__mutmut_2"]
        assert "+    return a <= b" in report["survivors"][0]["diff"]
        assert (package / "calls.log").read_text().split() == [
            "run",
            "export-cicd-stats",
            "results",
            "batch-diff",
        ]
        assert Path(report["log"]).read_text().count("3/4") == 1

    def test_diffs_fall_back_to_mutmut_show(self, fake):
        result, report, package = fake("no-batch", threshold=0.6)
        assert result.passed, result.reason
        assert "+    return a <= b" in report["survivors"][0]["diff"]
        calls = (package / "calls.log").read_text().split()
        assert calls == ["run", "export-cicd-stats", "results", "batch-diff", "show"]

    def test_below_threshold_fails(self, fake):
        result, report, _ = fake("ok", threshold=0.8)
        assert not result.passed
        assert report["reason"] == "score 75.0% < 80% (3/4 detected, 1 not)"

    def test_equivalents_are_reported_not_subtracted(self, fake, tmp_path):
        eq = tmp_path / "eq.toml"
        eq.write_text(
            '[equivalent]\n"pkg.mod.x_f__mutmut_2" = "same either way"\n"pkg.gone__mutmut_9" = "old"\n'
        )
        result, report, _ = fake("ok", threshold=0.8, equivalents_path=eq)
        assert not result.passed  # raw score still decides
        assert report["score"] == 0.75
        assert report["score_excluding_equivalent"] == 1.0
        assert report["equivalent"] == {"pkg.mod.x_f__mutmut_2": "same either way"}
        assert report["stale_equivalents"] == {"pkg.gone__mutmut_9": "old"}

    def test_mutmut_crash_fails_with_its_output(self, fake):
        result, report, _ = fake("crash")
        assert not result.passed
        assert report["passed"] is False
        assert report["reason"].startswith("mutmut run exited 3:")
        assert "boom in conftest" in report["reason"]
        assert report["score"] is None

    def test_missing_stats_fail(self, fake):
        result, _, _ = fake("no-stats")
        assert not result.passed
        assert result.reason.startswith("mutmut wrote no stats file")

    def test_zero_mutants_fail(self, fake):
        result, report, _ = fake("zero")
        assert not result.passed
        assert "0 mutants" in report["reason"]
        assert report["counts"]["total"] == 0

    def test_hang_is_killed_at_the_timeout(self, fake):
        started = time.monotonic()
        result, _, _ = fake("hang", timeout_s=1)
        assert time.monotonic() - started < 10
        assert not result.passed
        assert "did not finish before the overall timeout" in result.reason

    def test_missing_mutmut_fails(self, fake, monkeypatch):
        monkeypatch.setattr(mutation_run, "mutmut_version", lambda: None)
        result, report, _ = fake("ok")
        assert not result.passed
        assert "mutmut is not installed" in report["reason"]

    def test_wrong_mutmut_major_fails(self, fake, monkeypatch):
        monkeypatch.setattr(mutation_run, "mutmut_version", lambda: "2.5.1")
        result, _, _ = fake("ok")
        assert not result.passed
        assert "needs mutmut 3.x" in result.reason

    def test_package_without_config_fails(self, tmp_path, monkeypatch):
        monkeypatch.setattr(mutation_run, "mutmut_version", lambda: "3.8.1")
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
        result = mu.run_mutation(tmp_path, tmp_path / "r.json")
        assert not result.passed
        assert "no [tool.mutmut] section" in result.reason
        assert json.loads((tmp_path / "r.json").read_text())["passed"] is False


class TestCli:
    def test_exit_codes_and_summary(self, fake, tmp_path, monkeypatch, capsys):
        fake("ok")  # writes FAKE_MODE=ok and checks the fixture works
        script = str(tmp_path / "fakepython")
        real = mu.run_mutation
        monkeypatch.setattr(mutation_cli, "run_mutation", lambda *a, **k: real(*a, **{**k, "python": script}))
        report = tmp_path / "cli.json"
        argv = ["--package", str(tmp_path / "pkg"), "--report", str(report)]
        assert mu.main([*argv, "--threshold", "0.7"]) == 0
        out = capsys.readouterr().out
        assert "mutation PASSED: score 75.0% >= 70%" in out
        assert "killed 2, survived 1, timeout 1, skipped 0" in out
        assert "pkg.mod.x_f__mutmut_2 [survived] UNEXPLAINED" in out
        assert mu.main([*argv, "--threshold", "0.8"]) == 1
        assert "mutation FAILED" in capsys.readouterr().out

    def test_several_packages_write_one_report_each_and_fail_if_any_fails(
        self, fake, tmp_path, monkeypatch, capsys
    ):
        fake("ok")
        script = str(tmp_path / "fakepython")
        real = mu.run_mutation
        monkeypatch.setattr(mutation_cli, "run_mutation", lambda *a, **k: real(*a, **{**k, "python": script}))
        second = tmp_path / "other"
        second.mkdir()
        (second / "pyproject.toml").write_text((tmp_path / "pkg" / "pyproject.toml").read_text())
        out = tmp_path / "l1"
        argv = ["--package", str(tmp_path / "pkg"), "--package", str(second), "--report-dir", str(out)]
        assert mutation_cli.main([*argv, "--threshold", "0.7"]) == 0
        assert sorted(p.name for p in out.glob("*.json")) == ["mutation-other.json", "mutation-pkg.json"]
        assert json.loads((out / "mutation-other.json").read_text())["package"] == str(second)
        assert capsys.readouterr().out.count("mutation PASSED: score 75.0% >= 70%") == 2
        (second / "pyproject.toml").write_text('[project]\nname = "x"\n')  # its run now fails
        assert mutation_cli.main([*argv, "--threshold", "0.7"]) == 1
        printed = capsys.readouterr().out
        assert "mutation PASSED: score 75.0% >= 70%" in printed
        assert f"mutation FAILED: {second / 'pyproject.toml'} has no [tool.mutmut] section" in printed

    def test_one_report_file_for_several_packages_is_a_usage_error(self, tmp_path, capsys):
        argv = ["--package", "a", "--package", "b", "--report", str(tmp_path / "r.json")]
        with pytest.raises(SystemExit) as exit_info:
            mutation_cli.main(argv)
        assert exit_info.value.code == 2
        assert "'--report' and '--equivalents' take one '--package'" in capsys.readouterr().err

    def test_thresholds_come_from_the_targets_unless_overridden(self):
        assert mutation_cli.threshold_for(Path("packages/e2d"), None) == 0.8
        assert mutation_cli.threshold_for(Path("packages/safety"), None) == 0.9
        assert mutation_cli.threshold_for(Path("packages/unknown"), None) == mu.DEFAULT_THRESHOLD
        assert mutation_cli.threshold_for(Path("packages/safety"), 0.5) == 0.5
        assert [t.package for t in mu.TARGETS] == ["e2d", "safety"]

    def test_python_dash_m_runs_the_cli(self, tmp_path):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "aurora_gates.mutation",
                "--package",
                str(tmp_path),
                "--report",
                "x",
                "--nope",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "unrecognized arguments: --nope" in result.stderr
        assert "Traceback" not in result.stderr

    def test_progress_is_silent_without_a_tty(self, tmp_path):
        import io

        stream = io.StringIO()
        bar = Progress(stream)
        bar.update("1/2", force=True)
        bar.done()
        assert stream.getvalue() == ""

    def test_summary_of_a_failure_before_stats(self):
        text = mu.format_summary(
            mu.MutationResult(passed=False, reason="mutmut is not installed", threshold=0.8, package="p")
        )
        assert text.startswith("mutation FAILED: mutmut is not installed")


def test_module_docstring_names_the_command():
    assert "python -m aurora_gates.mutation --package packages/e2d" in textwrap.dedent(mu.__doc__ or "")
