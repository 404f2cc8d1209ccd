"""Configuration and shared state of the emulator.

* The environment knobs (``ECS_EMULATOR_START_DELAY``, ``ECS_EMULATOR_STOP_GRACE``,
  ``ECS_EMULATOR_DRAIN_SECONDS``), read once when this module is imported, and
  the emulator's fixed timings.
* ``STATE``: everything the emulator adds on top of moto's backends (task
  runtimes, RunTask client tokens, call counters, log sinks), guarded by one
  re-entrant lock.
* ``STRICT``: strict mode's configuration, fault RNG, fault counters and
  timeline (``strict.py``).
* Small helpers the other modules share.

Nothing here patches moto.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from . import strict

if TYPE_CHECKING:
    from moto.ecs.models import EC2ContainerServiceBackend, Service

    from .lifecycle import TaskRuntime
    from .logs import LogSink

log = logging.getLogger("ecs_emulator")

#: The launcher's environment as it was started: the base of every container's.
LAUNCH_ENV = dict(os.environ)


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return max(float(raw), 0.0)
    except ValueError:
        log.warning("ignoring %s=%r: not a number", name, raw)
        return default


#: Total time a task spends in PROVISIONING + PENDING before its processes start.
START_DELAY = _env_seconds("ECS_EMULATOR_START_DELAY", 0.2)
#: Grace period between SIGTERM and SIGKILL (a container's stopTimeout wins).
STOP_GRACE = _env_seconds("ECS_EMULATOR_STOP_GRACE", 2.0)
#: How long a service task takes to go RUNNING -> STOPPED when scaled in.
DRAIN_SECONDS = _env_seconds("ECS_EMULATOR_DRAIN_SECONDS", 1.0)
#: How often buffered log lines are pushed into moto's logs backend.
LOG_FLUSH_INTERVAL = 0.05
#: Flush a container's buffer early once it holds this many events.
LOG_BATCH_MAX = 5000
#: awslogs splits longer lines (CloudWatch's 256 KiB event limit minus overhead).
MAX_EVENT_BYTES = 262144 - 26
#: How long to wait for a container's output pipes to reach EOF after it exited.
READER_JOIN_TIMEOUT = 10.0
#: How often the service scheduler reconciles services.
SCHEDULER_INTERVAL = 0.05

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
PENDING_STATES = ("PROVISIONING", "PENDING", "ACTIVATING")


class _EmulatorState:
    """Everything the emulator adds on top of moto's backends.

    One re-entrant lock guards it all (task/container status, client tokens,
    services' task lists); per-task Conditions share that lock.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[str, TaskRuntime] = {}  # task ARN -> runtime (insertion order)
        # (account, region, cluster ARN, clientToken) -> (time, task ARNs, failures, canonical request)
        self.client_tokens: dict[tuple[str, str, str, str], tuple[float, list[str], list[dict[str, str]], str]] = {}
        self.calls: Counter[str] = Counter()
        # Wall-clock time (epoch seconds) of the first counted API request since the last reset.
        self.first_request_at: float | None = None
        self.service_backends: list[EC2ContainerServiceBackend] = []
        self.sinks: set[LogSink] = set()
        self.scheduler_wakeup = threading.Condition(self.lock)
        self.shutting_down = False


STATE = _EmulatorState()

#: Strict mode: configuration, fault RNG, fault counters, timeline (strict.py).
STRICT = strict.Strict()


def wall_clock() -> float:
    """Now, in epoch seconds (every timestamp the emulator reports)."""
    return time.time()


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` without its None values (DescribeTasks leaves unset fields out)."""
    return {k: v for k, v in d.items() if v is not None}


def killpg(pgid: int, sig: int) -> None:
    """Signal a process group; one that is gone already is no error."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def docker_exit_code(returncode: int) -> int:
    """Docker convention: killed by signal N -> 128 + N."""
    return returncode if returncode >= 0 else 128 - returncode


def service_runtimes(service: Service) -> list[TaskRuntime]:
    """The TaskRuntimes of a service's tasks (kept on moto's Service object)."""
    return service.__dict__.setdefault("_emu_tasks", [])
