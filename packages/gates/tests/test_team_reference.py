"""Gates and promotion on a team's own reference snapshot, not the bundled demo.

A small imported snapshot (three bundled stocks renamed, 2008-2012, traded
from 2012) becomes the reference of a throw-away repository through
`aurora goldens init`; the ratchet judges its runs, refuses another snapshot's
runs with one line (exit 2), and - nightly - a whole promotion walks on it:
l0 evidence, rollback-test, l1 evidence, l2, bless, promote.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from aurora_e2d.data.ingest import load_lock
from aurora_gates.promote import CommandInventory, aurora_command, run_checklist
from gates_helpers import REPO_ROOT, aurora_exe, clean_env

pytestmark = pytest.mark.l1  # real runs on an imported snapshot: ~1 min to set up, ~8 min the walk (loaded)

SOURCE_NAMES = ["Ticker", "Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"]
RENAMED = {"AAPL": "ALFA", "IBM": "BRVO", "MSFT": "CHRL"}  # not the demo: other names, other lock
SESSIONS = frozenset({"l0", "l1", "l2", "rollback-test", "run", "lint", "bench", "snapshot", "unit"})


def _head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def _git_dir() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def aurora(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    # GIT_DIR: the throw-away repository's revision is the code's (the runs record it too)
    env = clean_env(GIT_DIR=_git_dir())
    return subprocess.run(
        [aurora_exe(), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@dataclass(frozen=True)
class Team:
    repo: Path
    snapshot: Path
    goldens: Path
    init_run: Path


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    """A repository whose aurora.toml names goldens of an imported snapshot, made by `aurora goldens init`."""
    repo = tmp_path_factory.mktemp("team") / "repo"
    shutil.copytree(REPO_ROOT / "docs", repo / "docs")  # runbooks and the flags' ADRs
    (repo / "goldens").mkdir()
    shutil.copy(REPO_ROOT / "goldens" / "metrics.json", repo / "goldens" / "metrics.json")
    (repo / "noxfile.py").write_text("")  # marks the repository root for the gates
    prices = pq.read_table(REPO_ROOT / "goldens" / "snapshot" / "stocks.parquet")
    prices = prices.filter(
        pc.and_(
            pc.is_in(prices.column("symbol"), pa.array(list(RENAMED))),
            pc.greater_equal(prices.column("date"), pa.scalar(dt.date(2008, 1, 2))),
        )
    )
    renamed = pa.array([RENAMED[s] for s in prices.column("symbol").to_pylist()])
    prices = prices.set_column(prices.schema.get_field_index("symbol"), "symbol", renamed)
    (repo / "data").mkdir()
    pq.write_table(prices.rename_columns(SOURCE_NAMES), repo / "data" / "team.parquet")
    imported = aurora("data", "import", "data/team.parquet", "--out", "data/team-snapshot", cwd=repo)
    assert imported.returncode == 0, imported.stderr
    (repo / "team.toml").write_text("start = 2012-06-01\n")
    init = aurora(
        "goldens", "init", "--snapshot", "data/team-snapshot", "--config", "team.toml",
        "--goldens-dir", "team-goldens", cwd=repo,
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    assert "aurora.toml: [gates] goldens = 'team-goldens'" in init.stdout
    return Team(repo, repo / "data" / "team-snapshot", repo / "team-goldens", repo / "runs" / "goldens-init")


def test_goldens_init_records_the_snapshot_and_config_and_names_them_in_aurora_toml(team: Team) -> None:
    assert (team.repo / "aurora.toml").read_text() == '[gates]\ngoldens = "team-goldens"\n'
    goldens = json.loads((team.goldens / "metrics.json").read_text())
    assert goldens["reference"]["snapshot_lock_sha256"] == load_lock(team.snapshot)[1]
    assert goldens["reference"]["snapshot"] == "../data/team-snapshot"
    assert goldens["reference"]["config"] == "config.json"
    assert json.loads((team.goldens / "config.json").read_text())["config"]["start"] == "2012-06-01"
    bundled = json.loads((REPO_ROOT / "goldens" / "metrics.json").read_text())
    assert set(goldens["metrics"]) == set(bundled["metrics"])
    assert all(m["value"] is not None for m in goldens["metrics"].values())
    assert set(goldens["baseline_hashes"]) == {"decisions", "fills"}
    shown = aurora("goldens", "show", cwd=team.repo)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(
        "goldens team-goldens/metrics.json (aurora.toml [gates] goldens): snapshot "
    )


def test_the_ratchet_judges_the_reference_run_on_the_teams_goldens(team: Team) -> None:
    done = aurora("ratchet", "--run-dir", team.init_run, cwd=team.repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ratchet: PASSED" in done.stdout


def test_a_run_of_another_snapshot_is_refused_with_one_line(team: Team) -> None:
    # the bundled repository judges with the demo's goldens: the team's run is refused, not failed
    for command in (("ratchet", "--run-dir", team.init_run), ("gate", "l2", "--run-dir", team.init_run)):
        done = aurora(*command, cwd=REPO_ROOT)
        assert done.returncode == 2, done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        lock = load_lock(team.snapshot)[1][:12]
        bundled = load_lock(REPO_ROOT / "goldens" / "snapshot")[1][:12]
        assert lines[0] == (
            f"aurora: error: {team.init_run}: the run is over snapshot {lock}, but the goldens "
            f"goldens/metrics.json belong to snapshot {bundled} (bundled); compare runs of the reference "
            "snapshot, or name this snapshot's goldens in aurora.toml [gates] goldens"
        )


def test_goldens_init_never_overwrites_goldens(team: Team) -> None:
    again = aurora("goldens", "init", "--snapshot", team.snapshot, cwd=team.repo)
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"aurora: error: {team.goldens / 'metrics.json'} already exists: these goldens are kept "
        "(remove the directory to start over)"
    )


def test_a_bad_project_file_is_one_line(team: Team, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(team.repo / "goldens", repo / "goldens")
    (repo / "noxfile.py").write_text("")
    (repo / "aurora.toml").write_text("[gates]\ngoldenz = 'x'\n")
    done = aurora("goldens", "show", cwd=repo)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"aurora: error: 'gates.goldenz' is not a known field (allowed: goldens) ({repo / 'aurora.toml'})"
    )


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="1">
<testcase classname="t" name="a"/></testsuite></testsuites>"""


def test_a_whole_promotion_walks_on_the_teams_reference(team: Team) -> None:
    repo, reports = team.repo, team.repo / "reports"
    candidate, champion = repo / "runs" / "candidate", repo / "runs" / "champion"
    for args in (("--run-dir", candidate), ("--champion", "--run-dir", champion)):
        done = aurora("goldens", "run", *args, cwd=repo)
        assert done.returncode == 0, done.stderr[-2000:]

    l0 = aurora("gate", "l0", "--run-dir", candidate, "--json", reports / "gate-l0.json", cwd=repo)
    assert l0.returncode == 0, l0.stdout[-3000:]

    rollback = subprocess.run(
        [sys.executable, "-m", "aurora_gates.rollback", "--work-dir", "runs/rollback",
         "--report", str(reports / "rollback-test.json")],
        cwd=repo, env=clean_env(GIT_DIR=_git_dir()), capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert "pass  baseline-matches-golden" in rollback.stdout
    baseline_config = json.loads((repo / "runs" / "rollback" / "baseline" / "config.json").read_text())
    assert baseline_config["config"]["data"]["snapshot"] == str(team.snapshot.resolve())

    (reports / "l1").mkdir(parents=True)
    (reports / "l1" / "junit.xml").write_text(JUNIT)  # the nightly's own evidence, as `nox -s l1` leaves it
    for package in ("e2d", "safety"):
        counts = {"killed": 100, "survived": 0, "timeout": 0, "skipped": 0, "total": 100}
        report = {"score": 1.0, "counts": counts, "survivors": []}
        (reports / "l1" / f"mutation-{package}.json").write_text(json.dumps(report))
    l1 = aurora("gate", "l1", "--json", reports / "gate-l1.json", cwd=repo)
    assert l1.returncode == 0, l1.stdout[-3000:]

    l2 = aurora("gate", "l2", "--run-dir", candidate, "--json", reports / "gate-l2.json", cwd=repo)
    assert l2.returncode == 0, l2.stdout[-3000:]
    ratchet = next(
        c for c in json.loads((reports / "gate-l2.json").read_text())["checks"] if c["name"] == "ratchet"
    )
    assert "team-goldens/metrics.json (aurora.toml [gates] goldens)" in json.dumps(ratchet)

    bless = aurora(
        "bless", "--candidate-run", candidate, "--champion-run", champion,
        "--json", reports / "blessing.json", "--record", cwd=repo,
    )  # fmt: skip
    assert bless.returncode == 0, bless.stdout[-3000:] + bless.stderr
    assert "sharpe: PSR " in bless.stdout
    assert "over 1 recorded trial(s)" in bless.stdout
    assert len((team.goldens / "blessings.jsonl").read_text().splitlines()) == 1

    @dataclass
    class CodeRevision:  # the code's revision; nothing changed since its commit
        def revision(self) -> str | None:
            return _head()

        def changed(self, *pathspecs: str) -> list[str]:
            return []

    # What `nox -s l2`'s supply-chain step leaves beside the evidence (that step itself is tested in
    # tests/test_supply_chain.py; its SBOM tool lives in a nox environment, not in this one).
    sbom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "polars"}]}
    (reports / "sbom.cdx.json").write_text(json.dumps(sbom))
    (reports / "audit.json").write_text(
        json.dumps({"status": "not audited", "line": "audit: no vulnerability service"})
    )

    inventory = CommandInventory(aurora=aurora_command(), nox_sessions=SESSIONS)
    report = run_checklist(repo, git=CodeRevision(), inventory_factory=lambda: inventory)
    assert {r.name: r.reason for r in report.results if not r.passed} == {}
    blessing = next(r for r in report.results if r.name == "blessing")
    assert blessing.evidence["reference"].startswith(
        "goldens team-goldens/metrics.json (aurora.toml [gates] goldens)"
    )
