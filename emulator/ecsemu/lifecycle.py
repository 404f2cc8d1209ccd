"""The real task lifecycle.

Fixes: moto advances lastStatus one step per DescribeTasks call, never runs
anything, reports exitCode 0 and flips StopTask to STOPPED at once.  Here a
``TaskRuntime`` per task has a background thread that drives PROVISIONING ->
PENDING -> RUNNING -> (DEACTIVATING -> STOPPING -> DEPROVISIONING) -> STOPPED in
real time; its containers (``containers.py``) are local processes.  With a
teardown of N > 0 seconds the stop is Fargate's (``teardown.py``).  DescribeTasks
shows ``TaskRuntime.describe()``.  Nothing here patches moto: ``placement.py``
attaches a runtime to every task it creates.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any, Iterable

from moto.ecs.models import EC2ContainerServiceBackend, Task

from . import teardown
from .containers import ContainerRuntime
from .state import FARGATE_PROVIDERS, START_DELAY, STATE, drop_none, wall_clock
from .strict_hooks import timeline_task_status

log = logging.getLogger("ecs_emulator")


class TaskRuntime:
    """The emulated life of one ECS task."""

    def __init__(self, backend: EC2ContainerServiceBackend, task: Task, task_definition: Any, placeholder: bool) -> None:
        self.backend = backend
        self.task = task
        self.task_definition = task_definition
        self.cond = threading.Condition(STATE.lock)
        self.last_status = "PROVISIONING"
        self.desired_status = "RUNNING"
        self.version = 1
        self.created_at = wall_clock()
        self.pull_started_at: float | None = None
        self.pull_stopped_at: float | None = None
        self.started_at: float | None = None
        self.connectivity_at: float | None = None
        self.stopping_at: float | None = None
        self.execution_stopped_at: float | None = None
        self.stopped_at: float | None = None
        self.stop_code: str | None = None
        self.stopped_reason: str | None = None
        self.stop_drain: float | None = None
        self.abandoned = False  # set by reset/shutdown: finish fast, touch nothing
        overrides = task.overrides or {}
        by_name = {o.get("name"): o for o in overrides.get("containerOverrides") or []}
        self.containers = [
            ContainerRuntime(self, cdef, by_name.get(cdef.get("name")) or {}, placeholder)
            for cdef in task_definition.container_definitions
        ]
        self.thread = threading.Thread(target=self._lifecycle, name=f"task-{task.id}", daemon=True)

    @property
    def last_status(self) -> str:
        return self._last_status

    @last_status.setter
    def last_status(self, value: str) -> None:
        previous = self.__dict__.get("_last_status")
        self._last_status = value
        if value != previous:
            timeline_task_status(self)

    # -- helpers (STATE.lock held) ------------------------------------------------
    def _set_status(self, status: str) -> None:
        if self.last_status != status:
            self.last_status = status
            self.version += 1
            self.cond.notify_all()
            STATE.scheduler_wakeup.notify_all()

    def request_stop(self, stop_code: str, reason: str, drain: float | None = None) -> bool:
        """Ask the task to stop.  Returns False if it was already stopping."""
        if self.desired_status == "STOPPED":
            return False
        self.desired_status = "STOPPED"
        self.stop_code = stop_code
        self.stopped_reason = reason
        self.stop_drain = drain
        self.version += 1
        self.cond.notify_all()
        STATE.scheduler_wakeup.notify_all()
        return True

    def container_stopped(self, container: ContainerRuntime) -> None:
        if container.essential or all(c.last_status == "STOPPED" for c in self.containers):
            self.request_stop("EssentialContainerExited", "Essential container in task exited")
        self.version += 1
        self.cond.notify_all()

    def _sleep(self, seconds: float, until_stop: bool = True) -> bool:
        """Wait up to ``seconds`` (STATE.lock held); True if a stop was requested."""
        deadline = time.monotonic() + seconds
        while not self.abandoned:
            if until_stop and self.desired_status == "STOPPED":
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.cond.wait(remaining)
        return self.desired_status == "STOPPED"

    def _finish(self) -> None:
        now = wall_clock()
        self.execution_stopped_at = self.execution_stopped_at or now
        for container in self.containers:
            if container.last_status != "STOPPED":
                container.last_status = "STOPPED"
        for attachment in self.task.attachments:
            attachment["status"] = "DELETED"
        self.stopped_at = now
        self._set_status("STOPPED")
        self._release_instance_resources()

    def _release_instance_resources(self) -> None:
        arn = self.task.container_instance_arn
        if not arn or self.abandoned:
            return
        try:
            instance = self.backend.container_instances[self.task.cluster_name][arn.split("/")[-1]]
            self.backend.update_container_instance_resources(
                instance, self.task.resource_requirements or {}, removing=True
            )
        except Exception:  # bookkeeping only
            log.debug("could not release container instance resources", exc_info=True)

    # -- the lifecycle thread -------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def _lifecycle(self) -> None:
        try:
            with STATE.lock:
                self._run_locked()
        except Exception:
            log.exception("task %s: lifecycle failed", self.task.task_arn)
            with STATE.lock:
                for container in self.containers:
                    container.send_signal(signal.SIGKILL)
                self.request_stop("TaskFailedToStart", "ECS emulator internal error (see emulator stderr)")
                self._finish()

    def _run_locked(self) -> None:
        half = START_DELAY / 2
        if self._sleep(half):
            return self._stop_before_start()
        self.pull_started_at = wall_clock()
        self._set_status("PENDING")
        if self._sleep(half):
            return self._stop_before_start()

        # Failure convention: an image containing "unpullable" cannot be pulled.
        unpullable = [c for c in self.containers if "unpullable" in c.image]
        if unpullable:
            for container in unpullable:
                container.reason = (
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                    f"failed to resolve ref {container.image}: not found"
                )
            self.request_stop("TaskFailedToStart", unpullable[0].reason or "")
            self.stopping_at = wall_clock()
            teardown.before_finish(self)  # teardown.py: the ENI is deprovisioned
            return self._finish()

        self.pull_stopped_at = wall_clock()
        for container in self.containers:
            try:
                container.start()
            except OSError as exc:
                container.reason = container.start_error(exc)
                container.last_status = "STOPPED"
                self.request_stop("TaskFailedToStart", container.reason)
                break
        if self.desired_status != "STOPPED":
            now = wall_clock()
            self.started_at = now
            self.connectivity_at = now
            for attachment in self.task.attachments:
                attachment["status"] = "ATTACHED"
            self._set_status("RUNNING")
        while self.desired_status != "STOPPED" and not self.abandoned:
            self.cond.wait()
        self._stop_running()

    def _stop_before_start(self) -> None:
        """StopTask before any process started: nothing runs, no exit codes."""
        self.stopping_at = wall_clock()
        self._set_status("STOPPING")
        teardown.before_finish(self)  # teardown.py: the ENI is deprovisioned
        self._finish()

    def _stop_running(self) -> None:
        if not self.abandoned and teardown.applies(self):
            return teardown.stop_running(self)  # teardown.py
        drain = self.stop_drain or 0.0
        self.stopping_at = self.stopping_at or wall_clock()
        self._set_status("DEACTIVATING")
        if drain and not self.abandoned:
            self._sleep(drain / 2, until_stop=False)
        self._set_status("STOPPING")
        self._stop_containers()
        self.execution_stopped_at = wall_clock()
        self._set_status("DEPROVISIONING")
        if not self.abandoned:
            self._sleep(drain / 2 if drain else START_DELAY / 2, until_stop=False)
        self._finish()

    def _stop_containers(self) -> None:
        """docker stop of every container still running: SIGTERM now, SIGKILL after its
        grace period; returns once all are STOPPED (their logs flushed)."""
        now = wall_clock()
        for container in self.containers:
            container.terminate(now)
        # Wait for every process to exit (and its logs to be flushed); SIGKILL
        # the ones still alive after their grace period.
        give_up_at = time.monotonic() + 3.0
        while True:
            alive = [c for c in self.containers if c.last_status != "STOPPED"]
            if not alive:
                break
            if self.abandoned:
                for container in alive:
                    container.send_signal(signal.SIGKILL)
                if time.monotonic() >= give_up_at:
                    break
                self.cond.wait(0.05)
                continue
            wall = wall_clock()
            for container in alive:
                if container.kill_deadline is not None and container.kill_deadline <= wall:
                    container.kill_deadline = None
                    container.send_signal(signal.SIGKILL)
            deadlines = [c.kill_deadline for c in alive if c.kill_deadline is not None]
            self.cond.wait(max(0.01, min(deadlines) - wall) if deadlines else 1.0)

    def kill_now(self) -> None:
        """Reset/shutdown: SIGKILL everything, finish without delays (lock held)."""
        self.abandoned = True
        for container in self.containers:
            if container.sink is not None:
                container.sink.closed = True
            container.send_signal(signal.SIGKILL)
        self.request_stop("UserInitiated", "ECS emulator reset")
        self.cond.notify_all()

    # -- DescribeTasks view --------------------------------------------------------------
    def describe(self, include_tags: bool) -> dict[str, Any]:
        task = self.task
        td = self.task_definition
        container_overrides = []
        given = {o.get("name"): o for o in (task.overrides or {}).get("containerOverrides") or []}
        for container in self.containers:
            entry = {"name": container.name}
            entry.update(given.get(container.name) or {})
            container_overrides.append(entry)
        overrides = dict(task.overrides or {})
        overrides["containerOverrides"] = container_overrides
        overrides.setdefault("inferenceAcceleratorOverrides", [])
        fargate = task.launch_type == "FARGATE" or task.capacity_provider_name in FARGATE_PROVIDERS
        d: dict[str, Any] = {
            "attachments": [dict(a) for a in task.attachments],
            "availabilityZone": task.availability_zone,
            "capacityProviderName": task.capacity_provider_name,
            "clusterArn": task.cluster_arn,
            "connectivity": "CONNECTED" if self.connectivity_at else None,
            "connectivityAt": self.connectivity_at,
            "containerInstanceArn": task.container_instance_arn,
            "containers": [c.describe() for c in self.containers],
            "cpu": None if getattr(td, "cpu", None) is None else str(td.cpu),
            "memory": None if getattr(td, "memory", None) is None else str(td.memory),
            "createdAt": self.created_at,
            "desiredStatus": self.desired_status,
            "enableExecuteCommand": False,
            "group": task.group,
            "healthStatus": "UNKNOWN",
            "lastStatus": self.last_status,
            "launchType": task.launch_type or None,
            "overrides": overrides,
            "platformVersion": (task.platform_version if task.platform_version not in (None, "LATEST") else "1.4.0")
            if fargate
            else None,
            "platformFamily": "Linux" if fargate else None,
            "pullStartedAt": self.pull_started_at,
            "pullStoppedAt": self.pull_stopped_at,
            "startedAt": self.started_at,
            "startedBy": task.started_by or None,
            "stopCode": self.stop_code,
            "stoppedAt": self.stopped_at,
            "stoppedReason": self.stopped_reason,
            "stoppingAt": self.stopping_at,
            "executionStoppedAt": self.execution_stopped_at,
            "taskArn": task.task_arn,
            "taskDefinitionArn": task.task_definition_arn,
            "version": self.version,
        }
        if include_tags:
            d["tags"] = list(task.tags or [])
        return drop_none(d)


def attach_runtime(backend: EC2ContainerServiceBackend, task: Task, task_definition: Any, placeholder: bool) -> "TaskRuntime":
    runtime = TaskRuntime(backend, task, task_definition, placeholder)
    task._emu = runtime
    STATE.tasks[task.task_arn] = runtime
    runtime.start()
    return runtime


def describe_task(task: Task, include_tags: bool) -> dict[str, Any]:
    runtime = task.__dict__.get("_emu")
    if runtime is not None:
        return runtime.describe(include_tags)
    d = {  # a task the emulator did not start (should not happen)
        "taskArn": task.task_arn,
        "clusterArn": task.cluster_arn,
        "taskDefinitionArn": task.task_definition_arn,
        "lastStatus": task.last_status,
        "desiredStatus": task.desired_status,
        "group": task.group,
    }
    if include_tags:
        d["tags"] = list(task.tags or [])
    return d


def count_tasks(runtimes: Iterable[TaskRuntime], states: tuple[str, ...]) -> int:
    """How many of ``runtimes`` are in one of ``states`` (cluster and service counts)."""
    return sum(1 for rt in runtimes if rt.last_status in states)
