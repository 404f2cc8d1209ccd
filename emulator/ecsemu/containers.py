"""One container of a task: a local process (or a placeholder).

Fixes (with ``lifecycle.py``): moto never runs anything and reports exitCode 0.
Here each container with a command is a local process in its own process group:
its environment is the launcher's plus the definition's and the override's, its
output goes to CloudWatch Logs through a ``LogSink`` (``logs.py``) when it uses
awslogs, its real exit code is reported (128 + N when killed by signal N), and
``terminate()`` is ``docker stop`` (SIGTERM, SIGKILL after the grace period).
Nothing here patches moto.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import uuid
from typing import TYPE_CHECKING, Any, Iterable

from moto.utilities.utils import get_partition

from .logs import LogSink, pump_lines
from .state import LAUNCH_ENV, READER_JOIN_TIMEOUT, STATE, STOP_GRACE, drop_none, docker_exit_code, killpg, wall_clock
from .strict_hooks import timeline_container_stopped

if TYPE_CHECKING:
    from .lifecycle import TaskRuntime


def _name_value_dict(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name = item.get("name")
        if name:
            out[str(name)] = "" if item.get("value") is None else str(item.get("value"))
    return out


class ContainerRuntime:
    """One container of a task: a local process (or a placeholder)."""

    def __init__(self, task_rt: "TaskRuntime", cdef: dict[str, Any], override: dict[str, Any], placeholder: bool) -> None:
        self.task_rt = task_rt
        self.definition = cdef
        self.name: str = cdef.get("name") or "container"
        self.image: str = cdef.get("image") or ""
        essential = cdef.get("essential")
        self.essential = True if essential is None else bool(essential)
        entry_point = list(cdef.get("entryPoint") or [])
        command = override.get("command") or cdef.get("command") or []
        self.argv: list[str] = [str(a) for a in entry_point + list(command)]
        self.placeholder = placeholder or not self.argv
        env = dict(LAUNCH_ENV)
        env.update(_name_value_dict(cdef.get("environment")))
        env.update(_name_value_dict(override.get("environment")))
        self.env = env
        self.cwd: str = cdef.get("workingDirectory") or os.getcwd()
        stop_timeout = cdef.get("stopTimeout")
        self.stop_timeout = float(stop_timeout) if stop_timeout is not None else STOP_GRACE
        self.cpu = override.get("cpu", cdef.get("cpu", 0))
        self.memory = override.get("memory", cdef.get("memory"))
        self.memory_reservation = override.get("memoryReservation", cdef.get("memoryReservation"))
        task = task_rt.task
        partition = get_partition(task.region_name)
        self.container_arn = (
            f"arn:{partition}:ecs:{task.region_name}:{task._account_id}:container/"
            f"{task.cluster_name}/{task.id}/{uuid.uuid4()}"
        )
        self.runtime_id = f"{task.id.replace('-', '')[:32]}-{int(uuid.uuid4().int % 10**10):010d}"
        log_conf = cdef.get("logConfiguration") or {}
        self.awslogs: dict[str, str] | None = None
        if log_conf.get("logDriver") == "awslogs":
            self.awslogs = {str(k): str(v) for k, v in (log_conf.get("options") or {}).items()}
        # status (guarded by STATE.lock)
        self.last_status = "PENDING"
        self.stopped_at: float | None = None  # when it reached STOPPED (teardown.py)
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.started = False
        # process machinery
        self.proc: subprocess.Popen[bytes] | None = None
        self.sink: LogSink | None = None
        self.readers: list[threading.Thread] = []
        self.signal_lock = threading.Lock()
        self.reaped = False
        self.kill_deadline: float | None = None

    @property
    def last_status(self) -> str:
        return self._last_status

    @last_status.setter
    def last_status(self, value: str) -> None:
        previous = self.__dict__.get("_last_status")
        self._last_status = value
        if value == "STOPPED" and previous != "STOPPED":
            self.stopped_at = wall_clock()
            timeline_container_stopped(self)

    # -- start --------------------------------------------------------------
    def start(self) -> None:
        """Start the process (called with STATE.lock held).  Raises OSError."""
        if self.placeholder:
            self.started = True
            self.last_status = "RUNNING"
            return
        use_logs = self.awslogs is not None
        # stdout and stderr share one pipe, so the events keep the order in
        # which the process wrote its lines (two pipes would race).
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if use_logs else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if use_logs else subprocess.DEVNULL,
            start_new_session=True,  # own process group (pgid == pid)
            close_fds=True,
        )
        self.started = True
        self.last_status = "RUNNING"
        if use_logs:
            # The stream appears when the container starts, not at RunTask time.
            self.sink = LogSink.for_container(self)
            reader = threading.Thread(
                target=self._pump, args=(self.proc.stdout,), name=f"log-{self.name}-{self.proc.pid}", daemon=True
            )
            reader.start()
            self.readers.append(reader)
        threading.Thread(target=self._watch, name=f"wait-{self.name}-{self.proc.pid}", daemon=True).start()

    def start_error(self, exc: OSError) -> str:
        prefix = (
            "CannotStartContainerError: Error response from daemon: failed to create task for container: "
            "failed to create shim task: OCI runtime create failed: runc create failed: "
            "unable to start container process: "
        )
        if not os.path.isdir(self.cwd):
            return prefix + f'chdir to cwd ("{self.cwd}") set in config.json failed: no such file or directory: unknown'
        if isinstance(exc, PermissionError):
            return prefix + f'exec: "{self.argv[0]}": permission denied: unknown'
        return prefix + f'exec: "{self.argv[0]}": executable file not found in $PATH: unknown'

    # -- output -> CloudWatch Logs -----------------------------------------------
    def _pump(self, pipe: Any) -> None:
        assert self.sink is not None
        pump_lines(pipe, self.sink.add)

    # -- exit ----------------------------------------------------------------------
    def _watch(self) -> None:
        proc = self.proc
        assert proc is not None
        if hasattr(os, "waitid"):
            try:
                # Wait without reaping, so the pgid cannot be reused before we
                # kill what is left of the container's process group.
                os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                pass
        else:  # pragma: no cover - non-Linux fallback
            proc.wait()
        with self.signal_lock:
            # Like Docker: when PID 1 exits, the rest of the container dies.
            killpg(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
            self.reaped = True
        for reader in self.readers:
            reader.join(READER_JOIN_TIMEOUT)
        if self.sink is not None:
            self.sink.close()
        with STATE.lock:
            self.exit_code = docker_exit_code(returncode)
            self.last_status = "STOPPED"
            self.task_rt.container_stopped(self)

    def send_signal(self, sig: int) -> None:
        if self.proc is None:
            return
        with self.signal_lock:
            if not self.reaped:
                killpg(self.proc.pid, sig)

    def terminate(self, now: float) -> None:
        """docker stop: SIGTERM now, SIGKILL after the grace period (STATE.lock held)."""
        if self.last_status == "STOPPED":
            return
        if self.placeholder:
            self.exit_code = 128 + signal.SIGTERM
            self.last_status = "STOPPED"
            return
        if not self.started:
            self.last_status = "STOPPED"
            return
        self.kill_deadline = now + self.stop_timeout
        self.send_signal(signal.SIGTERM)

    def describe(self) -> dict[str, Any]:
        task = self.task_rt.task
        d: dict[str, Any] = {
            "containerArn": self.container_arn,
            "taskArn": task.task_arn,
            "name": self.name,
            "image": self.image,
            "runtimeId": self.runtime_id if self.started else None,
            "lastStatus": self.last_status,
            "exitCode": self.exit_code,
            "reason": self.reason,
            "networkBindings": [],
            "networkInterfaces": [],
            "healthStatus": "UNKNOWN",
            "cpu": str(self.cpu if self.cpu is not None else 0),
            "memory": None if self.memory is None else str(self.memory),
            "memoryReservation": None if self.memory_reservation is None else str(self.memory_reservation),
        }
        for attachment in task.attachments:
            details = _name_value_dict(attachment.get("details"))
            d["networkInterfaces"].append(
                {"attachmentId": attachment["id"], "privateIpv4Address": details.get("privateIPv4Address")}
            )
        return drop_none(d)
