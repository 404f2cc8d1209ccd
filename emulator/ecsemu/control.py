"""The control plane: ``/moto-api/reset`` and the ``/ecs-emulator/...`` endpoints.

Fixes: ``POST /moto-api/reset`` resets moto's backends but knows nothing about
the emulator's processes, threads and tokens: ``install()`` makes it kill and
forget them first (and stop the running Step Functions executions, restore strict
mode's start-up configuration, empty the call and fault counters and the timeline,
forget the Lambda runs).
``handle()`` serves ``/ecs-emulator/calls``, ``health``, ``config``,
``timeline`` and ``lambda-runs`` (the middleware routes those paths here).
``stop_all_tasks()`` is also the launcher's shutdown.
"""

from __future__ import annotations

import json
import logging
import signal
import time
from typing import Any, Callable

from moto.moto_api._internal.models import MotoAPIBackend

from . import lambda_runtime, stepfunctions, strict
from .state import STATE, STRICT

log = logging.getLogger("ecs_emulator")

_orig_moto_reset: Callable[[MotoAPIBackend], None] | None = None


def install() -> None:
    """Patch ``MotoAPIBackend.reset`` (``POST /moto-api/reset``)."""
    global _orig_moto_reset
    _orig_moto_reset = MotoAPIBackend.reset
    MotoAPIBackend.reset = _moto_reset  # type: ignore[method-assign]


def stop_all_tasks(timeout: float = 5.0) -> None:
    """SIGKILL every task process, wait for the task threads, forget them."""
    with STATE.lock:
        runtimes = list(STATE.tasks.values())
        for runtime in runtimes:
            runtime.kill_now()
        STATE.tasks.clear()
        STATE.client_tokens.clear()
        STATE.service_backends.clear()
        STATE.sinks.clear()
    deadline = time.monotonic() + timeout
    for runtime in runtimes:
        runtime.thread.join(max(0.0, deadline - time.monotonic()))
    for runtime in runtimes:  # last resort for anything still alive
        for container in runtime.containers:
            container.send_signal(signal.SIGKILL)
    lambda_runtime.kill_all()  # running Lambda bootstraps


def _moto_reset(self: MotoAPIBackend) -> None:
    stepfunctions.stop_executions()  # none goes on invoking functions after the reset
    stop_all_tasks()
    with STATE.lock:
        STATE.calls.clear()
        STATE.first_request_at = None
    STRICT.reset()  # start-up config, re-seeded RNG, no fault counters, empty timeline
    lambda_runtime.forget_runs()
    _orig_moto_reset(self)


def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Serve ``/ecs-emulator/...`` (the middleware routes those paths here)."""
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    status = "200 OK"
    if path == "/ecs-emulator/calls":
        with STATE.lock:
            calls = dict(sorted(STATE.calls.items()))
            first_request_at = STATE.first_request_at
        body = json.dumps(
            {
                "calls": calls,
                "total": sum(calls.values()),
                "first_request_at": first_request_at,
                "faults": STRICT.fault_counts(),
            }
        ).encode()
    elif path == "/ecs-emulator/health":
        body = b'{"status": "ok"}'
    elif path == "/ecs-emulator/config" and method == "GET":
        body = json.dumps(STRICT.snapshot()).encode()
    elif path == "/ecs-emulator/config" and method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            try:
                update = json.loads(raw.decode("utf-8") or "null")
            except ValueError as exc:
                raise strict.ConfigError(f"the body is not valid JSON: {exc}") from None
            body = json.dumps(STRICT.update(update)).encode()
            log.info("strict config changed: %s", raw.decode("utf-8", "replace"))
        except strict.ConfigError as exc:
            body = json.dumps(exc.to_json()).encode()
            status = "400 Bad Request"
    elif path == "/ecs-emulator/config":
        body = b'{"message": "use GET or POST"}'
        status = "405 Method Not Allowed"
    elif path == "/ecs-emulator/timeline":
        body = json.dumps({"events": STRICT.timeline()}).encode()
    elif path == "/ecs-emulator/lambda-runs":
        body = json.dumps({"runs": lambda_runtime.runs()}).encode()
    else:
        body = b'{"message": "not found"}'
        status = "404 Not Found"
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
