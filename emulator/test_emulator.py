"""Tests of the local ECS emulator (emulator/ecs_emulator.py, the ecsemu package).

Each test drives a launched emulator subprocess with boto3, the way ecs-migrate
drives AWS.  Run:  .venv/bin/python -m pytest emulator/test_emulator.py
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

EMULATOR = Path(__file__).with_name("ecs_emulator.py")
REGION = "us-east-1"
CLUSTER = "c"
PY = sys.executable  # containers run local processes: use this interpreter


# ---------------------------------------------------------------------------
# harness
# ---------------------------------------------------------------------------


class Emulator:
    def __init__(self, log_path: Path, **env: str) -> None:
        full_env = dict(os.environ)
        full_env.update(env)
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(EMULATOR), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=full_env,
        )
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=60):
            self.proc.kill()
            raise RuntimeError(f"emulator not ready; see {log_path}")
        self.ready_line = self.proc.stdout.readline().decode().rstrip("\n")
        match = re.fullmatch(r"ECS_EMULATOR_READY (http://127\.0\.0\.1:\d+)", self.ready_line)
        assert match, self.ready_line
        self.url = match.group(1)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"max_attempts": 1}),
            )
        return self._clients[service]

    def http(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def reset(self) -> None:
        self.http("/moto-api/reset", "POST")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        finally:
            self.log.close()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    emu = Emulator(
        tmp_path_factory.mktemp("emu") / "emulator.log",
        ECS_EMULATOR_START_DELAY="0.2",
        ECS_EMULATOR_STOP_GRACE="1",
        ECS_EMULATOR_DRAIN_SECONDS="0.6",
    )
    yield emu
    assert emu.stop() == 0


@pytest.fixture(scope="session")
def slow_emulator(tmp_path_factory: pytest.TempPathFactory):
    """Long start delay: lets tests act while a task is still PROVISIONING/PENDING."""
    emu = Emulator(tmp_path_factory.mktemp("slow") / "emulator.log", ECS_EMULATOR_START_DELAY="1.5")
    yield emu
    assert emu.stop() == 0


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.reset()
    emulator.client("ecs").create_cluster(clusterName=CLUSTER)
    return emulator


@pytest.fixture
def slow(slow_emulator: Emulator) -> Emulator:
    slow_emulator.reset()
    slow_emulator.client("ecs").create_cluster(clusterName=CLUSTER)
    return slow_emulator


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)


def awslogs(group: str = "/ecs/test", prefix: str = "ecs") -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {"awslogs-group": group, "awslogs-stream-prefix": prefix, "awslogs-region": REGION},
    }


def register(emu: Emulator, family: str, containers: list[dict[str, Any]], **kwargs: Any) -> str:
    defs = []
    for c in containers:
        c = dict(c)
        c.setdefault("image", "example/app:1")
        c.setdefault("memory", 64)
        if c["memory"] is None:  # no memory reservation at all
            del c["memory"]
        defs.append(c)
    return emu.client("ecs").register_task_definition(family=family, containerDefinitions=defs, **kwargs)[
        "taskDefinition"
    ]["taskDefinitionArn"]


def default_subnet(emu: Emulator) -> str:
    subnets = emu.client("ec2").describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return subnets[0]["SubnetId"]


def run(emu: Emulator, family: str, **kwargs: Any) -> dict[str, Any]:
    response = emu.client("ecs").run_task(cluster=CLUSTER, taskDefinition=family, **kwargs)
    assert response["failures"] == [], response["failures"]
    return response["tasks"][0]


def describe(emu: Emulator, arn: str, **kwargs: Any) -> dict[str, Any]:
    return emu.client("ecs").describe_tasks(cluster=CLUSTER, tasks=[arn], **kwargs)["tasks"][0]


def wait_status(emu: Emulator, arn: str, status: str, timeout: float = 15.0) -> dict[str, Any]:
    def check() -> Any:
        task = describe(emu, arn)
        return task if task["lastStatus"] == status else None

    return wait_for(check, timeout)


def container(task: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in task["containers"] if c["name"] == name)


def all_events(emu: Emulator, group: str, stream: str, limit: int = 10000) -> list[str]:
    logs = emu.client("logs")
    messages: list[str] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True, "limit": limit}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        messages += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            return messages
        token = page["nextForwardToken"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return True


# ---------------------------------------------------------------------------
# launcher and control plane
# ---------------------------------------------------------------------------


def test_ready_line_and_call_counter(emu: Emulator) -> None:
    assert emu.ready_line.startswith("ECS_EMULATOR_READY http://127.0.0.1:")
    emu.reset()
    ecs = emu.client("ecs")
    ecs.list_clusters()
    ecs.list_clusters()
    emu.client("logs").describe_log_groups()
    emu.client("sts").get_caller_identity()
    calls = emu.http("/ecs-emulator/calls")
    assert calls["calls"] == {"ecs:ListClusters": 2, "logs:DescribeLogGroups": 1, "sts:GetCallerIdentity": 1}
    assert calls["total"] == 4


def test_first_request_at_is_the_first_api_call_since_reset(emu: Emulator) -> None:
    emu.reset()
    assert emu.http("/ecs-emulator/calls")["first_request_at"] is None
    emu.http("/ecs-emulator/health")  # control-plane requests are not API calls
    assert emu.http("/ecs-emulator/calls")["first_request_at"] is None
    before = time.time()
    emu.client("ecs").list_clusters()
    after = time.time()
    first = emu.http("/ecs-emulator/calls")["first_request_at"]
    assert isinstance(first, float) and before <= first <= after
    time.sleep(0.05)
    emu.client("ecs").list_clusters()
    assert emu.http("/ecs-emulator/calls")["first_request_at"] == first  # later calls keep it
    emu.reset()
    assert emu.http("/ecs-emulator/calls")["first_request_at"] is None


def test_sigterm_kills_task_processes_and_exits_0(tmp_path: Path) -> None:
    emu = Emulator(tmp_path / "emulator.log", ECS_EMULATOR_START_DELAY="0")
    try:
        emu.client("ecs").create_cluster(clusterName=CLUSTER)
        pid_file = tmp_path / "pid"
        register(emu, "sleeper", [{"name": "app", "command": ["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"]}])
        arn = run(emu, "sleeper")["taskArn"]
        wait_status(emu, arn, "RUNNING")
        pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip()))
        assert alive(pid)
    finally:
        assert emu.stop() == 0
    wait_for(lambda: not alive(pid), timeout=5)


def test_reset_stops_processes_and_forgets_tasks(emu: Emulator, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    register(emu, "sleeper", [{"name": "app", "command": ["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"]}])
    arn = run(emu, "sleeper", clientToken="tok")["taskArn"]
    wait_status(emu, arn, "RUNNING")
    pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip()))
    emu.reset()
    wait_for(lambda: not alive(pid), timeout=5)
    ecs = emu.client("ecs")
    with pytest.raises(ClientError) as err:
        ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])
    assert err.value.response["Error"]["Code"] == "ClusterNotFoundException"
    ecs.create_cluster(clusterName=CLUSTER)
    register(emu, "sleeper", [{"name": "app", "command": ["true"]}])
    assert run(emu, "sleeper", clientToken="tok")["taskArn"] != arn  # token memory forgotten
    assert emu.http("/ecs-emulator/calls")["calls"]["ecs:RunTask"] == 1


# ---------------------------------------------------------------------------
# types: responses must match the botocore model (the Rust SDK is strict)
# ---------------------------------------------------------------------------


def check_shape(value: Any, shape: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected object, got {value!r}")
            return
        for key, item in value.items():
            if key not in shape.members:
                problems.append(f"{path}.{key}: not in the model")
            else:
                check_shape(item, shape.members[key], f"{path}.{key}", problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected list, got {value!r}")
            return
        for i, item in enumerate(value):
            check_shape(item, shape.member, f"{path}[{i}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected map, got {value!r}")
            return
        for key, item in value.items():
            check_shape(item, shape.value, f"{path}.{key}", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected string, got {value!r}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected integer, got {value!r}")
    elif kind in ("float", "double", "timestamp"):  # awsJson timestamps: epoch seconds
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: expected number ({kind}), got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected boolean, got {value!r}")


def test_responses_match_botocore_model(emu: Emulator) -> None:
    raw: dict[str, list[bytes]] = {}

    def grab(http_response: Any, model: Any, **_: Any) -> None:
        raw.setdefault(f"{model.service_model.service_name}:{model.name}", []).append(http_response.content)

    ecs, logs, aas = emu.client("ecs"), emu.client("logs"), emu.client("application-autoscaling")
    for client in (ecs, logs, aas):
        client.meta.events.register("after-call", grab)
    try:
        register(
            emu,
            "typed",
            [
                {"name": "app", "cpu": 128, "memory": 256, "command": ["sh", "-c", "echo hi; exit 4"],
                 "logConfiguration": awslogs()},
                {"name": "side", "memoryReservation": 32, "command": ["sleep", "30"], "essential": False},
            ],
            tags=[{"key": "k", "value": "v"}],
        )
        ecs.describe_task_definition(taskDefinition="typed", include=["TAGS"])
        task = run(emu, "typed", tags=[{"key": "k", "value": "v"}])
        ecs.describe_tasks(cluster=CLUSTER, tasks=[task["taskArn"], "missing"], include=["TAGS"])
        stopped = wait_status(emu, task["taskArn"], "STOPPED")
        assert container(stopped, "app")["exitCode"] == 4
        ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")
        running = run(emu, "typed", overrides={"containerOverrides": [{"name": "app", "command": ["sleep", "30"]}]})
        wait_status(emu, running["taskArn"], "RUNNING")
        ecs.stop_task(cluster=CLUSTER, task=running["taskArn"], reason="typed")
        ecs.create_service(cluster=CLUSTER, serviceName="svc", taskDefinition="typed", desiredCount=1)
        ecs.describe_services(cluster=CLUSTER, services=["svc", "nope"])
        ecs.describe_clusters(clusters=[CLUSTER])
        logs.describe_log_streams(logGroupName="/ecs/test")
        logs.get_log_events(logGroupName="/ecs/test", logStreamName=f"ecs/app/{task['taskArn'].split('/')[-1]}",
                            startFromHead=True)
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=f"service/{CLUSTER}/svc",
                                     ScalableDimension="ecs:service:DesiredCount", MinCapacity=0, MaxCapacity=2)
        aas.describe_scalable_targets(ServiceNamespace="ecs")
    finally:
        for client in (ecs, logs, aas):
            client.meta.events.unregister("after-call", grab)

    models = {name: botocore.session.get_session().get_service_model(name)
              for name in ("ecs", "logs", "application-autoscaling")}
    problems: list[str] = []
    for key, bodies in raw.items():
        service, operation = key.split(":")
        shape = models[service].operation_model(operation).output_shape
        for body in bodies:
            check_shape(json.loads(body) if body else {}, shape, key, problems)
    assert problems == []
    for needed in ("ecs:RunTask", "ecs:DescribeTasks", "ecs:StopTask", "ecs:ListTasks", "ecs:DescribeServices",
                   "logs:GetLogEvents"):
        assert needed in raw
    described = json.loads(raw["ecs:DescribeTasks"][-1])["tasks"][0]
    assert isinstance(described["createdAt"], (int, float))
    assert isinstance(described["containers"][0]["cpu"], str)


# ---------------------------------------------------------------------------
# task lifecycle
# ---------------------------------------------------------------------------


def test_essential_exit_code_env_cwd_logs_and_sidecars(emu: Emulator, tmp_path: Path) -> None:
    script = 'echo out; echo err >&2; echo "$FOO $BAR"; pwd; printf "no newline at exit"; exit 3'
    register(
        emu,
        "migrate",
        [
            {
                "name": "app",
                "entryPoint": ["sh", "-c"],
                "command": ["exit 99"],
                "environment": [{"name": "FOO", "value": "from-def"}, {"name": "BAR", "value": "bar"}],
                "workingDirectory": str(tmp_path),
                "logConfiguration": awslogs(),
            },
            {"name": "sidecar", "command": ["sleep", "60"], "essential": False},
            {"name": "placeholder", "essential": False},
        ],
    )
    task = run(
        emu,
        "migrate",
        overrides={"containerOverrides": [{"name": "app", "command": [script],
                                           "environment": [{"name": "FOO", "value": "from-override"}]}]},
    )
    assert task["lastStatus"] == "PROVISIONING" and task["desiredStatus"] == "RUNNING"
    assert [c["lastStatus"] for c in task["containers"]] == ["PENDING"] * 3
    stopped = wait_status(emu, task["taskArn"], "STOPPED")
    assert stopped["desiredStatus"] == "STOPPED"
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert container(stopped, "app")["exitCode"] == 3
    assert container(stopped, "sidecar")["exitCode"] == 143
    assert container(stopped, "placeholder")["exitCode"] == 143
    assert {c["lastStatus"] for c in stopped["containers"]} == {"STOPPED"}
    times = [stopped[k].timestamp() for k in ("createdAt", "startedAt", "stoppingAt", "executionStoppedAt",
                                               "stoppedAt")]
    assert times == sorted(times) and abs(times[0] - time.time()) < 30
    task_id = task["taskArn"].split("/")[-1]
    messages = all_events(emu, "/ecs/test", f"ecs/app/{task_id}")
    assert messages == ["out", "err", "from-override bar", str(tmp_path), "no newline at exit"]


def test_status_transitions_happen_in_real_time(slow: Emulator) -> None:
    register(slow, "t", [{"name": "app", "command": ["sleep", "60"]}])
    arn = run(slow, "t")["taskArn"]
    # Many DescribeTasks calls do not advance the status (moto's default did).
    assert {describe(slow, arn)["lastStatus"] for _ in range(15)} == {"PROVISIONING"}
    seen = [describe(slow, arn)["lastStatus"]]

    def record() -> bool:
        status = describe(slow, arn)["lastStatus"]
        if status != seen[-1]:
            seen.append(status)
        return status == "RUNNING"

    wait_for(record)
    assert seen == ["PROVISIONING", "PENDING", "RUNNING"]
    running = describe(slow, arn)
    assert running["desiredStatus"] == "RUNNING" and "startedAt" in running
    assert container(running, "app")["lastStatus"] == "RUNNING"
    slow.client("ecs").stop_task(cluster=CLUSTER, task=arn)
    stopped = wait_status(slow, arn, "STOPPED")
    assert stopped["stoppedReason"] == "Task stopped by user"


def test_stop_task_sigterm_then_response_and_verdict(emu: Emulator) -> None:
    register(emu, "long", [{"name": "app", "command": ["sleep", "60"]}])
    arn = run(emu, "long")["taskArn"]
    wait_status(emu, arn, "RUNNING")
    response = emu.client("ecs").stop_task(cluster=CLUSTER, task=arn, reason="operator said stop")["task"]
    assert response["desiredStatus"] == "STOPPED"
    assert response["lastStatus"] != "STOPPED"
    stopped = wait_status(emu, arn, "STOPPED", timeout=5)
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "operator said stop"
    assert container(stopped, "app")["exitCode"] == 143


def test_sigkill_after_stop_timeout(emu: Emulator) -> None:
    register(
        emu,
        "stubborn",
        [
            {"name": "app", "command": ["sh", "-c", "sleep 0.3"]},
            {"name": "stubborn", "command": ["sh", "-c", "trap '' TERM; sleep 60"], "essential": False,
             "stopTimeout": 1},
        ],
    )
    arn = run(emu, "stubborn")["taskArn"]
    stopped = wait_status(emu, arn, "STOPPED")
    assert container(stopped, "app")["exitCode"] == 0
    assert container(stopped, "stubborn")["exitCode"] == 137
    assert (stopped["executionStoppedAt"] - stopped["stoppingAt"]).total_seconds() >= 0.9


def test_stop_before_processes_start_runs_nothing(slow: Emulator, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    register(slow, "never", [{"name": "app", "command": ["touch", str(marker)]}])
    arn = run(slow, "never")["taskArn"]
    response = slow.client("ecs").stop_task(cluster=CLUSTER, task=arn, reason="changed my mind")["task"]
    assert response["desiredStatus"] == "STOPPED"
    stopped = wait_status(slow, arn, "STOPPED", timeout=5)
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "changed my mind"
    assert "exitCode" not in container(stopped, "app")
    assert "startedAt" not in stopped
    # Its processes would have started at the end of the 1.5 s start delay, long after STOPPED.
    # A witness task run after the stop, under the same delay, starts later than that: once the
    # witness's own command has run and exited, the stopped task's command would have run too.
    witness_marker = tmp_path / "witness-ran"
    register(slow, "witness", [{"name": "app", "command": ["touch", str(witness_marker)]}])
    witness = wait_status(slow, run(slow, "witness")["taskArn"], "STOPPED")
    assert container(witness, "app")["exitCode"] == 0 and witness_marker.exists()
    assert not marker.exists()
    later = describe(slow, arn)
    assert "exitCode" not in container(later, "app") and "startedAt" not in later


def test_non_essential_exit_does_not_stop_task(emu: Emulator) -> None:
    register(
        emu,
        "mixed",
        [
            {"name": "main", "command": ["sleep", "60"]},
            {"name": "init", "command": ["sh", "-c", "exit 5"], "essential": False},
        ],
    )
    arn = run(emu, "mixed")["taskArn"]
    task = wait_for(lambda: (t := describe(emu, arn)) and container(t, "init").get("exitCode") == 5 and t)
    assert task["lastStatus"] == "RUNNING" and task["desiredStatus"] == "RUNNING"
    assert container(task, "init")["lastStatus"] == "STOPPED"
    time.sleep(0.2)
    assert describe(emu, arn)["lastStatus"] == "RUNNING"
    emu.client("ecs").stop_task(cluster=CLUSTER, task=arn)
    stopped = wait_status(emu, arn, "STOPPED")
    assert container(stopped, "main")["exitCode"] == 143
    assert container(stopped, "init")["exitCode"] == 5


def test_command_not_found_fails_to_start(emu: Emulator) -> None:
    register(emu, "typo", [{"name": "app", "command": ["definitely-not-a-command-xyz"]}])
    arn = run(emu, "typo")["taskArn"]
    stopped = wait_status(emu, arn, "STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"].startswith("CannotStartContainerError:")
    assert "executable file not found" in container(stopped, "app")["reason"]
    assert "exitCode" not in container(stopped, "app")


# ---------------------------------------------------------------------------
# failure conventions
# ---------------------------------------------------------------------------


def test_unpullable_image_fails_to_start(slow: Emulator) -> None:
    image = "registry.example/unpullable:1"
    register(slow, "bad", [{"name": "app", "image": image, "command": ["true"]},
                           {"name": "ok", "command": ["true"], "essential": False}])
    arn = run(slow, "bad")["taskArn"]
    seen = [describe(slow, arn)["lastStatus"]]

    def record() -> bool:
        status = describe(slow, arn)["lastStatus"]
        if status != seen[-1]:
            seen.append(status)
        return status == "STOPPED"

    wait_for(record)
    assert seen == ["PROVISIONING", "PENDING", "STOPPED"]
    stopped = describe(slow, arn)
    expected = (f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                f"failed to resolve ref {image}: not found")
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"] == expected
    assert container(stopped, "app")["reason"] == expected
    assert all("exitCode" not in c for c in stopped["containers"])


def test_no_capacity_image_returns_failures(emu: Emulator) -> None:
    register(emu, "huge", [{"name": "app", "image": "example/no-capacity:1", "command": ["true"]}])
    response = emu.client("ecs").run_task(cluster=CLUSTER, taskDefinition="huge")
    assert response["tasks"] == []
    cluster_arn = emu.client("ecs").describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    assert response["failures"][0]["arn"] == cluster_arn
    assert response["failures"][0]["reason"] == "RESOURCE:MEMORY"
    assert response["failures"][0]["detail"]


# ---------------------------------------------------------------------------
# DescribeTasks / ListTasks / RunTask parameters
# ---------------------------------------------------------------------------


def test_describe_missing_and_stopped_tasks(emu: Emulator) -> None:
    register(emu, "quick", [{"name": "app", "command": ["true"]}])
    arn = run(emu, "quick")["taskArn"]
    wait_status(emu, arn, "STOPPED")
    time.sleep(0.3)
    missing_arn = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    response = emu.client("ecs").describe_tasks(cluster=CLUSTER, tasks=[arn, missing_arn, "short-id"])
    assert [t["taskArn"] for t in response["tasks"]] == [arn]
    assert response["tasks"][0]["lastStatus"] == "STOPPED"
    assert response["failures"] == [
        {"arn": missing_arn, "reason": "MISSING"},
        {"arn": arn.rsplit("/", 1)[0] + "/short-id", "reason": "MISSING"},
    ]
    assert describe(emu, arn.split("/")[-1])["taskArn"] == arn  # by task ID


def test_list_tasks_filters(emu: Emulator) -> None:
    register(emu, "fam-a", [{"name": "app", "command": ["sleep", "60"]}])
    register(emu, "fam-b", [{"name": "app", "command": ["true"]}])
    a1 = run(emu, "fam-a", startedBy="me")["taskArn"]
    a2 = run(emu, "fam-a")["taskArn"]
    b = run(emu, "fam-b", startedBy="me")["taskArn"]
    wait_status(emu, b, "STOPPED")
    ecs = emu.client("ecs")

    def listed(**kwargs: Any) -> set[str]:
        return set(ecs.list_tasks(cluster=CLUSTER, **kwargs)["taskArns"])

    assert listed() == {a1, a2}  # default desiredStatus is RUNNING
    assert listed(desiredStatus="RUNNING") == {a1, a2}
    assert listed(desiredStatus="STOPPED") == {b}
    assert listed(family="fam-a") == {a1, a2}
    assert listed(family="fam-b", desiredStatus="STOPPED") == {b}
    assert listed(startedBy="me") == {a1}
    assert listed(startedBy="me", desiredStatus="STOPPED") == {b}
    page = ecs.list_tasks(cluster=CLUSTER, maxResults=1)
    assert len(page["taskArns"]) == 1 and page["nextToken"]
    assert len(ecs.list_tasks(cluster=CLUSTER, maxResults=1, nextToken=page["nextToken"])["taskArns"]) == 1


def test_run_task_parameters_tags_and_client_token(emu: Emulator) -> None:
    register(emu, "params", [{"name": "app", "command": ["sleep", "60"]}],
             requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    ecs = emu.client("ecs")
    network = {"awsvpcConfiguration": {"subnets": [default_subnet(emu)], "assignPublicIp": "ENABLED"}}
    common = dict(
        cluster=CLUSTER,
        taskDefinition="params",
        startedBy="ecs-migrate",
        group="migrations",
        tags=[{"key": "run", "value": "42"}],
        networkConfiguration=network,
        overrides={"containerOverrides": [{"name": "app", "environment": [{"name": "X", "value": "1"}]}]},
    )
    first = ecs.run_task(clientToken="token-1", launchType="FARGATE", platformVersion="LATEST", **common)
    again = ecs.run_task(clientToken="token-1", launchType="FARGATE", platformVersion="LATEST", **common)
    task = first["tasks"][0]
    assert [t["taskArn"] for t in again["tasks"]] == [task["taskArn"]]
    assert task["startedBy"] == "ecs-migrate" and task["group"] == "migrations"
    assert task["launchType"] == "FARGATE" and task["platformVersion"] == "1.4.0"
    assert task["attachments"][0]["type"] == "ElasticNetworkInterface"
    with_cp = ecs.run_task(clientToken="token-2",
                           capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}], **common)
    assert with_cp["tasks"][0]["taskArn"] != task["taskArn"]
    assert with_cp["tasks"][0]["capacityProviderName"] == "FARGATE"
    assert set(ecs.list_tasks(cluster=CLUSTER)["taskArns"]) == {task["taskArn"], with_cp["tasks"][0]["taskArn"]}

    arn = task["taskArn"]
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "run", "value": "42"}]
    assert describe(emu, arn, include=["TAGS"])["tags"] == [{"key": "run", "value": "42"}]
    assert "tags" not in describe(emu, arn)
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "extra", "value": "1"}])
    assert {t["key"] for t in describe(emu, arn, include=["TAGS"])["tags"]} == {"run", "extra"}


def test_memory_and_network_crash_fixes(emu: Emulator) -> None:
    ecs, ec2 = emu.client("ecs"), emu.client("ec2")
    # container without memory/memoryReservation (task-level memory only)
    register(emu, "taskmem", [{"name": "app", "command": ["true"], "memory": None}],
             requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    # default VPC subnet, no securityGroups
    task = run(emu, "taskmem", launchType="FARGATE",
               networkConfiguration={"awsvpcConfiguration": {"subnets": [default_subnet(emu)]}})
    assert container(wait_status(emu, task["taskArn"], "STOPPED"), "app")["exitCode"] == 0
    # a VPC without DNS hostnames
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    task = run(emu, "taskmem", launchType="FARGATE",
               networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}})
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert details["privateIPv4Address"].startswith("10.9.1.")
    # a Fargate service whose awsvpcConfiguration has no securityGroups
    ecs.create_service(cluster=CLUSTER, serviceName="fargate", taskDefinition="taskmem", desiredCount=1,
                       launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": [default_subnet(emu)]}})
    wait_for(lambda: ecs.describe_services(cluster=CLUSTER, services=["fargate"])["services"][0]["runningCount"] == 1)
    # EC2 launch type without any container instance
    register(emu, "bridge", [{"name": "app", "command": ["true"]}])
    task = run(emu, "bridge", launchType="EC2")
    assert wait_status(emu, task["taskArn"], "STOPPED")["launchType"] == "EC2"
    with pytest.raises(ClientError) as err:
        ecs.run_task(cluster=CLUSTER, taskDefinition="taskmem", launchType="FARGATE")
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


# ---------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------


def test_log_burst_of_100k_lines_pages_exactly_once(emu: Emulator) -> None:
    program = "import sys\nfor i in range(100000):\n    sys.stdout.write(f'{i}\\n')\nsys.stdout.write('bye')"
    register(emu, "burst", [{"name": "app", "command": [PY, "-c", program], "logConfiguration": awslogs("/burst")}])
    arn = run(emu, "burst")["taskArn"]
    stopped = wait_status(emu, arn, "STOPPED", timeout=30)
    assert container(stopped, "app")["exitCode"] == 0
    logs = emu.client("logs")
    stream = f"ecs/app/{arn.split('/')[-1]}"
    messages, token, pages = [], None, 0
    while True:
        kwargs: dict[str, Any] = {"logGroupName": "/burst", "logStreamName": stream, "startFromHead": True,
                                  "limit": 10000}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        pages += 1
        assert len(page["events"]) <= 10000
        timestamps = [e["timestamp"] for e in page["events"]]
        assert timestamps == sorted(timestamps)
        messages += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert messages == [str(i) for i in range(100000)] + ["bye"]
    assert pages == 12  # 11 pages with events, one empty page repeating the token
    again = logs.get_log_events(logGroupName="/burst", logStreamName=stream, nextToken=token)
    assert again["events"] == [] and again["nextForwardToken"] == token


def test_logs_while_stream_grows_and_stream_created_at_start(slow: Emulator) -> None:
    program = ("import sys, time\nfor i in range(120):\n    print(f'line {i}', flush=True)\n    time.sleep(0.005)\n"
               "print('last words', file=sys.stderr)")
    register(slow, "grow", [{"name": "app", "command": [PY, "-c", program], "logConfiguration": awslogs("/grow")}])
    arn = run(slow, "grow")["taskArn"]
    logs = slow.client("logs")
    stream = f"ecs/app/{arn.split('/')[-1]}"
    with pytest.raises(ClientError) as err:  # the stream appears when the container starts
        logs.get_log_events(logGroupName="/grow", logStreamName=stream, startFromHead=True)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    messages: list[str] = []
    token = None
    saw_running_page = False
    while True:
        try:
            kwargs: dict[str, Any] = {"logGroupName": "/grow", "logStreamName": stream, "startFromHead": True,
                                      "limit": 7}
            if token:
                kwargs["nextToken"] = token
            page = logs.get_log_events(**kwargs)
        except ClientError:
            time.sleep(0.02)
            continue
        messages += [e["message"] for e in page["events"]]
        status = describe(slow, arn)["lastStatus"]
        saw_running_page = saw_running_page or (status == "RUNNING" and bool(page["events"]))
        if page["nextForwardToken"] == token and status == "STOPPED":
            # a STOPPED task has all its events: one more call must be empty too
            if not logs.get_log_events(logGroupName="/grow", logStreamName=stream, nextToken=token)["events"]:
                break
        token = page["nextForwardToken"]
        if not page["events"]:
            time.sleep(0.02)
    assert saw_running_page
    assert messages == [f"line {i}" for i in range(120)] + ["last words"]


# ---------------------------------------------------------------------------
# services, auto scaling, tagging
# ---------------------------------------------------------------------------


def test_services_keep_desired_count_and_drain(emu: Emulator) -> None:
    register(emu, "web", [{"name": "web", "image": "nginx:1", "command": ["ignored-for-services"]}])
    ecs = emu.client("ecs")
    ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=2)

    def service() -> dict[str, Any]:
        return ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]

    wait_for(lambda: service()["runningCount"] == 2)
    assert service()["pendingCount"] == 0
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName="web")["taskArns"]
    assert len(arns) == 2
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
    assert {t["group"] for t in tasks} == {"service:web"}
    assert all(re.fullmatch(r"ecs-svc/\d+", t["startedBy"]) for t in tasks)
    assert {t["lastStatus"] for t in tasks} == {"RUNNING"}

    ecs.update_service(cluster=CLUSTER, service="web", desiredCount=1)
    draining = [t for t in ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if t["desiredStatus"] == "STOPPED"]
    assert len(draining) == 1
    drained = draining[0]["taskArn"]
    assert ecs.list_tasks(cluster=CLUSTER, serviceName="web")["taskArns"] == [a for a in arns if a != drained]
    statuses = [draining[0]["lastStatus"]]

    def record() -> bool:
        status = describe(emu, drained)["lastStatus"]
        if status != statuses[-1]:
            statuses.append(status)
        return status == "STOPPED"

    wait_for(record)
    order = ["RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]
    assert statuses == sorted(statuses, key=order.index) and "DEACTIVATING" in statuses, statuses
    stopped = describe(emu, drained)
    assert stopped["stopCode"] == "ServiceSchedulerInitiated"
    assert service()["runningCount"] == 1

    ecs.update_service(cluster=CLUSTER, service="web", desiredCount=3)
    wait_for(lambda: service()["runningCount"] == 3)
    assert len(ecs.list_tasks(cluster=CLUSTER, serviceName="web")["taskArns"]) == 3
    assert service()["deployments"][0]["runningCount"] == 3
    ecs.delete_service(cluster=CLUSTER, service="web", force=True)
    wait_for(lambda: not ecs.list_tasks(cluster=CLUSTER, serviceName="web")["taskArns"])
    wait_for(lambda: ecs.list_tasks(cluster=CLUSTER, serviceName="web", desiredStatus="STOPPED")["taskArns"]
             and all(t["lastStatus"] == "STOPPED" for t in ecs.describe_tasks(
                 cluster=CLUSTER, tasks=ecs.list_tasks(cluster=CLUSTER, serviceName="web",
                                                       desiredStatus="STOPPED")["taskArns"])["tasks"]))


def test_autoscaling_suspended_state_round_trips(emu: Emulator) -> None:
    register(emu, "web", [{"name": "web"}])
    emu.client("ecs").create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=0)
    aas = emu.client("application-autoscaling")
    target = dict(ServiceNamespace="ecs", ResourceId=f"service/{CLUSTER}/web",
                  ScalableDimension="ecs:service:DesiredCount")

    def described() -> dict[str, Any]:
        return aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[target["ResourceId"]])[
            "ScalableTargets"][0]

    aas.register_scalable_target(MinCapacity=1, MaxCapacity=4, **target)
    assert described()["SuspendedState"] == {"DynamicScalingInSuspended": False,
                                              "DynamicScalingOutSuspended": False,
                                              "ScheduledScalingSuspended": False}
    state = {"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": False,
             "ScheduledScalingSuspended": True}
    aas.register_scalable_target(SuspendedState=state, **target)
    got = described()
    assert got["SuspendedState"] == state
    assert (got["MinCapacity"], got["MaxCapacity"]) == (1, 4)
    aas.register_scalable_target(SuspendedState={"ScheduledScalingSuspended": False}, **target)
    assert described()["SuspendedState"] == {**state, "ScheduledScalingSuspended": False}
    aas.put_scaling_policy(
        PolicyName="cpu", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
        **target,
    )
    aas.put_scheduled_action(ScheduledActionName="night", Schedule="cron(0 22 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 0}, **target)
    assert [p["PolicyName"] for p in aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]] == [
        "cpu"]
    actions = aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]
    assert actions[0]["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
    assert described()["SuspendedState"] == {**state, "ScheduledScalingSuspended": False}


def test_tagging_services_and_task_definitions(emu: Emulator) -> None:
    ecs = emu.client("ecs")
    td_arn = register(emu, "web", [{"name": "web"}], tags=[{"key": "a", "value": "1"}])
    service_arn = ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=0,
                                     tags=[{"key": "s", "value": "1"}])["service"]["serviceArn"]
    for arn, initial in ((td_arn, "a"), (service_arn, "s")):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}])
        assert {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]} == {
            initial: "1", "b": "2"}
        ecs.untag_resource(resourceArn=arn, tagKeys=[initial])
        assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]


@pytest.mark.skipif(shutil.which("aws") is None, reason="AWS CLI not installed")
def test_aws_cli_can_drive_the_emulator(emu: Emulator) -> None:
    register(emu, "cli", [{"name": "app", "command": ["sh", "-c", "exit 7"]}])
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    base = ["aws", "--endpoint-url", emu.url, "--output", "json", "ecs"]
    out = subprocess.run(base + ["run-task", "--cluster", CLUSTER, "--task-definition", "cli"], env=env,
                         check=True, capture_output=True, text=True).stdout
    arn = json.loads(out)["tasks"][0]["taskArn"]
    subprocess.run(base + ["wait", "tasks-stopped", "--cluster", CLUSTER, "--tasks", arn], env=env, check=True,
                   capture_output=True, timeout=60)
    out = subprocess.run(base + ["describe-tasks", "--cluster", CLUSTER, "--tasks", arn], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert json.loads(out)["tasks"][0]["containers"][0]["exitCode"] == 7
