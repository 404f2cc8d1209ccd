"""Tests of Step Functions in the emulator (emulator/ecsemu/stepfunctions.py): moto's
interpreter runs the executions, and its Lambda Tasks reach this emulator's Lambda, which (with
``lambda_bootstrap``) runs the function's ``bootstrap``: here a small Python script written by
the tests, whose answer depends on the item it gets (``ok``, ``bad``: MigrationFailed, ``flaky``:
StillRunning twice, then an answer, ``wait``: an answer once the test writes ``<name>.release``),
and which notes every invocation in a directory of the test's.  What they prove: a Distributed Map
over inline items (ItemsPath, ItemSelector with ``$$.Map.Item.Value``, slices), a Retry on a
function's errorType, the failure threshold (ToleratedFailureCount and ToleratedFailurePercentage,
``States.ExceedToleratedFailureThreshold``, caught), what a tolerated failed item leaves in the
Map's output, each item a child execution (ListExecutions by mapRunArn, DescribeExecution), a
JSONPath filter that matches nothing, Choice, and Fail with ``CausePath`` and
``States.JsonToString``.  Run:
    .venv/bin/python -m pytest -q emulator/test_step_functions.py
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from test_emulator import Emulator, wait_for
from test_lambda_runtime import PYTHON, function, lambda_runs

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/states-test"
INVOKE = "arn:aws:states:::lambda:invoke"

# The item's answer: {"Target": {"name": ...}, "Defaults": {...}} (the rollout module's payload).
ITEM = PYTHON + r'''
import time
def fail(kind, message):
    body = json.dumps({"errorType": kind, "errorMessage": message}).encode()
    request = urllib.request.Request(API + REQUEST_ID + "/error", data=body, method="POST",
                                     headers={"Lambda-Runtime-Function-Error-Type": kind})
    urllib.request.urlopen(request).read()
name = EVENT["Target"]["name"]
calls = os.path.join(os.environ["CALLS"], name)
with open(calls, "a") as f:
    f.write("%f\n" % time.time())
with open(calls) as f:
    attempt = len(f.read().splitlines())
if name.startswith("wait"):  # until the test releases it
    release = os.path.join(os.environ["CALLS"], name + ".release")
    deadline = time.time() + 25
    while not os.path.exists(release) and time.time() < deadline:
        time.sleep(0.05)
if name.startswith("bad"):
    fail("MigrationFailed", name + ": the migration exited 1")
elif name.startswith("flaky") and attempt <= 2:
    fail("StillRunning", name + ": handed off, the task keeps running")
else:
    respond({"statusCode": 200, "target": name, "status": "succeeded", "attempt": attempt,
             "defaults": EVENT["Defaults"]})
'''


@pytest.fixture(scope="module")
def sfn_emulator(tmp_path_factory: pytest.TempPathFactory):
    emu = Emulator(tmp_path_factory.mktemp("sfn") / "emulator.log",
                   ECS_EMULATOR_CONFIG=json.dumps({"lambda_bootstrap": True}))
    yield emu
    assert emu.stop() == 0


class Setup:
    def __init__(self, emu: Emulator, calls: Path, arn: str):
        self.emu, self.calls, self.function_arn = emu, calls, arn
        self.sfn = emu.client("stepfunctions")

    def invocations(self, name: str) -> int:
        path = self.calls / name
        return len(path.read_text().splitlines()) if path.exists() else 0

    def start(self, definition: dict, document: Any) -> tuple[str, str]:
        """Create a state machine of DEFINITION, start it with DOCUMENT: (machine, execution) ARNs."""
        machine = self.sfn.create_state_machine(name=f"m-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition),
                                                roleArn=ROLE, type="STANDARD")["stateMachineArn"]
        return machine, self.sfn.start_execution(stateMachineArn=machine, input=json.dumps(document))["executionArn"]

    def execute(self, definition: dict, document: Any, timeout: float = 60) -> dict:
        """Create a state machine of DEFINITION, run it with DOCUMENT, wait for its end."""
        _, execution = self.start(definition, document)
        return self.wait(execution, timeout)

    def wait(self, execution: str, timeout: float = 60) -> dict:
        """The execution's description once it ended (its output parsed)."""
        done = wait_for(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
            self.sfn.describe_execution(executionArn=execution)), timeout=timeout, interval=0.1)
        if "output" in done:
            done["output"] = json.loads(done["output"])
        return done


@pytest.fixture
def setup(sfn_emulator: Emulator, tmp_path: Path) -> Setup:
    sfn_emulator.reset()
    sfn_emulator.client("iam").create_role(RoleName="lambda-test", AssumeRolePolicyDocument="{}")
    calls = tmp_path / "calls"
    calls.mkdir()
    arn = function(sfn_emulator, "item", ITEM, Environment={"Variables": {"CALLS": str(calls)}})["FunctionArn"]
    return Setup(sfn_emulator, calls, arn)


def run_state(arn: str, retry: list | None = None) -> dict:
    state = {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": arn, "Payload.$": "$"},
             "OutputPath": "$.Payload", "End": True}
    if retry:
        state["Retry"] = retry
    return state


def distributed_map(arn: str, items_path: str = "$.targets", retry: list | None = None, **fields: Any) -> dict:
    state = {
        "Type": "Map",
        "ItemsPath": items_path,
        "ItemSelector": {"Target.$": "$$.Map.Item.Value", "Defaults.$": "$.defaults"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Run", "States": {"Run": run_state(arn, retry)}},
    }
    state.update(fields)
    if "Next" not in fields:
        state.setdefault("End", True)
    return state


def targets(*names: str) -> dict:
    return {"defaults": {"timeout": "15m"}, "targets": [{"name": n} for n in names]}


def answer(name: str, attempt: int = 1) -> dict:
    return {"statusCode": 200, "target": name, "status": "succeeded", "attempt": attempt,
            "defaults": {"timeout": "15m"}}


# ---------------------------------------------------------------------------


def test_distributed_map_over_a_slice_invokes_the_function_once_per_item(setup: Setup) -> None:
    """ItemsPath over inline items (a slice made by a Pass state's Parameters: ItemsPath is a
    reference path on AWS), ItemSelector with $$.Map.Item.Value and the Map's input, MaxConcurrency,
    each item's bootstrap really run; the Map's output is the answers in item order."""
    definition = {"StartAt": "Split", "States": {
        "Split": {"Type": "Pass", "Next": "Map", "Parameters": {
            "defaults.$": "$.defaults", "first.$": "$.targets[0:1]", "rest.$": "$.targets[1:]",
            "none.$": "$.targets[9:]"}},
        "Map": distributed_map(setup.function_arn, "$.rest", MaxConcurrency=2, ResultPath="$.results"),
    }}
    done = setup.execute(definition, targets("a", "b", "c", "d"))
    assert done["status"] == "SUCCEEDED", done
    out = done["output"]
    assert out["first"] == [{"name": "a"}] and out["none"] == []
    assert out["results"] == [answer("b"), answer("c"), answer("d")]
    assert [setup.invocations(n) for n in "abcd"] == [0, 1, 1, 1]
    runs = [r for r in lambda_runs(setup.emu) if r["function"] == "item"]
    assert len(runs) == 3 and {r["outcome"] for r in runs} == {"response"}


def test_retry_on_the_functions_error_type(setup: Setup) -> None:
    """StillRunning twice, retried (IntervalSeconds 1): the third invocation answers."""
    retry = [{"ErrorEquals": ["StillRunning"], "IntervalSeconds": 1, "MaxAttempts": 5, "BackoffRate": 1}]
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(setup.function_arn, retry=retry)}},
                         targets("flaky", "ok"))
    assert done["status"] == "SUCCEEDED", done
    assert done["output"] == [answer("flaky", attempt=3), answer("ok")]
    assert [setup.invocations("flaky"), setup.invocations("ok")] == [3, 1]
    errors = [r["error_type"] for r in lambda_runs(setup.emu) if r["outcome"] == "error"]
    assert errors == ["StillRunning", "StillRunning"]


def test_retries_exhausted_fail_the_item_with_the_functions_error_type(setup: Setup) -> None:
    retry = [{"ErrorEquals": ["StillRunning"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, retry=retry, ToleratedFailureCount=1)}}, targets("flaky"))
    assert done["status"] == "SUCCEEDED", done  # the one failure is tolerated
    assert done["output"] == [None] and setup.invocations("flaky") == 2


def test_a_failure_within_tolerated_failure_count_leaves_null_in_the_output(setup: Setup) -> None:
    """moto: a tolerated failed item's entry in the Map's output is null (AWS: its child
    execution's record, the ResultWriter's NONE form)."""
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=2, ToleratedFailureCount=1)}}, targets("ok1", "bad", "ok2", "ok3"))
    assert done["status"] == "SUCCEEDED", done
    assert done["output"] == [answer("ok1"), None, answer("ok2"), answer("ok3")]


def test_failures_beyond_tolerated_failure_count_fail_the_map_and_start_no_more_items(setup: Setup) -> None:
    """ToleratedFailureCount 1, MaxConcurrency 1: the second failure fails the Map Run with
    States.ExceedToleratedFailureThreshold (caught), and no later item is invoked."""
    definition = {"StartAt": "Map", "States": {
        "Map": distributed_map(setup.function_arn, MaxConcurrency=1, ToleratedFailureCount=1, ResultPath="$.results",
                               Catch=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"],
                                       "ResultPath": "$.halt", "Next": "Halted"}], Next="Done"),
        "Halted": {"Type": "Pass", "Result": True, "ResultPath": "$.halted", "End": True},
        "Done": {"Type": "Succeed"},
    }}
    done = setup.execute(definition, targets("ok1", "bad1", "bad2", "ok2", "ok3"))
    assert done["status"] == "SUCCEEDED", done
    out = done["output"]
    assert out["halted"] is True and "results" not in out
    assert out["halt"] == {"Error": "States.ExceedToleratedFailureThreshold",
                           "Cause": "The specified tolerated failure threshold was exceeded"}
    assert [setup.invocations(n) for n in ("ok1", "bad1", "bad2", "ok2", "ok3")] == [1, 1, 1, 0, 0]


def test_without_a_threshold_the_first_failure_fails_the_map(setup: Setup) -> None:
    """No ToleratedFailure* field: 0 (AWS's default); uncaught, the execution fails."""
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(setup.function_arn, MaxConcurrency=1)}},
                         targets("bad", "ok"))
    assert done["status"] == "FAILED", done
    assert done["error"] == "States.ExceedToleratedFailureThreshold"
    assert [setup.invocations("bad"), setup.invocations("ok")] == [1, 0]


def test_tolerated_failure_percentage(setup: Setup) -> None:
    """100 tolerates every failure; 25 of 4 items fails at the second (50% > 25%)."""
    all_bad = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=1, ToleratedFailurePercentage=100)}}, targets("bad1", "bad2"))
    assert all_bad["status"] == "SUCCEEDED" and all_bad["output"] == [None, None], all_bad
    quarter = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=1, ToleratedFailurePercentage=25)}}, targets("bad3", "bad4", "ok1", "ok2"))
    assert quarter["status"] == "FAILED" and quarter["error"] == "States.ExceedToleratedFailureThreshold", quarter
    assert [setup.invocations(n) for n in ("bad3", "bad4", "ok1", "ok2")] == [1, 1, 0, 0]


def test_an_empty_map(setup: Setup) -> None:
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=10, ToleratedFailureCount=0)}}, targets())
    assert done["status"] == "SUCCEEDED" and done["output"] == [], done


def summary_definition(status_path: str = "$.summary.status") -> dict:
    return {"StartAt": "Collect", "States": {
        # The answers of two Maps, failed items left out (a filter that may match nothing).
        "Collect": {"Type": "Pass", "Next": "Verdict", "Parameters": {
            "both.$": "States.Array($.canary, $.rest)", "summary.$": "$.summary"}},
        "Verdict": {"Type": "Choice", "Default": "Failed", "Choices": [
            {"Variable": status_path, "StringEquals": "succeeded", "Next": "Succeeded"},
            {"Variable": status_path, "StringEquals": "halted", "Next": "Halted"}]},
        "Succeeded": {"Type": "Pass", "End": True, "Parameters": {
            "ok.$": "$.both[*][?(@.statusCode == 200)]", "summary.$": "$.summary"}},
        "Halted": {"Type": "Fail", "Error": "RolloutHalted", "CausePath": "States.JsonToString($.summary)"},
        "Failed": {"Type": "Fail", "Error": "RolloutFailed", "CausePath": "States.JsonToString($.summary)"},
    }}


def test_choice_filter_and_fail_with_cause_path(setup: Setup) -> None:
    """A filter over both Maps' outputs keeps the answers in order; one that matches nothing is
    [] (not States.Runtime); Choice on a string; Fail's CausePath with States.JsonToString."""
    summary = {"status": "succeeded", "counts": {"succeeded": 2}}
    ok = setup.execute(summary_definition(), {"canary": [answer("a")], "rest": [None, answer("b"), {"Error": "x"}],
                                              "summary": summary})
    assert ok["status"] == "SUCCEEDED", ok
    assert ok["output"] == {"ok": [answer("a"), answer("b")], "summary": summary}
    nothing = setup.execute(summary_definition(), {"canary": [], "rest": [None], "summary": summary})
    assert nothing["status"] == "SUCCEEDED" and nothing["output"]["ok"] == [], nothing
    halted = {"status": "halted", "counts": {"failed": 1, "not_started": 3}}
    fail = setup.execute(summary_definition(), {"canary": [None], "rest": [], "summary": halted})
    assert fail["status"] == "FAILED", fail
    assert fail["error"] == "RolloutHalted" and json.loads(fail["cause"]) == halted
    failed = setup.execute(summary_definition(), {"canary": [], "rest": [], "summary": {"status": "failed"}})
    assert failed["error"] == "RolloutFailed" and json.loads(failed["cause"]) == {"status": "failed"}


def test_validate_state_machine_definition(setup: Setup) -> None:
    """What the Terraform AWS provider calls before CreateStateMachine: OK, or FAIL with an ERROR
    diagnostic; an integer ToleratedFailurePercentage is valid (moto's grammar wants 100.0)."""
    valid = {"StartAt": "Map", "States": {"Map": distributed_map(setup.function_arn, ToleratedFailurePercentage=100)}}
    answer_ok = setup.sfn.validate_state_machine_definition(definition=json.dumps(valid), type="STANDARD")
    assert [answer_ok["result"], answer_ok["diagnostics"]] == ["OK", []]
    invalid = {"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "Next": "B", "End": True}}}
    answer_fail = setup.sfn.validate_state_machine_definition(definition=json.dumps(invalid))
    assert answer_fail["result"] == "FAIL"
    assert [(d["severity"], d["code"]) for d in answer_fail["diagnostics"]] == [("ERROR", "SCHEMA_VALIDATION_FAILED")]


def test_list_state_machine_versions(setup: Setup) -> None:
    """What the Terraform AWS provider reads: none, then the published versions, newest first."""
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = setup.sfn.create_state_machine(name="versions", definition=definition, roleArn=ROLE)["stateMachineArn"]
    assert setup.sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == []
    setup.sfn.update_state_machine(stateMachineArn=arn, definition=definition, publish=True)
    setup.sfn.update_state_machine(stateMachineArn=arn, definition=definition, publish=True)
    versions = setup.sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:2", f"{arn}:1"]


def test_unnamed_executions_get_a_name_each(setup: Setup) -> None:
    """moto names an unnamed execution None (one ARN for all of them); AWS gives a UUID."""
    definition = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
    arn = setup.sfn.create_state_machine(name="unnamed", definition=definition, roleArn=ROLE)["stateMachineArn"]
    first = setup.sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    second = setup.sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert first != second
    assert re.fullmatch(rf"arn:aws:states:us-east-1:{ACCOUNT}:execution:unnamed:[0-9a-f-]{{36}}", first), first
    # A name makes a start idempotent while the execution runs (same name, same input).
    named = setup.sfn.start_execution(stateMachineArn=arn, name="release-42", input="{}")["executionArn"]
    assert setup.sfn.start_execution(stateMachineArn=arn, name="release-42", input="{}")["executionArn"] == named
    setup.sfn.stop_execution(executionArn=first)
    assert wait_for(lambda: setup.sfn.describe_execution(executionArn=first)["status"] == "ABORTED", timeout=10)


def test_context_times_are_in_aws_form(setup: Setup) -> None:
    """$$.Execution.StartTime and $$.State.EnteredTime as AWS writes them: UTC, milliseconds, Z."""
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Parameters": {
        "since.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"}}}}
    done = setup.execute(definition, {})
    aws = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.fullmatch(aws, done["output"]["since"]) and re.fullmatch(aws, done["output"]["entered"]), done["output"]
    started = done["startDate"].timestamp()
    since = datetime.datetime.fromisoformat(done["output"]["since"].replace("Z", "+00:00")).timestamp()
    assert abs(since - started) < 0.002, (done["output"]["since"], done["startDate"])


# -- a distributed Map's child workflow executions ---------------------------------------------

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def the_map_run(setup: Setup, execution: str) -> dict:
    runs = setup.sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(runs) == 1, runs
    return runs[0]


def children(setup: Setup, map_run_arn: str, **kwargs: Any) -> list[dict]:
    """Every child of the Map Run, page by page (ListExecutions' nextToken)."""
    listed: list[dict] = []
    while True:
        page = setup.sfn.list_executions(mapRunArn=map_run_arn, **kwargs)
        listed += page["executions"]
        if "nextToken" not in page:
            return listed
        kwargs["nextToken"] = page["nextToken"]


def child_target(setup: Setup, child_arn: str) -> str:
    return json.loads(setup.sfn.describe_execution(executionArn=child_arn)["input"])["Target"]["name"]


def test_each_item_of_a_distributed_map_is_a_child_execution_listed_by_its_map_run(setup: Setup) -> None:
    """N items, N children: ListExecutions(mapRunArn) lists them newest first, each of the Map Run's
    state machine (MACHINE/LABEL) with an ARN of the execution form, its mapRunArn and itemCount 1;
    DescribeExecution gives each one's input (the item after ItemSelector, naming its target) and
    output (the function's answer)."""
    names = ["acme", "globex", "initech", "umbrella"]
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=2, Label="Targets")}}, targets(*names))
    assert done["status"] == "SUCCEEDED", done
    machine = done["stateMachineArn"].split(":stateMachine:")[1]
    run = the_map_run(setup, done["executionArn"])
    assert run["stateMachineArn"] == f"{done['stateMachineArn']}/Targets", run
    listed = children(setup, run["mapRunArn"])
    assert len(listed) == len(names), listed
    starts = [c["startDate"] for c in listed]
    assert starts == sorted(starts, reverse=True), starts
    seen = {}
    for child in listed:
        assert re.fullmatch(rf"arn:aws:states:us-east-1:{ACCOUNT}:execution:{machine}/Targets:{UUID}",
                            child["executionArn"]), child
        assert child["name"] == child["executionArn"].rsplit(":", 1)[1]
        assert (child["stateMachineArn"], child["mapRunArn"], child["itemCount"], child["status"]) == (
            run["stateMachineArn"], run["mapRunArn"], 1, "SUCCEEDED"), child
        assert child["startDate"] <= child["stopDate"]
        described = setup.sfn.describe_execution(executionArn=child["executionArn"])
        for field in ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate"):
            assert described[field] == child[field], (field, described, child)
        assert described["mapRunArn"] == run["mapRunArn"]
        item = json.loads(described["input"])
        assert item == {"Target": {"name": item["Target"]["name"]}, "Defaults": {"timeout": "15m"}}, item
        seen[item["Target"]["name"]] = json.loads(described["output"])
        assert "error" not in described and "cause" not in described
    assert seen == {name: answer(name) for name in names}


def test_a_failed_items_child_is_failed_with_the_functions_error_type_and_message(setup: Setup) -> None:
    """The bad item's child: FAILED, error MigrationFailed (the function's errorType), the function's
    message in its cause, no output; statusFilter picks it out."""
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, ToleratedFailureCount=1)}}, targets("ok", "bad"))
    assert done["status"] == "SUCCEEDED", done  # the one failure is tolerated
    run = the_map_run(setup, done["executionArn"])
    failed = children(setup, run["mapRunArn"], statusFilter="FAILED")
    assert [c["status"] for c in failed] == ["FAILED"] and "stopDate" in failed[0], failed
    described = setup.sfn.describe_execution(executionArn=failed[0]["executionArn"])
    assert json.loads(described["input"])["Target"] == {"name": "bad"}
    assert described["status"] == "FAILED" and described["error"] == "MigrationFailed", described
    assert "bad: the migration exited 1" in described["cause"], described
    assert "output" not in described
    succeeded = children(setup, run["mapRunArn"], statusFilter="SUCCEEDED")
    assert [child_target(setup, c["executionArn"]) for c in succeeded] == ["ok"]


def test_a_child_is_running_listed_and_describable_while_its_item_runs(setup: Setup) -> None:
    """While its function runs the child is RUNNING, listed and described without stopDate or
    output; once the function answers it is SUCCEEDED with both."""
    _, execution = setup.start({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=2)}}, targets("wait1", "ok1"))
    run = wait_for(lambda: setup.sfn.list_map_runs(executionArn=execution)["mapRuns"], timeout=20)[0]
    ended_ok = wait_for(lambda: [c for c in children(setup, run["mapRunArn"], statusFilter="SUCCEEDED")], timeout=20)
    assert [child_target(setup, c["executionArn"]) for c in ended_ok] == ["ok1"]
    running = children(setup, run["mapRunArn"], statusFilter="RUNNING")
    assert len(running) == 1 and "stopDate" not in running[0], running
    described = setup.sfn.describe_execution(executionArn=running[0]["executionArn"])
    assert described["status"] == "RUNNING" and json.loads(described["input"])["Target"] == {"name": "wait1"}
    assert not {"stopDate", "output", "error", "cause"} & set(described), described
    assert setup.sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    (setup.calls / "wait1.release").write_text("")
    done = setup.wait(execution)
    assert done["status"] == "SUCCEEDED", done
    ended = setup.sfn.describe_execution(executionArn=running[0]["executionArn"])
    assert ended["status"] == "SUCCEEDED" and ended["stopDate"] >= ended["startDate"], ended
    assert json.loads(ended["output"]) == answer("wait1")


def test_list_executions_by_map_run_pages_with_max_results(setup: Setup) -> None:
    """maxResults 2 over 5 children: pages of 2, 2, 1 (nextToken on all but the last), together the
    unpaged listing in its order; maxResults over 1000 is refused."""
    names = [f"t{i}" for i in range(5)]
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=5)}}, targets(*names))
    assert done["status"] == "SUCCEEDED", done
    run = the_map_run(setup, done["executionArn"])
    whole = setup.sfn.list_executions(mapRunArn=run["mapRunArn"])
    assert len(whole["executions"]) == 5 and "nextToken" not in whole
    pages, token = [], None
    while True:
        page = setup.sfn.list_executions(mapRunArn=run["mapRunArn"], maxResults=2,
                                         **({"nextToken": token} if token else {}))
        pages.append([c["executionArn"] for c in page["executions"]])
        token = page.get("nextToken")
        if token is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1], pages
    assert [arn for p in pages for arn in p] == [c["executionArn"] for c in whole["executions"]]
    assert sorted(child_target(setup, arn) for p in pages for arn in p) == names
    with pytest.raises(setup.sfn.exceptions.ClientError) as refused:
        setup.sfn.list_executions(mapRunArn=run["mapRunArn"], maxResults=1001)
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_list_executions_refuses_both_arns_and_unknown_map_runs_and_children(setup: Setup) -> None:
    """mapRunArn with stateMachineArn: ValidationException; an unknown Map Run: ResourceNotFound; an
    unknown child ARN: ExecutionDoesNotExist, as for a parent."""
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(setup.function_arn)}}, targets("ok"))
    run = the_map_run(setup, done["executionArn"])
    unknown_child = f"{run['stateMachineArn'].replace(':stateMachine:', ':execution:')}:{uuid.uuid4()}"
    codes = []
    for call in (
        lambda: setup.sfn.list_executions(mapRunArn=run["mapRunArn"], stateMachineArn=done["stateMachineArn"]),
        lambda: setup.sfn.list_executions(mapRunArn=run["mapRunArn"].rsplit(":", 1)[0] + ":" + str(uuid.uuid4())),
        lambda: setup.sfn.describe_execution(executionArn=unknown_child),
    ):
        with pytest.raises(setup.sfn.exceptions.ClientError) as refused:
            call()
        codes.append(refused.value.response["Error"]["Code"])
    assert codes == ["ValidationException", "ResourceNotFound", "ExecutionDoesNotExist"]


def test_the_parent_state_machines_listing_has_no_children_and_a_reset_forgets_them(setup: Setup) -> None:
    """ListExecutions(stateMachineArn) lists the parent alone (no mapRunArn, no itemCount); after
    /moto-api/reset a child is no more."""
    done = setup.execute({"StartAt": "Map", "States": {"Map": distributed_map(setup.function_arn)}},
                         targets("ok1", "ok2"))
    listed = setup.sfn.list_executions(stateMachineArn=done["stateMachineArn"])["executions"]
    assert [e["executionArn"] for e in listed] == [done["executionArn"]], listed
    assert not {"mapRunArn", "itemCount"} & set(listed[0]), listed
    child = children(setup, the_map_run(setup, done["executionArn"])["mapRunArn"])[0]["executionArn"]
    setup.emu.reset()
    with pytest.raises(setup.sfn.exceptions.ExecutionDoesNotExist):
        setup.sfn.describe_execution(executionArn=child)


def test_stopping_the_parent_aborts_its_running_child_and_starts_no_other(setup: Setup) -> None:
    """StopExecution while an item runs: once its function returns, its child is ABORTED (with a
    stopDate), and the items after it never become children."""
    _, execution = setup.start({"StartAt": "Map", "States": {"Map": distributed_map(
        setup.function_arn, MaxConcurrency=1)}}, targets("wait1", "ok1"))
    run = wait_for(lambda: setup.sfn.list_map_runs(executionArn=execution)["mapRuns"], timeout=20)[0]
    running = wait_for(lambda: children(setup, run["mapRunArn"], statusFilter="RUNNING"), timeout=20)
    setup.sfn.stop_execution(executionArn=execution)
    (setup.calls / "wait1.release").write_text("")
    aborted = wait_for(lambda: children(setup, run["mapRunArn"], statusFilter="ABORTED"), timeout=20)
    assert [c["executionArn"] for c in aborted] == [running[0]["executionArn"]] and "stopDate" in aborted[0]
    assert len(children(setup, run["mapRunArn"])) == 1 and setup.invocations("ok1") == 0
    assert setup.sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
