"""terraform/examples/lambda applied against the emulator (an emulator of its own, its Lambda
Docker-less: an invocation returns a queued result, or echoes its payload, instead of running
the handler): first with invoke = false (the IAM role and its least-privilege policy, the log
group, the function from the package), then with the invocation on: the payload, one
invocation per revision, none on a re-apply, migration_completed.

Each apply is a module-scoped fixture that depends on the one before (so they run in order,
whichever tests are selected) and keeps what the emulator held right after it."""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass

import pytest

from conftest import ACCOUNT, REGION, ROOT, clean_env
from tfrun import Result, Workspace

pytestmark = pytest.mark.group("f")

FUNCTION = "omni-acme-migrator"
ECS = f"arn:aws:ecs:{REGION}:{ACCOUNT}"


@dataclass
class Step:
    res: Result
    outputs: dict  # the configuration's outputs after it
    seen: dict  # the function, its role and policy, its invocations (observe_lambda)


def observe_lambda(emulator, function: str) -> dict:
    """The function as the emulator holds it now; a key whose value cannot be read is
    missing, and "error" says why."""
    seen: dict = {}
    try:
        fn = emulator.client("lambda").get_function(FunctionName=function)["Configuration"]
        seen["runtime"] = fn["Runtime"]
        seen["handler"] = fn["Handler"]
        seen["timeout"] = fn["Timeout"]
        seen["architectures"] = fn.get("Architectures", [])
        role = fn["Role"].rsplit("/", 1)[-1]
        seen["role"] = role
        iam = emulator.client("iam")
        policy = iam.get_role_policy(RoleName=role, PolicyName="ecs-migrate")["PolicyDocument"]
        if isinstance(policy, str):
            policy = json.loads(urllib.parse.unquote(policy))
        seen["other_inline_policies"] = len(iam.list_role_policies(RoleName=role)["PolicyNames"]) - 1
        seen["attached_policies"] = len(iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])
        # action -> resources, and action -> its conditions ("Test key value,value"), over all
        # statements
        grants: dict = {}
        conditions: dict = {}
        seen["effects"] = sorted({s.get("Effect") for s in policy["Statement"]})
        for s in policy["Statement"]:
            actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
            resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
            for a in actions:
                grants.setdefault(a, set()).update(resources)
                for test, tested in s.get("Condition", {}).items():
                    for key, value in tested.items():
                        v = value if isinstance(value, str) else ",".join(sorted(value))
                        conditions.setdefault(a, []).append(f"{test} {key} {v}")
        seen["actions"] = sorted(grants)
        seen["resources"] = {a: sorted(r) for a, r in grants.items()}
        seen["conditions"] = conditions
        groups = emulator.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function}")["logGroups"]
        seen["log_group_retention"] = groups[0].get("retentionInDays") if groups else None
        seen["invocations"] = emulator.calls().get(f"lambda:POST /2015-03-31/functions/{function}/invocations", 0)
    except Exception as e:  # noqa: BLE001 - what was read so far stands; the rest is missing
        seen["error"] = repr(e)
    return seen


def seen_value(step: Step, key: str, *path: str):
    value = step.seen.get(key, "<missing>")
    for p in path:
        value = value.get(p, "<missing>") if isinstance(value, dict) else "<missing>"
    return value


def expect(step: Step, key: str, expected, *path: str) -> None:
    got = seen_value(step, key, *path)
    assert got == expected, f"{key} {' '.join(path)} = {got!r}, expected {expected!r}" + (
        f" (reading the emulator failed: {step.seen['error']})" if "error" in step.seen else "")


class Example:
    def __init__(self, ws: Workspace, emulator, zip_path):
        self.ws, self.emulator = ws, emulator
        self.vars = ["-var", f"endpoint={emulator.url}", "-var", f"lambda_zip_path={zip_path}"]

    def apply(self, *extra: str) -> Step:
        res = self.ws.apply(*self.vars, *extra)
        return Step(res, self.ws.outputs(), observe_lambda(self.emulator, FUNCTION))

    def queue_result(self, document: dict) -> None:
        self.emulator.queue_lambda_result(document)


@pytest.fixture(scope="module")
def example(own_emulator, session_tmp, plugin_dir, lambda_zip) -> Example:
    ws = Workspace(session_tmp / "example-lambda", None, clean_env(), plugin_dir, at="examples/lambda")
    res = ws.init()
    if res.rc != 0:
        pytest.fail("init the Lambda example\n" + res.describe())
    # Docker-less Lambda: an invocation returns a queued result, or echoes its payload.
    own_emulator.request("POST", "/moto-api/config", {"lambda": {"use_docker": False}})
    return Example(ws, own_emulator, lambda_zip)


# -- (1) invoke = false: everything but the invocation ---------------------------------------

@pytest.fixture(scope="module")
def apply_1(example) -> Step:
    return example.apply("-var", "invoke=false")


def test_apply_with_invoke_false_creates_role_policy_log_group_and_function(apply_1):
    assert apply_1.res.rc == 0, apply_1.res.describe()


def test_output_lambda_function_name_is_omnis_name(apply_1):
    assert apply_1.outputs.get("lambda_function_name") == "omni-acme-migrator", apply_1.outputs


def test_output_migration_completed_is_pending_without_invocation(apply_1):
    """Omni's values."""
    assert apply_1.outputs.get("migration_completed") == "pending", apply_1.outputs


def test_output_migration_succeeded_is_false_without_invocation(apply_1):
    assert apply_1.outputs.get("migration_succeeded") is False, apply_1.outputs


def test_no_invocation_resource_with_invoke_false(apply_1):
    assert "aws_lambda_invocation" not in apply_1.res.out, apply_1.res.describe()


def test_function_runs_the_custom_runtime(apply_1):
    expect(apply_1, "runtime", "provided.al2023")


def test_function_handler_is_bootstrap(apply_1):
    expect(apply_1, "handler", "bootstrap")


def test_function_timeout_is_900(apply_1):
    expect(apply_1, "timeout", 900)


def test_function_architecture_is_x86_64(apply_1):
    expect(apply_1, "architectures", ["x86_64"])


def test_function_log_group_keeps_30_days_with_create_log_group(apply_1):
    expect(apply_1, "log_group_retention", 30)


def test_role_has_this_one_inline_policy(apply_1):
    expect(apply_1, "other_inline_policies", 0)


def test_role_has_no_managed_policy_no_basic_execution_role(apply_1):
    expect(apply_1, "attached_policies", 0)


POLICY_ACTIONS = [
    "application-autoscaling:DescribeScalableTargets", "application-autoscaling:RegisterScalableTarget",
    "ecs:DescribeClusters", "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks",
    "ecs:ListTagsForResource", "ecs:ListTasks", "ecs:RunTask", "ecs:StopTask", "ecs:TagResource",
    "ecs:UntagResource", "ecs:UpdateService", "iam:PassRole", "logs:CreateLogStream", "logs:GetLogEvents",
    "logs:PutLogEvents", "ssm:GetParameter", "ssm:PutParameter",
]


def test_policy_grants_only_what_ecs_migrate_calls(apply_1):
    expect(apply_1, "actions", POLICY_ACTIONS)
    expect(apply_1, "effects", ["Allow"])


# Operations whose service is not ECS; the rest of the core's calls are ECS's.
SERVICES = {"DescribeScalableTargets": "application-autoscaling", "RegisterScalableTarget": "application-autoscaling",
            "GetLogEvents": "logs", "GetParameter": "ssm", "PutParameter": "ssm",
            "GetObject": "s3", "PutObject": "s3", "DeleteObject": "s3"}
CALL = re.compile(r"\.(describe|list|run|stop|tag|untag|update|register|deregister|get|put|create|delete)_[a-z_]+\(\)")


def core_aws_calls() -> list[str]:
    """Every AWS call the core makes (a `.describe_tasks()`, `.get_log_events()`,
    `.put_parameter()`, ... on an SDK client; `.stop_code()` is a getter of a task), but
    `history`'s ListTaskDefinitions and GetParametersByPath, which the Lambda never runs, and
    the S3 lock's calls, which only a module with `lock` set grants (test_lock.py; this example
    keeps the lock in the cluster's tag), and the Step Functions calls of
    `rollout --via-step-functions` (the files that use `aws_sdk_sfn`: rollout/step_functions.rs,
    rollout/map_run_items.rs), which only the CLI makes."""
    ops = set()
    for path in sorted((ROOT / "crates/ecs-migrate-core/src").rglob("*.rs")):
        text = path.read_text()
        if "aws_sdk_sfn" in text:  # the CLI's `rollout --via-step-functions`, not the Lambda's
            continue
        for m in CALL.finditer(text):
            if m.group(0) == ".stop_code()":
                continue
            op = "".join(w.capitalize() for w in m.group(0)[1:-2].split("_"))
            if op not in ("ListTaskDefinitions", "GetParametersByPath") and SERVICES.get(op) != "s3":
                ops.add(SERVICES.get(op, "ecs") + ":" + op)
    return sorted(ops)


def test_policy_actions_are_exactly_the_aws_calls_of_the_core_plus_its_own_logs_and_pass_role(apply_1):
    """A call added to the core and not to the policy fails here, where the emulator (which
    enforces no IAM) would not notice."""
    called = core_aws_calls()
    granted = [a for a in seen_value(apply_1, "actions")
               if a not in ("iam:PassRole", "logs:CreateLogStream", "logs:PutLogEvents")]
    assert called and called == granted, f"the policy's actions ({granted}) differ from the AWS calls in the core ({called})"


def test_run_task_the_migrators_family_only_all_its_revisions(apply_1):
    expect(apply_1, "resources", [f"{ECS}:task-definition/omni-acme-migrator:*"], "ecs:RunTask")


def test_run_task_in_the_tenants_cluster_only(apply_1):
    expect(apply_1, "conditions", [f"ArnEquals ecs:cluster {ECS}:cluster/omni-acme"], "ecs:RunTask")


def test_describe_tasks_the_clusters_tasks_only(apply_1):
    expect(apply_1, "resources", [f"{ECS}:task/omni-acme/*"], "ecs:DescribeTasks")


def test_stop_task_the_clusters_tasks_only(apply_1):
    expect(apply_1, "resources", [f"{ECS}:task/omni-acme/*"], "ecs:StopTask")


def test_list_tasks_in_the_tenants_cluster_only(apply_1):
    expect(apply_1, "conditions", [f"ArnEquals ecs:cluster {ECS}:cluster/omni-acme"], "ecs:ListTasks")


def test_update_service_the_paused_service_only(apply_1):
    """DescribeServices/UpdateService: the paused service only (both ARN formats)."""
    expect(apply_1, "resources", [f"{ECS}:service/omni-acme-api", f"{ECS}:service/omni-acme/omni-acme-api"],
           "ecs:UpdateService")


def test_untag_the_lock_the_pause_records_and_old_outcome_tags(apply_1):
    """The lock (cluster), the pause records (service), old outcome tags (family)."""
    expect(apply_1, "resources", [f"{ECS}:cluster/omni-acme", f"{ECS}:service/omni-acme-api",
                                  f"{ECS}:service/omni-acme/omni-acme-api", f"{ECS}:task-definition/omni-acme-migrator:*"],
           "ecs:UntagResource")


def test_tag_resource_the_lock_the_pause_records_the_run_id_not_the_task_definition(apply_1):
    """The lock (cluster), the pause records (service), the run id on the cluster's tasks after RunTask."""
    expect(apply_1, "resources", [f"{ECS}:cluster/omni-acme", f"{ECS}:service/omni-acme-api",
                                  f"{ECS}:service/omni-acme/omni-acme-api", f"{ECS}:task/omni-acme/*"],
           "ecs:TagResource")


def test_tag_resource_on_a_task_is_allowed_after_run_task_no_create_action_condition(apply_1):
    """Not only at launch: no ecs:CreateAction condition (no condition at all)."""
    expect(apply_1, "conditions", "<missing>", "ecs:TagResource")


def test_outcome_records_are_the_migrator_familys_ssm_parameters_only(apply_1):
    expect(apply_1, "resources", [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ecs-migrate/omni-acme-migrator/*"],
           "ssm:PutParameter")


def test_outcome_records_are_read_where_they_are_written(apply_1):
    expect(apply_1, "resources", [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ecs-migrate/omni-acme-migrator/*"],
           "ssm:GetParameter")


def test_pass_role_the_two_task_roles_only(apply_1):
    expect(apply_1, "resources", [f"arn:aws:iam::{ACCOUNT}:role/omni-acme-task",
                                  f"arn:aws:iam::{ACCOUNT}:role/omni-acme-task-execution"], "iam:PassRole")


def test_pass_role_to_ecs_tasks_only(apply_1):
    expect(apply_1, "conditions", ["StringEquals iam:PassedToService ecs-tasks.amazonaws.com"], "iam:PassRole")


def test_get_log_events_the_migrations_log_group_only(apply_1):
    expect(apply_1, "resources", [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/omni-acme:log-stream:*"],
           "logs:GetLogEvents")


def test_its_own_logs_its_own_log_group_only(apply_1):
    expect(apply_1, "resources", [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/omni-acme-migrator:*"],
           "logs:PutLogEvents")


def test_no_invocation_yet(apply_1):
    expect(apply_1, "invocations", 0)


# -- (2) invoke = true: one invocation. With nothing queued, the emulator's function returns --
# its payload, which is how this checks what the handler receives.

@pytest.fixture(scope="module")
def apply_2(example, apply_1) -> Step:
    return example.apply()


def payload(step: Step) -> dict:
    result = step.outputs.get("migration_result")
    assert isinstance(result, dict), f"migration_result = {result!r}"
    return result


def test_apply_with_invoke_true_invokes_the_function(apply_2):
    assert (apply_2.res.rc == 0
            and "aws_lambda_invocation.migration[0]: Creation complete" in apply_2.res.out), apply_2.res.describe()


def test_apply_with_invoke_true_invokes_once(apply_2):
    expect(apply_2, "invocations", 1)


def test_payload_keys(apply_2):
    assert sorted(payload(apply_2)) == ["Cluster", "MinCapacity", "SecurityGroups", "Services", "Subnets",
                                        "TaskDefinition", "Timeout"]


def test_payload_has_omnis_four_keys_subnets_a_comma_string_security_groups_one_id(apply_2):
    p = payload(apply_2)
    subnets = p["Subnets"].split(",")
    assert [p["Cluster"], p["TaskDefinition"],
            len(subnets) > 1 and all(s.startswith("subnet-") for s in subnets),
            p["SecurityGroups"].startswith("sg-") and "," not in p["SecurityGroups"]] == [
        "omni-acme", f"{ECS}:task-definition/omni-acme-migrator:1", True, True]


def test_payload_has_the_service_to_pause_at_0_and_the_timeout(apply_2):
    p = payload(apply_2)
    assert [p["Services"], p["MinCapacity"], p["Timeout"]] == [["omni-acme-api"], 0, "10m"]


def test_migration_completed_is_pending_when_the_result_is_not_a_succeeded_one(apply_2):
    assert apply_2.outputs.get("migration_completed") == "pending", apply_2.outputs


# -- (3) nothing changed: no invocation ------------------------------------------------------

@pytest.fixture(scope="module")
def apply_3(example, apply_2) -> Step:
    return example.apply()


def test_reapply_with_nothing_changed_succeeds(apply_3):
    assert apply_3.res.rc == 0, apply_3.res.describe()


def test_reapply_with_nothing_changed_invokes_nothing(apply_3):
    expect(apply_3, "invocations", 1)


# -- (4) a new migrator revision: one more invocation; a "succeeded" result completes --------

@pytest.fixture(scope="module")
def apply_4(example, apply_3) -> Step:
    example.queue_result({"status": "succeeded", "exit_code": 0,
                          "task_arn": f"{ECS}:task/omni-acme/0123", "migration": "m-1"})
    return example.apply("-var", "app_version=v2")


def test_apply_with_a_new_migrator_revision_succeeds(apply_4):
    assert apply_4.res.rc == 0, apply_4.res.describe()


def test_a_new_revision_invokes_once_more(apply_4):
    expect(apply_4, "invocations", 2)


def test_migration_completed_and_succeeded_when_the_result_says_succeeded(apply_4):
    assert [apply_4.outputs.get("migration_completed"), apply_4.outputs.get("migration_succeeded")] == [
        "completed", True], apply_4.outputs


# -- (5) another revision whose migration had already succeeded: "skipped" completes too -----

@pytest.fixture(scope="module")
def apply_5(example, apply_4) -> Step:
    example.queue_result({"status": "skipped", "exit_code": 0,
                          "task_arn": f"{ECS}:task/omni-acme/0123", "migration": "m-1"})
    return example.apply("-var", "app_version=v3")


@pytest.fixture(scope="module")
def replan(example, apply_5) -> Result:
    return example.ws.run("plan", "-input=false", "-no-color", *example.vars, "-var", "app_version=v3")


def test_a_third_revision_invokes_once_more(apply_5):
    expect(apply_5, "invocations", 3)


def test_migration_completed_when_the_result_says_skipped(apply_5):
    assert apply_5.outputs.get("migration_completed") == "completed", apply_5.outputs


def test_replan_has_nothing_to_change_in_the_module(replan):
    assert replan.rc == 0 and "# module.migrations" not in replan.out, replan.describe()
