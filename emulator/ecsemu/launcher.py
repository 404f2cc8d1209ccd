"""The launcher: moto's server with the patches, the READY line, signals.

``main()`` validates ``ECS_EMULATOR_CONFIG`` (exit 2 if it is invalid), sets up
logging on stderr, applies every patch (``ecsemu.install()``), serves moto's
app wrapped in the middleware on ``--host``/``--port`` (threaded), starts the
log flusher and the service scheduler, prints ``ECS_EMULATOR_READY <url>`` on
stdout and serves until SIGTERM/SIGINT; then it kills every task process it
started and returns 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from . import install, lambda_runtime, stepfunctions, strict
from .control import stop_all_tasks
from .logs import log_flusher
from .middleware import EmulatorMiddleware
from .services import service_scheduler
from .state import DRAIN_SECONDS, START_DELAY, STATE, STOP_GRACE, STRICT

log = logging.getLogger("ecs_emulator")


def _start_background_threads() -> None:
    threading.Thread(target=log_flusher, name="log-flusher", daemon=True).start()
    threading.Thread(target=service_scheduler, name="service-scheduler", daemon=True).start()


def _display_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local emulated AWS ECS (moto + real task processes).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    args = parser.parse_args(argv)
    try:
        STRICT.load_startup(os.environ.get("ECS_EMULATOR_CONFIG"))
    except strict.ConfigError as exc:
        sys.stderr.write(f"ecs-emulator: invalid ECS_EMULATOR_CONFIG: {exc.message}\n")
        sys.stderr.flush()
        return 2

    verbose = os.environ.get("ECS_EMULATOR_VERBOSE", "") not in ("", "0", "false")
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.INFO,
        format="ecs-emulator %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("botocore").setLevel(logging.INFO)
    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    install()  # every patch, in order (ecsemu/__init__.py)
    app = EmulatorMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs (e.g. SQS) from it
    # Lambda custom runtimes: the bootstraps' AWS calls come back here (lambda_runtime.py).
    lambda_runtime.set_endpoint_url(f"http://{_display_host(args.host)}:{port}")
    # Step Functions: the interpreter's Task states call this emulator (stepfunctions.py).
    stepfunctions.set_endpoint_url(f"http://{_display_host(args.host)}:{port}")
    _start_background_threads()

    stopping = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            log.info("received signal %d, shutting down", signum)
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    log.info(
        "serving on port %d (START_DELAY=%ss STOP_GRACE=%ss DRAIN_SECONDS=%ss) strict config %s",
        port, START_DELAY, STOP_GRACE, DRAIN_SECONDS, json.dumps(STRICT.snapshot()),
    )
    sys.stdout.write(f"ECS_EMULATOR_READY http://{_display_host(args.host)}:{port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        STATE.shutting_down = True
        stop_all_tasks(timeout=3.0)
        server.server_close()
        log.info("stopped")
    return 0
