#!/usr/bin/env python3
"""Local emulated AWS ECS (+ CloudWatch Logs) for ecs-migrate's tests and demo.

Why this exists
---------------
``ecs-migrate`` runs a database-migration task on AWS ECS and waits for a *true*
verdict: the task's real exit code and its CloudWatch log output.  AWS is not
reachable from the test machines, and moto's plain server is not good enough:

* its ECS tasks never run anything: every container "exits" 0, lastStatus
  advances one step per DescribeTasks call, only the first container of a task
  definition is modelled, services never launch tasks;
* some of its responses crash (HTML 500) or don't deserialise in the AWS SDK
  for Rust, which is strict about JSON types.

This launcher starts moto's server in-process, applies the monkeypatches below
and serves on a local port.  ECS tasks *really run*: each container with a
command is a local process (its own process group) whose exit code becomes the
container's exitCode, and whose stdout/stderr lines become CloudWatch Logs
events when the container uses the ``awslogs`` log driver.

Usage::

    .venv/bin/python emulator/ecs_emulator.py [--host 127.0.0.1] [--port 0]

When ready it prints exactly one line on stdout::

    ECS_EMULATOR_READY http://127.0.0.1:PORT

and serves until SIGTERM/SIGINT; it then kills every task process it started
and exits 0.  Everything else goes to stderr.  See emulator/README.md for the
conventions (failure injection, environment knobs) and the list of patches.

Layout of this file (one section per patch, each saying which moto behaviour
it fixes):

  0. configuration and shared state
  1. response types: coerce awsJson responses to the botocore model (WSGI)
  2. task placement crashes (missing memory, ENI/VPC/security groups, EC2
     launch type without container instances)
  3. real task lifecycle (processes, lastStatus in real time, StopTask, ...)
  4. awslogs: container output -> CloudWatch Logs events; logs thread-safety
  5. ECS API handlers: RunTask (clientToken, failure conventions),
     DescribeTasks (MISSING failures), StopTask, ListTasks
  6. services: keep desiredCount placeholder tasks running, drain on scale-in;
     Application Auto Scaling SuspendedState
  7. control plane: /moto-api/reset also forgets tasks, /ecs-emulator/calls
  8. launcher (server, READY line, signals)
  9. strict mode (strict.py holds the logic): RunTask clientToken conflicts,
     tag limits, log ingestion lag and empty pages, describe lag, stale
     desiredCount, stopped-task retention, fault injection, timeline
 10. Lambda custom runtimes (lambda_runtime.py holds the logic; installed by
     main() once the port is known): with the strict-mode key
     ``lambda_bootstrap``, Invoke of a provided.* function runs its bootstrap
 11. Fargate-style teardown (teardown.py holds the logic; installed at the end
     of section 3): with the strict-mode key ``task_teardown_seconds`` (or a
     task's ``ecs-emulator:teardown-seconds`` tag), a stopping task spends that
     long in DEACTIVATING / STOPPING / DEPROVISIONING after its containers stopped
"""

from __future__ import annotations

import argparse
import base64
import calendar
import datetime as _dt
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

import botocore.session
from botocore.model import Shape
from moto.applicationautoscaling import models as aas_models
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ec2 import ec2_backends
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.utils import generate_dns_from_ip, random_private_ip
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import (
    Cluster,
    EC2ContainerServiceBackend,
    Service,
    Task,
)
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs import models as logs_models
from moto.logs.exceptions import ResourceNotFoundException as LogsNotFound
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.moto_api._internal.models import MotoAPIBackend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.utilities.utils import get_partition
from werkzeug.serving import make_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lambda_runtime  # noqa: E402  (emulator/lambda_runtime.py, section 10)
import strict  # noqa: E402  (emulator/strict.py)
import teardown  # noqa: E402  (emulator/teardown.py, section 11)

log = logging.getLogger("ecs_emulator")

#: The launcher's environment as it was started: the base of every container's.
LAUNCH_ENV = dict(os.environ)


# ===========================================================================
# 0. Configuration and shared state
# ===========================================================================


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

#: Strict mode: configuration, fault RNG, fault counters, timeline (section 9).
STRICT = strict.Strict()


def _now() -> float:
    return time.time()


def _task_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _name_value_dict(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name = item.get("name")
        if name:
            out[str(name)] = "" if item.get("value") is None else str(item.get("value"))
    return out


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# ===========================================================================
# 1. Response types.  Fixes: the AWS SDK for Rust rejects a whole response on
#    one JSON type mismatch ("type mismatch: expected string"), e.g. numbers
#    where the model says string (containers[].cpu / memory), ISO strings where
#    awsJson wants epoch seconds, nulls.  moto 5.2.5 serialises ECS through the
#    model, but Logs and Application Auto Scaling build JSON by hand, and the
#    emulator's own handlers return plain dicts.
#
#    A WSGI middleware re-walks every 2xx JSON response of the coerced awsJson
#    services against botocore's output shape and converts each value to the
#    model's type, dropping what cannot be represented (unknown members, nulls,
#    unparseable values).
# ===========================================================================

COERCED_SERVICES = ("ecs", "logs", "application-autoscaling")
_DROP = object()


def _parse_timestamp(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=_dt.timezone.utc)
        return parsed.timestamp()
    return None


def _epoch_number(seconds: float) -> int | float:
    millis = int(round(seconds * 1000))
    return millis // 1000 if millis % 1000 == 0 else millis / 1000.0


def coerce_to_shape(value: Any, shape: Shape) -> Any:
    """Return ``value`` converted to ``shape``'s JSON type, or ``_DROP``."""
    if value is None:
        return _DROP
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return value
        if not isinstance(value, dict):
            return _DROP
        out = {}
        members = shape.members
        for key, member_value in value.items():
            member_shape = members.get(key)
            if member_shape is None:
                continue
            coerced = coerce_to_shape(member_value, member_shape)
            if coerced is not _DROP:
                out[key] = coerced
        return out
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            return _DROP
        items = (coerce_to_shape(v, shape.member) for v in value)
        return [v for v in items if v is not _DROP]
    if kind == "map":
        if not isinstance(value, dict):
            return _DROP
        out = {}
        for key, map_value in value.items():
            coerced = coerce_to_shape(map_value, shape.value)
            if coerced is not _DROP:
                out[str(key)] = coerced
        return out
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        return _DROP
    if kind in ("integer", "long"):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        if isinstance(value, str):
            try:
                return int(float(value.strip()))
            except ValueError:
                return _DROP
        return _DROP
    if kind in ("float", "double"):
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return _DROP
        return _DROP
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return _DROP
    if kind == "timestamp":
        seconds = _parse_timestamp(value)
        if seconds is None:
            return _DROP
        fmt = shape.serialization.get("timestampFormat", "unixtimestamp")
        if fmt == "iso8601":
            return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return _epoch_number(seconds)
    if kind == "blob":
        return value if isinstance(value, str) else _DROP
    return value


class ModelCoercer:
    """Maps an ``X-Amz-Target`` header to the operation's botocore output shape."""

    def __init__(self, services: Iterable[str] = COERCED_SERVICES) -> None:
        session = botocore.session.get_session()
        self._models = {}
        for name in services:
            model = session.get_service_model(name)
            prefix = model.metadata.get("targetPrefix")
            if prefix:
                self._models[prefix] = model
        self._cache: dict[str, tuple[Shape, str] | None] = {}

    def output_shape(self, target: str) -> tuple[Shape, str] | None:
        """(output shape, Content-Type) of the operation, or None."""
        if not target or "." not in target:
            return None
        if target not in self._cache:
            prefix, op_name = target.rsplit(".", 1)
            model = self._models.get(prefix)
            found = None
            if model is not None and op_name in model.operation_names:
                shape = model.operation_model(op_name).output_shape
                if shape is not None:
                    content_type = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}"
                    found = (shape, content_type)
            self._cache[target] = found
        return self._cache[target]


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class EmulatorMiddleware:
    """WSGI wrapper around moto's dispatcher: response coercion, call counting,
    fault injection (section 9) and the ``/ecs-emulator/...`` control endpoints."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.coercer = ModelCoercer()

    # -- call recording (section 7) -----------------------------------------
    def _record_call(self, environ: dict[str, Any], target: str) -> tuple[str, str] | None:
        """Count an API call; return its (service, operation), None for control requests."""
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/moto-api") or path.startswith("/ecs-emulator"):
            return None
        arrived = time.time()
        with STATE.lock:
            if STATE.first_request_at is None:
                STATE.first_request_at = arrived
        match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(1) if match else "unknown"
        if target:
            operation = target.rsplit(".", 1)[-1]
        else:
            operation = None
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if "Action" in query:
                operation = query["Action"][0]
            elif environ.get("REQUEST_METHOD") == "POST" and environ.get("CONTENT_TYPE", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(body)
                form = parse_qs(body.decode("utf-8", "replace"))
                if "Action" in form:
                    operation = form["Action"][0]
            if operation is None:
                operation = f"{environ.get('REQUEST_METHOD', 'GET')} {path}"
        with STATE.lock:
            STATE.calls[f"{service}:{operation}"] += 1
        return service, operation

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
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

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/ecs-emulator/"):
            return self._control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        call = None
        try:
            call = self._record_call(environ, target)
        except Exception:  # never let bookkeeping break a request
            log.exception("could not record call")
        fault = STRICT.draw_fault(*call) if call is not None else None
        if fault is None:
            return self._serve(environ, start_response, target)
        service, operation = call  # type: ignore[misc]
        log.info("injecting %s into %s:%s", fault, service, operation)
        if fault == "lost_response":
            # Process the request for real, then lose the answer.
            try:
                result = self._serve(environ, lambda *args, **kwargs: (lambda data: None), target)
                try:
                    for _chunk in result:
                        pass
                finally:
                    if hasattr(result, "close"):
                        result.close()
            except Exception:
                log.exception("request failed before its response was lost")
        status, headers, body = strict.fault_response(service, fault, operation)
        start_response(status, headers)
        return [body]

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any], target: str) -> Iterable[bytes]:
        found = self.coercer.output_shape(target)
        if found is None:
            return self.app(environ, start_response)
        shape, content_type = found

        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.app(environ, capture)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        body = b"".join(chunks)
        status = captured.get("status", "500 INTERNAL SERVER ERROR")
        headers = captured.get("headers", [])
        if status[:1] == "2" and body:
            try:
                fixed = coerce_to_shape(json.loads(body), shape)
            except ValueError:
                pass
            else:
                body = json.dumps({} if fixed is _DROP else fixed).encode()
                headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
                headers.append(("Content-Type", content_type))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]


# ===========================================================================
# 2. Task placement crashes
# ===========================================================================

# 2a. Fixes: RunTask crashes (TypeError -> HTML 500) when a container has neither
#     `memory` nor `memoryReservation` (allowed when the task has task-level
#     memory).  Missing values count as 0; a task-level memory is used when no
#     container reserves memory.


def _calculate_task_resource_requirements(task_definition: Any) -> dict[str, Any]:
    def number(value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    requirements: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    for cdef in task_definition.container_definitions:
        requirements["CPU"] += number(cdef.get("cpu", cdef.get("Cpu")))
        memory = None
        for key in ("memory", "Memory", "memoryReservation", "MemoryReservation"):
            if cdef.get(key) is not None:
                memory = cdef.get(key)
                break
        requirements["MEMORY"] += number(memory)
        for mapping in cdef.get("portMappings", cdef.get("PortMappings")) or []:
            host_port = mapping.get("hostPort", mapping.get("HostPort"))
            if host_port:
                requirements["PORTS"].append(host_port)
    if not requirements["MEMORY"]:
        requirements["MEMORY"] = number(getattr(task_definition, "memory", None))
    if not requirements["CPU"]:
        requirements["CPU"] = number(getattr(task_definition, "cpu", None))
    return requirements


EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(  # type: ignore[method-assign]
    _calculate_task_resource_requirements
)


# 2b. Fixes: moto's Task.__init__ (awsvpc) crashes with KeyError when
#     `securityGroups` is omitted (ECS then uses the VPC's default group), and
#     with AttributeError `private_dns_name` when the subnet's VPC lacks DNS
#     hostnames (any non-default VPC).  It also models only the first container
#     and keeps status in moto's ManagedState.  Replaced: status lives in the
#     TaskRuntime (section 3); the ENI is created in the subnet's CIDR.
#     moto creates the default VPC (DNS hostnames on) and its default subnets
#     when the EC2 backend is first used, so subnets from DescribeSubnets work.


def _create_task_eni(account_id: str, region: str, network_configuration: dict[str, Any]) -> tuple[dict[str, Any], str]:
    conf = network_configuration.get("awsvpcConfiguration") or {}
    subnets = conf.get("subnets") or []
    if not subnets:
        raise InvalidParameterException("subnets can not be empty.")
    ec2 = ec2_backends[account_id][region]
    try:
        subnet = ec2.get_subnet(subnets[0])
    except InvalidSubnetIdError:
        raise InvalidParameterException(
            f"Error retrieving subnet information for [{subnets[0]}]: The subnet ID '{subnets[0]}' "
            "does not exist (ErrorCode: InvalidSubnetID.NotFound)"
        )
    group_ids = conf.get("securityGroups") or []
    if not group_ids:
        default_group = ec2.get_default_security_group(subnet.vpc_id)
        group_ids = [default_group.id] if default_group is not None else []
    ip = random_private_ip(subnet.cidr_block)
    eni = ec2.create_network_interface(
        subnet=subnet, private_ip_address=ip, group_ids=group_ids, description="ECS task (emulated)"
    )
    eni.status = "in-use"
    eni.device_index = 0
    dns_name = getattr(eni, "private_dns_name", None) or generate_dns_from_ip(eni.private_ip_address)
    attachment = {
        "id": str(uuid.uuid4()),
        "type": "ElasticNetworkInterface",
        "status": "PRECREATED",
        "details": [
            {"name": "subnetId", "value": subnet.id},
            {"name": "networkInterfaceId", "value": eni.id},
            {"name": "macAddress", "value": eni.mac_address},
            {"name": "privateDnsName", "value": dns_name},
            {"name": "privateIPv4Address", "value": eni.private_ip_address},
        ],
    }
    return attachment, subnet.availability_zone


def _task_init(
    self: Task,
    cluster: Cluster,
    task_definition: Any,
    container_instance_arn: str | None,
    resource_requirements: dict[str, Any] | None,
    backend: EC2ContainerServiceBackend,
    group: str,
    launch_type: str = "",
    overrides: dict[str, Any] | None = None,
    started_by: str = "",
    tags: list[dict[str, str]] | None = None,
    networking_configuration: dict[str, Any] | None = None,
    platform_version: str | None = None,
    capacity_provider_name: str | None = None,
) -> None:
    ManagedState.__init__(self, model_name="ecs::task", transitions=[("RUNNING", "STOPPED")])
    self.id = str(uuid.uuid4())
    self.cluster_name = cluster.name
    self.cluster_arn = cluster.arn
    self.container_instance_arn = container_instance_arn
    self.task_definition_arn = task_definition.arn
    self.overrides = overrides or {}
    self.containers = []  # described by the TaskRuntime
    self.started_by = started_by
    self.tags = tags or []
    self.launch_type = launch_type
    self.capacity_provider_name = capacity_provider_name
    self.platform_version = platform_version
    self.resource_requirements = resource_requirements
    self.region_name = cluster.region_name
    self._account_id = backend.account_id
    self._backend = backend
    self.attachments = []
    self.group = group
    self.availability_zone = f"{cluster.region_name}a"
    self.network_configuration = networking_configuration or {}
    self._emu = None
    if task_definition.network_mode == "awsvpc":
        if not networking_configuration:
            raise InvalidParameterException(
                "Network Configuration must be provided when networkMode 'awsvpc' is specified."
            )
        attachment, zone = _create_task_eni(backend.account_id, cluster.region_name, networking_configuration)
        self.attachments.append(attachment)
        self.availability_zone = zone


Task.__init__ = _task_init  # type: ignore[method-assign]


def _runtime_property(name: str, default: Any) -> property:
    """Task status fields live in the TaskRuntime; moto code reading or writing
    them on the Task still works."""
    fallback = f"_emu_fallback_{name}"

    def getter(self: Task) -> Any:
        runtime = self.__dict__.get("_emu")
        if runtime is not None:
            return getattr(runtime, name)
        return self.__dict__.get(fallback, default)

    def setter(self: Task, value: Any) -> None:
        runtime = self.__dict__.get("_emu")
        if runtime is not None:
            setattr(runtime, name, value)
        else:
            self.__dict__[fallback] = value

    return property(getter, setter)


Task.last_status = _runtime_property("last_status", "RUNNING")  # type: ignore[assignment]
Task.desired_status = _runtime_property("desired_status", "RUNNING")  # type: ignore[assignment]
Task.stopped_reason = _runtime_property("stopped_reason", None)  # type: ignore[assignment]


# 2c. Fixes: RunTask with the EC2 launch type (or no launch type) on a cluster
#     without registered container instances raises a bare Exception (HTML 500).
#     The emulator places such tasks without a container instance, like Fargate.
#     Every created task gets a TaskRuntime, which starts its lifecycle.

_orig_run_task = EC2ContainerServiceBackend.run_task
_orig_start_task = EC2ContainerServiceBackend.start_task


def _run_task(
    self: EC2ContainerServiceBackend,
    cluster_str: str,
    task_definition_str: str,
    count: int,
    overrides: dict[str, Any] | None,
    started_by: str,
    tags: list[dict[str, str]] | None,
    launch_type: str | None,
    networking_configuration: dict[str, Any] | None = None,
    group: str | None = None,
    platform_version: str | None = None,
    capacity_provider_strategy: list[dict[str, Any]] | None = None,
    *,
    placeholder: bool = False,
) -> list[Task]:
    if launch_type and launch_type not in ("EC2", "FARGATE", "EXTERNAL"):
        raise InvalidParameterException("launch type should be one of [EC2,FARGATE,EXTERNAL]")
    if launch_type and capacity_provider_strategy:
        raise InvalidParameterException("Specify either Launch Type or Capacity Provider Strategy, but not both.")
    cluster = self._get_cluster(cluster_str)
    task_definition = self.describe_task_definition(task_definition_str)
    strategy = capacity_provider_strategy
    if not launch_type and not strategy:
        strategy = cluster.default_capacity_provider_strategy
    provider = strategy[0]["capacityProvider"] if strategy else None
    fargate = launch_type == "FARGATE" or provider in FARGATE_PROVIDERS
    effective_launch_type = launch_type or ("FARGATE" if fargate else "EC2")
    active_instances = [
        ci for ci in self.container_instances.get(cluster.name, {}).values() if ci.status == "ACTIVE"
    ]
    with STATE.lock:
        if not fargate and active_instances:
            tasks = _orig_run_task(
                self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type,
                networking_configuration, group, platform_version, capacity_provider_strategy,
            )
        else:
            group = group or f"family:{task_definition.family}"
            requirements = self._calculate_task_resource_requirements(task_definition)
            tasks = []
            for _ in range(count):
                task = Task(
                    cluster=cluster,
                    task_definition=task_definition,
                    container_instance_arn=None,
                    resource_requirements=requirements,
                    backend=self,
                    group=group,
                    overrides=overrides or {},
                    started_by=started_by or "",
                    tags=tags or [],
                    launch_type=effective_launch_type,
                    networking_configuration=networking_configuration,
                    platform_version=platform_version,
                    capacity_provider_name=provider,
                )
                self.tasks.setdefault(cluster.name, {})[task.task_arn] = task
                tasks.append(task)
        for task in tasks:
            task.launch_type = task.launch_type or effective_launch_type
            _attach_runtime(self, task, task_definition, placeholder=placeholder)
    return tasks


def _start_task(self: EC2ContainerServiceBackend, cluster_str: str, task_definition_str: str, *args: Any, **kwargs: Any) -> list[Task]:
    with STATE.lock:
        tasks = _orig_start_task(self, cluster_str, task_definition_str, *args, **kwargs)
        task_definition = self.describe_task_definition(task_definition_str)
        for task in tasks:
            task.launch_type = task.launch_type or "EC2"
            _attach_runtime(self, task, task_definition, placeholder=False)
    return tasks


EC2ContainerServiceBackend.run_task = _run_task  # type: ignore[method-assign]
EC2ContainerServiceBackend.start_task = _start_task  # type: ignore[method-assign]


# ===========================================================================
# 3. Real task lifecycle
#    Fixes: moto advances lastStatus one step per DescribeTasks call, never runs
#    anything and reports exitCode 0.  Here a background thread per task drives
#    PROVISIONING -> PENDING -> RUNNING -> (DEACTIVATING -> STOPPING ->
#    DEPROVISIONING) -> STOPPED in real time, containers are local processes.
# ===========================================================================


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _exit_code(returncode: int) -> int:
    """Docker convention: killed by signal N -> 128 + N."""
    return returncode if returncode >= 0 else 128 - returncode


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
        self.stopped_at: float | None = None  # when it reached STOPPED (section 11)
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
            self.stopped_at = _now()
            _timeline_container_stopped(self)

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
            _killpg(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
            self.reaped = True
        for reader in self.readers:
            reader.join(READER_JOIN_TIMEOUT)
        if self.sink is not None:
            self.sink.close()
        with STATE.lock:
            self.exit_code = _exit_code(returncode)
            self.last_status = "STOPPED"
            self.task_rt.container_stopped(self)

    def send_signal(self, sig: int) -> None:
        if self.proc is None:
            return
        with self.signal_lock:
            if not self.reaped:
                _killpg(self.proc.pid, sig)

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
        return _drop_none(d)


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
        self.created_at = _now()
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
            _timeline_task_status(self)

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
        now = _now()
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
        self.pull_started_at = _now()
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
            self.stopping_at = _now()
            teardown.before_finish(self)  # section 11: the ENI is deprovisioned
            return self._finish()

        self.pull_stopped_at = _now()
        for container in self.containers:
            try:
                container.start()
            except OSError as exc:
                container.reason = container.start_error(exc)
                container.last_status = "STOPPED"
                self.request_stop("TaskFailedToStart", container.reason)
                break
        if self.desired_status != "STOPPED":
            now = _now()
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
        self.stopping_at = _now()
        self._set_status("STOPPING")
        teardown.before_finish(self)  # section 11: the ENI is deprovisioned
        self._finish()

    def _stop_running(self) -> None:
        if not self.abandoned and teardown.applies(self):
            return teardown.stop_running(self)  # section 11
        drain = self.stop_drain or 0.0
        self.stopping_at = self.stopping_at or _now()
        self._set_status("DEACTIVATING")
        if drain and not self.abandoned:
            self._sleep(drain / 2, until_stop=False)
        self._set_status("STOPPING")
        self._stop_containers()
        self.execution_stopped_at = _now()
        self._set_status("DEPROVISIONING")
        if not self.abandoned:
            self._sleep(drain / 2 if drain else START_DELAY / 2, until_stop=False)
        self._finish()

    def _stop_containers(self) -> None:
        """docker stop of every container still running: SIGTERM now, SIGKILL after its
        grace period; returns once all are STOPPED (their logs flushed)."""
        now = _now()
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
            wall = _now()
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
        return _drop_none(d)


# 11. Fargate-style teardown (teardown.py): the task statuses after its containers stopped.
teardown.install(sys.modules[__name__])


def _attach_runtime(backend: EC2ContainerServiceBackend, task: Task, task_definition: Any, placeholder: bool) -> "TaskRuntime":
    runtime = TaskRuntime(backend, task, task_definition, placeholder)
    task._emu = runtime
    STATE.tasks[task.task_arn] = runtime
    runtime.start()
    return runtime


def _describe_task(task: Task, include_tags: bool) -> dict[str, Any]:
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


# ===========================================================================
# 4. awslogs: container output -> CloudWatch Logs
# ===========================================================================

# 4a. Fixes: moto's logs models are not thread-safe (its own TODO): GetLogEvents
#     sorts the event list while our log shippers append to it.  One lock
#     serialises every access to streams' event lists.

_LOGS_LOCK = threading.RLock()


def _locked(func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _LOGS_LOCK:
            return func(*args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


for _name in ("put_log_events", "get_log_events", "filter_log_events", "to_describe_dict"):
    setattr(logs_models.LogStream, _name, _locked(getattr(logs_models.LogStream, _name)))

# 4b. Fixes: GetLogEvents on a missing stream says "The specified log group does
#     not exist." (moto's default message); CloudWatch says "log stream".

_orig_group_get_log_events = logs_models.LogGroup.get_log_events


def _group_get_log_events(self: Any, log_stream_name: str, *args: Any, **kwargs: Any) -> Any:
    if log_stream_name not in self.streams:
        raise LogsNotFound("The specified log stream does not exist.")
    return _orig_group_get_log_events(self, log_stream_name, *args, **kwargs)


logs_models.LogGroup.get_log_events = _group_get_log_events  # type: ignore[method-assign]


class LogSink:
    """Buffers one container's lines and ships them, in order, into moto's logs
    backend.  Timestamps are real milliseconds, never decreasing within a stream
    (moto pages GetLogEvents by position in the timestamp-sorted list, so
    appending in order keeps tokens stable)."""

    def __init__(self, backend: Any, group_name: str, stream_name: str) -> None:
        self.backend = backend  # bound at creation: never writes into a post-reset backend
        self.group_name = group_name
        self.stream_name = stream_name
        self.lock = threading.Lock()
        self.buffer: list[dict[str, Any]] = []
        self.last_ts = 0
        self.closed = False
        with _LOGS_LOCK:
            self._stream()

    @classmethod
    def for_container(cls, container: ContainerRuntime) -> "LogSink":
        options = container.awslogs or {}
        task = container.task_rt.task
        region = options.get("awslogs-region") or task.region_name
        group = options.get("awslogs-group") or f"/ecs/{container.task_rt.task_definition.family}"
        prefix = options.get("awslogs-stream-prefix")
        stream = f"{prefix}/{container.name}/{task.id}" if prefix else container.runtime_id
        sink = cls(logs_models.logs_backends[task._account_id][region], group, stream)
        STATE.sinks.add(sink)
        return sink

    def _stream(self) -> Any:
        group = self.backend.groups.get(self.group_name)
        if group is None:
            self.backend.create_log_group(self.group_name, {})
            group = self.backend.groups[self.group_name]
        stream = group.streams.get(self.stream_name)
        if stream is None:
            group.create_log_stream(self.stream_name)
            stream = group.streams[self.stream_name]
        return stream

    def add(self, message: str) -> None:
        with self.lock:
            ts = max(int(time.time() * 1000), self.last_ts)
            self.last_ts = ts
            self.buffer.append({"timestamp": ts, "message": message})
            if len(self.buffer) >= LOG_BATCH_MAX:
                self._flush_locked()

    def flush(self) -> None:
        with self.lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        if self.closed:
            return
        with _LOGS_LOCK:
            self._stream().put_log_events(batch)

    def close(self) -> None:
        self.flush()
        with STATE.lock:
            STATE.sinks.discard(self)


def pump_lines(pipe: Any, add: Callable[[str], None]) -> None:
    """Read ``pipe`` to EOF, handing each non-empty line (without its newline, split
    at MAX_EVENT_BYTES) to ``add`` (a LogSink's): containers and Lambda bootstraps."""
    try:
        while True:
            chunk = pipe.readline(MAX_EVENT_BYTES)
            if not chunk:
                break
            if chunk.endswith(b"\n"):
                chunk = chunk[:-1]
            if chunk:
                add(chunk.decode("utf-8", "replace"))
    except (OSError, ValueError):
        pass
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def _log_flusher() -> None:
    while True:
        time.sleep(LOG_FLUSH_INTERVAL)
        with STATE.lock:
            sinks = list(STATE.sinks)
        for sink in sinks:
            try:
                sink.flush()
            except Exception:
                log.exception("log flush failed for %s/%s", sink.group_name, sink.stream_name)


# ===========================================================================
# 5. ECS API handlers
# ===========================================================================


def _find_task(backend: EC2ContainerServiceBackend, cluster: Cluster, ref: str) -> Task | None:
    """The task, unless it is unknown or forgotten (stopped longer than the retention)."""
    tasks = backend.tasks.get(cluster.name, {})
    found = tasks.get(ref)
    if found is None:
        wanted = _task_id(ref)
        found = next((task for arn, task in tasks.items() if _task_id(arn) == wanted), None)
    if found is None or _task_forgotten(found, _now()):
        return None
    return found


def _missing_task_arn(backend: EC2ContainerServiceBackend, cluster: Cluster, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    partition = get_partition(backend.region_name)
    return f"arn:{partition}:ecs:{backend.region_name}:{backend.account_id}:task/{cluster.name}/{ref}"


# 5a. RunTask.  Fixes: clientToken is ignored by moto (ECS returns the same
#     tasks for a token reused within 24 h, and ConflictException for a token
#     reused with other parameters: section 9); failure conventions
#     ("no-capacity"); tasks come back as snapshots of their TaskRuntime.
def _resp_run_task(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster_str = self._get_param("cluster", "default")
    task_definition_str = self._get_param("taskDefinition")
    count = self._get_int_param("count", 1)
    client_token = self._get_param("clientToken")
    if count is None or not 1 <= count <= 10:
        raise InvalidParameterException("count must be between 1 and 10.")
    _check_request_tags(self)
    request = _request_fingerprint(self)
    with STATE.lock:
        cluster = backend._get_cluster(cluster_str)
        token_key = (backend.account_id, backend.region_name, cluster.arn, client_token or "")
        if client_token:
            seen = STATE.client_tokens.get(token_key)
            if seen is not None and _now() - seen[0] < STRICT["client_token_ttl_seconds"]:
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
            STATE.client_tokens[token_key] = (_now(), [t.task_arn for t in created], failures, request)
        tasks = [_describe_task(t, include_tags=True) for t in created]
    return ActionResult({"tasks": tasks, "failures": failures})


# 5b. DescribeTasks.  Fixes: moto advances the status on every call, returns
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
        now = _now()
        for ref in refs:
            task = _find_task(backend, cluster, ref)
            if task is None or _task_in_describe_lag(task, now):
                failures.append({"arn": _missing_task_arn(backend, cluster, ref), "reason": "MISSING"})
            else:
                tasks.append(_describe_task(task, include_tags))
    return ActionResult({"tasks": tasks, "failures": failures})


# 5c. StopTask.  Fixes: moto flips the task to STOPPED instantly and 500s on an
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
        return ActionResult({"task": _describe_task(task, include_tags=True)})


# 5d. ListTasks.  Fixes: moto ignores `serviceName`, `launchType`, pagination,
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
        now = _now()
        result = [task for tasks in self.tasks.values() for task in tasks.values() if not _task_forgotten(task, now)]
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
    now = _now()
    arns = [t.task_arn for t in tasks if not _task_in_describe_lag(t, now)]
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


# 5e. Fixes: tagging an unknown task ARN raises NotImplementedError (HTML 500).
_orig_get_resource = EC2ContainerServiceBackend._get_resource


def _get_resource(self: EC2ContainerServiceBackend, resource_arn: str, parsed_arn: dict[str, str]) -> Any:
    if parsed_arn.get("service") == "task":
        with STATE.lock:
            for tasks in self.tasks.values():
                if resource_arn in tasks and not _task_forgotten(tasks[resource_arn], _now()):
                    return tasks[resource_arn]
        raise InvalidParameterException("The specified task is not found.")
    return _orig_get_resource(self, resource_arn, parsed_arn)


EC2ContainerServiceBackend._get_resource = _get_resource  # type: ignore[method-assign]
EC2ContainerServiceBackend.list_tasks = _list_tasks  # type: ignore[method-assign]
EC2ContainerServiceResponse.run_task = _resp_run_task  # type: ignore[method-assign]
EC2ContainerServiceResponse.describe_tasks = _resp_describe_tasks  # type: ignore[method-assign]
EC2ContainerServiceResponse.stop_task = _resp_stop_task  # type: ignore[method-assign]
EC2ContainerServiceResponse.list_tasks = _resp_list_tasks  # type: ignore[method-assign]
EC2ContainerServiceResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.pop("DescribeTasksResponse.tasks.Task.tags", None)


# 5f. Fixes: cluster runningTasksCount / pendingTasksCount are counters moto
#     adjusts by hand; they are now computed from the tasks.
def _count_tasks(runtimes: Iterable[TaskRuntime], states: tuple[str, ...]) -> int:
    return sum(1 for rt in runtimes if rt.last_status in states)


def _cluster_count(states: tuple[str, ...]) -> property:
    def getter(self: Cluster) -> int:
        with STATE.lock:
            return _count_tasks((rt for rt in STATE.tasks.values() if rt.task.cluster_arn == self.arn), states)

    return property(getter, lambda self, value: None)


Cluster.running_tasks_count = _cluster_count(("RUNNING",))  # type: ignore[assignment]
Cluster.pending_tasks_count = _cluster_count(PENDING_STATES)  # type: ignore[assignment]


# ===========================================================================
# 6. Services
#    Fixes: moto's services never launch tasks (runningCount is a constant from
#    MOTO_ECS_SERVICE_RUNNING, or desiredCount after UpdateService).  A
#    scheduler thread keeps `desiredCount` placeholder tasks RUNNING per ACTIVE
#    service (startedBy = deployment ID "ecs-svc/<digits>", group
#    "service:<name>"), starts tasks on scale-out, drains the newest ones on
#    scale-in (stopCode ServiceSchedulerInitiated), replaces tasks of an old
#    deployment (new task definition / forceNewDeployment), and drains all of
#    them when the service is deleted.  runningCount / pendingCount are live.
# ===========================================================================


# 6a. Fixes: CreateService crashes (KeyError -> HTML 500) when the
#     awsvpcConfiguration has no `securityGroups`; ECS then uses the VPC's
#     default security group (tasks get it in section 2b).
_orig_validate_network = Service._validate_network


def _validate_network(self: Service, network_configuration: dict[str, Any]) -> dict[str, Any]:
    conf = (network_configuration or {}).get("awsvpcConfiguration")
    if conf is None:
        return network_configuration
    if not conf.get("securityGroups"):
        _orig_validate_network(self, {"awsvpcConfiguration": dict(conf, securityGroups=[])})
        return network_configuration
    return _orig_validate_network(self, network_configuration)


Service._validate_network = _validate_network  # type: ignore[method-assign]


def _service_runtimes(service: Service) -> list[TaskRuntime]:
    return service.__dict__.setdefault("_emu_tasks", [])


def _service_count(states: tuple[str, ...]) -> property:
    def getter(self: Service) -> int:
        with STATE.lock:
            return _count_tasks(_service_runtimes(self), states)

    return property(getter, lambda self, value: None)


Service.running_count = _service_count(("RUNNING",))  # type: ignore[assignment]
Service.pending_count = _service_count(PENDING_STATES)  # type: ignore[assignment]


def _new_deployment_id() -> str:
    return f"ecs-svc/{int(uuid.uuid4().int % 10**19):019d}"


def _service_event(service: Service, message: str) -> None:
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": _now(), "message": f"(service {service.name}) {message}"})
    del service.events[100:]


def _new_deployment(service: Service, launch_type: str | None) -> None:
    now = _now()
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
    runtimes = _service_runtimes(service)
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
    running = _count_tasks(runtimes, ("RUNNING",))
    pending = _count_tasks(runtimes, PENDING_STATES)
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
            updatedAt=_now(),
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


def _service_scheduler() -> None:
    purged_at = 0.0
    while True:
        with STATE.lock:
            if time.monotonic() - purged_at >= 1.0:  # retention (section 9c)
                purged_at = time.monotonic()
                try:
                    _purge_forgotten(_now())
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


_orig_create_service = EC2ContainerServiceBackend.create_service
_orig_update_service = EC2ContainerServiceBackend.update_service
_orig_delete_service = EC2ContainerServiceBackend.delete_service


def _create_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Service:
    with STATE.lock:
        service = _orig_create_service(self, *args, **kwargs)
        service.__dict__["_emu_tasks"] = []
        _desired_count_set(service, stale=False)
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
            _desired_count_set(service, stale=service.desired_count != old_desired_count)
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


EC2ContainerServiceBackend.create_service = _create_service  # type: ignore[method-assign]
EC2ContainerServiceBackend.update_service = _update_service  # type: ignore[method-assign]
EC2ContainerServiceBackend.delete_service = _delete_service  # type: ignore[method-assign]


# 6b. Application Auto Scaling.  Fixes: RegisterScalableTarget on an existing
#     target replaces SuspendedState with whatever subset was sent, and a target
#     registered without SuspendedState reports none.  Like AWS, the three flags
#     always exist (default false) and an update changes only the flags it sends.

_SUSPENDED_FLAGS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


def _merge_suspended_state(current: Any, given: Any) -> dict[str, bool]:
    state = {flag: bool((current or {}).get(flag, False)) for flag in _SUSPENDED_FLAGS}
    if isinstance(given, dict):
        for flag in _SUSPENDED_FLAGS:
            if given.get(flag) is not None:
                state[flag] = bool(given[flag])
    return state


_orig_target_init = aas_models.FakeScalableTarget.__init__
_orig_target_update = aas_models.FakeScalableTarget.update


def _target_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _orig_target_init(self, *args, **kwargs)
    self.suspended_state = _merge_suspended_state(None, self.suspended_state)


def _target_update(self: Any, min_capacity: Any, max_capacity: Any, suspended_state: Any) -> None:
    _orig_target_update(self, min_capacity, max_capacity, None)
    if suspended_state is not None:
        self.suspended_state = _merge_suspended_state(self.suspended_state, suspended_state)


aas_models.FakeScalableTarget.__init__ = _target_init  # type: ignore[method-assign]
aas_models.FakeScalableTarget.update = _target_update  # type: ignore[method-assign]


# ===========================================================================
# 7. Control plane
#    Fixes: POST /moto-api/reset resets moto's backends but knows nothing about
#    our processes, threads, tokens: they are killed/forgotten first.
#    GET /ecs-emulator/calls (API calls per operation since the last reset) is
#    served by the middleware in section 1.
# ===========================================================================


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
    lambda_runtime.kill_all()  # section 10: running bootstraps


_orig_moto_reset = MotoAPIBackend.reset


def _moto_reset(self: MotoAPIBackend) -> None:
    stop_all_tasks()
    with STATE.lock:
        STATE.calls.clear()
        STATE.first_request_at = None
    STRICT.reset()  # start-up config, re-seeded RNG, no fault counters, empty timeline
    lambda_runtime.forget_runs()
    _orig_moto_reset(self)


MotoAPIBackend.reset = _moto_reset  # type: ignore[method-assign]


# ===========================================================================
# 9. Strict mode.  The logic and the configuration live in strict.py; these
#    are the hooks that need moto's internals.  Every knob is read at the
#    moment it matters, so POST /ecs-emulator/config takes effect at once.
# ===========================================================================

# 9a. Tag restrictions (knob tag_limits).  Fixes: moto accepts any tags.  ECS
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


def _check_request_tags(response: EC2ContainerServiceResponse) -> None:
    _check_tags(response._get_param("tags"))


def _tags_checked(method: Callable[[EC2ContainerServiceResponse], Any]) -> Callable[[EC2ContainerServiceResponse], Any]:
    def wrapper(self: EC2ContainerServiceResponse) -> Any:
        _check_request_tags(self)
        return method(self)

    wrapper.__name__ = method.__name__
    return wrapper


for _name in ("create_cluster", "create_service", "register_task_definition"):
    setattr(EC2ContainerServiceResponse, _name, _tags_checked(getattr(EC2ContainerServiceResponse, _name)))

_orig_resp_tag_resource = EC2ContainerServiceResponse.tag_resource


def _resp_tag_resource(self: EC2ContainerServiceResponse) -> Any:
    if STRICT["tag_limits"]:
        backend = self.ecs_backend
        arn = self._get_param("resourceArn") or ""
        resource = backend._get_resource(arn, backend._parse_resource_arn(arn))
        _check_tags(self._get_param("tags") or [], [t.get("key") for t in resource.tags or []])
    return _orig_resp_tag_resource(self)


EC2ContainerServiceResponse.tag_resource = _resp_tag_resource  # type: ignore[method-assign]


# 9b. RunTask idempotency (knobs run_task_conflict, client_token_ttl_seconds).
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


def _request_fingerprint(response: EC2ContainerServiceResponse) -> str:
    try:
        body = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        body = response._get_params()
    if not isinstance(body, dict):
        body = {}
    body = {k: v for k, v in body.items() if k != "clientToken"}
    return strict.canonical_json(body)


# 9c. Describe lag and retention (knobs describe_lag_seconds,
#     stopped_task_retention_seconds).  Fixes: moto shows a task at once and
#     forever.  ECS is eventually consistent (a new task can be MISSING for a
#     while) and forgets stopped tasks (DescribeTasks shows them "for at least
#     one hour").  Forgotten tasks are also purged from memory.


def _task_forgotten(task: Task, now: float) -> bool:
    runtime = task.__dict__.get("_emu")
    if runtime is None or runtime.last_status != "STOPPED" or runtime.stopped_at is None:
        return False
    return now - runtime.stopped_at > STRICT["stopped_task_retention_seconds"]


def _task_in_describe_lag(task: Task, now: float) -> bool:
    lag = STRICT["describe_lag_seconds"]
    runtime = task.__dict__.get("_emu")
    return lag > 0 and runtime is not None and now - runtime.created_at < lag


def _purge_forgotten(now: float) -> None:
    """Drop forgotten tasks and expired clientTokens (STATE.lock held)."""
    forgotten = [rt for rt in STATE.tasks.values() if _task_forgotten(rt.task, now)]
    for runtime in forgotten:
        arn = runtime.task.task_arn
        STATE.tasks.pop(arn, None)
        runtime.backend.tasks.get(runtime.task.cluster_name, {}).pop(arn, None)
    if forgotten:
        for backend in STATE.service_backends:
            for service in backend.services.values():
                runtimes = _service_runtimes(service)
                runtimes[:] = [rt for rt in runtimes if rt.task.task_arn in STATE.tasks]
    ttl = STRICT["client_token_ttl_seconds"]
    for key in [k for k, seen in STATE.client_tokens.items() if now - seen[0] >= ttl]:
        del STATE.client_tokens[key]


# 9d. Stale desiredCount (knob stale_desired_count_seconds).  For that long
#     after UpdateService changed desiredCount, DescribeServices shows the
#     previous value (in the service and its PRIMARY deployment); the
#     scheduler uses the new value at once.  Every real setting of the desired
#     count (CreateService, UpdateService) goes on the timeline.


def _desired_count_set(service: Service, stale: bool) -> None:
    value = int(service.desired_count or 0)
    history = service.__dict__.setdefault("_emu_desired_history", [])
    if stale or not history:
        history.append((_now() if stale else float("-inf"), value))
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

_orig_resp_describe_services = EC2ContainerServiceResponse.describe_services


def _resp_describe_services(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _orig_resp_describe_services(self)
    body = result.result
    if isinstance(body, dict) and body.get("services"):
        now = _now()
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


EC2ContainerServiceResponse.describe_services = _resp_describe_services  # type: ignore[method-assign]


# 9e. Timeline: every task lastStatus change, every container reaching
#     STOPPED, every real desired count (9d).  Tasks killed by a reset or
#     shutdown are not recorded.


def _timeline_task_status(runtime: "TaskRuntime") -> None:
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


def _timeline_container_stopped(container: "ContainerRuntime") -> None:
    runtime = container.task_rt
    if getattr(runtime, "abandoned", False):
        return
    STRICT.record(
        "container_stopped",
        task_arn=runtime.task.task_arn,
        container=container.name,
        exit_code=container.exit_code,
    )


# 9f. CloudWatch Logs ingestion lag and empty pages (knobs log_lag_ms,
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


logs_models.LogStream.get_log_events = _locked(_stream_get_log_events)  # type: ignore[method-assign]
logs_models.LogStream.filter_log_events = _locked(_stream_filter_log_events)  # type: ignore[method-assign]


# ===========================================================================
# 8. Launcher
# ===========================================================================


def _start_background_threads() -> None:
    threading.Thread(target=_log_flusher, name="log-flusher", daemon=True).start()
    threading.Thread(target=_service_scheduler, name="service-scheduler", daemon=True).start()


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

    app = EmulatorMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs (e.g. SQS) from it
    # 10. Lambda custom runtimes: Invoke runs a provided.* function's bootstrap (lambda_runtime.py).
    lambda_runtime.install(sys.modules[__name__], endpoint_url=f"http://{_display_host(args.host)}:{port}")
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


if __name__ == "__main__":
    status = main()
    # Skip interpreter finalisation (tearing down moto's modules takes ~0.3 s):
    # everything worth doing was done above.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
