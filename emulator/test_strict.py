"""Tests of the emulator's strict mode (emulator/ecsemu/strict.py and its hooks in
emulator/ecsemu/strict_hooks.py).

Each test drives a launched emulator with boto3 and switches the knobs it needs
through POST /ecs-emulator/config; the per-test fixture's /moto-api/reset
restores the start-up configuration.  Run:
    .venv/bin/python -m pytest -q emulator/test_strict.py
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from test_emulator import (
    CLUSTER,
    EMULATOR,
    PY,
    REGION,
    Emulator,
    awslogs,
    container,
    describe,
    register,
    run,
    wait_for,
    wait_status,
)

#: The start-up configuration of the strict-mode emulator (reset restores it).
STARTUP = {"seed": 20240601, "client_token_ttl_seconds": 3600}


# ---------------------------------------------------------------------------
# harness
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def strict_emulator(tmp_path_factory: pytest.TempPathFactory):
    emu = Emulator(
        tmp_path_factory.mktemp("strict") / "emulator.log",
        ECS_EMULATOR_START_DELAY="0.1",
        ECS_EMULATOR_STOP_GRACE="1",
        ECS_EMULATOR_DRAIN_SECONDS="0.3",
        ECS_EMULATOR_CONFIG=json.dumps(STARTUP),
    )
    yield emu
    assert emu.stop() == 0


@pytest.fixture
def emu(strict_emulator: Emulator) -> Emulator:
    strict_emulator.reset()
    strict_emulator.client("ecs").create_cluster(clusterName=CLUSTER)
    return strict_emulator


def raw_client(emu: Emulator, service: str) -> Any:
    """A client that makes exactly one attempt: faults are seen as they are."""
    return boto3.client(
        service,
        endpoint_url=emu.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def post(emu: Emulator, path: str, payload: Any) -> tuple[int, Any]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(emu.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def configure(emu: Emulator, **knobs: Any) -> dict[str, Any]:
    status, body = post(emu, "/ecs-emulator/config", knobs)
    assert status == 200, body
    return body


def config(emu: Emulator) -> dict[str, Any]:
    return emu.http("/ecs-emulator/config")


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def sleeper(emu: Emulator, family: str = "sleeper", seconds: int = 30) -> str:
    return register(emu, family, [{"name": "app", "command": ["sleep", str(seconds)]}])


def task_arns(emu: Emulator, **kwargs: Any) -> list[str]:
    return emu.client("ecs").list_tasks(cluster=CLUSTER, **kwargs)["taskArns"]


def stream_of(task: dict[str, Any], name: str = "app", prefix: str = "ecs") -> str:
    return f"{prefix}/{name}/{task['taskArn'].split('/')[-1]}"


def printer(emu: Emulator, family: str, lines: int, pause: float = 0.0, group: str = "/ecs/strict") -> str:
    code = f"import sys, time\nfor i in range({lines}):\n    print(f'line {{i}}', flush=True)\n    time.sleep({pause})\n"
    return register(emu, family, [{"name": "app", "command": [PY, "-c", code], "logConfiguration": awslogs(group)}])


def tags(n: int, prefix: str = "k") -> list[dict[str, str]]:
    return [{"key": f"{prefix}{i}", "value": f"v{i}"} for i in range(n)]


# ---------------------------------------------------------------------------
# RunTask clientToken
# ---------------------------------------------------------------------------


def test_run_task_same_token_different_parameters_is_a_conflict_with_the_original_task_ids(emu: Emulator) -> None:
    sleeper(emu)
    ecs = raw_client(emu, "ecs")
    first = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok-1", startedBy="me")
    arn = first["tasks"][0]["taskArn"]
    again = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok-1", startedBy="me")
    assert [t["taskArn"] for t in again["tasks"]] == [arn]
    with pytest.raises(ecs.exceptions.ConflictException) as err:
        ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok-1", startedBy="someone else")
    code, status, message = error(err)
    assert (code, status) == ("ConflictException", 400)
    assert "tok-1" in message
    assert err.value.response["resourceIds"] == [arn]  # the modelled member, parsed by botocore
    # the raw body is what the Rust SDK parses: __type and resourceIds
    with pytest.raises(ClientError) as err:
        ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok-1", count=2, startedBy="me")
    assert err.value.response["resourceIds"] == [arn]
    assert task_arns(emu) == [arn]  # nothing else started
    # another cluster is another token space
    emu.client("ecs").create_cluster(clusterName="other")
    ecs.run_task(cluster="other", taskDefinition="sleeper", clientToken="tok-1", startedBy="someone else")


def test_run_task_conflict_body_has_the_modelled_shape(emu: Emulator) -> None:
    sleeper(emu)
    ecs = raw_client(emu, "ecs")
    arn = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok-2")["tasks"][0]["taskArn"]
    raw: list[tuple[int, dict[str, str], bytes]] = []
    ecs.meta.events.register(
        "after-call.ecs.RunTask",
        lambda http_response, **_: raw.append((http_response.status_code,
                                               {k.lower(): v for k, v in http_response.headers.items()},
                                               http_response.content)),
    )
    with pytest.raises(ClientError):
        ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok-2", group="g")
    status, headers, body = raw[-1]
    parsed = json.loads(body)
    assert status == 400
    assert parsed["__type"] == "ConflictException"
    assert headers["x-amzn-errortype"] == "ConflictException"
    assert parsed["resourceIds"] == [arn] and isinstance(parsed["message"], str)


def test_run_task_conflict_off_lets_the_token_alone_decide(emu: Emulator) -> None:
    configure(emu, run_task_conflict=False)
    sleeper(emu)
    ecs = raw_client(emu, "ecs")
    arn = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok")["tasks"][0]["taskArn"]
    again = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok", startedBy="other")
    assert [t["taskArn"] for t in again["tasks"]] == [arn]


def test_client_token_is_forgotten_after_its_ttl(emu: Emulator) -> None:
    configure(emu, client_token_ttl_seconds=0.5)
    sleeper(emu)
    ecs = raw_client(emu, "ecs")
    arn = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok")["tasks"][0]["taskArn"]
    assert ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok")["tasks"][0]["taskArn"] == arn
    time.sleep(0.6)
    later = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="tok", startedBy="x")
    assert later["tasks"][0]["taskArn"] != arn  # a new request: no conflict either
    assert len(task_arns(emu)) == 2


# ---------------------------------------------------------------------------
# fault injection
# ---------------------------------------------------------------------------


def test_lost_response_started_the_task_and_the_retry_gets_the_same_task(emu: Emulator) -> None:
    sleeper(emu)
    configure(emu, faults={"ecs:RunTask": {"lost_response": 1}})
    ecs = raw_client(emu, "ecs")
    with pytest.raises(ClientError) as err:
        ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="lost-1")
    assert error(err)[:2] == ("ServerException", 500)
    started = task_arns(emu)
    assert len(started) == 1  # the request was processed for real
    configure(emu, faults={})
    retry = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", clientToken="lost-1")
    assert [t["taskArn"] for t in retry["tasks"]] == started
    assert task_arns(emu) == started
    assert emu.http("/ecs-emulator/calls")["faults"] == {"ecs:RunTask:lost_response": 1}


def test_sdk_retry_after_a_lost_response_gets_the_same_task(emu: Emulator) -> None:
    # A seed whose first draw loses the response and whose second does not: boto3's
    # own retry (same auto-generated clientToken) must get the task of the first attempt.
    seed = next(s for s in range(1000) if (r := random.Random(s)) and r.random() < 0.5 <= r.random())
    sleeper(emu)
    configure(emu, seed=seed, faults={"ecs:RunTask": {"lost_response": 0.5}})
    ecs = boto3.client("ecs", endpoint_url=emu.url, region_name=REGION, aws_access_key_id="testing",
                       aws_secret_access_key="testing",
                       config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    response = ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper")  # no clientToken: botocore makes one
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert task_arns(emu) == [response["tasks"][0]["taskArn"]]
    calls = emu.http("/ecs-emulator/calls")
    assert calls["calls"]["ecs:RunTask"] == 2 and calls["faults"] == {"ecs:RunTask:lost_response": 1}


def test_throttle_share_one_throttles_every_call_of_that_operation_only(emu: Emulator) -> None:
    configure(emu, faults={"ecs:ListClusters": {"throttle": 1}})
    ecs = raw_client(emu, "ecs")
    for _ in range(3):
        with pytest.raises(ClientError) as err:
            ecs.list_clusters()
        assert error(err) == ("ThrottlingException", 400, "Rate exceeded")
    assert ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterName"] == CLUSTER
    raw_client(emu, "logs").describe_log_groups()
    calls = emu.http("/ecs-emulator/calls")
    assert calls["faults"] == {"ecs:ListClusters:throttle": 3}
    assert calls["calls"]["ecs:ListClusters"] == 3  # faulted calls are still counted as calls


def test_access_denied_names_the_iam_action_and_changes_nothing(emu: Emulator) -> None:
    configure(emu, faults={"ecs:CreateCluster": {"access_denied": 1}})
    ecs = raw_client(emu, "ecs")
    with pytest.raises(ClientError) as err:
        ecs.create_cluster(clusterName="denied")
    code, status, message = error(err)
    assert (code, status) == ("AccessDeniedException", 400)
    assert "not authorized to perform: ecs:CreateCluster" in message
    assert ecs.describe_clusters(clusters=["denied"])["clusters"] == []


def test_the_more_specific_fault_key_wins(emu: Emulator) -> None:
    configure(emu, faults={"ecs": {"throttle": 1}, "ecs:DescribeClusters": {}})
    ecs = raw_client(emu, "ecs")
    ecs.describe_clusters(clusters=[CLUSTER])
    with pytest.raises(ClientError) as err:
        ecs.list_task_definitions()
    assert error(err)[0] == "ThrottlingException"
    raw_client(emu, "logs").describe_log_groups()  # another service


def test_each_service_answers_with_its_own_throttling_and_server_errors(emu: Emulator) -> None:
    calls = {
        "ecs": lambda c: c.list_clusters(),
        "logs": lambda c: c.describe_log_groups(),
        "application-autoscaling": lambda c: c.describe_scalable_targets(ServiceNamespace="ecs"),
        "sts": lambda c: c.get_caller_identity(),
    }
    expected = {
        "throttle": {"ecs": ("ThrottlingException", 400), "logs": ("ThrottlingException", 400),
                     "application-autoscaling": ("ThrottlingException", 400), "sts": ("Throttling", 400)},
        "server_error": {"ecs": ("ServerException", 500), "logs": ("ServiceUnavailableException", 500),
                         "application-autoscaling": ("InternalServiceException", 500),
                         "sts": ("InternalFailure", 500)},
    }
    for kind, codes in expected.items():
        configure(emu, faults={service: {kind: 1} for service in calls})
        for service, call in calls.items():
            with pytest.raises(ClientError) as err:
                call(raw_client(emu, service))
            assert error(err)[:2] == codes[service], (kind, service)
    configure(emu, faults={})
    for service, call in calls.items():
        call(raw_client(emu, service))


def test_botocore_retries_injected_throttling_and_server_errors(emu: Emulator) -> None:
    seed = next(s for s in range(1000) if (r := random.Random(s)) and r.random() < 0.5 <= r.random())
    for kind in ("throttle", "server_error"):
        configure(emu, seed=seed, faults={"ecs:ListClusters": {kind: 0.5}})
        ecs = boto3.client("ecs", endpoint_url=emu.url, region_name=REGION, aws_access_key_id="testing",
                           aws_secret_access_key="testing",
                           config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
        assert ecs.list_clusters()["ResponseMetadata"]["RetryAttempts"] == 1, kind


def test_faults_never_touch_the_control_plane(emu: Emulator) -> None:
    configure(emu, faults={"unknown": {"server_error": 1}, "ecs": {"server_error": 1}})
    assert emu.http("/ecs-emulator/health") == {"status": "ok"}
    assert config(emu)["faults"]["ecs"] == {"server_error": 1}
    assert emu.http("/ecs-emulator/calls")["faults"] == {}
    emu.reset()  # /moto-api/reset works, and restores the start-up faults ({})
    assert config(emu)["faults"] == {}


def test_seed_makes_fault_injection_reproducible(emu: Emulator) -> None:
    def outcomes() -> list[bool]:
        ecs = raw_client(emu, "ecs")
        seen = []
        for _ in range(16):
            try:
                ecs.list_clusters()
                seen.append(True)
            except ClientError:
                seen.append(False)
        return seen

    configure(emu, seed=7, faults={"ecs:ListClusters": {"throttle": 0.5}})
    first = outcomes()
    configure(emu, seed=7)
    assert outcomes() == first
    assert True in first and False in first


# ---------------------------------------------------------------------------
# CloudWatch Logs: ingestion lag, empty pages
# ---------------------------------------------------------------------------


def test_events_are_invisible_until_the_lag_has_passed_and_none_is_skipped(emu: Emulator) -> None:
    lag_ms = 700
    configure(emu, log_lag_ms=lag_ms)
    printer(emu, "printer", lines=25, pause=0.04)
    task = run(emu, "printer")
    logs = emu.client("logs")
    stream = stream_of(task)
    seen: list[tuple[str, int, float]] = []
    token = None
    deadline = time.monotonic() + 30
    stopped = False
    while time.monotonic() < deadline:
        kwargs: dict[str, Any] = {"logGroupName": "/ecs/strict", "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        try:
            page = logs.get_log_events(**kwargs)
        except logs.exceptions.ResourceNotFoundException:
            time.sleep(0.02)
            continue
        now_ms = time.time() * 1000
        seen += [(e["message"], e["ingestionTime"], now_ms) for e in page["events"]]
        if page["nextForwardToken"] == token and stopped and len(seen) >= 25:
            break
        token = page["nextForwardToken"]
        if not stopped:
            stopped = describe(emu, task["taskArn"])["lastStatus"] == "STOPPED"
        time.sleep(0.03)
    assert [m for m, _, _ in seen] == [f"line {i}" for i in range(25)]  # all, once, in order
    for message, ingested, seen_at in seen:
        assert seen_at >= ingested + lag_ms, message  # never before the lag passed


def test_a_stopped_tasks_logs_are_not_visible_before_the_lag_passed(emu: Emulator) -> None:
    configure(emu, log_lag_ms=1500)
    register(emu, "echo", [{"name": "app", "command": ["sh", "-c", "echo one; echo two; echo three"],
                            "logConfiguration": awslogs("/ecs/strict")}])
    task = run(emu, "echo")
    wait_status(emu, task["taskArn"], "STOPPED")
    logs = emu.client("logs")
    stream = stream_of(task)
    head = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, startFromHead=True)
    filtered = logs.filter_log_events(logGroupName="/ecs/strict", logStreamNames=[stream])
    # all three are in CloudWatch (the task is STOPPED) but none is visible yet
    assert head["events"] == [] and filtered["events"] == []

    def all_visible() -> bool:
        return len(logs.filter_log_events(logGroupName="/ecs/strict", logStreamNames=[stream])["events"]) == 3
    wait_for(all_visible, timeout=5)
    page = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, startFromHead=True)
    assert [e["message"] for e in page["events"]] == ["one", "two", "three"]
    # a reader that started before the events were visible continues from where it was
    later = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, nextToken=head["nextForwardToken"])
    assert [e["message"] for e in later["events"]] == ["one", "two", "three"]


def test_empty_pages_move_the_token_and_the_reader_still_gets_every_event_once(emu: Emulator) -> None:
    printer(emu, "printer", lines=40)
    task = run(emu, "printer")
    wait_status(emu, task["taskArn"], "STOPPED")
    configure(emu, seed=3, log_empty_page_rate=0.5)
    logs = emu.client("logs")
    stream = stream_of(task)
    messages: list[str] = []
    empty_pages = 0
    token = None
    for _ in range(500):
        kwargs: dict[str, Any] = {"logGroupName": "/ecs/strict", "logStreamName": stream, "startFromHead": True,
                                  "limit": 4}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        messages += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break  # the end: only an unchanged token says so
        if not page["events"] and token is not None:
            empty_pages += 1
        token = page["nextForwardToken"]
    assert messages == [f"line {i}" for i in range(40)]
    assert empty_pages > 0


def test_an_empty_pages_token_continues_from_the_same_position(emu: Emulator) -> None:
    printer(emu, "printer", lines=6)
    task = run(emu, "printer")
    wait_status(emu, task["taskArn"], "STOPPED")
    logs = emu.client("logs")
    stream = stream_of(task)
    first = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, startFromHead=True, limit=2)
    assert [e["message"] for e in first["events"]] == ["line 0", "line 1"]
    configure(emu, log_empty_page_rate=1)
    empty = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, nextToken=first["nextForwardToken"])
    assert empty["events"] == [] and empty["nextForwardToken"] != first["nextForwardToken"]
    again = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, nextToken=empty["nextForwardToken"])
    assert again["events"] == [] and again["nextForwardToken"] not in (empty["nextForwardToken"],
                                                                     first["nextForwardToken"])
    configure(emu, log_empty_page_rate=0)
    rest = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, nextToken=again["nextForwardToken"])
    assert [e["message"] for e in rest["events"]] == ["line 2", "line 3", "line 4", "line 5"]
    end = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, nextToken=rest["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == rest["nextForwardToken"]
    # at the end there is nothing more after the token: no empty page is injected
    configure(emu, log_empty_page_rate=1)
    end = logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, nextToken=rest["nextForwardToken"])
    assert end["nextForwardToken"] == rest["nextForwardToken"]
    with pytest.raises(ClientError) as err:
        logs.get_log_events(logGroupName="/ecs/strict", logStreamName=stream, nextToken="f/12/not-a-nonce")
    assert error(err)[0] == "InvalidParameterException"


# ---------------------------------------------------------------------------
# tag restrictions
# ---------------------------------------------------------------------------


def test_fifty_one_tags_are_refused_and_nothing_is_applied(emu: Emulator) -> None:
    ecs = raw_client(emu, "ecs")
    arn = ecs.create_cluster(clusterName="tagged", tags=tags(45))["cluster"]["clusterArn"]
    with pytest.raises(ClientError) as err:
        ecs.tag_resource(resourceArn=arn, tags=tags(6, prefix="new"))
    code, status, message = error(err)
    assert (code, status) == ("InvalidParameterException", 400) and "51" in message and "50" in message
    assert len(ecs.list_tags_for_resource(resourceArn=arn)["tags"]) == 45  # nothing applied
    ecs.tag_resource(resourceArn=arn, tags=tags(5, prefix="new"))  # exactly 50
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "k1", "value": "replaced"}])  # replacing does not add
    current = {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert len(current) == 50 and current["k1"] == "replaced"
    with pytest.raises(ClientError):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "one-more", "value": ""}])
    # creating with 51 tags creates nothing
    with pytest.raises(ClientError) as err:
        ecs.create_cluster(clusterName="too-many", tags=tags(51))
    assert error(err)[0] == "InvalidParameterException"
    assert ecs.describe_clusters(clusters=["too-many"])["clusters"] == []
    sleeper(emu)
    with pytest.raises(ClientError) as err:
        ecs.run_task(cluster=CLUSTER, taskDefinition="sleeper", tags=tags(51))
    assert error(err)[0] == "InvalidParameterException"
    assert task_arns(emu) == []
    with pytest.raises(ClientError):
        ecs.create_service(cluster=CLUSTER, serviceName="svc", taskDefinition="sleeper", desiredCount=0,
                           tags=tags(51))
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []
    with pytest.raises(ClientError):
        ecs.register_task_definition(family="many", containerDefinitions=[{"name": "a", "image": "i", "memory": 8}],
                                     tags=tags(51))
    assert ecs.list_task_definitions(familyPrefix="many")["taskDefinitionArns"] == []


def test_tag_value_over_256_characters_is_refused(emu: Emulator) -> None:
    ecs = raw_client(emu, "ecs")
    arn = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "long", "value": "v" * 256}, {"key": "empty", "value": ""}])
    with pytest.raises(ClientError) as err:
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "ok", "value": "x"}, {"key": "longer", "value": "v" * 257}])
    code, _, message = error(err)
    assert code == "InvalidParameterException" and "257" in message and "256" in message
    assert {t["key"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]} == {"long", "empty"}


def test_tag_key_over_128_characters_is_refused(emu: Emulator) -> None:
    ecs = raw_client(emu, "ecs")
    ecs.create_cluster(clusterName="keys", tags=[{"key": "k" * 128, "value": "v"}])
    with pytest.raises(ClientError) as err:
        ecs.create_cluster(clusterName="keys2", tags=[{"key": "k" * 129, "value": "v"}])
    code, _, message = error(err)
    assert code == "InvalidParameterException" and "129" in message and "128" in message


def test_tag_characters_outside_the_allowed_set_are_refused(emu: Emulator) -> None:
    ecs = raw_client(emu, "ecs")
    arn = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "Team name + id=/x:y@z_1.2-3", "value": "Équipe 42 ünï"}])
    for bad in ({"key": "a*b", "value": "v"}, {"key": "ok", "value": "semi;colon"}, {"key": "hash#", "value": ""}):
        with pytest.raises(ClientError) as err:
            ecs.tag_resource(resourceArn=arn, tags=[bad])
        assert error(err)[0] == "InvalidParameterException", bad


def test_aws_prefix_is_reserved(emu: Emulator) -> None:
    ecs = raw_client(emu, "ecs")
    arn = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    for key in ("aws:owner", "AWS:owner", "Aws:owner"):
        with pytest.raises(ClientError) as err:
            ecs.tag_resource(resourceArn=arn, tags=[{"key": key, "value": "v"}])
        code, _, message = error(err)
        assert code == "InvalidParameterException" and "aws:" in message, key
        with pytest.raises(ClientError):
            ecs.register_task_definition(family="reserved", tags=[{"key": key, "value": "v"}],
                                         containerDefinitions=[{"name": "a", "image": "i", "memory": 8}])
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "owner-aws:", "value": "aws:fine-as-a-value"}])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "owner-aws:", "value": "aws:fine-as-a-value"}]


def test_tag_limits_off_accepts_what_ecs_refuses(emu: Emulator) -> None:
    configure(emu, tag_limits=False)
    ecs = raw_client(emu, "ecs")
    arn = ecs.create_cluster(clusterName="lax", tags=tags(51) + [{"key": "aws:x", "value": "v" * 300}])["cluster"][
        "clusterArn"]
    assert len(ecs.list_tags_for_resource(resourceArn=arn)["tags"]) == 52


# ---------------------------------------------------------------------------
# eventual consistency and retention
# ---------------------------------------------------------------------------


def test_new_task_is_missing_until_the_describe_lag_passed(emu: Emulator) -> None:
    configure(emu, describe_lag_seconds=1.0)
    sleeper(emu)
    ecs = emu.client("ecs")
    created = time.monotonic()
    arn = run(emu, "sleeper")["taskArn"]
    response = ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])
    assert response["tasks"] == [] and response["failures"] == [{"arn": arn, "reason": "MISSING"}]
    assert arn not in task_arns(emu)
    wait_for(lambda: ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"], timeout=5)
    assert time.monotonic() - created >= 1.0
    assert task_arns(emu) == [arn]


def test_stale_desired_count_then_the_new_one(emu: Emulator) -> None:
    sleeper(emu, "web")
    ecs = emu.client("ecs")
    ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=2)
    wait_for(lambda: ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["runningCount"] == 2)
    configure(emu, stale_desired_count_seconds=1.5)
    updated = time.monotonic()
    assert ecs.update_service(cluster=CLUSTER, service="web", desiredCount=0)["service"]["desiredCount"] == 0

    def shown() -> dict[str, Any]:
        return ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]

    service = shown()
    assert service["desiredCount"] == 2  # the previous value
    assert [d["desiredCount"] for d in service["deployments"] if d["status"] == "PRIMARY"] == [2]
    # the scheduler acts on the new value at once
    wait_for(lambda: shown()["runningCount"] == 0, timeout=1.4)
    assert shown()["desiredCount"] == 2 and time.monotonic() - updated < 1.5
    wait_for(lambda: shown()["desiredCount"] == 0, timeout=5)
    assert time.monotonic() - updated >= 1.5
    assert [d["desiredCount"] for d in shown()["deployments"] if d["status"] == "PRIMARY"] == [0]


def test_stopped_task_is_forgotten_after_retention(emu: Emulator) -> None:
    configure(emu, stopped_task_retention_seconds=0.5)
    register(emu, "quick", [{"name": "app", "command": ["true"]}])
    sleeper(emu)
    ecs = emu.client("ecs")
    arn = run(emu, "quick")["taskArn"]
    running = run(emu, "sleeper")["taskArn"]
    stopped = wait_status(emu, arn, "STOPPED")
    assert container(stopped, "app")["exitCode"] == 0
    assert arn in task_arns(emu, desiredStatus="STOPPED")
    wait_for(lambda: ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["failures"], timeout=5)
    assert time.time() - stopped["stoppedAt"].timestamp() >= 0.49
    assert ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["failures"] == [{"arn": arn, "reason": "MISSING"}]
    assert arn not in task_arns(emu, desiredStatus="STOPPED")
    with pytest.raises(ClientError) as err:
        ecs.stop_task(cluster=CLUSTER, task=arn)
    assert error(err)[0] == "InvalidParameterException"
    with pytest.raises(ClientError):
        ecs.list_tags_for_resource(resourceArn=arn)
    assert describe(emu, running)["lastStatus"] == "RUNNING"  # running tasks are kept


# ---------------------------------------------------------------------------
# configuration, reset, timeline
# ---------------------------------------------------------------------------


def test_config_rejects_an_unknown_key_and_changes_nothing(emu: Emulator) -> None:
    before = config(emu)
    for payload, key in (
        ({"log_lag_ms": 5, "bogus": 1}, "bogus"),
        ({"describe_lag_seconds": 1, "tag_limits": "yes"}, "tag_limits"),
        ({"log_empty_page_rate": 1.5}, "log_empty_page_rate"),
        ({"client_token_ttl_seconds": -1}, "client_token_ttl_seconds"),
        ({"seed": 1.5}, "seed"),
        ({"run_task_conflict": 1}, "run_task_conflict"),
        ({"faults": {"ecs:RunTask": {"throttle": 2}}}, "faults.ecs:RunTask.throttle"),
        ({"faults": {"ecs:RunTask": {"explode": 1}}}, "faults.ecs:RunTask.explode"),
        ({"faults": {"ECS run": {"throttle": 1}}}, "faults.ECS run"),
    ):
        status, body = post(emu, "/ecs-emulator/config", payload)
        assert status == 400, payload
        assert body["key"] == key and key.split(".")[0] in body["message"], body
        assert config(emu) == before
    for payload in (b"not json", b"[1, 2]"):
        status, body = post(emu, "/ecs-emulator/config", payload)
        assert status == 400 and "message" in body
    assert config(emu) == before
    merged = configure(emu, log_lag_ms=5)
    assert merged == dict(before, log_lag_ms=5) == config(emu)


def test_startup_config_with_an_unknown_key_refuses_to_start(tmp_path: Path) -> None:
    env = dict(os.environ, ECS_EMULATOR_CONFIG='{"describe_lag_seconds": 1, "nope": true}')
    result = subprocess.run([sys.executable, str(EMULATOR)], env=env, capture_output=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == b""  # no READY line
    assert b"ECS_EMULATOR_CONFIG" in result.stderr and b"'nope'" in result.stderr
    env["ECS_EMULATOR_CONFIG"] = '{"faults": {"ecs": {"throttle": "often"}}}'
    result = subprocess.run([sys.executable, str(EMULATOR)], env=env, capture_output=True, timeout=60)
    assert result.returncode == 2 and b"faults.ecs.throttle" in result.stderr


def test_reset_restores_the_start_up_config(emu: Emulator) -> None:
    startup = config(emu)
    assert startup["seed"] == STARTUP["seed"] and startup["client_token_ttl_seconds"] == 3600
    assert startup["run_task_conflict"] is True and startup["stopped_task_retention_seconds"] == 3600
    configure(emu, seed=1, log_lag_ms=100, tag_limits=False, faults={"ecs:ListClusters": {"throttle": 1}})
    with pytest.raises(ClientError):
        raw_client(emu, "ecs").list_clusters()
    assert emu.http("/ecs-emulator/calls")["faults"] == {"ecs:ListClusters:throttle": 1}
    assert emu.http("/ecs-emulator/timeline")["events"] == []
    emu.reset()
    assert config(emu) == startup
    assert emu.http("/ecs-emulator/calls") == {"calls": {}, "total": 0, "first_request_at": None, "faults": {}}
    assert emu.http("/ecs-emulator/timeline") == {"events": []}


def test_timeline_records_task_statuses_and_desired_counts(emu: Emulator) -> None:
    ecs = emu.client("ecs")
    sleeper(emu, "web")
    service_arn = ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web",
                                     desiredCount=0)["service"]["serviceArn"]
    register(emu, "migrate", [{"name": "app", "command": ["sh", "-c", "exit 3"]},
                              {"name": "side", "essential": False}])
    arn = run(emu, "migrate", startedBy="ecs-migrate", group="migrations")["taskArn"]
    wait_status(emu, arn, "STOPPED")
    ecs.update_service(cluster=CLUSTER, service="web", desiredCount=1)
    ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web")  # desiredCount not set
    ecs.update_service(cluster=CLUSTER, service="web", desiredCount=0)
    events = emu.http("/ecs-emulator/timeline")["events"]
    times = [e["t"] for e in events]
    assert times == sorted(times)
    mine = [e for e in events if e["kind"] == "task" and e["task_arn"] == arn]
    assert [e["status"] for e in mine] == ["PROVISIONING", "PENDING", "RUNNING", "DEACTIVATING", "STOPPING",
                                           "DEPROVISIONING", "STOPPED"]
    assert {(e["started_by"], e["group"]) for e in mine} == {("ecs-migrate", "migrations")}
    stops = {e["container"]: e["exit_code"] for e in events if e["kind"] == "container_stopped"
             and e["task_arn"] == arn}
    assert stops == {"app": 3, "side": 143}
    desired = [e for e in events if e["kind"] == "desired_count"]
    assert [(e["service"], e["service_arn"], e["desired_count"]) for e in desired] == [
        ("web", service_arn, 0), ("web", service_arn, 1), ("web", service_arn, 0)]
    # what a harness checks: the service's desired count was 0 for the whole life of the task
    first, last = mine[0]["t"], mine[-1]["t"]
    before = [e for e in desired if e["t"] <= first]
    during = [e for e in desired if first < e["t"] <= last]
    assert before[-1]["desired_count"] == 0 and all(e["desired_count"] == 0 for e in during)
    # service tasks are on the timeline too
    assert any(e["kind"] == "task" and e["group"] == "service:web" for e in events)
