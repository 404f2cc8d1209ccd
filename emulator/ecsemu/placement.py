"""Task placement: RunTask and StartTask without moto's crashes.

a. RunTask crashes (TypeError, HTML 500) when a container has neither
   ``memory`` nor ``memoryReservation``.
b. ``Task.__init__`` (awsvpc) crashes without ``securityGroups`` or when the
   subnet's VPC lacks DNS hostnames, and models only the first container.
c. RunTask with the EC2 launch type (or none) on a cluster without container
   instances raises a bare Exception.

Every task created here gets a ``TaskRuntime`` (``lifecycle.py``), which starts
its lifecycle; the task's status fields live in that runtime.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from moto.ec2 import ec2_backends
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.utils import generate_dns_from_ip, random_private_ip
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, Task
from moto.moto_api._internal.managed_state_model import ManagedState

from .lifecycle import attach_runtime
from .state import FARGATE_PROVIDERS, STATE

_orig_run_task: Callable[..., list[Task]] | None = None
_orig_start_task: Callable[..., list[Task]] | None = None


def install() -> None:
    """Patch moto's ECS backend (resource requirements, RunTask, StartTask) and ``Task``."""
    global _orig_run_task, _orig_start_task
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(  # type: ignore[method-assign]
        _calculate_task_resource_requirements
    )
    Task.__init__ = _task_init  # type: ignore[method-assign]
    Task.last_status = _runtime_property("last_status", "RUNNING")  # type: ignore[assignment]
    Task.desired_status = _runtime_property("desired_status", "RUNNING")  # type: ignore[assignment]
    Task.stopped_reason = _runtime_property("stopped_reason", None)  # type: ignore[assignment]
    _orig_run_task = EC2ContainerServiceBackend.run_task
    _orig_start_task = EC2ContainerServiceBackend.start_task
    EC2ContainerServiceBackend.run_task = _run_task  # type: ignore[method-assign]
    EC2ContainerServiceBackend.start_task = _start_task  # type: ignore[method-assign]


# a. Fixes: RunTask crashes (TypeError -> HTML 500) when a container has neither
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


# b. Fixes: moto's Task.__init__ (awsvpc) crashes with KeyError when
#     `securityGroups` is omitted (ECS then uses the VPC's default group), and
#     with AttributeError `private_dns_name` when the subnet's VPC lacks DNS
#     hostnames (any non-default VPC).  It also models only the first container
#     and keeps status in moto's ManagedState.  Replaced: status lives in the
#     TaskRuntime (lifecycle.py); the ENI is created in the subnet's CIDR.
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


# c. Fixes: RunTask with the EC2 launch type (or no launch type) on a cluster
#     without registered container instances raises a bare Exception (HTML 500).
#     The emulator places such tasks without a container instance, like Fargate.
#     Every created task gets a TaskRuntime, which starts its lifecycle.


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
            attach_runtime(self, task, task_definition, placeholder=placeholder)
    return tasks


def _start_task(self: EC2ContainerServiceBackend, cluster_str: str, task_definition_str: str, *args: Any, **kwargs: Any) -> list[Task]:
    with STATE.lock:
        tasks = _orig_start_task(self, cluster_str, task_definition_str, *args, **kwargs)
        task_definition = self.describe_task_definition(task_definition_str)
        for task in tasks:
            task.launch_type = task.launch_type or "EC2"
            attach_runtime(self, task, task_definition, placeholder=False)
    return tasks
