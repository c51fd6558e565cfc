"""The registry never lets a check pass by not running."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from aurora_gates import CheckFailed, GateContext, GateReport, Level, Registry, run_check


@pytest.fixture
def context(tmp_path: Path) -> GateContext:
    return GateContext(repo_root=tmp_path, run_dir=tmp_path)


def _one(registry: Registry, fn, name: str = "c") -> None:
    registry.register(name, Level.L0, "it guarantees something")(fn)


class TestRunCheck:
    def test_evidence_of_a_passing_check_is_kept(self, context: GateContext) -> None:
        registry = Registry()
        _one(registry, lambda ctx: {"rows": 12154})
        result = run_check(registry.get("c"), context)
        assert (result.passed, result.reason, dict(result.evidence)) == (True, "", {"rows": 12154})

    def test_the_duration_is_the_check_s_own_time(self, context: GateContext) -> None:
        """A check that takes 50 ms is reported as taking at least that (a lower bound: never flaky)."""
        registry = Registry()
        _one(registry, lambda ctx: time.sleep(0.05) or {"slept": True})
        result = run_check(registry.get("c"), context)
        assert result.passed
        assert result.duration_ms >= 50.0

    def test_check_failed_carries_reason_and_evidence(self, context: GateContext) -> None:
        def broken(ctx: GateContext) -> dict:
            raise CheckFailed("bars.ts is naive", artifact="bars.parquet", column="ts")

        registry = Registry()
        _one(registry, broken)
        result = run_check(registry.get("c"), context)
        assert not result.passed
        assert result.reason == "bars.ts is naive"
        assert dict(result.evidence) == {"artifact": "bars.parquet", "column": "ts"}

    def test_a_check_that_cannot_run_fails_instead_of_skipping(self, context: GateContext) -> None:
        def missing(ctx: GateContext) -> dict:
            return {"size": (ctx.repo_root / "absent.parquet").stat().st_size}

        registry = Registry()
        _one(registry, missing)
        result = run_check(registry.get("c"), context)
        assert not result.passed
        assert result.reason.startswith("check could not run: FileNotFoundError")
        assert result.evidence["error"] == "FileNotFoundError"

    def test_missing_run_dir_fails(self, tmp_path: Path) -> None:
        with pytest.raises(CheckFailed, match="no run directory given"):
            GateContext(repo_root=tmp_path).require_run_dir()
        with pytest.raises(CheckFailed, match="run directory does not exist"):
            GateContext(repo_root=tmp_path, run_dir=tmp_path / "nope").require_run_dir()


class TestRegistry:
    def test_names_are_unique(self) -> None:
        registry = Registry()
        _one(registry, lambda ctx: {})
        with pytest.raises(ValueError, match="registered twice"):
            _one(registry, lambda ctx: {})

    def test_statement_is_one_line(self) -> None:
        with pytest.raises(ValueError, match="one-line statement"):
            Registry().register("c", Level.L0, "two\nlines")(lambda ctx: {})

    def test_checks_are_filtered_by_level_in_order(self) -> None:
        registry = Registry()
        registry.register("b", Level.L0, "s")(lambda ctx: {})
        registry.register("x", Level.L1, "s")(lambda ctx: {})
        registry.register("a", Level.L0, "s")(lambda ctx: {})
        assert [c.name for c in registry.checks(Level.L0)] == ["b", "a"]


class TestGateReport:
    def test_an_empty_gate_fails(self) -> None:
        assert not GateReport(Level.L0, [], None).passed

    def test_one_failure_fails_the_gate_and_json_says_why(self, context: GateContext, tmp_path: Path) -> None:
        registry = Registry()
        registry.register("ok", Level.L0, "s")(lambda ctx: {})

        def bad(ctx: GateContext) -> dict:
            raise CheckFailed("nope", value=1)

        registry.register("bad", Level.L0, "s")(bad)
        results = [run_check(check, context) for check in registry.checks(Level.L0)]
        report = GateReport(Level.L0, results, "abc")
        assert not report.passed
        report.write_json(tmp_path / "out" / "l0.json")
        data = json.loads((tmp_path / "out" / "l0.json").read_text())
        assert data["passed"] is False
        assert [(c["name"], c["passed"], c["reason"]) for c in data["checks"]] == [
            ("ok", True, ""),
            ("bad", False, "nope"),
        ]
