"""`[broker] kind`: the run trades through the registered broker its config names.

The default (`paper`) leaves config.json and the identity as they were before
the section existed; an unknown kind is one line, exit 2, nothing written; the
execution loop drives the reference `next_open` broker through the `Broker`
interface alone (in process, on hand-built sessions: l0). A whole bundled run
through it completes, fills every order at the next session's raw open (so its
fills differ from the paper run's) and is byte-identical when run again in
another process: l1, since each is a whole pipeline run and l0 must not grow.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from _refusals import assert_config_refused
from _runs import (
    ALL_ARTIFACTS,
    SHORT_WINDOW,
    artifact_hashes,
    assert_manifest_holds,
    cached_run,
    finish,
    journal_content,
    spawn,
)
from aurora_broker import Bar, Broker, JournalReader, NextOpenBroker, PaperBroker
from aurora_e2d.core.trace import Trace
from aurora_e2d.engine import loop as loop_module
from aurora_e2d.engine import reconcile as reconcile_module
from aurora_e2d.engine.alerts import AlertSink
from aurora_e2d.engine.loop import ExecutionLoop, LoopOutcome, LoopStatus, ReplayClock
from aurora_e2d.engine.orderplan import Target
from aurora_e2d.engine.sessions import Session
from aurora_e2d.engine.stack import open_stack
from aurora_e2d.rundir import identity
from aurora_e2d.rundir.config import RunConfig, validate_config
from aurora_safety import TestClock

NEXT_OPEN_TOML = '[broker]\nkind = "next_open"\n'


def test_the_default_broker_leaves_config_json_and_the_identity_as_they_were() -> None:
    default = RunConfig()
    explicit = validate_config({"broker": {"kind": "paper"}}, "test")
    assert "broker" not in default.model_dump(mode="json")  # config.json and the manifest: unchanged
    assert explicit.model_dump(mode="json") == default.model_dump(mode="json")
    assert explicit.config_hash() == default.config_hash()
    assert not [
        p for p in identity.config_identity(default.model_dump(mode="json"))["values"] if "broker" in p
    ]
    chosen = validate_config({"broker": {"kind": "next_open"}}, "test")
    assert chosen.model_dump(mode="json")["broker"] == {"kind": "next_open"}
    assert identity.config_identity(chosen.model_dump(mode="json"))["values"]["broker.kind"] == "next_open"
    assert chosen.config_hash() != default.config_hash()  # a paper run cannot be resumed as next_open
    assert validate_config(chosen.model_dump(mode="json"), "config.json") == chosen  # round trip


def test_an_unknown_broker_kind_is_one_line_exit_2_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "ib.toml"
    config.write_text('[broker]\nkind = "ib"\n', encoding="utf-8")
    message = "'broker.kind' value error, must be a registered broker kind (next_open, paper), was 'ib'"
    assert_config_refused(config, message, tmp_path / "run", capsys)


@pytest.mark.parametrize(("kind", "expected"), [("paper", PaperBroker), ("next_open", NextOpenBroker)])
def test_open_stack_builds_the_configured_broker(tmp_path: Path, kind: str, expected: type) -> None:
    config = validate_config({"broker": {"kind": kind}}, "test")
    with open_stack(tmp_path, config, TestClock(), watch_kill_files=False) as stack:
        assert type(stack.broker) is expected


def _broker_attributes(source: str) -> set[str]:
    """Every ``X`` in ``broker.X`` / ``self.broker.X`` of ``source``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "broker") or (
                isinstance(owner, ast.Attribute) and owner.attr == "broker"
            ):
                found.add(node.attr)
    return found


def test_the_loop_and_reconciliation_use_only_the_broker_interface() -> None:
    """What mypy checks when it reads these modules (``nox -s typecheck`` lists only e2d's public
    API so far): nothing but ``Broker``'s methods, so any registered kind can run the loop."""
    interface = {name for name in dir(Broker) if not name.startswith("_")}
    used = set()
    for module in (loop_module, reconcile_module):
        used |= _broker_attributes(Path(str(module.__file__)).read_text(encoding="utf-8"))
    assert {"process_session", "positions", "mass_status"} <= used
    assert used <= interface, f"not on the Broker interface: {sorted(used - interface)}"
    assert _broker_attributes("self.broker.orders()\nbroker.journal") - interface == {"orders", "journal"}


# A name that opens 2 % above the last close every session: past the buy limit (close + 50 bps).
DAYS = [dt.date(2013, 1, d) for d in (2, 3, 4, 7)]
RISING = [100.0 * 1.02**i for i in range(len(DAYS))]


def _loop(run_dir: Path, kind: str) -> LoopOutcome:
    """The execution loop over ``DAYS`` through broker ``kind``, as `aurora run` wires it."""
    sessions = []
    for day, price in zip(DAYS, RISING, strict=True):
        bar = Bar(open=price, high=price, low=price, close=price, volume=1_000_000)
        ts_ns = int(dt.datetime(day.year, day.month, day.day, 21, tzinfo=dt.UTC).timestamp()) * 10**9
        sessions.append(Session(day, ts_ns, {"AAA": bar}, (), (Target("AAA", 0.3),)))
    config = validate_config({"broker": {"kind": kind}}, "test")
    run_dir.mkdir(exist_ok=True)
    clock, trace = ReplayClock(), Trace(run_dir / "trace.jsonl", "t")
    stack = open_stack(run_dir, config, clock, symbols=["AAA"], kill_run_dir=run_dir)
    loop = ExecutionLoop(stack, clock, trace, AlertSink(run_dir, "t"))
    try:
        return loop.run(sessions)
    finally:
        loop.close()
        trace.close()


def test_the_loop_drives_next_open_through_the_interface_where_paper_expires(tmp_path: Path) -> None:
    outcomes = {kind: _loop(tmp_path / kind, kind) for kind in ("paper", "next_open")}
    assert {k: o.status for k, o in outcomes.items()} == dict.fromkeys(outcomes, LoopStatus.COMPLETED)
    with JournalReader.open(tmp_path / "paper") as reader:
        assert reader.fills() == []  # every open is past the limit: each order expired
        reasons = {e["reason"] for e in reader.order_events() if e["event"] == "OrderExpired"}
        assert reasons == {"LIMIT_NOT_REACHED"}
    with JournalReader.open(tmp_path / "next_open") as reader:
        fills = reader.fills()
        assert [(f.session, f.price) for f in fills[:1]] == [(DAYS[1], round(RISING[1], 4))]
        assert {f.session for f in fills} == set(DAYS[1:])
    # Resumed, the journal reconciles with the next-open broker's mass status: nothing to redo.
    again = _loop(tmp_path / "next_open", "next_open")
    assert (again.status, again.sessions_done, again.message) == (
        LoopStatus.COMPLETED,
        len(DAYS),
        "all sessions committed",
    )


def _next_open_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_run(tmp_path_factory, *SHORT_WINDOW, config_toml=NEXT_OPEN_TOML).run_dir


@pytest.mark.l1
def test_a_next_open_run_completes_fills_at_the_open_and_differs_from_paper(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run_dir = _next_open_run(tmp_path_factory)
    paper_dir = cached_run(tmp_path_factory, *SHORT_WINDOW).run_dir
    assert_manifest_holds(run_dir)
    assert json.loads((run_dir / "config.json").read_text())["config"]["broker"] == {"kind": "next_open"}
    fills = pl.read_parquet(run_dir / "fills.parquet")
    bars = pl.read_parquet(run_dir / "bars.parquet").select("date", "symbol", "open")
    at = fills.join(bars, on=["date", "symbol"], how="left")
    assert at.height == fills.height > 0
    assert (at["price"] == at["open"]).all()  # the raw open exactly: no slippage, no limit
    paper = pl.read_parquet(paper_dir / "fills.parquet")
    assert fills.height > paper.height  # paper expires orders whose open is past the limit
    same = fills.join(paper, on="fill_id", suffix="_paper")
    assert same.height > 0
    assert (same["price"] != same["price_paper"]).any()  # and where both filled, prices differ
    metrics = json.loads((run_dir / "summary.json").read_text())["metrics"]
    assert metrics["fill_rate"] == 1.0


@pytest.mark.l1
def test_a_next_open_run_is_byte_identical_in_another_process(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reference = _next_open_run(tmp_path_factory)
    config = tmp_path / "next_open.toml"
    config.write_text(NEXT_OPEN_TOML, encoding="utf-8")
    again = tmp_path / "elsewhere" / "next-open-again"
    proc = spawn("run", "--run-dir", again, "--config", config, *SHORT_WINDOW, env={"PYTHONHASHSEED": "7"})
    code, _, err = finish(proc)
    assert code == 0, err[-3000:]
    assert artifact_hashes(again, ALL_ARTIFACTS) == artifact_hashes(reference, ALL_ARTIFACTS)
    assert journal_content(again) == journal_content(reference)
    manifests = [json.loads((d / "manifest.json").read_text())["artifacts"] for d in (reference, again)]
    assert {n: manifests[0][n]["sha256"] for n in ALL_ARTIFACTS} == {
        n: manifests[1][n]["sha256"] for n in ALL_ARTIFACTS
    }
