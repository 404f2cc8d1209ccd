"""Creates the demo app in the emulator: a cluster, two revisions of the app's task definition
(with awslogs, like a real Fargate app; revision 2 is a release with a broken migration), and a
service running revision 1. The task definition's container runs this folder's
migrate.py against a SQLite file, so the migration task really migrates a database.

Usage: setup.py WORK_DIR   (AWS_ENDPOINT_URL, AWS_REGION and fake credentials in the environment)
"""

import os
import sys
from pathlib import Path

import boto3

work = Path(sys.argv[1]).resolve()
here = Path(__file__).resolve().parent
region = os.environ.get("AWS_REGION", "us-east-1")
ecs = boto3.client("ecs", region_name=region)
ec2 = boto3.client("ec2", region_name=region)

subnets = [
    s["SubnetId"]
    for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
]
ecs.create_cluster(clusterName="demo")


def register(version: str, migrations: str) -> str:
    """Registers a revision of the app's task definition: release `version`, whose image would
    carry the migrations in `migrations` (here: a MIGRATIONS_DIR setting)."""
    return ecs.register_task_definition(
        family="demo-app",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "app",
                "image": f"example.com/demo-app:{version}",
                "essential": True,
                "memory": 512,
                # What the app runs normally; the migration overrides it with `python3 migrate.py`.
                "command": ["python3", "-c", "import time; time.sleep(3600)"],
                "workingDirectory": str(here),
                "environment": [
                    {"name": "DATABASE_PATH", "value": str(work / "app.db")},
                    {"name": "MIGRATIONS_DIR", "value": migrations},
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/demo-app",
                        "awslogs-region": region,
                        "awslogs-stream-prefix": "demo",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]


task_definition = register("1.0.0", "migrations")
# Release 1.1.0 adds migration 004, which is broken.
next_release = register("1.1.0", "migrations:migrations-broken")
ecs.create_service(
    cluster="demo",
    serviceName="demo-web",
    taskDefinition=task_definition,
    desiredCount=2,
    launchType="FARGATE",
    networkConfiguration={
        "awsvpcConfiguration": {"subnets": subnets[:2], "assignPublicIp": "DISABLED"}
    },
)
print(f"cluster demo, service demo-web (2 tasks) on {task_definition}; next release: {next_release}")
