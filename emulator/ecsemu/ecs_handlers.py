"""ECS API handlers: RunTask, DescribeTasks, StopTask, ListTasks, tagging, cluster counts.

a. RunTask ignores ``clientToken`` and has no failure conventions.
b. DescribeTasks returns no ``failures`` for unknown tasks, matches task IDs by
   substring across clusters and toggles a class-level TAGS filter.
c. StopTask of an unknown task is an HTML 500.
d. ListTasks ignores ``serviceName``, ``launchType``, pagination and the
   default ``desiredStatus``.
e. Tagging an unknown task ARN is an HTML 500.
f. Cluster ``runningTasksCount`` / ``pendingTasksCount`` are adjusted by hand.

Tasks are shown as snapshots of their ``TaskRuntime`` (``lifecycle.py``);
strict mode's hooks (``strict_hooks.py``) add the clientToken conflict, tag
limits, describe lag and retention.
"""

from __future__ import annotations

import base64
from typing import Any, Callable

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.utilities.utils import get_partition

from .lifecycle import count_tasks, describe_task
from .state import PENDING_STATES, STATE, STRICT, wall_clock
from .strict_hooks import (
    RunTaskConflict,
    check_request_tags,
    request_fingerprint,
    task_forgotten,
    task_in_describe_lag,
)

_orig_get_resource: Callable[..., Any] | None = None


def install() -> None:
    """Patch moto's ECS backend and response handlers for the task API."""
    global _orig_get_resource
    _orig_get_resource = EC2ContainerServiceBackend._get_resource
    EC2ContainerServiceBackend._get_resource = _get_resource  # type: ignore[method-assign]
    EC2ContainerServiceBackend.list_tasks = _list_tasks  # type: ignore[method-assign]
    EC2ContainerServiceResponse.run_task = _resp_run_task  # type: ignore[method-assign]
    EC2ContainerServiceResponse.describe_tasks = _resp_describe_tasks  # type: ignore[method-assign]
    EC2ContainerServiceResponse.stop_task = _resp_stop_task  # type: ignore[method-assign]
    EC2ContainerServiceResponse.list_tasks = _resp_list_tasks  # type: ignore[method-assign]
    EC2ContainerServiceResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.pop("DescribeTasksResponse.tasks.Task.tags", None)
    Cluster.running_tasks_count = _cluster_count(("RUNNING",))  # type: ignore[assignment]
    Cluster.pending_tasks_count = _cluster_count(PENDING_STATES)  # type: ignore[assignment]


def _task_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _find_task(backend: EC2ContainerServiceBackend, cluster: Cluster, ref: str) -> Task | None:
    """The task, unless it is unknown or forgotten (stopped longer than the retention)."""
    tasks = backend.tasks.get(cluster.name, {})
    found = tasks.get(ref)
    if found is None:
        wanted = _task_id(ref)
        found = next((task for arn, task in tasks.items() if _task_id(arn) == wanted), None)
    if found is None or task_forgotten(found, wall_clock()):
        return None
    return found


def _missing_task_arn(backend: EC2ContainerServiceBackend, cluster: Cluster, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    partition = get_partition(backend.region_name)
    return f"arn:{partition}:ecs:{backend.region_name}:{backend.account_id}:task/{cluster.name}/{ref}"


# a. RunTask.  Fixes: clientToken is ignored by moto (ECS returns the same
#     tasks for a token reused within 24 h, and ConflictException for a token
#     reused with other parameters: strict_hooks.py); failure conventions
#     ("no-capacity"); tasks come back as snapshots of their TaskRuntime.
def _resp_run_task(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster_str = self._get_param("cluster", "default")
    task_definition_str = self._get_param("taskDefinition")
    count = self._get_int_param("count", 1)
    client_token = self._get_param("clientToken")
    if count is None or not 1 <= count <= 10:
        raise InvalidParameterException("count must be between 1 and 10.")
    check_request_tags(self)
    request = request_fingerprint(self)
    with STATE.lock:
        cluster = backend._get_cluster(cluster_str)
        token_key = (backend.account_id, backend.region_name, cluster.arn, client_token or "")
        if client_token:
            seen = STATE.client_tokens.get(token_key)
            if seen is not None and wall_clock() - seen[0] < STRICT["client_token_ttl_seconds"]:
                if STRICT["run_task_conflict"] and seen[3] != request:
                    raise RunTaskConflict(client_token, seen[1])
                tasks = [STATE.tasks[arn].describe(include_tags=True) for arn in seen[1] if arn in STATE.tasks]
                return ActionResult({"tasks": tasks, "failures": seen[2]})
        task_definition = backend.describe_task_definition(task_definition_str)
        failures: list[dict[str, str]] = []
        created: list[Task] = []
        if any("no-capacity" in (c.get("image") or "") for c in task_definition.container_definitions):
            # Failure convention: an image containing "no-capacity" cannot be placed.
            failures.append(
                {
                    "arn": cluster.arn,
                    "reason": "RESOURCE:MEMORY",
                    "detail": "No container instance in the cluster has enough memory to place the task "
                    "(ECS emulator: an image contains 'no-capacity').",
                }
            )
        else:
            created = backend.run_task(
                cluster_str,
                task_definition_str,
                count,
                self._get_param("overrides"),
                self._get_param("startedBy"),
                self._get_param("tags"),
                self._get_param("launchType"),
                self._get_param("networkConfiguration"),
                self._get_param("group"),
                self._get_param("platformVersion"),
                self._get_param("capacityProviderStrategy"),
            )
        if client_token:
            STATE.client_tokens[token_key] = (wall_clock(), [t.task_arn for t in created], failures, request)
        tasks = [describe_task(t, include_tags=True) for t in created]
    return ActionResult({"tasks": tasks, "failures": failures})


# b. DescribeTasks.  Fixes: moto advances the status on every call, returns
#     no `failures` for unknown tasks (ECS: reason MISSING), matches task IDs by
#     substring across all clusters, and toggles a class-level TAGS transformer
#     (racy in the threaded server).
def _resp_describe_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    refs = self._get_param("tasks") or []
    if not refs:
        raise InvalidParameterException("Tasks cannot be empty.")
    include_tags = "TAGS" in (self._get_param("include") or [])
    tasks, failures = [], []
    with STATE.lock:
        now = wall_clock()
        for ref in refs:
            task = _find_task(backend, cluster, ref)
            if task is None or task_in_describe_lag(task, now):
                failures.append({"arn": _missing_task_arn(backend, cluster, ref), "reason": "MISSING"})
            else:
                tasks.append(describe_task(task, include_tags))
    return ActionResult({"tasks": tasks, "failures": failures})


# c. StopTask.  Fixes: moto flips the task to STOPPED instantly and 500s on an
#     unknown task.  Here the containers get SIGTERM, then SIGKILL after the
#     grace period; the response shows desiredStatus STOPPED and the lastStatus
#     of the moment, like ECS.
def _resp_stop_task(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    ref = self._get_param("task")
    reason = self._get_param("reason") or "Task stopped by user"
    with STATE.lock:
        task = _find_task(backend, cluster, ref or "") if ref else None
        if task is None:
            raise InvalidParameterException("The referenced task was not found.")
        runtime = task.__dict__.get("_emu")
        if runtime is not None:
            runtime.request_stop("UserInitiated", reason)
        return ActionResult({"task": describe_task(task, include_tags=True)})


# d. ListTasks.  Fixes: moto ignores `serviceName`, `launchType`, pagination,
#     and the default desiredStatus filter (RUNNING).
def _list_tasks(
    self: EC2ContainerServiceBackend,
    cluster_str: str | None = None,
    container_instance: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    service_name: str | None = None,
    desiredStatus: str | None = None,
    launch_type: str | None = None,
) -> list[Task]:
    with STATE.lock:
        now = wall_clock()
        result = [task for tasks in self.tasks.values() for task in tasks.values() if not task_forgotten(task, now)]
        if cluster_str:
            cluster = self._get_cluster(cluster_str)
            result = [t for t in result if t.cluster_arn == cluster.arn]
        if container_instance:
            wanted = _task_id(container_instance)
            result = [t for t in result if t.container_instance_arn and _task_id(t.container_instance_arn) == wanted]
        if family:
            result = [t for t in result if t.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] == family]
        if started_by:
            result = [t for t in result if t.started_by == started_by]
        if service_name:
            wanted_group = f"service:{service_name.split('/')[-1]}"
            result = [t for t in result if t.group == wanted_group]
        if desiredStatus:
            result = [t for t in result if t.desired_status == desiredStatus]
        if launch_type:
            result = [t for t in result if t.launch_type == launch_type]
        return result


def _resp_list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    tasks = self.ecs_backend.list_tasks(
        self._get_param("cluster", "default"),
        self._get_param("containerInstance"),
        self._get_param("family"),
        self._get_param("startedBy"),
        self._get_param("serviceName"),
        self._get_param("desiredStatus") or "RUNNING",
        self._get_param("launchType"),
    )
    now = wall_clock()
    arns = [t.task_arn for t in tasks if not task_in_describe_lag(t, now)]
    max_results = self._get_int_param("maxResults") or 100
    token = self._get_param("nextToken")
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token).decode())
        except (ValueError, UnicodeDecodeError):
            raise InvalidParameterException("Invalid nextToken.")
    page = arns[start : start + max_results]
    result: dict[str, Any] = {"taskArns": page}
    if start + max_results < len(arns):
        result["nextToken"] = base64.b64encode(str(start + max_results).encode()).decode()
    return ActionResult(result)


# e. Fixes: tagging an unknown task ARN raises NotImplementedError (HTML 500).


def _get_resource(self: EC2ContainerServiceBackend, resource_arn: str, parsed_arn: dict[str, str]) -> Any:
    if parsed_arn.get("service") == "task":
        with STATE.lock:
            for tasks in self.tasks.values():
                if resource_arn in tasks and not task_forgotten(tasks[resource_arn], wall_clock()):
                    return tasks[resource_arn]
        raise InvalidParameterException("The specified task is not found.")
    return _orig_get_resource(self, resource_arn, parsed_arn)


# f. Fixes: cluster runningTasksCount / pendingTasksCount are counters moto
#     adjusts by hand; they are now computed from the tasks.
def _cluster_count(states: tuple[str, ...]) -> property:
    def getter(self: Cluster) -> int:
        with STATE.lock:
            return count_tasks((rt for rt in STATE.tasks.values() if rt.task.cluster_arn == self.arn), states)

    return property(getter, lambda self, value: None)
