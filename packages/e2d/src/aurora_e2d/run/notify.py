"""Push alerts off the machine: a webhook (Slack/Discord-compatible JSON) and a generic command hook.

Trading never waits for a notification. ``Notifier.submit`` puts the message
on a bounded queue and returns; one daemon thread delivers it to each sink
with bounded retries (timeouts, connection errors, HTTP 429 and 5xx are
retried with doubling backoff; other 4xx are final). Every message that is
not delivered is appended to the run's ``alerts.jsonl`` as
``alert_delivery_failed`` with the sink, attempts and last error. ``close``
waits at most ``exit_wait_secs`` for messages still in flight (a server that
never answers cannot hold the process), then records the rest as abandoned.

The webhook URL is read from the environment variable the config names, at
delivery time; it never appears in a config file or a log record.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aurora_e2d.engine.alerts import append_record
from aurora_e2d.run.metrics_prom import ALERT_FAILED_KIND
from aurora_e2d.rundir.config import AlertsConfig

__all__ = ["DeliveryError", "Notification", "Notifier"]

_QUEUE_LIMIT = 256  # a burst beyond this is recorded as failed, never waited for
_TEXT_LIMIT = 1900  # Discord refuses content over 2,000 characters


class DeliveryError(Exception):
    """One failed attempt; ``retry`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Notification:
    """One message: a line for people, the alert record for machines, and where failures go."""

    kind: str
    text: str
    alerts_path: Path
    record: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "alert": dict(self.record)}


Sink = tuple[str, Callable[[Notification], None]]


class Notifier:
    """The sinks of one command (from ``[alerts]``); a no-op when the config names none."""

    def __init__(self, config: AlertsConfig, environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self._environ = os.environ if environ is None else environ
        self.sinks: list[Sink] = []
        if config.webhook_url_env is not None:
            self.sinks.append(("webhook", self._post))
        if config.command is not None:
            self.sinks.append(("command", self._run_command))
        self._queue: queue.Queue[Notification | None] = queue.Queue(_QUEUE_LIMIT)
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._abandoned = threading.Event()
        self._inflight: Notification | None = None

    # ------------------------------------------------------------------ caller side
    def submit(self, notification: Notification) -> None:
        """Queue a message and return at once (never blocks the caller)."""
        if not self.sinks:
            return
        if self._closed.is_set():
            self._failed(notification, "all", 0, "submitted after the command's notifier closed")
            return
        self._start()
        try:
            self._queue.put_nowait(notification)
        except queue.Full:
            self._failed(notification, "all", 0, f"queue full ({_QUEUE_LIMIT} undelivered messages)")

    def close(self, wait_secs: float | None = None) -> None:
        """Stop accepting; wait (bounded) for the queue to drain; record what was left undelivered."""
        self._closed.set()
        thread = self._thread
        if thread is None:
            return
        wait = self.config.exit_wait_secs if wait_secs is None else wait_secs
        deadline = time.monotonic() + wait
        with contextlib.suppress(queue.Full):  # put waits only while the queue is full, and boundedly
            self._queue.put(None, timeout=wait)
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():  # a sink is still hanging: abandon what waits, say so
            self._abandoned.set()
            inflight = self._inflight
            if inflight is not None:
                self._failed(inflight, "all", 0, "abandoned at exit while delivering (no answer in time)")
            while True:
                try:
                    left = self._queue.get_nowait()
                except queue.Empty:
                    break
                if left is not None:
                    self._failed(left, "all", 0, "abandoned at exit (delivery still pending)")

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._deliver_all, name="aurora-notify", daemon=True)
                self._thread.start()

    # ------------------------------------------------------------------ delivery thread
    def _deliver_all(self) -> None:
        while (item := self._queue.get()) is not None:
            self._inflight = item
            for name, send in self.sinks:
                self._deliver(item, name, send)
            self._inflight = None

    def _deliver(self, item: Notification, name: str, send: Callable[[Notification], None]) -> None:
        delay = self.config.backoff_secs
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                send(item)
                return
            except DeliveryError as error:
                if self._abandoned.is_set():
                    return  # close() already recorded it as abandoned
                if not error.retry or attempt == self.config.max_attempts:
                    self._failed(item, name, attempt, str(error))
                    return
            time.sleep(delay)
            delay *= 2

    def _failed(self, item: Notification, sink: str, attempts: int, error: str) -> None:
        # the run directory gone or full: nothing left to tell, and trading must not care
        with contextlib.suppress(OSError):
            append_record(
                item.alerts_path,
                {
                    "kind": ALERT_FAILED_KIND,
                    "reason": f"{sink} delivery of {item.kind} failed after {attempts} attempt(s): {error}",
                    "sink": sink,
                    "attempts": attempts,
                    "error": error,
                    "notified_kind": item.kind,
                    "run_id": item.record.get("run_id"),
                    "detected_at_ns": time.time_ns(),
                },
            )

    # ------------------------------------------------------------------ sinks
    def _post(self, item: Notification) -> None:
        name = self.config.webhook_url_env
        url = self._environ.get(name or "", "")
        if not url.startswith(("https://", "http://")):
            why = "is not set" if not url else "does not hold an http(s) URL"
            raise DeliveryError(f"environment variable {name} {why}", retry=False)
        text = item.text[:_TEXT_LIMIT]
        body = json.dumps({"text": text, "content": text}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "aurora"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_secs) as response:
                response.read(1024)
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"HTTP {error.code}", retry=error.code == 429 or error.code >= 500) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(f"{type(error).__name__}: {reason}", retry=True) from None

    def _run_command(self, item: Notification) -> None:
        argv = list(self.config.command or [])
        try:
            done = subprocess.run(
                argv,
                input=json.dumps(item.payload(), sort_keys=True, default=str).encode(),
                capture_output=True,
                timeout=self.config.timeout_secs,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DeliveryError(
                f"{argv[0]} timed out after {self.config.timeout_secs} s", retry=True
            ) from None
        except OSError as error:
            raise DeliveryError(f"{argv[0]}: {error.strerror or error}", retry=False) from None
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise DeliveryError(f"{argv[0]} exited {done.returncode} {tail[0][:200]}".rstrip(), retry=True)
