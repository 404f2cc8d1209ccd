"""Strict mode's hooks into moto (the logic and the configuration live in strict.py).

Every knob is read at the moment it matters, so ``POST /ecs-emulator/config``
takes effect at once.

a. Tag restrictions (``tag_limits``): moto accepts any tags.
b. RunTask idempotency (``run_task_conflict``, ``client_token_ttl_seconds``):
   a reused clientToken with other parameters is a ConflictException.
c. Describe lag and retention (``describe_lag_seconds``,
   ``stopped_task_retention_seconds``): moto shows a task at once and forever.
d. Stale desiredCount (``stale_desired_count_seconds``): DescribeServices is
   consistent at once in moto.
e. The timeline of task statuses, container exits and desired counts.
f. CloudWatch Logs ingestion lag and empty pages (``log_lag_ms``,
   ``log_empty_page_rate``).

``install()`` applies the patches of a, d and f; the other hooks are called
by the ECS handlers, the services, the lifecycle and the containers.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import Service, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs import models as logs_models

from . import strict
from .logs import locked
from .state import STATE, STRICT, wall_clock, service_runtimes

if TYPE_CHECKING:
    from .containers import ContainerRuntime
    from .lifecycle import TaskRuntime

_orig_resp_tag_resource: Callable[..., Any] | None = None
_orig_resp_describe_services: Callable[..., ActionResult] | None = None


def install() -> None:
    """Tag checks on ECS's tagging calls (a), the stale DescribeServices (d), the logs reads (f)."""
    global _orig_resp_tag_resource, _orig_resp_describe_services
    for name in ("create_cluster", "create_service", "register_task_definition"):
        setattr(EC2ContainerServiceResponse, name, _tags_checked(getattr(EC2ContainerServiceResponse, name)))
    _orig_resp_tag_resource = EC2ContainerServiceResponse.tag_resource
    EC2ContainerServiceResponse.tag_resource = _resp_tag_resource  # type: ignore[method-assign]
    _orig_resp_describe_services = EC2ContainerServiceResponse.describe_services
    EC2ContainerServiceResponse.describe_services = _resp_describe_services  # type: ignore[method-assign]
    logs_models.LogStream.get_log_events = locked(_stream_get_log_events)  # type: ignore[method-assign]
    logs_models.LogStream.filter_log_events = locked(_stream_filter_log_events)  # type: ignore[method-assign]


# a. Tag restrictions (knob tag_limits).  Fixes: moto accepts any tags.  ECS
#     checks the documented restrictions (at most 50 per resource, key 1-128
#     and value 0-256 characters, letters/numbers/spaces and + - = . _ : / @,
#     no aws: key prefix) and applies nothing of a refused request.


def _check_tags(tags: Any, existing_keys: Iterable[str] = ()) -> None:
    if not STRICT["tag_limits"]:
        return
    try:
        strict.check_ecs_tags(tags, existing_keys)
    except strict.TagError as exc:
        raise InvalidParameterException(str(exc)) from None


def check_request_tags(response: EC2ContainerServiceResponse) -> None:
    _check_tags(response._get_param("tags"))


def _tags_checked(method: Callable[[EC2ContainerServiceResponse], Any]) -> Callable[[EC2ContainerServiceResponse], Any]:
    def wrapper(self: EC2ContainerServiceResponse) -> Any:
        check_request_tags(self)
        return method(self)

    wrapper.__name__ = method.__name__
    return wrapper


def _resp_tag_resource(self: EC2ContainerServiceResponse) -> Any:
    if STRICT["tag_limits"]:
        backend = self.ecs_backend
        arn = self._get_param("resourceArn") or ""
        resource = backend._get_resource(arn, backend._parse_resource_arn(arn))
        _check_tags(self._get_param("tags") or [], [t.get("key") for t in resource.tags or []])
    return _orig_resp_tag_resource(self)


# b. RunTask idempotency (knobs run_task_conflict, client_token_ttl_seconds).
#     A clientToken reused in the same cluster with other parameters is a
#     ConflictException whose resourceIds are the tasks the token started
#     (the whole request body but clientToken is compared, as canonical JSON).


class RunTaskConflict(ServiceException):
    code = "ConflictException"

    def __init__(self, client_token: str, task_arns: list[str]) -> None:
        super().__init__(
            f"The clientToken {client_token!r} is already in use with a different RunTask request; "
            "run the task with a new clientToken, or with this clientToken and the original parameters."
        )
        self.resourceIds = list(task_arns)


def request_fingerprint(response: EC2ContainerServiceResponse) -> str:
    try:
        body = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        body = response._get_params()
    if not isinstance(body, dict):
        body = {}
    body = {k: v for k, v in body.items() if k != "clientToken"}
    return strict.canonical_json(body)


# c. Describe lag and retention (knobs describe_lag_seconds,
#     stopped_task_retention_seconds).  Fixes: moto shows a task at once and
#     forever.  ECS is eventually consistent (a new task can be MISSING for a
#     while) and forgets stopped tasks (DescribeTasks shows them "for at least
#     one hour").  Forgotten tasks are also purged from memory.


def task_forgotten(task: Task, now: float) -> bool:
    runtime = task.__dict__.get("_emu")
    if runtime is None or runtime.last_status != "STOPPED" or runtime.stopped_at is None:
        return False
    return now - runtime.stopped_at > STRICT["stopped_task_retention_seconds"]


def task_in_describe_lag(task: Task, now: float) -> bool:
    lag = STRICT["describe_lag_seconds"]
    runtime = task.__dict__.get("_emu")
    return lag > 0 and runtime is not None and now - runtime.created_at < lag


def purge_forgotten(now: float) -> None:
    """Drop forgotten tasks and expired clientTokens (STATE.lock held)."""
    forgotten = [rt for rt in STATE.tasks.values() if task_forgotten(rt.task, now)]
    for runtime in forgotten:
        arn = runtime.task.task_arn
        STATE.tasks.pop(arn, None)
        runtime.backend.tasks.get(runtime.task.cluster_name, {}).pop(arn, None)
    if forgotten:
        for backend in STATE.service_backends:
            for service in backend.services.values():
                runtimes = service_runtimes(service)
                runtimes[:] = [rt for rt in runtimes if rt.task.task_arn in STATE.tasks]
    ttl = STRICT["client_token_ttl_seconds"]
    for key in [k for k, seen in STATE.client_tokens.items() if now - seen[0] >= ttl]:
        del STATE.client_tokens[key]


# d. Stale desiredCount (knob stale_desired_count_seconds).  For that long
#     after UpdateService changed desiredCount, DescribeServices shows the
#     previous value (in the service and its PRIMARY deployment); the
#     scheduler uses the new value at once.  Every real setting of the desired
#     count (CreateService, UpdateService) goes on the timeline.


def desired_count_set(service: Service, stale: bool) -> None:
    value = int(service.desired_count or 0)
    history = service.__dict__.setdefault("_emu_desired_history", [])
    if stale or not history:
        history.append((wall_clock() if stale else float("-inf"), value))
        del history[:-100]
    STRICT.record("desired_count", service_arn=service.arn, service=service.name, desired_count=value)


def _visible_desired_count(service: Service, now: float) -> int | None:
    lag = STRICT["stale_desired_count_seconds"]
    history = service.__dict__.get("_emu_desired_history") or []
    if lag <= 0 or not history:
        return None
    for set_at, value in reversed(history):
        if set_at <= now - lag:
            return value
    return history[0][1]


class _StaleServiceView:
    """A service as DescribeServices shows it during the stale window: only
    ``desiredCount`` differs (the class is named Service for moto's serializer)."""

    def __init__(self, service: Service, desired_count: int) -> None:
        self.__dict__["_service"] = service
        self.__dict__["desired_count"] = desired_count
        self.__dict__["deployments"] = [
            dict(d, desiredCount=desired_count) if d.get("status") == "PRIMARY" else d
            for d in service.deployments or []
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_service"], name)


_StaleServiceView.__name__ = _StaleServiceView.__qualname__ = "Service"


def _resp_describe_services(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _orig_resp_describe_services(self)
    body = result.result
    if isinstance(body, dict) and body.get("services"):
        now = wall_clock()
        with STATE.lock:
            views = []
            for service in body["services"]:
                shown = _visible_desired_count(service, now)
                if shown is None or shown == service.desired_count:
                    views.append(service)
                else:
                    views.append(_StaleServiceView(service, shown))
        body["services"] = views
    return result


# e. Timeline: every task lastStatus change, every container reaching
#     STOPPED, every real desired count (d).  Tasks killed by a reset or
#     shutdown are not recorded.


def timeline_task_status(runtime: "TaskRuntime") -> None:
    if getattr(runtime, "abandoned", False):
        return
    task = runtime.task
    STRICT.record(
        "task",
        task_arn=task.task_arn,
        started_by=task.started_by or None,
        group=task.group,
        status=runtime.last_status,
    )


def timeline_container_stopped(container: "ContainerRuntime") -> None:
    runtime = container.task_rt
    if getattr(runtime, "abandoned", False):
        return
    STRICT.record(
        "container_stopped",
        task_arn=runtime.task.task_arn,
        container=container.name,
        exit_code=container.exit_code,
    )


# f. CloudWatch Logs ingestion lag and empty pages (knobs log_lag_ms,
#     log_empty_page_rate).  An event is visible once its ingestionTime + lag
#     has passed; reads stop at the first invisible event (in the stream's
#     timestamp order), so a forward token never skips one.  With a nextToken
#     and more events after it, a share of GetLogEvents calls returns no
#     events and a different nextForwardToken for the same position:
#     "<f|b>/<56-digit index>/<8 hex nonce>" (moto's own tokens are
#     "<f|b>/<56-digit index>").  A forward token that reached the end of
#     what is visible comes back exactly as it was passed in.


def _visible_prefix(events: list[Any]) -> list[Any]:
    lag = STRICT["log_lag_ms"]
    if lag <= 0:
        return events
    now_ms = time.time() * 1000.0
    for index, event in enumerate(events):
        if event.ingestion_time + lag > now_ms:
            return events[:index]
    return events


def _parse_log_token(token: str | None) -> tuple[str | None, int]:
    if token is None:
        return None, 0
    parts = token.split("/")
    try:
        if len(parts) not in (2, 3) or parts[0] not in ("f", "b"):
            raise ValueError(token)
        if len(parts) == 3 and not re.fullmatch(r"[0-9a-f]{8}", parts[2]):
            raise ValueError(token)
        return parts[0], int(parts[1])
    except ValueError:
        raise logs_models.InvalidParameterException("The specified nextToken is invalid.") from None


def _stream_get_log_events(
    self: Any, start_time: Any, end_time: Any, limit: Any, next_token: str | None, start_from_head: Any
) -> tuple[list[dict[str, Any]], str, str]:
    limit = 10000 if limit is None else int(limit)
    direction, index = _parse_log_token(next_token)
    everything = sorted(
        (
            e
            for e in self.events
            if not (start_time and e.timestamp < start_time) and not (end_time and e.timestamp > end_time)
        ),
        key=lambda e: e.timestamp,
    )
    if direction == "f" and index + 1 < len(everything) and STRICT.empty_page():
        nonce = STRICT.nonce()
        return [], f"b/{index + 1:056d}/{nonce}", f"f/{index:056d}/{nonce}"
    events = _visible_prefix(everything)
    final_index = len(events) - 1
    if direction is None:
        if start_from_head:
            start_index, end_index = 0, limit - 1
        else:
            end_index = final_index
            start_index = end_index - limit + 1
    elif direction == "f":
        start_index = index + 1
        end_index = start_index + limit - 1
    else:
        end_index = index - 1
        start_index = end_index - limit + 1
    if start_index < 0:
        start_index = 0
    elif start_index > final_index:
        if direction == "f":  # nothing (visible) after the token: the same token, as CloudWatch does
            return [], f"b/{index + 1:056d}", next_token  # type: ignore[return-value]
        return [], f"b/{final_index:056d}", f"f/{final_index:056d}"
    if end_index > final_index:
        end_index = final_index
    elif end_index < 0:
        return [], f"b/{0:056d}", f"f/{0:056d}"
    page = [e.to_response_dict() for e in events[start_index : end_index + 1]]
    return page, f"b/{start_index:056d}", f"f/{end_index:056d}"


def _stream_filter_log_events(self: Any, start_time: Any, end_time: Any, filter_pattern: Any) -> list[dict[str, Any]]:
    events = _visible_prefix(sorted(self.events, key=lambda e: e.timestamp))
    out = []
    matcher = logs_models.EventMessageFilter(filter_pattern)
    for event in events:
        if start_time and event.timestamp < start_time:
            continue
        if end_time and event.timestamp > end_time:
            continue
        if not matcher.matches(event.message):
            continue
        item = event.to_filter_dict()
        item["logStreamName"] = self.log_stream_name
        out.append(item)
    return out
