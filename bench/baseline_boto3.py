"""Baseline (b): what users do today in Python to run a migration task and get its verdict.

boto3 RunTask, the `tasks_stopped` waiter (polls every 6 s, gives up after 100 attempts), then
DescribeTasks for the migration container's exit code. Exits 0 only when that container exited 0
(no exit code, e.g. a task that never started, is a failure), else with its exit code (1 if none).

Usage: python bench/baseline_boto3.py CLUSTER TASK_DEFINITION SUBNETS SECURITY_GROUPS CONTAINER COMMAND_JSON
  SUBNETS and SECURITY_GROUPS are comma lists; COMMAND_JSON is the command override as a JSON array.
AWS settings come from the environment (AWS_ENDPOINT_URL, AWS_REGION, credentials).
"""

import json
import sys

import boto3
from botocore.exceptions import WaiterError


def main(argv: list[str]) -> int:
    if len(argv) != 6:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    cluster, task_definition, subnets, security_groups, container, command_json = argv
    ecs = boto3.client("ecs")
    response = ecs.run_task(
        cluster=cluster,
        taskDefinition=task_definition,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": subnets.split(","),
                "securityGroups": security_groups.split(","),
                "assignPublicIp": "DISABLED",
            }
        },
        overrides={"containerOverrides": [{"name": container, "command": json.loads(command_json)}]},
    )
    if response.get("failures") or not response.get("tasks"):
        print(f"run-task started no task: {response.get('failures')}", file=sys.stderr)
        return 1
    task_arn = response["tasks"][0]["taskArn"]
    print(f"started {task_arn}", file=sys.stderr)

    try:
        ecs.get_waiter("tasks_stopped").wait(cluster=cluster, tasks=[task_arn])
    except WaiterError as err:
        print(f"gave up waiting for {task_arn}: {err}", file=sys.stderr)
        return 1

    task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
    exit_code = next((c.get("exitCode") for c in task["containers"] if c["name"] == container), None)
    print(f"container {container} exit code: {exit_code}", file=sys.stderr)
    if exit_code == 0:
        return 0
    return exit_code if isinstance(exit_code, int) and 0 < exit_code < 256 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
