"""One Invoke of a custom-runtime function: its process, its logs, its record.

``Invocation.run`` extracts the function's zip into a temporary directory,
starts the Runtime API server (``lambda_api.py``), runs ``bootstrap`` in its own
process group with Lambda's environment, waits for its answer, its exit or its
timeout, kills the group, writes START / output / END / REPORT into CloudWatch
Logs through a ``LogSink`` (``logs.py``) and returns the Invoke's payload.  The
finished runs are kept for ``GET /ecs-emulator/lambda-runs``.  Nothing here
patches moto (``lambda_runtime.py`` does).
"""

from __future__ import annotations

import base64
import collections
import datetime as _dt
import errno
import io
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.logs import models as logs_models
from moto.logs.exceptions import ResourceAlreadyExistsException

from .lambda_api import RuntimeApiHandler, RuntimeApiServer
from .logs import LogSink, pump_lines
from .state import LAUNCH_ENV, READER_JOIN_TIMEOUT, STATE, docker_exit_code, killpg

log = logging.getLogger("ecs_emulator.lambda")

#: Runs kept for GET /ecs-emulator/lambda-runs (oldest dropped first).
RUNS_MAX = 10_000
#: X-Amz-Log-Type: Tail returns the last 4 KB of the invocation's log, as Lambda does.
LOG_TAIL_BYTES = 4096
#: How long to wait for the bootstrap to be reaped after SIGKILL.
REAP_TIMEOUT = 30.0
#: Starts of a bootstrap that is "text file busy" (ETXTBSY), 10 ms, 20 ms, ... apart (~2 s in all).
ETXTBSY_ATTEMPTS = 20

#: The keys Lambda reserves: a function's own Environment.Variables cannot change them.
RESERVED_KEYS = (
    "_HANDLER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
)

# The URL the handlers' AWS calls go to (set_endpoint_url, from the launcher).
_endpoint_url = ""

_lock = threading.Lock()  # leaf lock: guards _runs and _active only
_runs: collections.deque[dict[str, Any]] = collections.deque(maxlen=RUNS_MAX)
_active: set["Invocation"] = set()


def set_endpoint_url(url: str) -> None:
    """The emulator's own URL: the bootstraps' ``AWS_ENDPOINT_URL``."""
    global _endpoint_url
    _endpoint_url = url


def runs() -> list[dict[str, Any]]:
    """The finished runs since the last reset, oldest first."""
    with _lock:
        return [dict(run) for run in _runs]


def forget_runs() -> None:
    with _lock:
        _runs.clear()


def kill_all() -> None:
    """Reset/shutdown: SIGKILL every running bootstrap; their runs are not recorded."""
    with _lock:
        active = list(_active)
    for invocation in active:
        invocation.abandon()


def header(headers: Any, name: str) -> str | None:
    value = headers.get(name) if headers is not None else None
    if value is None and headers is not None:
        wanted = name.lower()
        for key, candidate in getattr(headers, "items", lambda: [])():
            if str(key).lower() == wanted:
                return candidate
    return value


def _error_document(body: bytes, error_type: str | None) -> tuple[bytes, str]:
    """The Invoke payload for a posted error, and its errorType."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        doc = None
    if isinstance(doc, dict):
        return body, str(doc.get("errorType") or error_type or "Unhandled")
    kind = error_type or "Unhandled"
    return json.dumps({"errorType": kind, "errorMessage": body.decode("utf-8", "replace")}).encode(), kind


def _lambda_error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _exit_reason(returncode: int | None) -> str:
    """How Lambda words a runtime's exit (Go's exec.ExitError strings)."""
    if returncode is None:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        try:
            name = (signal.strsignal(-returncode) or f"signal {-returncode}").lower()
        except ValueError:
            name = f"signal {-returncode}"
        return f"Runtime exited with error: signal: {name}"
    if returncode == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: exit status {returncode}"


def _peak_rss_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM) while it is alive; 0 once it exited.
    (A reaped child's ru_maxrss is no use: it keeps the forking emulator's own peak.)"""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _extract(code: bytes, root: str) -> None:
    """Unzip with the zip's Unix permissions (a bootstrap without its x bit cannot run, as on Lambda)."""
    with zipfile.ZipFile(io.BytesIO(code)) as archive:
        for info in archive.infolist():
            path = archive.extract(info, root)  # zipfile drops absolute parts and ".."
            if not info.is_dir():
                os.chmod(path, (info.external_attr >> 16) & 0o777 or 0o644)


# ---------------------------------------------------------------------------
# One invocation: one process
# ---------------------------------------------------------------------------


class Invocation:
    """One Invoke of a custom-runtime function: its process, its Runtime API
    state and its logs.  ``cond`` guards ``outcome`` and what goes with it."""

    def __init__(self, fn: Any, qualifier: str | None, body: Any, headers: Any, code: bytes) -> None:
        self.fn = fn
        self.code = code
        self.request_id = str(uuid.uuid4())
        self.version = str(fn.version)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.event: bytes = body or b"{}"
        try:
            json.loads(self.event)
        except ValueError as exc:
            raise LambdaClientError(
                "InvalidRequestContentException", f"Could not parse request body into json: {exc}"
            ) from None
        self.invoked_arn = fn.function_arn + (f":{qualifier}" if qualifier else "")
        self.timeout = float(fn.timeout or 3)
        self.memory_size = int(fn.memory_size or 128)
        self.log_tail = header(headers, "X-Amz-Log-Type") == "Tail"
        self.client_context = header(headers, "X-Amz-Client-Context")
        self.trace_id = (
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
        )
        now = _dt.datetime.now(_dt.timezone.utc)
        self.log_group = f"/aws/lambda/{fn.function_name}"
        self.log_stream = f"{now:%Y/%m/%d}/[{self.version}]{uuid.uuid4().hex}"

        self.cond = threading.Condition(threading.Lock())
        self.outcome: str | None = None  # response, error, init_error, exited, timeout, start_failed, reset
        self.payload = b""
        self.error_type: str | None = None
        self.started = 0.0  # monotonic
        self.deadline_ms = 0
        self.handed_out_at: float | None = None  # monotonic, when `next` returned the event
        self.finished = threading.Event()  # the process is gone: release held `next` requests
        self.abandoned = False  # reset/shutdown: kill, write nothing, record nothing
        self.proc: subprocess.Popen[bytes] | None = None
        self.signal_lock = threading.Lock()
        self.reaped = threading.Event()
        self.returncode: int | None = None
        self.max_rss_kb = 0  # the bootstrap's VmHWM when it was killed (0 if it exited by itself)
        self.sink: Any = None
        self.lines: list[str] = []

    # -- Runtime API side (request threads of the Runtime API server) -----------------
    def hand_out(self) -> dict[str, str] | None:
        """The `next` headers the first time; None afterwards (no second invocation)."""
        with self.cond:
            if self.handed_out_at is not None or self.outcome is not None:
                return None
            self.handed_out_at = time.monotonic()
        headers = {
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(self.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.invoked_arn,
            "Lambda-Runtime-Trace-Id": self.trace_id,
        }
        if self.client_context:
            try:
                headers["Lambda-Runtime-Client-Context"] = base64.b64decode(self.client_context).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                pass
        return headers

    def finish(self, kind: str, request_id: str | None, body: bytes, error_type: str | None) -> tuple[int, Any]:
        """A posted response / error / init error: (HTTP status, body) for the runtime."""
        with self.cond:
            if request_id is not None and request_id != self.request_id:
                return 400, {"errorType": "InvalidRequestID", "errorMessage": f"Invalid request ID: {request_id!r}"}
            # A response/error before `next`, an init error after it, or a second answer.
            if self.outcome is not None or (request_id is None) != (self.handed_out_at is None):
                return 403, {
                    "errorType": "InvalidStateTransition",
                    "errorMessage": f"the invocation is not waiting for a {kind} (it is {self.outcome or 'initialising'})",
                }
            if kind == "response":
                self.payload = body
            else:
                self.payload, self.error_type = _error_document(body, error_type)
            self.outcome = kind
            self.cond.notify_all()
        return 202, {"status": "OK"}

    # -- the Invoke request thread ---------------------------------------------------------
    def run(self, response_headers: dict[str, Any]) -> bytes:
        with _lock:
            _active.add(self)  # from here on a reset kills it
        root = tempfile.mkdtemp(prefix="ecs-emulator-lambda-")
        server: RuntimeApiServer | None = None
        try:
            _extract(self.code, root)
            server = RuntimeApiServer(("127.0.0.1", 0), RuntimeApiHandler)
            server.invocation = self
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1},
                name=f"lambda-api-{self.request_id[:8]}", daemon=True,
            ).start()
            self._open_sink()
            self._execute(root, server.server_address[1])
        finally:
            self._kill()  # no-op once reaped; an unexpected error must not leave it running
            self.finished.set()
            with _lock:
                _active.discard(self)
            if server is not None:
                server.shutdown()
                server.server_close()
            shutil.rmtree(root, ignore_errors=True)

        if self.outcome != "response":
            response_headers["x-amz-function-error"] = "Unhandled"
        response_headers["x-amz-executed-version"] = self.version
        if self.log_tail:
            text = "".join(line + "\n" for line in self.lines).encode("utf-8")
            response_headers["x-amz-log-result"] = base64.b64encode(text[-LOG_TAIL_BYTES:]).decode()
        response_headers["Content-Length"] = str(len(self.payload))
        return self.payload

    def _open_sink(self) -> None:
        backend = logs_models.logs_backends[self.fn.account_id][self.fn.region]
        try:
            sink = LogSink(backend, self.log_group, self.log_stream)
        except ResourceAlreadyExistsException:
            # A client created the group between the sink's check and its create: use it.
            sink = LogSink(backend, self.log_group, self.log_stream)
        with STATE.lock:
            STATE.sinks.add(sink)  # shipped every LOG_FLUSH_INTERVAL while it runs
        self.sink = sink
        if self.abandoned:
            sink.closed = True

    def _log(self, message: str) -> None:
        self.lines.append(message)
        self.sink.add(message)

    def _environment(self, root: str, port: int) -> dict[str, str]:
        fn = self.fn
        env = {
            "PATH": LAUNCH_ENV.get("PATH") or os.defpath,
            "TZ": ":UTC",
            "AWS_ENDPOINT_URL": _endpoint_url,
        }
        env.update({str(k): "" if v is None else str(v) for k, v in (fn.environment_vars or {}).items()})
        env.update(
            {
                "_HANDLER": str(fn.handler or ""),
                "AWS_REGION": fn.region,
                "AWS_DEFAULT_REGION": fn.region,
                "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": self.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
                "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "LAMBDA_TASK_ROOT": root,
                "LAMBDA_RUNTIME_DIR": root,
            }
        )
        return env

    def _start(self, bootstrap: str, root: str, port: int) -> None:
        try:
            for attempt in range(1, ETXTBSY_ATTEMPTS + 1):
                try:
                    self.proc = subprocess.Popen(
                        [bootstrap],
                        cwd=root,
                        env=self._environment(root, port),
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,  # one pipe: the lines keep their order
                        start_new_session=True,  # own process group (pgid == pid)
                        close_fds=True,
                    )
                    break
                except OSError as exc:
                    # "Text file busy": a process forked by another thread (another Invoke, a
                    # container) while the zip was being extracted still holds the bootstrap
                    # open for writing, until it execs. Not the function's fault: try again.
                    if exc.errno != errno.ETXTBSY or attempt == ETXTBSY_ATTEMPTS:
                        raise
                    time.sleep(0.01 * attempt)
        except OSError as exc:
            why = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc)).lower()
            with self.cond:
                self.outcome = "start_failed"
                self.error_type = "Runtime.InvalidEntrypoint"
                self.payload = _lambda_error(
                    self.error_type, f"RequestId: {self.request_id} Error: fork/exec {bootstrap}: {why}"
                )

    def _execute(self, root: str, port: int) -> None:
        started_at = time.time()
        self.started = time.monotonic()
        self.deadline_ms = int((started_at + self.timeout) * 1000)
        self._log(f"START RequestId: {self.request_id} Version: {self.version}")
        if not self.abandoned:  # (a reset already set the outcome)
            self._start(os.path.join(root, "bootstrap"), root, port)
        if self.proc is not None:
            pump = threading.Thread(
                target=pump_lines, args=(self.proc.stdout, self._log),
                name=f"lambda-log-{self.proc.pid}", daemon=True,
            )
            pump.start()
            threading.Thread(target=self._watch, name=f"lambda-wait-{self.proc.pid}", daemon=True).start()
            with self.cond:
                self.cond.wait_for(lambda: self.outcome is not None, timeout=self.timeout)
                if self.outcome is None:
                    self.outcome = "timeout"
                    self.error_type = "Sandbox.Timedout"
                    self.payload = _lambda_error(
                        self.error_type,
                        f"RequestId: {self.request_id} Error: Task timed out after {self.timeout:.2f} seconds",
                    )
            self._kill()  # one invocation per process: the group goes once it has answered
            if not self.reaped.wait(REAP_TIMEOUT):
                log.error("lambda %s: bootstrap pid %d not reaped", self.fn.function_name, self.proc.pid)
            pump.join(READER_JOIN_TIMEOUT)
        ended = time.monotonic()
        ended_at = time.time()

        if self.outcome == "exited":
            reason = _exit_reason(self.returncode)
            self.error_type = "Runtime.ExitError"
            self.payload = _lambda_error(self.error_type, f"RequestId: {self.request_id} Error: {reason}")
            self._log(f"RequestId: {self.request_id} Error: {reason}\nRuntime.ExitError")
        elif self.outcome == "start_failed":
            self._log(json.loads(self.payload)["errorMessage"] + "\nRuntime.InvalidEntrypoint")
        elif self.outcome == "timeout":
            stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            self._log(f"{stamp} {self.request_id} Task timed out after {self.timeout:.2f} seconds")
        handed_out = self.handed_out_at
        init_ms = None if handed_out is None else (handed_out - self.started) * 1000
        duration_ms = (ended - (handed_out if handed_out is not None else self.started)) * 1000
        billed = math.ceil(duration_ms + (init_ms or 0))
        used = max(1, math.ceil(self.max_rss_kb / 1024)) if self.max_rss_kb else 0
        self._log(f"END RequestId: {self.request_id}")
        report = (
            f"REPORT RequestId: {self.request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: {self.memory_size} MB\tMax Memory Used: {used} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        self._log(report)
        self.sink.close()  # flushed: the logs are in CloudWatch when Invoke answers
        if self.abandoned:
            return
        log.info(
            "lambda %s: request %s %s%s in %.0f ms (bootstrap pid %s)", self.fn.function_name, self.request_id,
            self.outcome, f" {self.error_type}" if self.error_type else "", (ended - self.started) * 1000,
            self.proc.pid if self.proc is not None else "-",
        )
        with _lock:
            _runs.append(
                {
                    "function": self.fn.function_name,
                    "function_arn": self.invoked_arn,
                    "request_id": self.request_id,
                    "pid": self.proc.pid if self.proc is not None else None,
                    "started_at": started_at,
                    "ended_at": ended_at,
                    "duration_ms": round((ended - self.started) * 1000, 3),
                    "outcome": self.outcome,
                    "error_type": self.error_type,
                    # The bootstrap's own exit (128 + N for signal N); null when it was killed after
                    # answering, at its timeout, or never started.
                    "exit_code": docker_exit_code(self.returncode)
                    if self.outcome == "exited" and self.returncode is not None
                    else None,
                    "log_group": self.log_group,
                    "log_stream": self.log_stream,
                }
            )

    # -- the process -------------------------------------------------------------------------
    def _watch(self) -> None:
        """Wait for the bootstrap to exit, kill the rest of its group, reap it (the only reaper)."""
        proc = self.proc
        assert proc is not None
        try:
            # Without reaping, so the pgid cannot be reused before the group is killed.
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass
        with self.signal_lock:
            killpg(proc.pid, signal.SIGKILL)
            try:
                _pid, status = os.waitpid(proc.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = proc.returncode
            proc.returncode = self.returncode  # reaped here: Popen must not wait for it again
            self.reaped.set()
        with self.cond:
            if self.outcome is None:
                self.outcome = "exited"
            self.cond.notify_all()

    def _kill(self) -> None:
        if self.proc is None:
            return
        with self.signal_lock:
            if not self.reaped.is_set():
                self.max_rss_kb = self.max_rss_kb or _peak_rss_kb(self.proc.pid)
                killpg(self.proc.pid, signal.SIGKILL)

    def abandon(self) -> None:
        """Reset/shutdown: kill now, ship no more logs, record nothing."""
        self.abandoned = True
        if self.sink is not None:
            self.sink.closed = True
        with self.cond:
            if self.outcome is None:
                self.outcome = "reset"
                self.error_type = "Runtime.ExitError"
                self.payload = _lambda_error(
                    self.error_type, f"RequestId: {self.request_id} Error: the emulator was reset"
                )
            self.cond.notify_all()
        self._kill()
