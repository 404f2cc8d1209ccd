"""Tests of the emulator's Fargate-style task teardown (emulator/ecsemu/teardown.py,
called by emulator/ecsemu/lifecycle.py; the strict-mode key
task_teardown_seconds and the tag ecs-emulator:teardown-seconds).

Each test drives a launched emulator with boto3 and waits on conditions
(DescribeTasks polled with a deadline), never on the teardown's own timer.  The
per-test fixture's /moto-api/reset restores the start-up configuration
(teardown 0).  Run:
    .venv/bin/python -m pytest -q emulator/test_teardown.py
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from test_emulator import (
    CLUSTER,
    PY,
    Emulator,
    container,
    default_subnet,
    describe,
    register,
    run,
    wait_for,
    wait_status,
)
from test_strict import configure, post, task_arns

PHASES = ("DEACTIVATING", "STOPPING", "DEPROVISIONING")
#: How late a transition may come on a loaded 2-core machine (never early).
SLACK = 1.0
#: API timestamps are milliseconds: allow the rounding.
MS = 0.002


# ---------------------------------------------------------------------------
# harness
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def teardown_emulator(tmp_path_factory: pytest.TempPathFactory):
    emu = Emulator(
        tmp_path_factory.mktemp("teardown") / "emulator.log",
        ECS_EMULATOR_START_DELAY="0.6",  # PROVISIONING and PENDING 0.3 s each: room for a StopTask before start
        ECS_EMULATOR_STOP_GRACE="1",
        ECS_EMULATOR_DRAIN_SECONDS="0.3",
    )
    yield emu
    assert emu.stop() == 0


@pytest.fixture
def emu(teardown_emulator: Emulator) -> Emulator:
    teardown_emulator.reset()
    teardown_emulator.client("ecs").create_cluster(clusterName=CLUSTER)
    return teardown_emulator


def ts(value: Any) -> float:
    return value.timestamp()


def awsvpc(emu: Emulator) -> dict[str, Any]:
    return {"launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": [default_subnet(emu)]}}}


def watch(emu: Emulator, arn: str, timeout: float = 30.0, each: Any = None) -> list[dict[str, Any]]:
    """Every DescribeTasks view of the task until it is STOPPED (``each(task)`` after each)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        task = describe(emu, arn)
        seen.append(task)
        if each is not None:
            each(task)
        if task["lastStatus"] == "STOPPED":
            return seen
        assert time.monotonic() < deadline, f"not STOPPED after {timeout} s: {task['lastStatus']}"
        time.sleep(0.02)


def statuses(seen: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for task in seen:
        if not out or out[-1] != task["lastStatus"]:
            out.append(task["lastStatus"])
    return out


def timeline(emu: Emulator, arn: str) -> list[dict[str, Any]]:
    return [e for e in emu.http("/ecs-emulator/timeline")["events"] if e.get("task_arn") == arn]


def task_events(events: list[dict[str, Any]]) -> dict[str, float]:
    return {e["status"]: e["t"] for e in events if e["kind"] == "task"}


def exits(events: list[dict[str, Any]]) -> dict[str, tuple[Any, float]]:
    return {e["container"]: (e["exit_code"], e["t"]) for e in events if e["kind"] == "container_stopped"}


def eni_status(task: dict[str, Any]) -> str:
    (attachment,) = task["attachments"]
    return attachment["status"]


def between(value: float, low: float, high: float) -> bool:
    return low - MS <= value <= high + MS


def assert_teardown(events: list[dict[str, Any]], final: dict[str, Any], seconds: float) -> None:
    """The task's statuses after its containers stopped: a third of ``seconds`` each."""
    execution_stopped = ts(final["executionStoppedAt"])
    stopped = ts(final["stoppedAt"])
    assert between(stopped - execution_stopped, seconds, seconds + SLACK)
    at = task_events(events)
    third = seconds / 3
    for index, status in enumerate(PHASES + ("STOPPED",)):
        assert between(at[status] - execution_stopped, index * third, index * third + SLACK), (status, at)
    assert abs(at["STOPPED"] - stopped) < 0.05
    assert between(ts(final["stoppingAt"]), execution_stopped, at["DEACTIVATING"])  # when it left RUNNING
    (record,) = [e for e in events if e["kind"] == "teardown"]
    assert record["seconds"] == seconds and record["phases"] == list(PHASES)
    assert abs(record["execution_stopped_at"] - execution_stopped) < MS


# ---------------------------------------------------------------------------
# a task that ran
# ---------------------------------------------------------------------------


def test_statuses_in_order_with_their_timestamps(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=3)
    register(emu, "job", [{"name": "app", "command": [PY, "-c", "import time; time.sleep(0.5)"]}],
             networkMode="awsvpc")
    arn = run(emu, "job", **awsvpc(emu))["taskArn"]
    seen = watch(emu, arn)
    order = statuses(seen)
    assert order[-5:] == ["RUNNING", *PHASES, "STOPPED"]  # each phase lasts 1 s: every one is seen
    events = timeline(emu, arn)
    assert [e["status"] for e in events if e["kind"] == "task"] == [
        "PROVISIONING", "PENDING", "RUNNING", *PHASES, "STOPPED"]
    final = seen[-1]
    (exit_code, exited_at), = exits(events).values()
    assert exit_code == 0
    # executionStoppedAt is the container's exit; stoppedAt 3 s later
    assert abs(ts(final["executionStoppedAt"]) - exited_at) < MS
    assert_teardown(events, final, 3)
    assert [e["source"] for e in events if e["kind"] == "teardown"] == ["config"]
    # from the start of the teardown: the container STOPPED with its exit code, the stop's reason
    tearing = [t for t in seen if t["lastStatus"] in PHASES + ("STOPPED",)]
    for task in tearing:
        app = container(task, "app")
        assert (app["lastStatus"], app["exitCode"]) == ("STOPPED", 0)
        assert task["desiredStatus"] == "STOPPED"
        assert (task["stopCode"], task["stoppedReason"]) == ("EssentialContainerExited", "Essential container in task exited")
        assert ts(task["executionStoppedAt"]) == ts(final["executionStoppedAt"])
        assert ("stoppedAt" in task) == (task["lastStatus"] == "STOPPED")
        # the ENI is detached in DEPROVISIONING
        expected = {"DEPROVISIONING": "DETACHING", "STOPPED": "DELETED"}.get(task["lastStatus"], "ATTACHED")
        assert eni_status(task) == expected, task["lastStatus"]
    for task in seen:
        if task["lastStatus"] == "RUNNING" and "stopCode" not in task:
            assert task["desiredStatus"] == "RUNNING" and "executionStoppedAt" not in task


def test_a_non_zero_exit_code_is_shown_throughout_the_teardown(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=1.5)
    register(emu, "fails", [{"name": "app", "command": ["sh", "-c", "sleep 0.3; exit 7"]}])
    arn = run(emu, "fails")["taskArn"]
    seen = watch(emu, arn)
    assert statuses(seen)[-4:] == [*PHASES, "STOPPED"]
    for task in seen:
        if task["lastStatus"] in PHASES + ("STOPPED",):
            assert container(task, "app")["exitCode"] == 7
            assert task["stopCode"] == "EssentialContainerExited"
    events = timeline(emu, arn)
    assert exits(events)["app"][0] == 7
    assert_teardown(events, seen[-1], 1.5)


def test_stop_task_during_running_stops_the_containers_then_tears_down(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=1.5)
    # ignores SIGTERM: killed after its stopTimeout (1 s)
    register(emu, "stubborn", [{"name": "app", "command": ["sh", "-c", "trap '' TERM; sleep 30"], "stopTimeout": 1}])
    arn = run(emu, "stubborn")["taskArn"]
    wait_status(emu, arn, "RUNNING")
    ecs = emu.client("ecs")
    asked = time.time()
    answer = ecs.stop_task(cluster=CLUSTER, task=arn, reason="rolled back")["task"]
    assert (answer["lastStatus"], answer["desiredStatus"]) == ("RUNNING", "STOPPED")
    seen = watch(emu, arn)
    assert statuses(seen) == ["RUNNING", *PHASES, "STOPPED"]
    for task in seen:
        assert (task["stopCode"], task["stoppedReason"]) == ("UserInitiated", "rolled back")
        app = container(task, "app")
        if task["lastStatus"] == "RUNNING":  # the grace period: the process still runs
            assert task["desiredStatus"] == "STOPPED" and app["lastStatus"] == "RUNNING"
            assert "executionStoppedAt" not in task
        else:
            assert (app["lastStatus"], app["exitCode"]) == ("STOPPED", 137)
    events = timeline(emu, arn)
    exit_code, exited_at = exits(events)["app"]
    assert exit_code == 137
    final = seen[-1]
    assert abs(ts(final["executionStoppedAt"]) - exited_at) < MS
    assert between(exited_at - asked, 1.0, 1.0 + SLACK)  # SIGKILL after the stopTimeout
    assert_teardown(events, final, 1.5)


def test_a_sidecar_still_running_is_stopped_when_the_essential_container_exits(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=1.5)
    register(emu, "sidecars", [
        {"name": "app", "command": ["sh", "-c", "sleep 0.5; exit 3"]},
        # handles SIGTERM: exits 0 at once
        {"name": "graceful", "essential": False,
         "command": ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"]},
        # ignores SIGTERM: SIGKILL after its stopTimeout
        {"name": "stubborn", "essential": False, "command": ["sh", "-c", "trap '' TERM; sleep 30"], "stopTimeout": 1},
        {"name": "idle", "essential": False},  # no command: a placeholder
    ])
    arn = run(emu, "sidecars")["taskArn"]
    seen = watch(emu, arn)
    assert statuses(seen)[-5:] == ["RUNNING", *PHASES, "STOPPED"]
    for task in seen:
        if container(task, "app")["lastStatus"] == "STOPPED":
            # at once: the stop is decided, the task stays RUNNING while its sidecars stop
            assert task["desiredStatus"] == "STOPPED" and task["stopCode"] == "EssentialContainerExited"
        if container(task, "stubborn")["lastStatus"] == "RUNNING":
            assert task["lastStatus"] == "RUNNING" and "executionStoppedAt" not in task
        if task["lastStatus"] in PHASES + ("STOPPED",):
            codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
            assert codes == {"app": 3, "graceful": 0, "stubborn": 137, "idle": 143}
    events = timeline(emu, arn)
    stopped = exits(events)
    assert {name: code for name, (code, _t) in stopped.items()} == {"app": 3, "graceful": 0, "stubborn": 137, "idle": 143}
    app_exit = stopped["app"][1]
    assert between(stopped["graceful"][1] - app_exit, 0, SLACK)
    assert between(stopped["stubborn"][1] - app_exit, 1.0, 1.0 + SLACK)
    final = seen[-1]
    # executionStoppedAt: the last container's stop; the teardown follows it
    assert abs(ts(final["executionStoppedAt"]) - stopped["stubborn"][1]) < MS
    assert_teardown(events, final, 1.5)


def test_list_tasks_lists_a_task_being_torn_down_under_stopped(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=1.5)
    register(emu, "job", [{"name": "app", "command": ["sh", "-c", "sleep 0.3"]}])
    arn = run(emu, "job")["taskArn"]
    wait_status(emu, arn, "RUNNING")
    ecs = emu.client("ecs")
    checked: set[str] = set()

    def check(task: dict[str, Any]) -> None:
        running = task_arns(emu, family="job")  # desiredStatus RUNNING by default
        stopped = task_arns(emu, family="job", desiredStatus="STOPPED")
        if task["desiredStatus"] == "RUNNING":
            return  # it may have changed since: only the teardown is checked
        status = describe(emu, arn)["lastStatus"]
        if status in PHASES:
            assert (running, stopped) == ([], [arn]), status
            counts = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]
            assert counts["runningTasksCount"] == 0
            checked.add(status)

    seen = watch(emu, arn, each=check)
    assert checked == set(PHASES)
    assert statuses(seen)[-1] == "STOPPED"
    assert task_arns(emu, family="job", desiredStatus="STOPPED") == [arn]
    assert task_arns(emu, family="job") == []


def test_a_service_scaled_to_zero_sees_its_task_torn_down(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=1.5)
    ecs = emu.client("ecs")
    register(emu, "web", [{"name": "app", "command": ["sleep", "30"]}])
    ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1)
    (arn,) = wait_for(lambda: task_arns(emu, serviceName="web"))
    wait_status(emu, arn, "RUNNING")
    wait_for(lambda: ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["runningCount"] == 1)
    ecs.update_service(cluster=CLUSTER, service="web", desiredCount=0)
    checked: set[str] = set()

    def check(task: dict[str, Any]) -> None:
        if task["lastStatus"] in PHASES:  # it left RUNNING: no longer counted as running
            service = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
            assert (service["runningCount"], service["pendingCount"]) == (0, 0)
            assert task_arns(emu, serviceName="web") == []
            assert task_arns(emu, serviceName="web", desiredStatus="STOPPED") == [arn]
            checked.add(task["lastStatus"])

    seen = watch(emu, arn, each=check)
    assert statuses(seen)[-4:] == [*PHASES, "STOPPED"]  # a placeholder stops at once: RUNNING may be gone
    assert checked == set(PHASES)
    final = seen[-1]
    assert final["stopCode"] == "ServiceSchedulerInitiated"
    assert container(final, "app")["exitCode"] == 143  # service tasks are placeholders
    events = timeline(emu, arn)
    assert [e["status"] for e in events if e["kind"] == "task"][-5:] == ["RUNNING", *PHASES, "STOPPED"]
    assert_teardown(events, final, 1.5)


# ---------------------------------------------------------------------------
# tasks that never ran
# ---------------------------------------------------------------------------


def test_a_task_that_never_started_gets_no_exit_code_and_only_deprovisions_its_eni(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=1.5)
    ecs = emu.client("ecs")
    register(emu, "pull", [{"name": "app", "image": "example/unpullable:1", "command": ["true"]}], networkMode="awsvpc")
    register(emu, "pull-bridge", [{"name": "app", "image": "example/unpullable:1", "command": ["true"]}])
    register(emu, "noexec", [{"name": "app", "command": ["/nonexistent/migrate"]}], networkMode="awsvpc")
    register(emu, "early", [{"name": "app", "command": ["sleep", "30"]}], networkMode="awsvpc")
    early = run(emu, "early", **awsvpc(emu))["taskArn"]
    ecs.stop_task(cluster=CLUSTER, task=early)  # while PROVISIONING (0.3 s)
    pull = run(emu, "pull", **awsvpc(emu))["taskArn"]
    bridge = run(emu, "pull-bridge")["taskArn"]
    noexec = run(emu, "noexec", **awsvpc(emu))["taskArn"]
    finals = {arn: watch(emu, arn)[-1] for arn in (early, pull, bridge, noexec)}
    for arn, final in finals.items():
        app = container(final, "app")
        assert "exitCode" not in app, arn
        assert final["stopCode"] == ("UserInitiated" if arn == early else "TaskFailedToStart")
    assert container(finals[pull], "app")["reason"].startswith("CannotPullContainerError")
    assert container(finals[noexec], "app")["reason"].startswith("CannotStartContainerError")
    shapes = {arn: [e["status"] for e in timeline(emu, arn) if e["kind"] == "task"] for arn in finals}
    assert shapes[pull] == ["PROVISIONING", "PENDING", "DEPROVISIONING", "STOPPED"]
    assert shapes[bridge] == ["PROVISIONING", "PENDING", "STOPPED"]  # no ENI: as with teardown 0
    assert shapes[noexec] == ["PROVISIONING", "PENDING", "STOPPING", "DEPROVISIONING", "STOPPED"]
    assert shapes[early][-3:] == ["STOPPING", "DEPROVISIONING", "STOPPED"] and "RUNNING" not in shapes[early]
    for arn in (early, pull, noexec):
        final = finals[arn]
        gap = ts(final["stoppedAt"]) - ts(final["executionStoppedAt"])
        assert between(gap, 0.5, 0.5 + SLACK), (arn, gap)  # a third of the teardown
        assert eni_status(final) == "DELETED"
        (record,) = [e for e in timeline(emu, arn) if e["kind"] == "teardown"]
        assert record["phases"] == ["DEPROVISIONING"]
    assert [e for e in timeline(emu, bridge) if e["kind"] == "teardown"] == []


# ---------------------------------------------------------------------------
# teardown 0, the per-task override, the configuration
# ---------------------------------------------------------------------------


def test_teardown_zero_is_the_quick_stop_of_before(emu: Emulator) -> None:
    assert emu.http("/ecs-emulator/config")["task_teardown_seconds"] == 0
    register(emu, "job", [{"name": "app", "command": ["sh", "-c", "sleep 0.2; exit 4"]},
                          {"name": "side", "essential": False}], networkMode="awsvpc")
    arn = run(emu, "job", **awsvpc(emu))["taskArn"]
    final = watch(emu, arn)[-1]
    events = timeline(emu, arn)
    assert [e["status"] for e in events if e["kind"] == "task"] == [
        "PROVISIONING", "PENDING", "RUNNING", *PHASES, "STOPPED"]
    assert {name: code for name, (code, _t) in exits(events).items()} == {"app": 4, "side": 143}
    assert [e for e in events if e["kind"] == "teardown"] == []
    # DEACTIVATING starts at the stop (stoppingAt), the containers are stopped in STOPPING
    # (executionStoppedAt), DEPROVISIONING lasts half the start delay
    assert ts(final["stoppingAt"]) <= ts(final["executionStoppedAt"]) + MS
    assert between(ts(final["stoppedAt"]) - ts(final["executionStoppedAt"]), 0.3, 0.3 + SLACK)
    assert eni_status(final) == "DELETED"


def test_a_tag_overrides_the_configured_teardown(emu: Emulator) -> None:
    tag = "ecs-emulator:teardown-seconds"
    register(emu, "tagged", [{"name": "app", "command": ["true"]}], tags=[{"key": tag, "value": "1.5"}])
    register(emu, "plain", [{"name": "app", "command": ["true"]}])
    by_definition = run(emu, "tagged")["taskArn"]
    by_task = run(emu, "plain", tags=[{"key": tag, "value": "1.5"}])["taskArn"]
    task_wins = run(emu, "tagged", tags=[{"key": tag, "value": "0"}])["taskArn"]
    unreadable = run(emu, "tagged", tags=[{"key": tag, "value": "soon"}])["taskArn"]  # ignored: the definition's
    finals = {arn: watch(emu, arn)[-1] for arn in (by_definition, by_task, task_wins, unreadable)}
    sources = {arn: [(e["seconds"], e["source"]) for e in timeline(emu, arn) if e["kind"] == "teardown"]
               for arn in finals}
    assert sources == {
        by_definition: [(1.5, "task definition tag")],
        by_task: [(1.5, "task tag")],
        task_wins: [],
        unreadable: [(1.5, "task definition tag")],
    }
    for arn in (by_definition, by_task, unreadable):
        assert_teardown(timeline(emu, arn), finals[arn], 1.5)
    # a tag of 0 under a configured teardown: the quick stop
    configure(emu, task_teardown_seconds=30)
    quick = run(emu, "plain", tags=[{"key": tag, "value": "0"}])["taskArn"]
    final = watch(emu, quick)[-1]
    assert ts(final["stoppedAt"]) - ts(final["executionStoppedAt"]) < 0.3 + SLACK


def test_the_teardown_key_must_be_a_number_of_seconds(emu: Emulator) -> None:
    for value in (-1, "3", True, None):
        status, body = post(emu, "/ecs-emulator/config", {"task_teardown_seconds": value})
        assert status == 400 and body["key"] == "task_teardown_seconds", (value, body)
    assert configure(emu, task_teardown_seconds=2.5)["task_teardown_seconds"] == 2.5
    emu.reset()
    assert emu.http("/ecs-emulator/config")["task_teardown_seconds"] == 0


def test_a_reset_during_the_teardown_forgets_the_task_at_once(emu: Emulator) -> None:
    configure(emu, task_teardown_seconds=30)
    register(emu, "job", [{"name": "app", "command": ["true"]}])
    arn = run(emu, "job")["taskArn"]
    wait_for(lambda: describe(emu, arn)["lastStatus"] == "DEACTIVATING")
    started = time.monotonic()
    emu.reset()
    assert time.monotonic() - started < 5
    assert emu.http("/ecs-emulator/timeline") == {"events": []}
