"""Fargate-style task teardown for the local ECS emulator (issue #13).

By default (``task_teardown_seconds`` 0) a stopping task goes through
DEACTIVATING, STOPPING and DEPROVISIONING within a fraction of a second.  On
Fargate the task reaches STOPPED often 10-30 s after its essential container
exited: the container shows STOPPED with its exit code at once, the task's own
``lastStatus`` passes DEACTIVATING, STOPPING and DEPROVISIONING (the ENI is
detached) and only then STOPPED, with ``stoppedAt``.  With N > 0 seconds this
module models that (see emulator/README.md, "Teardown", for the ECS sources):

* A task that reached RUNNING, once a stop is requested (its essential
  container exited, StopTask, the service scheduler): every container still
  running gets ``docker stop`` (SIGTERM, SIGKILL after its ``stopTimeout`` or
  the stop grace) at once, while the task's ``lastStatus`` stays RUNNING with
  ``desiredStatus`` STOPPED.  When the last container has stopped (that moment
  is ``executionStoppedAt``) the task goes DEACTIVATING (``stoppingAt``), then
  STOPPING after N/3, DEPROVISIONING after 2N/3 (ENI attachment DETACHING), and
  STOPPED at ``executionStoppedAt`` + N (``stoppedAt``; attachment DELETED).
* A task that never reached RUNNING (stopped while PROVISIONING/PENDING, image
  pull failure, a container that cannot start) keeps its statuses and gets no
  exit codes; if it has an ENI (awsvpc) it spends N/3 in DEPROVISIONING first.

N is the task's tag ``ecs-emulator:teardown-seconds`` (RunTask ``tags``,
propagated or TagResource'd tags count), else its task definition's tag of that
key, else the strict-mode key ``task_teardown_seconds``; it is read when the
teardown starts.  ``TaskRuntime`` (``lifecycle.py``) calls ``applies``,
``stop_running`` and ``before_finish``; every function here runs on a task's
lifecycle thread with ``STATE.lock`` held.  Nothing here patches moto.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from .state import STRICT, wall_clock

log = logging.getLogger("ecs_emulator.teardown")

#: The per-task override: a task tag or task definition tag of this key, value in seconds.
TAG_KEY = "ecs-emulator:teardown-seconds"
#: The statuses of a teardown, each a third of it.
PHASES = ("DEACTIVATING", "STOPPING", "DEPROVISIONING")


def _tag_value(tags: Any) -> Any:
    for tag in tags or []:
        if isinstance(tag, dict) and tag.get("key") == TAG_KEY:
            return tag.get("value")
    return None


def _parse_seconds(raw: Any) -> float | None:
    try:
        seconds = float(str(raw).strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def resolve(runtime: Any) -> tuple[float, str]:
    """(N, where N came from: "task tag", "task definition tag" or "config")."""
    sources = (
        ("task tag", runtime.task.tags),
        ("task definition tag", getattr(runtime.task_definition, "tags", None)),
    )
    for source, tags in sources:
        raw = _tag_value(tags)
        if raw is None:
            continue
        seconds = _parse_seconds(raw)
        if seconds is not None:
            return seconds, source
        log.warning("task %s: ignoring the %s %s=%r: not a number >= 0", runtime.task.task_arn, source, TAG_KEY, raw)
    return float(STRICT["task_teardown_seconds"]), "config"


def applies(runtime: Any) -> bool:
    """Decide the task's teardown now (kept for the rest of its stop): True if N > 0."""
    runtime.teardown = resolve(runtime)
    return runtime.teardown[0] > 0


def _sleep_until(runtime: Any, deadline: float) -> None:
    runtime._sleep(max(0.0, deadline - wall_clock()), until_stop=False)


def _record(runtime: Any, phases: tuple[str, ...]) -> None:
    if runtime.abandoned:
        return
    seconds, source = runtime.teardown
    STRICT.record(
        "teardown",
        task_arn=runtime.task.task_arn,
        seconds=seconds,
        source=source,
        phases=list(phases),
        execution_stopped_at=runtime.execution_stopped_at,
    )


def _detach_enis(runtime: Any) -> None:
    for attachment in runtime.task.attachments:
        attachment["status"] = "DETACHING"


def stop_running(runtime: Any) -> None:
    """The task's stop with teardown N > 0 (``TaskRuntime._stop_running``)."""
    seconds, _source = runtime.teardown
    if runtime.started_at is None:  # a container could not start: the task never ran
        runtime.stopping_at = runtime.stopping_at or wall_clock()
        runtime._set_status("STOPPING")
        runtime._stop_containers()  # those that did start
        before_finish(runtime)
        return runtime._finish()
    runtime._stop_containers()  # lastStatus stays RUNNING, desiredStatus is STOPPED
    if runtime.abandoned:
        return runtime._finish()
    now = wall_clock()
    # The moment the last container stopped (an essential container that exited by
    # itself stopped before the stop was even requested).
    runtime.execution_stopped_at = max(
        [c.stopped_at for c in runtime.containers if c.started and c.stopped_at is not None] or [now]
    )
    start = runtime.execution_stopped_at
    runtime.stopping_at = now  # the task leaves RUNNING
    _record(runtime, PHASES)
    for index, status in enumerate(PHASES):
        if status == "DEPROVISIONING":
            _detach_enis(runtime)
        runtime._set_status(status)
        _sleep_until(runtime, start + seconds * (index + 1) / len(PHASES))
        if runtime.abandoned:
            break
    runtime._finish()


def before_finish(runtime: Any) -> None:
    """A task that never ran, about to be STOPPED: with N > 0 and an ENI, N/3 in
    DEPROVISIONING first (``executionStoppedAt`` at its start)."""
    if runtime.abandoned:
        return
    if getattr(runtime, "teardown", None) is None and not applies(runtime):
        return
    seconds, _source = runtime.teardown
    if seconds <= 0 or not runtime.task.attachments:
        return
    start = wall_clock()
    runtime.execution_stopped_at = runtime.execution_stopped_at or start
    _record(runtime, ("DEPROVISIONING",))
    _detach_enis(runtime)
    runtime._set_status("DEPROVISIONING")
    _sleep_until(runtime, start + seconds / len(PHASES))
