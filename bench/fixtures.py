"""Fixtures of the benchmark in the emulated AWS: one cluster, the migration's task definition,
and (for the pause/restore flow) two services of the app.

Created with boto3 after every `POST /moto-api/reset`, so each measured run starts from the same
state and the emulator's call counters count only that run (after a snapshot).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
CLUSTER = "bench"
MIGRATE_FAMILY = "bench-migrate"
CONTAINER = "migrate"
LOG_GROUP = "/bench/migrate"
# The app's services for the pause/restore flow: name -> desired count.
SERVICES = {"app": 2, "worker": 1}


@dataclass
class Fixtures:
    cluster: str
    task_definition: str  # family:revision
    subnets: list[str]
    security_group: str


class Aws:
    """boto3 clients on the emulator (the harness's own calls, never counted in a measurement:
    every measurement diffs the counters around the tool's process only)."""

    def __init__(self, endpoint_url: str) -> None:
        session = boto3.session.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
        )
        config = Config(retries={"max_attempts": 3, "mode": "standard"})
        self.ecs = session.client("ecs", endpoint_url=endpoint_url, config=config)
        self.ec2 = session.client("ec2", endpoint_url=endpoint_url, config=config)


def network(aws: Aws) -> tuple[list[str], str]:
    """Two of the default VPC's subnets (sorted) and its default security group."""
    subnets = aws.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    subnet_ids = sorted(s["SubnetId"] for s in subnets)[:2]
    vpc_id = subnets[0]["VpcId"]
    groups = aws.ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    return subnet_ids, groups[0]["GroupId"]


def register(aws: Aws, family: str, container: dict[str, Any], log_group: str = LOG_GROUP) -> str:
    """Registers a Fargate (awsvpc) task definition with one essential container logging to
    `log_group` (awslogs, stream prefix `ecs`); `container` holds its name and any other
    container definition keys. Returns `family:revision`."""
    container = dict(container)
    td = aws.ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": container.pop("name"),
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:bench",
                "memory": 512,
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": log_group,
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "ecs",
                    },
                },
                **container,
            }
        ],
    )["taskDefinition"]
    return f"{td['family']}:{td['revision']}"


def create(aws: Aws, services: bool = False) -> Fixtures:
    """Cluster, default-VPC subnets and security group, the migration's Fargate task definition
    (awslogs), and with `services` the app's services, waited for until their tasks run."""
    aws.ecs.create_cluster(clusterName=CLUSTER)
    subnet_ids, security_group = network(aws)

    task_definition = register(aws, MIGRATE_FAMILY, {"name": CONTAINER, "command": ["sh", "-c", "echo migrated"]})
    fixtures = Fixtures(CLUSTER, task_definition, subnet_ids, security_group)
    if services:
        network_configuration = {
            "awsvpcConfiguration": {
                "subnets": subnet_ids,
                "securityGroups": [security_group],
                "assignPublicIp": "DISABLED",
            }
        }
        for name, count in SERVICES.items():
            app_td = register(aws, f"bench-{name}", {"name": name, "command": ["sleep", "86400"]})
            aws.ecs.create_service(
                cluster=CLUSTER,
                serviceName=name,
                taskDefinition=app_td,
                desiredCount=count,
                launchType="FARGATE",
                networkConfiguration=network_configuration,
            )
        wait_services_running(aws, timeout=60)
    return fixtures


def services_running(aws: Aws) -> bool:
    """Every service has its desired count RUNNING and nothing else in flight."""
    out = aws.ecs.describe_services(cluster=CLUSTER, services=list(SERVICES))["services"]
    return len(out) == len(SERVICES) and all(
        s["runningCount"] == s["desiredCount"] == SERVICES[s["serviceName"]] and s.get("pendingCount", 0) == 0
        for s in out
    )


def wait_services_running(aws: Aws, timeout: float, poll: float = 0.1) -> float:
    """Polls until `services_running`; returns the time (epoch) it first held."""
    deadline = time.monotonic() + timeout
    while True:
        if services_running(aws):
            return time.time()
        if time.monotonic() > deadline:
            raise RuntimeError(f"services {SERVICES} did not reach their desired counts in {timeout:.0f} s")
        time.sleep(poll)


def migration_tasks(aws: Aws) -> list[dict[str, Any]]:
    """The migration tasks started since the last reset (any status), described."""
    arns: list[str] = []
    for status in ("RUNNING", "STOPPED"):
        token = None
        while True:
            kwargs = {"cluster": CLUSTER, "family": MIGRATE_FAMILY, "desiredStatus": status}
            if token:
                kwargs["nextToken"] = token
            page = aws.ecs.list_tasks(**kwargs)
            arns.extend(page["taskArns"])
            token = page.get("nextToken")
            if not token:
                break
    if not arns:
        return []
    return aws.ecs.describe_tasks(cluster=CLUSTER, tasks=sorted(set(arns)))["tasks"]
