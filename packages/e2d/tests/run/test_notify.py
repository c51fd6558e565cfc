"""Notifications leave the machine without ever holding trading up.

A real HTTP server on 127.0.0.1 (http.server in a thread) answers as told:
at once, with 500s, too slowly, or never (a socket that accepts and stays
silent); the command sink runs a real script. Each test asserts what
arrived, what `alerts.jsonl` says about what did not, and that neither
`submit` nor `close` waits longer than its bound.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from _runs import assert_manifest_holds, aurora, aurora_here
from aurora_e2d.engine.alerts import FORWARDERS, AlertSink
from aurora_e2d.run.notify import Notification, Notifier
from aurora_e2d.run.watch import watched
from aurora_e2d.rundir.config import AlertsConfig, validate_config
from aurora_safety import ConfigError

SECRET_URL_VAR = "DESK_WEBHOOK_URL"


class Desk:
    """What the local webhook received, and how it should answer the next requests."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.script: list[int] = []  # status codes to answer, in order; then 200
        self.delay_s = 0.0

    def answer(self) -> int:
        return self.script.pop(0) if self.script else 200


@pytest.fixture
def desk() -> Iterator[tuple[Desk, str]]:
    state = Desk()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(state.delay_s)
            code = state.answer()
            if code == 200:
                state.bodies.append(json.loads(body))
                state.headers.append(dict(self.headers))
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hook?token=s3cret"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers a byte: a dead or wedged receiver."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def _alert(tmp_path: Path, kind: str = "halt") -> Notification:
    record = {"run_id": "paper", "kind": kind, "reason": "drawdown 2.1% > 2.0%"}
    return Notification(kind, f"aurora paper: {kind.upper()}: drawdown", tmp_path / "alerts.jsonl", record)


def _failures(tmp_path: Path) -> list[dict]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _config(**values: object) -> AlertsConfig:
    base = {"webhook_url_env": SECRET_URL_VAR, "timeout_secs": 1.0, "max_attempts": 3, "backoff_secs": 0.05}
    return AlertsConfig(**{**base, **values})  # type: ignore[arg-type]


def test_a_webhook_gets_slack_and_discord_compatible_json(desk, tmp_path: Path) -> None:
    state, url = desk
    notifier = Notifier(_config(), environ={SECRET_URL_VAR: url})
    notifier.submit(_alert(tmp_path))
    notifier.close()
    assert state.bodies == [
        {"text": "aurora paper: HALT: drawdown", "content": "aurora paper: HALT: drawdown"}
    ]
    assert state.headers[0]["Content-Type"] == "application/json"
    assert _failures(tmp_path) == []


def test_500s_are_retried_with_backoff_until_delivered(desk, tmp_path: Path) -> None:
    state, url = desk
    state.script = [500, 503]
    notifier = Notifier(_config(max_attempts=3), environ={SECRET_URL_VAR: url})
    notifier.submit(_alert(tmp_path))
    notifier.close()
    assert len(state.bodies) == 1
    assert _failures(tmp_path) == []


def test_a_webhook_that_keeps_failing_is_recorded_without_its_secret(desk, tmp_path: Path) -> None:
    state, url = desk
    state.script = [500] * 10
    notifier = Notifier(_config(max_attempts=3), environ={SECRET_URL_VAR: url})
    notifier.submit(_alert(tmp_path))
    notifier.close()
    [failure] = _failures(tmp_path)
    assert failure["kind"] == "alert_delivery_failed"
    assert (failure["sink"], failure["attempts"], failure["error"], failure["notified_kind"]) == (
        "webhook",
        3,
        "HTTP 500",
        "halt",
    )
    assert "s3cret" not in (tmp_path / "alerts.jsonl").read_text()


def test_a_client_error_is_not_retried(desk, tmp_path: Path) -> None:
    state, url = desk
    state.script = [404, 404, 404]
    notifier = Notifier(_config(max_attempts=3), environ={SECRET_URL_VAR: url})
    notifier.submit(_alert(tmp_path))
    notifier.close()
    [failure] = _failures(tmp_path)
    assert (failure["attempts"], failure["error"]) == (1, "HTTP 404")
    assert state.script == [404, 404]  # one request only


def test_a_slow_server_times_out_each_attempt(desk, tmp_path: Path) -> None:
    state, url = desk
    state.delay_s = 1.0
    notifier = Notifier(_config(timeout_secs=0.2, max_attempts=2), environ={SECRET_URL_VAR: url})
    started = time.monotonic()
    notifier.submit(_alert(tmp_path))
    notifier.close(wait_secs=5)
    assert time.monotonic() - started < 3
    [failure] = _failures(tmp_path)
    assert failure["attempts"] == 2
    assert "timed out" in failure["error"]


def test_a_server_that_never_answers_neither_blocks_submit_nor_holds_exit(
    silent_server: str, tmp_path: Path
) -> None:
    notifier = Notifier(
        _config(timeout_secs=30.0, max_attempts=5, exit_wait_secs=0.5),
        environ={SECRET_URL_VAR: silent_server},
    )
    started = time.monotonic()
    for kind in ("breaker_trip", "halt", "summary"):
        notifier.submit(_alert(tmp_path, kind))
    assert time.monotonic() - started < 0.05  # trading's side: queued, never waited for
    notifier.close()
    assert time.monotonic() - started < 2.0  # bounded by exit_wait_secs, not by 5 x 30 s
    failures = _failures(tmp_path)
    assert sorted(f["notified_kind"] for f in failures) == ["breaker_trip", "halt", "summary"]
    assert all("abandoned at exit" in f["error"] for f in failures)


def test_an_unset_url_variable_is_a_recorded_failure_not_a_crash(tmp_path: Path) -> None:
    notifier = Notifier(_config(), environ={})
    notifier.submit(_alert(tmp_path))
    notifier.close()
    [failure] = _failures(tmp_path)
    assert failure["error"] == f"environment variable {SECRET_URL_VAR} is not set"
    assert failure["attempts"] == 1


def test_the_command_sink_gets_the_alert_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "paged.json"
    hook = tmp_path / "page.py"
    hook.write_text(f"import sys, pathlib\npathlib.Path({str(out)!r}).write_text(sys.stdin.read())\n")
    notifier = Notifier(AlertsConfig(command=[sys.executable, str(hook)], timeout_secs=10.0))
    notifier.submit(_alert(tmp_path, "reconciliation"))
    notifier.close()
    payload = json.loads(out.read_text())
    assert payload["kind"] == "reconciliation"
    assert payload["alert"]["reason"] == "drawdown 2.1% > 2.0%"
    assert payload["text"].startswith("aurora paper: RECONCILIATION")
    assert _failures(tmp_path) == []


def test_a_failing_command_is_retried_then_recorded(tmp_path: Path) -> None:
    hook = tmp_path / "broken.py"
    hook.write_text("import sys\nsys.stdin.read()\nprint('pager down', file=sys.stderr)\nsys.exit(3)\n")
    notifier = Notifier(
        AlertsConfig(
            command=[sys.executable, str(hook)], timeout_secs=10.0, max_attempts=2, backoff_secs=0.05
        )
    )
    notifier.submit(_alert(tmp_path))
    notifier.close()
    [failure] = _failures(tmp_path)
    assert (failure["sink"], failure["attempts"]) == ("command", 2)
    assert "exited 3 pager down" in failure["error"]


def test_no_sinks_means_no_thread_and_nothing_written(tmp_path: Path) -> None:
    notifier = Notifier(AlertsConfig())
    notifier.submit(_alert(tmp_path))
    notifier.close()
    assert notifier._thread is None
    assert _failures(tmp_path) == []


def test_alerts_do_not_change_the_config_identity_and_urls_stay_out_of_files() -> None:
    plain = validate_config({}, "desk.toml")
    watched = validate_config(
        {"alerts": {"webhook_url_env": "DESK_WEBHOOK_URL", "command": ["/usr/local/bin/page"]}}, "desk.toml"
    )
    assert watched.config_hash() == plain.config_hash()
    with pytest.raises(ConfigError, match="webhook_url is a secret"):
        validate_config({"alerts": {"webhook_url": "https://hooks.example/T0/B0/x"}}, "desk.toml")
    with pytest.raises(ConfigError, match=r"alerts\.webhook_url_env"):
        validate_config({"alerts": {"webhook_url_env": "AURORA_KILL"}}, "desk.toml")


def test_a_halted_run_pushes_its_trip_and_summary_and_writes_metrics(desk, tmp_path: Path) -> None:
    """End to end: a real `aurora run` whose drawdown breaker trips, with a webhook on 127.0.0.1."""
    state, url = desk
    config = tmp_path / "desk.toml"
    config.write_text(
        "start = 2012-09-04\n[limits]\nmax_drawdown_pct = 2.0\n"
        f'[alerts]\nwebhook_url_env = "{SECRET_URL_VAR}"\nbackoff_secs = 0.05\n'
    )
    run_dir = tmp_path / "paper"
    # in-process: what is under test is what the run pushes and writes (the summary is sent before
    # the command returns); the webhook that never answers, below, keeps its own process
    halted = aurora_here("run", "--config", config, "--run-dir", run_dir, env={SECRET_URL_VAR: url})
    assert halted.returncode == 4, halted.stderr[-2000:]
    texts = [body["text"] for body in state.bodies]
    assert any(": BREAKER_TRIP: " in t and "drawdown" in t for t in texts), texts
    assert any(": HALT: " in t for t in texts), texts
    [summary] = [t for t in texts if " run HALTED (breaker/reconciliation): " in t]
    for part in ("session(s)", "orders", "fills", "P&L", "drawdown", "data STALE"):
        assert part in summary
    assert not [r for r in _failures(run_dir) if r["kind"] == "alert_delivery_failed"]

    families = {f.name: f for f in text_string_to_metric_families((run_dir / "metrics.prom").read_text())}
    value = {name: fam.samples[0].value for name, fam in families.items() if len(fam.samples) == 1}
    status = json.loads(aurora("status", "--run-dir", run_dir, "--json").stdout)
    assert value["aurora_halted"] == 1
    assert value["aurora_equity_usd"] == pytest.approx(status["equity_usd"])
    assert value["aurora_sessions_done"] == status["progress"]["sessions_done"]
    assert value["aurora_positions"] == len(status["positions"])
    assert value["aurora_last_command_exit_code"] == 4
    tripped = {s.labels["breaker"]: s.value for s in families["aurora_breaker_tripped"].samples}
    assert tripped["drawdown"] == 1
    states = {s.labels["state"]: s.value for s in families["aurora_trading_state"].samples}
    assert sum(states.values()) == 1
    assert states[status["trading_state"]] == 1
    assert 0 < value["aurora_max_drawdown_ratio"] < 1
    # operational, like trace.jsonl: not in the manifest, which still holds
    assert "metrics.prom" not in json.dumps(json.loads((run_dir / "manifest.json").read_text())["artifacts"])
    assert_manifest_holds(run_dir)


@pytest.mark.parametrize("kind", ["kill", "breaker_trip", "reconciliation", "halt"])
def test_every_halt_alert_of_a_command_is_pushed_as_it_is_written(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "paged.jsonl"
    hook = tmp_path / "page.py"
    hook.write_text(
        f"import sys\nwith open({str(out)!r}, 'a') as f:\n    f.write(sys.stdin.read() + '\\n')\n"
    )
    config = validate_config({"alerts": {"command": [sys.executable, str(hook)]}}, "desk.toml")
    with watched("advance", None, config):
        AlertSink(tmp_path, "paper").alert(kind, "kill switch active (file:/srv/desk/kill.flag)")
    assert not FORWARDERS  # the command's forwarder is gone with the command
    [pushed] = [json.loads(line) for line in out.read_text().splitlines()]
    assert pushed["kind"] == kind
    assert pushed["text"] == f"aurora paper: {kind.upper()}: kill switch active (file:/srv/desk/kill.flag)"
    assert json.loads((tmp_path / "alerts.jsonl").read_text())["kind"] == kind  # durable first


@pytest.mark.l1
def test_a_run_whose_webhook_never_answers_ends_on_time_and_says_so(
    silent_server: str, tmp_path: Path
) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(
        "start = 2012-09-04\n[limits]\nmax_drawdown_pct = 2.0\n"
        f'[alerts]\nwebhook_url_env = "{SECRET_URL_VAR}"\ntimeout_secs = 30\nexit_wait_secs = 1\n'
    )
    run_dir = tmp_path / "paper"
    halted = aurora(
        "run", "--config", config, "--run-dir", run_dir, env={SECRET_URL_VAR: silent_server}, timeout=240
    )
    assert halted.returncode == 4, halted.stderr[-2000:]
    failed = [r for r in _failures(run_dir) if r["kind"] == "alert_delivery_failed"]
    assert {"breaker_trip", "halt", "summary"} <= {r["notified_kind"] for r in failed}
    assert all("abandoned at exit" in r["error"] for r in failed)
    families = {f.name: f for f in text_string_to_metric_families((run_dir / "metrics.prom").read_text())}
    assert families["aurora_alert_delivery_failures"].samples[0].value == len(failed)
