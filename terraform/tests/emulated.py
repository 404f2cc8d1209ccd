"""What the emulator holds: an app's tasks, services, tags, outcome records and auto scaling,
read with boto3 (the caller tests and the examples' tests share these)."""

from __future__ import annotations

import json
import time


def stamp(value):
    return value.timestamp() if value else None


class App:
    """One app in the emulator. Fleet's: cluster = service = task definition family = name
    (and NAME-vuln-processing); Omni's: cluster omni-C, family omni-C-migrator, no service."""

    def __init__(self, emulator, name: str, vuln: bool = False, family: str | None = None, service: bool = True):
        self.emulator = emulator
        self.name = name
        self.family = family or name
        self.has_service = service
        self.vuln = f"{name}-vuln-processing" if vuln else None
        self.ecs = emulator.client("ecs")

    @classmethod
    def omni(cls, emulator, customer: str) -> "App":
        return cls(emulator, f"omni-{customer}", family=f"omni-{customer}-migrator", service=False)

    def tasks(self) -> list[dict]:
        arns = []
        for status in ("RUNNING", "STOPPED"):
            for page in self.ecs.get_paginator("list_tasks").paginate(cluster=self.name, desiredStatus=status):
                arns += page["taskArns"]
        tasks = []
        for i in range(0, len(arns), 100):
            tasks += self.ecs.describe_tasks(cluster=self.name, tasks=arns[i:i + 100])["tasks"]
        return tasks

    def migrations(self) -> list[dict]:
        return sorted((t for t in self.tasks() if not t.get("group", "").startswith("service:")),
                      key=lambda t: t["createdAt"])

    def service(self, name: str | None = None) -> dict:
        return self.ecs.describe_services(cluster=self.name, services=[name or self.name])["services"][0]

    def service_tasks_during(self, migration: dict, service: str | None = None) -> int:
        """The service's tasks that were running at some moment while the migration ran."""
        group = f"service:{service or self.name}"
        start, stop = stamp(migration.get("startedAt")), stamp(migration.get("stoppedAt"))
        assert start and stop, f"the migration task did not run: {migration.get('stoppedReason')}"
        return len([t for t in self.tasks() if t.get("group") == group and t.get("startedAt")
                    and stamp(t["startedAt"]) < stop
                    and (stamp(t.get("stoppedAt")) or time.time() + 3600) > start])

    def drained(self, service: str | None = None) -> int:
        group = f"service:{service or self.name}"
        return len([t for t in self.tasks() if t.get("group") == group
                    and t.get("stopCode") == "ServiceSchedulerInitiated"])

    def ecs_migrate_tags(self) -> dict:
        """ecs-migrate:* tags left on the cluster, the services and every revision of the family."""
        arns = [self.ecs.describe_clusters(clusters=[self.name])["clusters"][0]["clusterArn"]]
        if self.has_service:
            arns.append(self.service()["serviceArn"])
        if self.vuln:
            arns.append(self.service(self.vuln)["serviceArn"])
        arns += self.ecs.list_task_definitions(familyPrefix=self.family)["taskDefinitionArns"]
        left = {}
        for arn in arns:
            tags = [t["key"] for t in self.ecs.list_tags_for_resource(resourceArn=arn).get("tags", [])
                    if t["key"].startswith("ecs-migrate:")]
            if tags:
                left[arn.rsplit(":", 1)[-1] if "task-definition" in arn else arn.rsplit("/", 1)[-1]] = tags
        return left

    def outcome_records(self) -> dict:
        """ecs-migrate's outcome records of the family: SSM parameter name -> value (JSON)."""
        ssm = self.emulator.client("ssm")
        found = {}
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
                Path=f"/ecs-migrate/{self.family}", Recursive=True):
            for p in page["Parameters"]:
                try:
                    found[p["Name"]] = json.loads(p["Value"])
                except ValueError:
                    found[p["Name"]] = p["Value"]
        return found

    def register_scalable_target(self, low: int = 2, high: int = 5) -> None:
        self.emulator.client("application-autoscaling").register_scalable_target(
            ServiceNamespace="ecs", ResourceId=f"service/{self.name}/{self.name}",
            ScalableDimension="ecs:service:DesiredCount", MinCapacity=low, MaxCapacity=high)

    def scalable_target(self) -> str:
        targets = self.emulator.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{self.name}/{self.name}"])["ScalableTargets"]
        if not targets:
            return "none"
        t = targets[0]
        suspended = any(t.get("SuspendedState", {}).values())
        return f"{t['MinCapacity']}-{t['MaxCapacity']}" + (" suspended" if suspended else "")


def exit_code(task: dict, container: str) -> int | None:
    return next((c.get("exitCode") for c in task.get("containers", []) if c["name"] == container), None)


def revision(task: dict) -> str:
    return task["taskDefinitionArn"].rsplit("/", 1)[-1]


def observe_app(app: App, container: str) -> dict:
    """The app as the emulator holds it now (what the examples' checks read),
    key -> value; a key whose value cannot be read is missing, and "error" says why."""
    seen: dict = {}
    try:
        tasks = app.tasks()
        migrations = sorted((t for t in tasks if not t.get("group", "").startswith("service:")),
                            key=lambda t: t["createdAt"])
        service_tasks = [t for t in tasks if t.get("group") == f"service:{app.name}"]
        svc = app.service()
        tags = app.ecs.list_tags_for_resource(resourceArn=svc["serviceArn"]).get("tags", [])
        calls = app.emulator.calls()
        seen["run_task_calls"] = calls.get("ecs:RunTask", 0)
        seen["register_scalable_target_calls"] = calls.get("application-autoscaling:RegisterScalableTarget", 0)
        seen["migration_tasks"] = len(migrations)
        last = migrations[-1] if migrations else {}
        seen["last_task_definition"] = last.get("taskDefinitionArn", "").rsplit("/", 1)[-1]
        seen["last_status"] = last.get("lastStatus", "")
        seen["last_exit_code"] = exit_code(last, container) if last else None
        # The service's tasks that ran at some moment while the last migration task ran.
        if last.get("startedAt") and last.get("stoppedAt"):
            start, stop = stamp(last["startedAt"]), stamp(last["stoppedAt"])
            seen["service_tasks_during_migration"] = len([
                t for t in service_tasks if t.get("startedAt") and stamp(t["startedAt"]) < stop
                and (stamp(t.get("stoppedAt")) or time.time() + 3600) > start])
            # Launched before the migration: created, whether or not they had reached RUNNING
            # (the service is created in the same apply, so its tasks may still be starting
            # when paused).
            seen["service_tasks_before_migration"] = len([
                t for t in service_tasks if t.get("createdAt") and stamp(t["createdAt"]) < start])
        seen["service_tasks_stopped_by_scheduler"] = len([
            t for t in service_tasks if t.get("stopCode") == "ServiceSchedulerInitiated"])
        seen["service_tasks_wanted_running"] = len([t for t in service_tasks if t.get("desiredStatus") == "RUNNING"])
        seen["service_desired_count"] = svc["desiredCount"]
        seen["service_record_tags"] = len([t for t in tags if t["key"].startswith("ecs-migrate:")])
        targets = app.emulator.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{app.name}/{app.name}"])["ScalableTargets"]
        if targets:
            t = targets[0]
            seen["scalable_target"] = f"{t['MinCapacity']}-{t['MaxCapacity']}"
            seen["scaling_suspended"] = any(t.get("SuspendedState", {}).values())
    except Exception as e:  # noqa: BLE001 - what was read so far stands; the rest is missing
        seen["error"] = repr(e)
    return seen


def expect_seen(seen: dict, key: str, expected) -> None:
    """seen[key] == expected, or an AssertionError saying what was seen."""
    got = seen.get(key, "<missing>")
    assert got == expected, f"{key} = {got!r}, expected {expected!r}" + (
        f" (reading the emulator failed: {seen['error']})" if "error" in seen else "")
