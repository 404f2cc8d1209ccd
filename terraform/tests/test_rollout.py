"""terraform/modules/ecs-migrate-rollout: the module as files, its input validation (offline,
group d), and the module applied against an emulator of its own (group g) whose Step Functions
interpreter runs the executions and whose Lambda runs the functions' `bootstrap`
(`lambda_bootstrap`):

* over a stand-in function (a script that answers by the contract and records every payload):
  what the state machine sends (each target's `{"Target", "Defaults"}`, the summary's
  `{"Summarize", "Results", "Halted", "Since"}`) and how it ends, for a failure within the
  tolerated count with a hand-off, too many failures (halted), a failing canary, a document
  without `defaults`, and one without `targets`;
* over ecs-migrate's own Lambda: ten tenants, each its own service (count 1) and migration task
  definition in one cluster, and one execution per case — all succeed behind a canary; one
  fails within the tolerated count; every target handed off (the function's timeout shorter
  than the migration) and re-attached; the canary fails and nothing else starts. Each case
  checks the summary (the execution's output, or its cause), each target's status, one
  migration task per target, and the services back at 1. These need the real Lambda package
  with the rollout payloads (ECS_MIGRATE_LAMBDA_ZIP); without it they are skipped, loudly."""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ACCOUNT, REGION, ROOT, banner, clean_env
from emulated import App
from test_inputs import arguments
from test_modules import undocumented
from tfrun import Result, Workspace

MODULE = "ecs-migrate-rollout"
DIRECTORY = ROOT / "terraform/modules" / MODULE
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rollout-ecs-migrate"

# -- the module as files (group d) ----------------------------------------------------------


@pytest.mark.group("d")
def test_module_has_main_variables_outputs_versions_and_readme():
    missing = [f for f in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
               if not (DIRECTORY / f).is_file()]
    assert not missing, f"terraform/modules/{MODULE} lacks {' '.join(missing)}"


@pytest.mark.group("d")
def test_module_every_variable_is_typed_and_described_every_output_described():
    lines = (DIRECTORY / "variables.tf").read_text().splitlines() + (DIRECTORY / "outputs.tf").read_text().splitlines()
    missing = undocumented(lines)
    assert not missing, f"terraform/modules/{MODULE}: not typed or described: {' '.join(missing)}"


@pytest.mark.group("d")
def test_module_readme_lists_every_input_and_output():
    readme = (DIRECTORY / "README.md").read_text().splitlines()
    names = re.findall(r'^variable "([a-z_0-9]*)"', (DIRECTORY / "variables.tf").read_text(), re.M)
    names += re.findall(r'^output "([a-z_0-9]*)"', (DIRECTORY / "outputs.tf").read_text(), re.M)
    assert names
    unlisted = [n for n in names if not any(line.startswith(f"| `{n}` |") for line in readme)]
    assert not unlisted, f"terraform/modules/{MODULE}/README.md does not list: {' '.join(unlisted)}"


@pytest.mark.group("d")
def test_init_and_validate_succeed(tree, plugin_dir):
    ws = Workspace(tree.parent / "logs" / f"modules-{MODULE}", None, clean_env(), plugin_dir, dir=tree / "modules" / MODULE)
    res = ws.init()
    assert res.rc == 0, res.describe()
    res = ws.validate()
    assert res.rc == 0, res.describe()


# -- input validation (group d): one `terraform validate` of a configuration calling the module
# once per case ---------------------------------------------------------------------------

BASE = f"""
  name         = "tenants-rollout"
  function_arn = "{FUNCTION}\""""

# (label, arguments replacing BASE's, the variable validation must refuse; None: accepted)
CASES = [
    ("the name and a function ARN", [], None),
    ("a canary, concurrency, max_failures = 0, retries, tags, an alias ARN",
     ['canary = 2', 'max_concurrency = 40', 'max_failures = 0', f'function_arn = "{FUNCTION}:live"',
      'still_running_retry = { interval_seconds = 5, max_attempts = 100 }',
      'locked_retry = { interval_seconds = 30, max_attempts = 20, backoff_rate = 2 }', 'tags = { Team = "platform" }'],
     None),
    ("a version ARN and $LATEST", [f'function_arn = "{FUNCTION}:$LATEST"'], None),
    ("a function name instead of its ARN", ['function_arn = "rollout-ecs-migrate"'], "function_arn"),
    ("another resource's ARN", [f'function_arn = "arn:aws:iam::{ACCOUNT}:role/rollout"'], "function_arn"),
    ("a name with a space", ['name = "tenants rollout"'], "name"),
    ("a name too long for its role", [f'name = "{"r" * 58}"'], "name"),
    ("canary = -1", ['canary = -1'], "canary"),
    ("canary = 1.5", ['canary = 1.5'], "canary"),
    ("max_concurrency = 0", ['max_concurrency = 0'], "max_concurrency"),
    ("max_concurrency = 10001", ['max_concurrency = 10001'], "max_concurrency"),
    ("max_failures = -1", ['max_failures = -1'], "max_failures"),
    ("max_failures = 0.5", ['max_failures = 0.5'], "max_failures"),
    ("a StillRunning retry interval of 0 s", ['still_running_retry = { interval_seconds = 0 }'], "still_running_retry"),
    ("a StillRunning retry with -1 attempts", ['still_running_retry = { max_attempts = -1 }'], "still_running_retry"),
    ("a Locked retry with backoff 0.5", ['locked_retry = { backoff_rate = 0.5 }'], "locked_retry"),
    ("a Locked retry interval of 1.5 s", ['locked_retry = { interval_seconds = 1.5 }'], "locked_retry"),
]


class Validated:
    """One `terraform validate` of every case: which calls it refused, naming which variable."""

    def __init__(self, tree: Path, base_dir: Path, plugin_dir: str):
        directory = base_dir / f"inputs-{MODULE}"
        directory.mkdir(parents=True)
        blocks = [f'module "case_{i}" {{\n  source = "{tree / "modules" / MODULE}"\n{arguments(BASE, overrides)}\n}}\n'
                  for i, (_, overrides, _) in enumerate(CASES, 1)]
        (directory / "main.tf").write_text("\n".join(blocks))
        ws = Workspace(directory, None, clean_env(), plugin_dir, dir=directory)
        self.init = ws.init()
        self.validate = ws.validate() if self.init.rc == 0 else None
        # Per error: its call, the variable it names (an object's attributes are listed as
        # var.NAME.ATTRIBUTE), and its text (the message names the value and the fix).
        self.refused: list[tuple[str, str]] = []
        self.messages: dict[str, str] = {}
        out = self.validate.out if self.validate else ""
        blocks = re.split(r"^Error: ", out, flags=re.M)[1:]
        for block in blocks:
            call = re.search(r'in module "(case_[0-9]+)"', block)
            variable = re.search(r" var\.([a-z_]+)[ .]", block)
            if call and variable:
                self.refused.append((call.group(1), variable.group(1)))
                self.messages[call.group(1)] = self.messages.get(call.group(1), "") + block
        self.errors = len(blocks)

    def check_runs(self) -> None:
        assert self.init.rc == 0, "terraform init of the input cases\n" + self.init.describe()
        assert self.errors == len(self.refused), "validation errors other than refused inputs\n" + self.validate.describe()


@pytest.fixture(scope="module")
def validated(tree, plugin_dir) -> Validated:
    return Validated(tree, tree.parent / "inputs", plugin_dir)


def cases(refused: bool):
    return [pytest.param(i, label, variable, overrides, id=label)
            for i, (label, overrides, variable) in enumerate(CASES, 1) if (variable is not None) == refused]


@pytest.mark.group("d")
def test_input_cases_fail_validation_only_on_refused_inputs(validated):
    validated.check_runs()


@pytest.mark.group("d")
@pytest.mark.parametrize("case,label,variable,overrides", cases(refused=False))
def test_rollout_accepts(case, label, variable, overrides, validated):
    validated.check_runs()
    refused = [v for c, v in validated.refused if c == f"case_{case}"]
    assert not refused, f"{MODULE} accepts {label} (refused: {refused})"


@pytest.mark.group("d")
@pytest.mark.parametrize("case,label,variable,overrides", cases(refused=True))
def test_rollout_refuses_naming_the_value(case, label, variable, overrides, validated):
    """Refused naming the variable, and the message quotes the bad value."""
    validated.check_runs()
    refused = [v for c, v in validated.refused if c == f"case_{case}"]
    assert variable in refused, f"{MODULE} refuses {label} (var.{variable}); refused: {refused}"
    value = overrides[0].split("=", 1)[1].strip().strip('"')
    message = " ".join(validated.messages.get(f"case_{case}", "").split())  # unwrapped
    shown = value if not value.startswith("{") else value.strip("{} ").split("=")[-1].strip()
    assert f"The {variable} is" in message and shown in message, f"the message names the value {shown!r}:\n{message}"


# -- applied against the emulator (group g) -------------------------------------------------

CLUSTER = "rollout"
TENANTS = [f"t{n:02d}" for n in range(10)]
# The migration: MIGRATION_SECONDS long, exit 1 with FAIL=1 (the target's `env`).
MIGRATION = 'echo "migrating $TENANT"; sleep "${MIGRATION_SECONDS:-1}"; test "${FAIL:-0}" = 0'


@dataclass
class Case:
    execution: dict  # DescribeExecution
    summary: dict  # the execution's output, or its cause (the summary document)
    new_tasks: dict  # tenant -> its migration tasks started by this execution
    wall: float
    lambda_runs: list  # the function's runs during the execution
    services: dict  # tenant -> its service's desired count afterwards
    timeline: list  # the emulator's timeline (task statuses, desired counts) since the start

    def paused_while_migrating(self) -> dict:
        """Tenant -> whether its service's desired count was 0 from before each of its new
        migration tasks was created until that task's container exited."""
        found = {}
        for tenant, arns in self.new_tasks.items():
            counts = [e for e in self.timeline if e["kind"] == "desired_count" and e["service"] == f"{tenant}-web"]
            ok = bool(arns)
            for arn in arns:
                statuses = [e for e in self.timeline if e["kind"] == "task" and e["task_arn"] == arn]
                # Over at its container's exit (else its STOPPED): the run restores the service
                # then, while Fargate still tears the task down.
                exits = [e["t"] for e in self.timeline if e["kind"] == "container_stopped" and e["task_arn"] == arn]
                first = statuses[0]["t"]
                stopped = min(exits + [max(e["t"] for e in statuses if e["status"] == "STOPPED")])
                before = [e["desired_count"] for e in counts if e["t"] <= first]
                during = [e["desired_count"] for e in counts if first < e["t"] < stopped]
                ok = ok and before[-1:] == [0] and all(c == 0 for c in during)
            found[tenant] = ok
        return found

    def statuses(self) -> dict:
        return {t["name"]: t["status"] for t in self.summary.get("targets", [])}


class Rollout:
    def __init__(self, emulator, ws: Workspace, subnet: str):
        self.emulator, self.ws, self.subnet = emulator, ws, subnet
        self.sfn = emulator.client("stepfunctions")
        self.app = App(emulator, CLUSTER)

    def migration_tasks(self) -> dict:
        found: dict = {t: set() for t in TENANTS}
        for task in self.app.migrations():
            family = task["taskDefinitionArn"].rsplit("/", 1)[-1].split(":")[0]
            found.setdefault(family, set()).add(task["taskArn"])
        return found

    def run_log(self, run: dict | None) -> str:
        """The log of one of the function's runs (its CloudWatch stream), for a failure's message."""
        if not run:
            return "(no run)"
        events = self.emulator.client("logs").get_log_events(
            logGroupName=run["log_group"], logStreamName=run["log_stream"], startFromHead=True)["events"]
        return "\n".join("    " + e["message"] for e in events[-40:])

    def document(self, key: str, env: dict | None = None, failing: tuple = (), tenants: list | None = None) -> dict:
        defaults = {"cluster": CLUSTER, "subnets": [self.subnet], "timeout": "2m", "key": key,
                    "env": {"TENANT": "tenant", **(env or {})}}
        targets = []
        for tenant in tenants or TENANTS:
            target = {"name": tenant, "task_definition": tenant, "services": [f"{tenant}-web"]}
            if tenant in failing:
                target["env"] = {"TENANT": tenant, "FAIL": "1"}
            targets.append(target)
        return {"defaults": defaults, "targets": targets}

    def execute(self, machine: str, name: str, document: dict, timeout: float = 120) -> Case:
        arn = self.ws.outputs()[machine]["state_machine_arn"]
        before = self.migration_tasks()
        runs_before = len(self.emulator.request("GET", "/ecs-emulator/lambda-runs")["runs"])
        started = time.monotonic()
        began = time.time()
        execution = self.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(document))["executionArn"]
        deadline = started + timeout
        while True:
            described = self.sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                self.sfn.stop_execution(executionArn=execution, error="TestTimeout")
                runs = self.emulator.request("GET", "/ecs-emulator/lambda-runs")["runs"][runs_before:]
                kinds: dict = {}
                for r in runs:
                    kinds[f"{r['outcome']} {r['error_type']}"] = kinds.get(f"{r['outcome']} {r['error_type']}", 0) + 1
                raise AssertionError(f"the execution {name} still ran after {timeout} s (stopped); the function's "
                                     f"runs: {kinds}; the last one's log:\n" + self.run_log(runs[-1] if runs else None))
            time.sleep(0.5)
        wall = time.monotonic() - started
        text = described.get("output") if described["status"] == "SUCCEEDED" else described.get("cause")
        try:
            summary = json.loads(text or "null") or {}
        except ValueError:
            summary = {"unparsed": text}
        after = self.migration_tasks()
        runs = self.emulator.request("GET", "/ecs-emulator/lambda-runs")["runs"][runs_before:]
        timeline = [e for e in self.emulator.request("GET", "/ecs-emulator/timeline")["events"] if e["t"] >= began]
        ecs = self.emulator.client("ecs")
        services = {t: ecs.describe_services(cluster=CLUSTER, services=[f"{t}-web"])["services"][0]["desiredCount"]
                    for t in TENANTS}
        return Case(described, summary, {t: after[t] - before.get(t, set()) for t in TENANTS}, wall, runs, services,
                    timeline)


def make_tenants(emulator) -> str:
    ecs = emulator.client("ecs")
    ec2 = emulator.client("ec2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
    ecs.create_cluster(clusterName=CLUSTER)
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}
    common = dict(requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "web", "essential": True}],
                                 **common)
    for tenant in TENANTS:
        ecs.register_task_definition(family=tenant, containerDefinitions=[{
            "name": "migrate", "image": "app", "essential": True, "command": ["sh", "-c", MIGRATION],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/rollout", "awslogs-region": REGION, "awslogs-stream-prefix": tenant}},
        }], **common)
        ecs.create_service(cluster=CLUSTER, serviceName=f"{tenant}-web", taskDefinition="web", desiredCount=1,
                           launchType="FARGATE", networkConfiguration=network)
    return subnet


# The stand-in: answers by the contract and writes each payload it gets to RECORDS/<request id>.json.
# A target with "fail" fails (MigrationFailed), one with "hand_offs": N answers StillRunning N
# times first; the summary is made of Results and of what it recorded.
STAND_IN = r"""#!/usr/bin/env python3
import glob, json, os, time, urllib.request
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
with urllib.request.urlopen(API + "next") as r:
    request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
    event = json.loads(r.read())
records = os.environ["RECORDS"]
with open(os.path.join(records, request_id + ".json"), "w") as f:
    json.dump({"event": event, "at": time.time()}, f)

def answer(kind, body, error=None):
    headers = {"Lambda-Runtime-Function-Error-Type": error} if error else {}
    req = urllib.request.Request(API + request_id + "/" + kind, data=json.dumps(body).encode(), method="POST", headers=headers)
    urllib.request.urlopen(req).read()

def seen(name):
    found = []
    for path in glob.glob(os.path.join(records, "*.json")):
        with open(path) as f:
            target = json.load(f)["event"].get("Target") or {}
        if target.get("name") == name:
            found.append(path)
    return len(found)

if "Target" in event:
    target = event["Target"]
    if target.get("fail"):
        answer("error", {"errorType": "MigrationFailed", "errorMessage": target["name"] + ": exit 1"}, "MigrationFailed")
    elif seen(target["name"]) <= target.get("hand_offs", 0):
        answer("error", {"errorType": "StillRunning", "errorMessage": "handed off"}, "StillRunning")
    else:
        answer("response", {"statusCode": 200, "target": target["name"], "status": "succeeded", "exit_code": 0})
else:
    answered = {r["target"]: r for r in event["Results"]}
    targets = []
    for t in event["Summarize"]["targets"]:
        name = t["name"]
        status = ("succeeded" if name in answered else "failed" if seen(name)
                  else "not_started" if event["Halted"] else "error")
        targets.append({"name": name, "status": status, "elapsed_seconds": 0, "report": answered.get(name)})
    counts = {}
    for t in targets:
        counts[t["status"]] = counts.get(t["status"], 0) + 1
    status = "halted" if event["Halted"] else "succeeded" if set(counts) <= {"succeeded"} else "failed"
    answer("response", {"status": status, "counts": counts, "targets": targets})
"""


def zipped_script(path: Path, script: str) -> Path:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = (0o755 | stat.S_IFREG) << 16
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info, script)
    return path


@pytest.fixture(scope="module")
def applied(own_emulator, session_tmp, plugin_dir, lambda_zip) -> Rollout:
    """The fixture configuration applied (the module three times), the tenants created."""
    # The emulator's Lambda runs the functions' bootstrap (ecs-migrate's handler, the stand-in).
    own_emulator.request("POST", "/ecs-emulator/config", {"lambda_bootstrap": True})
    subnet = make_tenants(own_emulator)
    ws = Workspace(session_tmp / "rollout", None, clean_env(endpoint=own_emulator.url), plugin_dir,
                   at="tests/fixtures/rollout")
    res = ws.init()
    if res.rc != 0:
        pytest.fail("init the rollout fixture\n" + res.describe())
    records = session_tmp / "rollout-stand-in"
    records.mkdir()
    ws.set_vars(lambda_zip_path=str(lambda_zip), stand_in_records=str(records),
                stand_in_zip_path=str(zipped_script(session_tmp / "stand-in.zip", STAND_IN)))
    res = ws.apply()
    if res.rc != 0:
        pytest.fail("apply the rollout fixture (the module three times)\n" + res.describe())
    rollout = Rollout(own_emulator, ws, subnet)
    rollout.records = records
    return rollout


@pytest.fixture(scope="module")
def rollout(applied) -> Rollout:
    """The same, for the executions over ecs-migrate's own Lambda: they need its package."""
    if not os.environ.get("ECS_MIGRATE_LAMBDA_ZIP"):
        banner("SKIPPED: test_rollout.py's executions over ecs-migrate's Lambda need its package",
               "(ECS_MIGRATE_LAMBDA_ZIP): those cases did NOT run (the stand-in's did).")
        pytest.skip("no ECS_MIGRATE_LAMBDA_ZIP")
    return applied


def expect(case: Case, what: str, condition: bool) -> None:
    assert condition, (f"{what}\n  execution: {case.execution['status']} {case.execution.get('error')}"
                       f"\n  summary: {json.dumps(case.summary)[:3000]}")


# - the module as applied

@pytest.mark.group("g")
def test_apply_creates_the_state_machines_with_their_roles(applied):
    """(Four: the rollout, hand-off and gap ones over ecs-migrate's Lambda, the contract one.)"""
    outputs = applied.ws.outputs()
    assert outputs["rollout"]["state_machine_name"] == "tenants", outputs
    assert outputs["rollout"]["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/tenants-states", outputs
    assert outputs["handoff"]["state_machine_arn"] == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:tenants-handoff"


def definition(rollout: Rollout, machine: str) -> dict:
    arn = rollout.ws.outputs()[machine]["state_machine_arn"]
    return json.loads(rollout.sfn.describe_state_machine(stateMachineArn=arn)["definition"])


@pytest.mark.group("g")
def test_definition_canary_map_then_rest_with_max_failures_minus_one_tolerated(applied):
    states = definition(applied, "rollout")["States"]
    canary, rest = states["Canary"], states["Rest"]
    assert [canary["MaxConcurrency"], canary["ItemsPath"], "ToleratedFailureCount" in canary] == [1, "$.canary", False]
    assert [rest["MaxConcurrency"], rest["ToleratedFailureCount"], rest["ItemsPath"]] == [5, 1, "$.rest"]
    assert states["Split"]["Parameters"]["canary.$"] == "$.targets[0:1]"
    assert rest["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    run = rest["ItemProcessor"]["States"]["Run"]
    assert run["Parameters"] == {"FunctionName": FUNCTION, "Payload.$": "$"}
    assert rest["ItemSelector"] == {"Target.$": "$$.Map.Item.Value", "Defaults.$": "$.defaults"}
    assert [(r["ErrorEquals"], r["IntervalSeconds"], r["MaxAttempts"]) for r in run["Retry"][:2]] == [
        (["StillRunning", "Interrupted"], 1, 50), (["Locked"], 60, 10)]


@pytest.mark.group("g")
def test_definition_without_canary_and_max_failures_0_tolerates_every_failure(applied):
    states = definition(applied, "handoff")["States"]
    assert "Canary" not in states and states["Split"]["Next"] == "Rest"
    assert states["Rest"]["ToleratedFailurePercentage"] == 100 and "ToleratedFailureCount" not in states["Rest"]
    assert states["Rest"]["ItemProcessor"]["States"]["Run"]["Retry"][0]["MaxAttempts"] == 30


@pytest.mark.group("g")
def test_role_may_invoke_the_function_and_run_the_maps_child_workflows(applied):
    iam = applied.emulator.client("iam")
    policy = iam.get_role_policy(RoleName="tenants-states", PolicyName="ecs-migrate-rollout")["PolicyDocument"]
    if isinstance(policy, str):
        policy = json.loads(policy)
    grants = {}
    for s in policy["Statement"]:
        for a in [s["Action"]] if isinstance(s["Action"], str) else s["Action"]:
            grants.setdefault(a, set()).update([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    states = f"arn:aws:states:{REGION}:{ACCOUNT}"
    assert {a: sorted(r) for a, r in grants.items()} == {
        "lambda:InvokeFunction": [FUNCTION, f"{FUNCTION}:*"],
        "states:StartExecution": [f"{states}:stateMachine:tenants"],
        "states:DescribeExecution": [f"{states}:execution:tenants/*", f"{states}:execution:tenants:*"],
        "states:StopExecution": [f"{states}:execution:tenants/*", f"{states}:execution:tenants:*"],
    }
    trust = iam.get_role(RoleName="tenants-states")["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "states.amazonaws.com"}


# - the contract, over the stand-in (canary 1, max_concurrency 3, max_failures 2)

@dataclass
class Contract:
    case: Case
    items: dict  # target name -> the payloads it was invoked with, in order
    summaries: list  # the Summarize payloads
    runs: dict  # request id -> the stand-in's run (/ecs-emulator/lambda-runs)
    item_runs: dict  # target name -> its runs, in order


def contract(applied: Rollout, name: str, document: dict) -> Contract:
    case = applied.execute("contract", name, document, timeout=60)
    names = {t["name"] for t in document.get("targets", [])}
    runs = {r["request_id"]: r for r in case.lambda_runs}
    items: dict = {}
    item_runs: dict = {}
    summaries = []
    for path in sorted(applied.records.glob("*.json"), key=lambda p: json.loads(p.read_text())["at"]):
        event = json.loads(path.read_text())["event"]
        if "Target" in event and event["Target"].get("name") in names:
            items.setdefault(event["Target"]["name"], []).append(event)
            item_runs.setdefault(event["Target"]["name"], []).append(runs.get(path.stem))
        elif "Summarize" in event and {t["name"] for t in event["Summarize"]["targets"]} == names:
            summaries.append(event)
    return Contract(case, items, summaries, runs, item_runs)


def stand_in_answer(name: str) -> dict:
    return {"statusCode": 200, "target": name, "status": "succeeded", "exit_code": 0}


def contract_targets(case: str, count: int, **special: dict) -> list:
    return [{"name": f"{case}-{i}", "task_definition": "app", **special.get(f"t{i}", {})} for i in range(count)]


@pytest.fixture(scope="module")
def mixed(applied) -> tuple[dict, Contract]:
    """One failure (tolerated: max_failures 2), one target handed off twice."""
    document = {"defaults": {"cluster": "prod", "timeout": "15m"},
                "targets": contract_targets("mixed", 7, t3={"fail": True}, t5={"hand_offs": 2})}
    return document, contract(applied, "mixed", document)


@pytest.mark.group("g")
def test_contract_each_target_is_invoked_with_its_target_and_the_defaults(mixed):
    document, c = mixed
    for target in document["targets"]:
        payloads = c.items.get(target["name"], [])
        assert payloads and all(p == {"Target": target, "Defaults": document["defaults"]} for p in payloads), (
            target["name"], payloads)


@pytest.mark.group("g")
def test_contract_the_canary_runs_alone_first(mixed):
    document, c = mixed
    canary = c.item_runs["mixed-0"][0]
    others = [r for name, runs in c.item_runs.items() if name != "mixed-0" for r in runs]
    assert canary and others and all(canary["ended_at"] <= r["started_at"] for r in others), (canary, others)


@pytest.mark.group("g")
def test_contract_still_running_is_retried_and_a_failure_is_not(mixed):
    _, c = mixed
    assert [len(c.items["mixed-5"]), len(c.items["mixed-3"])] == [3, 1]
    assert [r["error_type"] for r in c.item_runs["mixed-5"]] == ["StillRunning", "StillRunning", None]


@pytest.mark.group("g")
def test_contract_the_summary_gets_the_document_the_successful_answers_in_order_halted_and_since(mixed):
    document, c = mixed
    assert len(c.summaries) == 1, c.summaries
    summary = c.summaries[0]
    assert sorted(summary) == ["Halted", "Results", "Since", "Summarize"]
    assert summary["Summarize"] == {"defaults": document["defaults"], "targets": document["targets"]}
    assert summary["Results"] == [stand_in_answer(f"mixed-{i}") for i in (0, 1, 2, 4, 5, 6)]
    assert summary["Halted"] is False
    since = datetime.datetime.fromisoformat(summary["Since"].replace("Z", "+00:00"))
    started = c.case.execution["startDate"]
    assert abs((since - started).total_seconds()) < 1, (summary["Since"], started)


@pytest.mark.group("g")
def test_contract_a_failed_rollout_fails_the_execution_with_the_summary_as_cause(mixed):
    _, c = mixed
    expect(c.case, "FAILED with RolloutFailed, the cause the summary",
           c.case.execution["status"] == "FAILED" and c.case.execution.get("error") == "RolloutFailed"
           and c.case.summary.get("status") == "failed" and c.case.statuses()["mixed-3"] == "failed")


@pytest.mark.group("g")
def test_contract_too_many_failures_halt(applied):
    document = {"defaults": {}, "targets": contract_targets("halt", 6, t1={"fail": True}, t2={"fail": True})}
    c = contract(applied, "halt", document)
    expect(c.case, "FAILED with RolloutHalted", c.case.execution["status"] == "FAILED"
           and c.case.execution.get("error") == "RolloutHalted" and c.case.summary.get("status") == "halted")
    assert [len(c.items["halt-1"]), len(c.items["halt-2"])] == [1, 1]
    # The rest's answers are lost with its failed Map Run: the canary's alone.
    assert len(c.summaries) == 1 and c.summaries[0]["Halted"] is True
    assert c.summaries[0]["Results"] == [stand_in_answer("halt-0")]


@pytest.mark.group("g")
def test_contract_a_failing_canary_halts_before_anything_else_starts(applied):
    document = {"defaults": {}, "targets": contract_targets("canary", 4, t0={"fail": True})}
    c = contract(applied, "canary", document)
    expect(c.case, "FAILED with RolloutHalted", c.case.execution.get("error") == "RolloutHalted")
    assert sorted(c.items) == ["canary-0"]
    assert len(c.summaries) == 1 and [c.summaries[0]["Results"], c.summaries[0]["Halted"]] == [[], True]
    assert c.case.statuses() == {"canary-0": "failed", "canary-1": "not_started", "canary-2": "not_started",
                                 "canary-3": "not_started"}


@pytest.mark.group("g")
def test_contract_a_document_without_defaults_sends_empty_defaults_and_succeeds(applied):
    document = {"targets": contract_targets("plain", 2)}
    c = contract(applied, "plain", document)
    expect(c.case, "SUCCEEDED with the summary as output", c.case.execution["status"] == "SUCCEEDED"
           and c.case.summary.get("status") == "succeeded")
    assert all(p["Defaults"] == {} for payloads in c.items.values() for p in payloads)
    assert c.summaries[0]["Summarize"] == {"defaults": {}, "targets": document["targets"]}


@pytest.mark.group("g")
def test_contract_a_document_without_targets_fails_invalid_input_and_invokes_nothing(applied):
    c = contract(applied, "empty", {"defaults": {"cluster": "prod"}})
    assert [c.case.execution["status"], c.case.execution.get("error")] == ["FAILED", "InvalidInput"]
    assert c.case.lambda_runs == []


# - all succeed behind a canary

@pytest.fixture(scope="module")
def all_succeed(rollout) -> Case:
    return rollout.execute("rollout", "all-succeed", rollout.document("all-succeed"))


@pytest.mark.group("g")
def test_all_succeed_the_execution_succeeds_with_the_summary_as_output(all_succeed):
    expect(all_succeed, "SUCCEEDED, summary status succeeded",
           all_succeed.execution["status"] == "SUCCEEDED" and all_succeed.summary.get("status") == "succeeded")


@pytest.mark.group("g")
def test_all_succeed_every_target_succeeded(all_succeed):
    expect(all_succeed, "every target succeeded", all_succeed.statuses() == {t: "succeeded" for t in TENANTS})


@pytest.mark.group("g")
def test_all_succeed_one_migration_task_per_target(all_succeed):
    expect(all_succeed, f"one task per target: {all_succeed.new_tasks}",
           {t: len(a) for t, a in all_succeed.new_tasks.items()} == {t: 1 for t in TENANTS})


@pytest.mark.group("g")
def test_all_succeed_the_canary_ran_before_any_other_target_and_services_are_back(all_succeed, rollout):
    tasks = {t["taskArn"]: t for t in rollout.app.migrations()}
    canary = tasks[next(iter(all_succeed.new_tasks["t00"]))]
    others = [tasks[a] for t in TENANTS[1:] for a in all_succeed.new_tasks[t]]
    expect(all_succeed, "the canary's task stopped before any other started",
           all(o["createdAt"] > canary["stoppedAt"] for o in others))
    expect(all_succeed, f"services back at 1: {all_succeed.services}", set(all_succeed.services.values()) == {1})
    expect(all_succeed, f"each service at 0 while its migration ran: {all_succeed.paused_while_migrating()}",
           all(all_succeed.paused_while_migrating().values()))


# - one fails within the tolerated count (max_failures 2: one tolerated)

@pytest.fixture(scope="module")
def one_fails(rollout, all_succeed) -> Case:
    return rollout.execute("rollout", "one-fails", rollout.document("one-fails", failing=("t04",)))


@pytest.mark.group("g")
def test_one_fails_the_execution_fails_rollout_failed_with_the_summary_as_cause(one_fails):
    expect(one_fails, "FAILED with RolloutFailed, summary status failed",
           one_fails.execution["status"] == "FAILED" and one_fails.execution.get("error") == "RolloutFailed"
           and one_fails.summary.get("status") == "failed")


@pytest.mark.group("g")
def test_one_fails_alone_the_others_succeed(one_fails):
    expected = {t: "failed" if t == "t04" else "succeeded" for t in TENANTS}
    expect(one_fails, f"t04 failed, the rest succeeded: {one_fails.statuses()}", one_fails.statuses() == expected)


@pytest.mark.group("g")
def test_one_fails_one_migration_task_per_target(one_fails):
    expect(one_fails, f"one task per target: {one_fails.new_tasks}",
           {t: len(a) for t, a in one_fails.new_tasks.items()} == {t: 1 for t in TENANTS})
    expect(one_fails, f"services back at 1: {one_fails.services}", set(one_fails.services.values()) == {1})
    expect(one_fails, f"each service at 0 while its migration ran: {one_fails.paused_while_migrating()}",
           all(one_fails.paused_while_migrating().values()))


# - every target handed off and re-attached (the function's timeout 5 s: it hands off 3 s into
# each invocation; the migration 4 s, so each target is handed off once)

@pytest.fixture(scope="module")
def handoff(rollout, one_fails) -> Case:
    return rollout.execute("handoff", "handoff", rollout.document("handoff", env={"MIGRATION_SECONDS": "4"}))


@pytest.mark.group("g")
def test_handoff_every_target_succeeded(handoff):
    expect(handoff, f"SUCCEEDED, every target succeeded: {handoff.statuses()}",
           handoff.execution["status"] == "SUCCEEDED" and handoff.statuses() == {t: "succeeded" for t in TENANTS})


@pytest.mark.group("g")
def test_handoff_still_running_was_retried_for_every_target(handoff):
    still = [r for r in handoff.lambda_runs if r["error_type"] == "StillRunning"]
    kinds = sorted({(r["outcome"], r["error_type"]) for r in handoff.lambda_runs}, key=str)
    expect(handoff, f"at least one StillRunning hand-off per target ({len(still)}; runs: {kinds})", len(still) >= len(TENANTS))


@pytest.mark.group("g")
def test_handoff_exactly_one_migration_task_per_target(handoff):
    expect(handoff, f"re-attached, never run twice: {handoff.new_tasks}",
           {t: len(a) for t, a in handoff.new_tasks.items()} == {t: 1 for t in TENANTS})
    expect(handoff, f"services back at 1: {handoff.services}", set(handoff.services.values()) == {1})


@pytest.mark.group("g")
def test_handoff_services_stay_paused_across_the_hand_off(handoff):
    """A hand-off leaves the services paused: each at 0 from before its task started until it
    stopped, through the invocations' hand-off and re-attach."""
    expect(handoff, f"each service at 0 while its migration ran: {handoff.paused_while_migrating()}",
           all(handoff.paused_while_migrating().values()))


# - the canary fails: halted, no other target's task ever started

@pytest.fixture(scope="module")
def canary_fails(rollout, handoff) -> Case:
    return rollout.execute("rollout", "canary-fails", rollout.document("canary-fails", failing=("t00",)))


@pytest.mark.group("g")
def test_canary_fails_the_execution_fails_rollout_halted(canary_fails):
    expect(canary_fails, "FAILED with RolloutHalted, summary status halted",
           canary_fails.execution["status"] == "FAILED" and canary_fails.execution.get("error") == "RolloutHalted"
           and canary_fails.summary.get("status") == "halted")


@pytest.mark.group("g")
def test_canary_fails_the_others_did_not_start(canary_fails):
    expected = {t: "failed" if t == "t00" else "not_started" for t in TENANTS}
    expect(canary_fails, f"t00 failed, the others not started: {canary_fails.statuses()}",
           canary_fails.statuses() == expected)


@pytest.mark.group("g")
def test_canary_fails_no_other_targets_task_ever_started(canary_fails):
    expect(canary_fails, f"one task, the canary's: {canary_fails.new_tasks}",
           {t: len(a) for t, a in canary_fails.new_tasks.items()} == {t: int(t == "t00") for t in TENANTS})
    runs = {r["function"] for r in canary_fails.lambda_runs}
    expect(canary_fails, f"the function ran twice: the canary and the summary ({len(canary_fails.lambda_runs)} runs)",
           runs == {"rollout-ecs-migrate"} and len(canary_fails.lambda_runs) == 2)
    expect(canary_fails, f"services back at 1: {canary_fails.services}", set(canary_fails.services.values()) == {1})
    expect(canary_fails, "the canary's service at 0 while its migration ran",
           canary_fails.paused_while_migrating()["t00"])


# - the migration ends between a hand-off and the next invocation (the retry 8 s after the
# hand-off, the migration 3 s): that invocation finds the task stopped

@pytest.fixture(scope="module")
def gap(rollout, canary_fails) -> Case:
    return rollout.execute("gap", "gap", rollout.document("gap", env={"MIGRATION_SECONDS": "3"}, tenants=TENANTS[3:6]),
                           timeout=45)


@pytest.mark.group("g")
def test_gap_the_next_invocation_records_the_outcome_of_the_task_that_ended_meanwhile(gap):
    """Handed off (StillRunning) once, then answered: the invocation after the hand-off takes the
    stopped task's outcome, as its own run's, without waiting for its own lock (Locked)."""
    kinds = [str(r["error_type"]) for r in gap.lambda_runs if r["function"] == "rollout-ecs-migrate-short"]
    expect(gap, f"SUCCEEDED, the three succeeded; the runs: {kinds}",
           gap.execution["status"] == "SUCCEEDED" and gap.statuses() == {t: "succeeded" for t in TENANTS[3:6]}
           and sorted(kinds) == ["None"] * 4 + ["StillRunning"] * 3)
    expect(gap, f"one task per target: {gap.new_tasks}",
           {t: len(a) for t, a in gap.new_tasks.items()} == {t: int(t in TENANTS[3:6]) for t in TENANTS})


# - handed off again and again: three targets whose migrations (12 s) outlast four invocations

@pytest.fixture(scope="module")
def handoffs(rollout, canary_fails) -> Case:
    return rollout.execute("handoff", "handoffs", rollout.document(
        "handoffs", env={"MIGRATION_SECONDS": "12"}, tenants=TENANTS[:3]), timeout=60)


@pytest.mark.group("g")
def test_handoffs_every_target_succeeded_once_re_attached_at_each_invocation(handoffs):
    """Each invocation but the last hands off (StillRunning) and the next re-attaches; none
    waits for the lock of the one before (Locked)."""
    kinds = sorted({str(r["error_type"]) for r in handoffs.lambda_runs})
    expect(handoffs, f"SUCCEEDED, the three succeeded, the runs answered or handed off ({kinds})",
           handoffs.execution["status"] == "SUCCEEDED"
           and handoffs.statuses() == {t: "succeeded" for t in TENANTS[:3]} and set(kinds) <= {"None", "StillRunning"})
    expect(handoffs, f"one task per target: {handoffs.new_tasks}",
           {t: len(a) for t, a in handoffs.new_tasks.items()} == {t: int(t in TENANTS[:3]) for t in TENANTS})


# - the same rollout through the CLI: `ecs-migrate rollout --via-step-functions ARN`

@dataclass
class Cli:
    rc: int
    stdout: str
    stderr: str
    new_tasks: dict  # tenant -> migration tasks started during the command
    executions: int  # the state machine's executions afterwards

    def describe(self) -> str:
        return f"exit {self.rc}\n  stdout: {self.stdout[:2000]}\n  stderr: {self.stderr[-3000:]}"


def run_cli(rollout: Rollout, ecs_migrate_bin: Path, targets: Path, *extra: str) -> Cli:
    import subprocess
    arn = rollout.ws.outputs()["rollout"]["state_machine_arn"]
    before = rollout.migration_tasks()
    done = subprocess.run([str(ecs_migrate_bin), "rollout", "--via-step-functions", arn, "--targets", str(targets),
                           "--output", "json", *extra], env=clean_env(endpoint=rollout.emulator.url),
                          capture_output=True, text=True, timeout=180)
    after = rollout.migration_tasks()
    executions = len(rollout.sfn.list_executions(stateMachineArn=arn)["executions"])
    return Cli(done.returncode, done.stdout, done.stderr, {t: after[t] - before.get(t, set()) for t in TENANTS},
               executions)


CLI_TENANTS = TENANTS[6:9]


def assert_each_target_told_once(cli: Cli) -> None:
    """Each of CLI_TENANTS has one `started` line (the first `started (canary)`) and one
    `succeeded after …: <reason>` line on stderr, in that order."""
    for i, tenant in enumerate(CLI_TENANTS):
        started = re.findall(rf"^ecs-migrate: {tenant}: started( \(canary\))?$", cli.stderr, re.M)
        assert started == [" (canary)" if i == 0 else ""], f"{tenant} started once: {started}\n{cli.describe()}"
        ended = re.findall(rf"^ecs-migrate: {tenant}: (\S+) after [^:]+: (.+)$", cli.stderr, re.M)
        assert len(ended) == 1 and ended[0][0] == "succeeded" and ended[0][1], \
            f"{tenant} ended once, succeeded, with a reason: {ended}\n{cli.describe()}"
        assert cli.stderr.index(f"{tenant}: started") < cli.stderr.index(f"{tenant}: succeeded after"), cli.describe()


@pytest.fixture(scope="module")
def via_cli(rollout, handoffs, ecs_migrate_bin, session_tmp) -> tuple[Cli, Cli, Cli]:
    """The command run three times with one targets file: started and followed to the end, the
    same command again (the same execution, by its derived name), and once more with a run flag."""
    targets = session_tmp / "cli-targets.json"
    targets.write_text(json.dumps(rollout.document("cli", tenants=CLI_TENANTS)))
    first = run_cli(rollout, ecs_migrate_bin, targets)
    again = run_cli(rollout, ecs_migrate_bin, targets)
    flagged = run_cli(rollout, ecs_migrate_bin, targets, "--cluster", CLUSTER)
    return first, again, flagged


@pytest.mark.group("g")
def test_cli_via_step_functions_starts_follows_and_prints_the_summary_exit_0(via_cli):
    first, _, _ = via_cli
    assert first.rc == 0, first.describe()
    summary = json.loads(first.stdout)
    assert summary["status"] == "succeeded", first.describe()
    assert {t["name"]: t["status"] for t in summary["targets"]} == {t: "succeeded" for t in CLI_TENANTS}, \
        first.describe()
    assert "started execution" in first.stderr and "SUCCEEDED" in first.stderr, first.describe()
    # Followed as a local rollout is (in a pipe: a line per change): each target started once,
    # the first as the canary (the module's Map Run labels), and ended once, with its run's
    # reason, from the Map Runs' child executions.
    assert_each_target_told_once(first)
    assert {t: len(a) for t, a in first.new_tasks.items()} == {t: int(t in CLI_TENANTS) for t in TENANTS}, \
        f"one task per target: {first.new_tasks}"


@pytest.mark.group("g")
def test_cli_via_step_functions_again_re_attaches_to_the_same_execution_and_starts_nothing(via_cli):
    first, again, _ = via_cli
    assert again.rc == 0, again.describe()
    assert "re-attached to execution" in again.stderr, again.describe()
    assert json.loads(again.stdout) == json.loads(first.stdout), again.describe()
    # An execution that ended is followed once: every target's start and end, as they were.
    assert_each_target_told_once(again)
    assert again.executions == first.executions, f"{first.executions} executions, then {again.executions}"
    assert not any(again.new_tasks.values()), f"no new task: {again.new_tasks}"


@pytest.mark.group("g")
def test_cli_via_step_functions_refuses_a_run_flag_exit_2_naming_it_and_starts_nothing(via_cli):
    first, _, flagged = via_cli
    assert flagged.rc == 2, flagged.describe()
    assert "--cluster" in flagged.stderr and "defaults" in flagged.stderr, flagged.describe()
    assert flagged.executions == first.executions and not any(flagged.new_tasks.values()), flagged.describe()


@pytest.fixture(scope="module")
def via_cli_failing(rollout, via_cli, ecs_migrate_bin, session_tmp) -> Cli:
    """The command with a targets file whose second target's migration exits 1."""
    targets = session_tmp / "cli-failing-targets.json"
    targets.write_text(json.dumps(rollout.document("cli-failing", tenants=CLI_TENANTS, failing=(CLI_TENANTS[1],))))
    return run_cli(rollout, ecs_migrate_bin, targets)


@pytest.mark.group("g")
def test_cli_via_step_functions_tells_a_failed_target_with_its_reason_and_log_lines_exit_1(via_cli_failing):
    cli, failed = via_cli_failing, CLI_TENANTS[1]
    assert cli.rc == 1, cli.describe()
    summary = json.loads(cli.stdout)
    assert summary["status"] == "failed", cli.describe()
    assert {t["name"]: t["status"] for t in summary["targets"]}[failed] == "failed", cli.describe()
    # As a local rollout tells it: the failed target's line in capitals with its run's reason,
    # then the migration's last log lines under it.
    assert re.search(rf"^ecs-migrate: {failed}: FAILED after [^:]+: .*exited with code 1", cli.stderr, re.M), \
        cli.describe()
    assert re.search(rf"^ecs-migrate: {failed}:     migrating {failed}$", cli.stderr, re.M), cli.describe()
    assert re.search(r"^ecs-migrate: rollout failed after .+: .*1 failed", cli.stderr, re.M), cli.describe()
