"""Services: keep ``desiredCount`` tasks running.

Fixes: moto's services never launch tasks (runningCount is a constant from
MOTO_ECS_SERVICE_RUNNING, or desiredCount after UpdateService).  A scheduler
thread (``service_scheduler``, started by the launcher) keeps ``desiredCount``
placeholder tasks RUNNING per ACTIVE service (startedBy = deployment ID
"ecs-svc/<digits>", group "service:<name>"), starts tasks on scale-out, drains
the newest ones on scale-in (stopCode ServiceSchedulerInitiated), replaces
tasks of an old deployment (new task definition / forceNewDeployment), and
drains all of them when the service is deleted.  runningCount / pendingCount
are live.  It also purges forgotten tasks (strict mode's retention).

Also fixes: CreateService crashes (KeyError, HTML 500) when the
awsvpcConfiguration has no ``securityGroups``.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any, Callable

from moto.ecs.models import EC2ContainerServiceBackend, Service

from .lifecycle import count_tasks
from .state import DRAIN_SECONDS, PENDING_STATES, SCHEDULER_INTERVAL, STATE, wall_clock, service_runtimes
from .strict_hooks import desired_count_set, purge_forgotten

log = logging.getLogger("ecs_emulator")

_orig_validate_network: Callable[..., Any] | None = None
_orig_create_service: Callable[..., Service] | None = None
_orig_update_service: Callable[..., Service] | None = None
_orig_delete_service: Callable[..., Service] | None = None


def install() -> None:
    """Patch moto's ``Service`` (network validation, live counts) and the service calls of its backend."""
    global _orig_validate_network, _orig_create_service, _orig_update_service, _orig_delete_service
    _orig_validate_network = Service._validate_network
    Service._validate_network = _validate_network  # type: ignore[method-assign]
    Service.running_count = _service_count(("RUNNING",))  # type: ignore[assignment]
    Service.pending_count = _service_count(PENDING_STATES)  # type: ignore[assignment]
    _orig_create_service = EC2ContainerServiceBackend.create_service
    _orig_update_service = EC2ContainerServiceBackend.update_service
    _orig_delete_service = EC2ContainerServiceBackend.delete_service
    EC2ContainerServiceBackend.create_service = _create_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = _update_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.delete_service = _delete_service  # type: ignore[method-assign]


# Fixes: CreateService crashes (KeyError -> HTML 500) when the
#     awsvpcConfiguration has no `securityGroups`; ECS then uses the VPC's
#     default security group (placement.py gives it to the tasks).


def _validate_network(self: Service, network_configuration: dict[str, Any]) -> dict[str, Any]:
    conf = (network_configuration or {}).get("awsvpcConfiguration")
    if conf is None:
        return network_configuration
    if not conf.get("securityGroups"):
        _orig_validate_network(self, {"awsvpcConfiguration": dict(conf, securityGroups=[])})
        return network_configuration
    return _orig_validate_network(self, network_configuration)


def _service_count(states: tuple[str, ...]) -> property:
    def getter(self: Service) -> int:
        with STATE.lock:
            return count_tasks(service_runtimes(self), states)

    return property(getter, lambda self, value: None)


def _new_deployment_id() -> str:
    return f"ecs-svc/{int(uuid.uuid4().int % 10**19):019d}"


def _service_event(service: Service, message: str) -> None:
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": wall_clock(), "message": f"(service {service.name}) {message}"})
    del service.events[100:]


def _new_deployment(service: Service, launch_type: str | None) -> None:
    now = wall_clock()
    deployment_id = _new_deployment_id()
    service.deployments = [
        {
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": service.task_definition,
            "desiredCount": service.desired_count,
            "pendingCount": 0,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "launchType": launch_type,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        }
    ]
    service.__dict__["_emu_steady"] = False


def _deployment_id(service: Service) -> str:
    if not service.deployments:
        _new_deployment(service, service.launch_type)
    return service.deployments[0]["id"]


def _reconcile_service(backend: EC2ContainerServiceBackend, service: Service) -> None:
    runtimes = service_runtimes(service)
    deployment_id = _deployment_id(service)
    desired = int(service.desired_count or 0) if service.status == "ACTIVE" else 0
    live = [rt for rt in runtimes if rt.desired_status == "RUNNING"]
    current = [rt for rt in live if rt.task.started_by == deployment_id]
    stale = [rt for rt in live if rt.task.started_by != deployment_id]
    reason = f"Scaling activity initiated by (deployment {deployment_id})"
    if len(current) < desired and service.task_definition:
        if service.__dict__.get("_emu_retry_at", 0.0) <= time.monotonic():
            try:
                tasks = backend.run_task(
                    service.cluster_name,
                    service.task_definition,
                    desired - len(current),
                    None,
                    deployment_id,
                    _propagated_tags(backend, service),
                    service.launch_type,
                    service.network_configuration or None,
                    f"service:{service.name}",
                    service.platform_version,
                    None,
                    placeholder=True,
                )
            except Exception as exc:  # e.g. awsvpc without networkConfiguration
                service.__dict__["_emu_retry_at"] = time.monotonic() + 5.0
                _service_event(service, f"was unable to place a task. Reason: {getattr(exc, 'message', exc)}.")
                log.warning("service %s: cannot launch tasks: %s", service.name, exc)
            else:
                runtimes.extend(t._emu for t in tasks)
                ids = " ".join(f"(task {t.id})" for t in tasks)
                _service_event(service, f"has started {len(tasks)} tasks: {ids}.")
                service.__dict__["_emu_steady"] = False
    elif len(current) > desired:
        extra = sorted(current, key=lambda rt: rt.created_at, reverse=True)[: len(current) - desired]
        for rt in extra:
            rt.request_stop("ServiceSchedulerInitiated", reason, drain=DRAIN_SECONDS)
        ids = " ".join(f"(task {rt.task.id})" for rt in extra)
        _service_event(service, f"has stopped {len(extra)} running tasks: {ids}.")
        service.__dict__["_emu_steady"] = False
    running_current = [rt for rt in current if rt.last_status == "RUNNING"]
    if stale and len(running_current) >= desired:
        for rt in stale:
            rt.request_stop("ServiceSchedulerInitiated", reason, drain=DRAIN_SECONDS)
        ids = " ".join(f"(task {rt.task.id})" for rt in stale)
        _service_event(service, f"has stopped {len(stale)} running tasks: {ids}.")
    # keep the deployment's counters true
    running = count_tasks(runtimes, ("RUNNING",))
    pending = count_tasks(runtimes, PENDING_STATES)
    settled = all(rt.last_status in ("RUNNING", "STOPPED") for rt in runtimes)
    steady = running == desired and pending == 0 and settled
    deployment = service.deployments[0]
    snapshot = (deployment_id, desired, running, pending, steady)
    if service.__dict__.get("_emu_snapshot") != snapshot:
        service.__dict__["_emu_snapshot"] = snapshot
        deployment.update(
            desiredCount=desired,
            runningCount=running,
            pendingCount=pending,
            taskDefinition=service.task_definition,
            updatedAt=wall_clock(),
            rolloutState="COMPLETED" if steady else "IN_PROGRESS",
            rolloutStateReason=f"ECS deployment {deployment_id} {'completed' if steady else 'in progress'}.",
        )
    if steady and not service.__dict__.get("_emu_steady") and service.status == "ACTIVE":
        service.__dict__["_emu_steady"] = True
        _service_event(service, "has reached a steady state.")


def _propagated_tags(backend: EC2ContainerServiceBackend, service: Service) -> list[dict[str, str]]:
    if service.propagate_tags == "SERVICE":
        return [dict(t) for t in service.tags or []]
    if service.propagate_tags == "TASK_DEFINITION" and service.task_definition:
        return [dict(t) for t in backend.describe_task_definition(service.task_definition).tags or []]
    return []


def service_scheduler() -> None:
    purged_at = 0.0
    while True:
        with STATE.lock:
            if time.monotonic() - purged_at >= 1.0:  # stopped-task retention (strict_hooks.py)
                purged_at = time.monotonic()
                try:
                    purge_forgotten(wall_clock())
                except Exception:
                    log.exception("purging forgotten tasks failed")
            for backend in list(STATE.service_backends):
                for service in list(backend.services.values()):
                    try:
                        _reconcile_service(backend, service)
                    except Exception:
                        log.exception("service %s: reconcile failed", service.name)
            STATE.scheduler_wakeup.wait(SCHEDULER_INTERVAL)


def _register_service_backend(backend: EC2ContainerServiceBackend) -> None:
    if backend not in STATE.service_backends:
        STATE.service_backends.append(backend)
    STATE.scheduler_wakeup.notify_all()


def _create_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Service:
    with STATE.lock:
        service = _orig_create_service(self, *args, **kwargs)
        service.__dict__["_emu_tasks"] = []
        desired_count_set(service, stale=False)
        _new_deployment(service, service.launch_type)
        _register_service_backend(self)
        _reconcile_service(self, service)
        return service


def _update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
    with STATE.lock:
        cluster_str = service_properties.get("cluster", "default")
        name = str(service_properties.get("service", "")).split("/")[-1]
        before = self._get_service(cluster_str, name)
        old_task_definition = before.task_definition
        old_desired_count = before.desired_count
        force = bool(service_properties.get("force_new_deployment"))
        service = _orig_update_service(self, dict(service_properties))
        if service_properties.get("desired_count") is not None:
            desired_count_set(service, stale=service.desired_count != old_desired_count)
        if service.task_definition and service.task_definition != old_task_definition:
            service.task_definition = self.describe_task_definition(service.task_definition).arn
        if service.task_definition != old_task_definition or force:
            _new_deployment(service, service.launch_type)
        _register_service_backend(self)
        _reconcile_service(self, service)
        return service


def _delete_service(self: EC2ContainerServiceBackend, cluster_name: str, service_name: str, force: bool) -> Service:
    with STATE.lock:
        service = _orig_delete_service(self, cluster_name, service_name, force)
        _register_service_backend(self)
        _reconcile_service(self, service)
        return service
