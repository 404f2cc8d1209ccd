"""The lock in S3 (`lock = "s3://BUCKET/PREFIX"`, issue #15) as the modules compute it, from
plans only (`plan -out` + `show -json`, an offline provider: nothing is applied or invoked):
a malformed value fails the plan naming it; the Lambda module's role gets exactly the S3
statements of the lock with it and none without it, the payload carries `Lock` only with it,
and adding it changes nothing that would invoke the function again. (What the local-exec
module hands ecs-migrate, ECS_MIGRATE_LOCK, is in test_local_exec_offline.py.) Offline: no
emulator."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import clean_env
from tfrun import Result, Workspace

pytestmark = pytest.mark.group("d")

PROVIDERS = """
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "gov"
  region                      = "us-gov-west-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
"""


def lambda_call(name: str, lock: str | None, zip_path: Path, partition: str = "aws", region: str = "us-east-1") -> str:
    """A call of the Lambda module; every call is the same app but for its name and `lock`."""
    return f"""
module "{name}" {{
  source = "../../modules/ecs-migrate-lambda"
{'  providers = { aws = aws.gov }' if partition != "aws" else ""}
  customer_name                = "{name.replace("_", "-")}"
  cluster_name                 = "omni-acme"
  migrator_task_definition_arn = "arn:{partition}:ecs:{region}:123456789012:task-definition/omni-acme-migrator:3"
  subnet_ids                   = ["subnet-0123abcd"]
  security_group_id            = "sg-0123abcd"
  region                       = "{region}"
  task_execution_role_arn      = "arn:{partition}:iam::123456789012:role/omni-acme-execution"
  task_role_arn                = "arn:{partition}:iam::123456789012:role/omni-acme-task"
  lambda_zip_path              = "{zip_path}"
  services                     = ["omni-acme-api"]
  wait_for_lock                = "1m"
{f'  lock                         = "{lock}"' if lock is not None else ""}
}}
"""


LOCAL_EXEC_BAD = """
module "local_exec_bad" {
  source = "../../modules/ecs-migrate-local-exec"

  ecs_cluster              = "fleet"
  ecs_service              = "fleet"
  task_definition          = "fleet"
  task_definition_revision = 7
  subnets                  = ["subnet-0123abcd"]
  security_groups          = ["sg-0123abcd"]
  lock                     = "my-locks/ecs-migrate"
}
"""

# The calls planned: name -> lock
LOCKS = {
    "with_prefix": "s3://bucket/prefix",
    "trailing_slashes": "s3://my.locks-1/a/b//",
    "bucket_only": "s3://my-locks",
    "bucket_slash": "s3://my-locks/",
    "none": None,
}


@dataclass
class Planned:
    plan: Result
    changes: dict  # resource address -> planned values

    def policy(self, call: str) -> list[dict]:
        address = f"module.{call}.aws_iam_role_policy.lambda"
        assert address in self.changes, f"no {address} in the plan\n" + self.plan.describe()
        return json.loads(self.changes[address]["policy"])["Statement"]

    def invocation(self, call: str) -> dict:
        return self.changes[f"module.{call}.aws_lambda_invocation.migration[0]"]

    def payload(self, call: str) -> dict:
        return json.loads(self.invocation(call)["input"])


def configuration(base: Path, name: str, text: str, plugin_dir: str) -> Workspace:
    """BASE/terraform/tests/NAME/main.tf (beside the copy of the modules), initialised."""
    directory = base / "tests" / name
    directory.mkdir(parents=True)
    (directory / "main.tf").write_text(PROVIDERS + text)
    ws = Workspace(base.parent / f"logs-{name}", None, clean_env(), plugin_dir, dir=directory)
    res = ws.init()
    if res.rc != 0:
        pytest.fail(f"init of {name}\n" + res.describe())
    return ws


@pytest.fixture(scope="module")
def planned(tree, plugin_dir, lambda_zip) -> Planned:
    calls = "".join(lambda_call(name, lock, lambda_zip) for name, lock in LOCKS.items())
    calls += lambda_call("gov", "s3://gov-locks/p", lambda_zip, partition="aws-us-gov", region="us-gov-west-1")
    ws = configuration(tree, "lock-planned", calls, plugin_dir)
    plan = ws.plan()
    if plan.rc != 2:
        pytest.fail("the plan of the lock calls\n" + plan.describe())
    shown = ws.run("show", "-json", "-no-color", "tfplan")
    assert shown.rc == 0, shown.describe()
    changes = {c["address"]: c["change"]["after"] for c in json.loads(shown.out)["resource_changes"]}
    return Planned(plan, changes)


@pytest.fixture(scope="module")
def refused(tree, plugin_dir, lambda_zip) -> Result:
    text = lambda_call("lambda_bad", "s3://My-Locks/ecs-migrate", lambda_zip) + LOCAL_EXEC_BAD
    return configuration(tree, "lock-refused", text, plugin_dir).plan()


def s3_statements(statements: list[dict]) -> list[dict]:
    """The statements with an s3: action, each value as a sorted list."""
    def listed(value):
        return sorted(value) if isinstance(value, list) else [value]

    found = []
    for s in statements:
        if any(a.startswith("s3:") for a in listed(s["Action"])):
            found.append({
                "Sid": s.get("Sid"), "Effect": s["Effect"], "Action": listed(s["Action"]),
                "Resource": listed(s["Resource"]),
                "Condition": {test: {key: listed(v) for key, v in keys.items()}
                              for test, keys in s.get("Condition", {}).items()},
            })
    return sorted(found, key=lambda s: s["Sid"] or "")


def lock_statements(partition: str, bucket: str, objects: str) -> list[dict]:
    return [
        {"Sid": "LockTheAppInS3", "Effect": "Allow", "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
         "Resource": [f"arn:{partition}:s3:::{bucket}/{objects}"], "Condition": {}},
        {"Sid": "SeeAFreeLockInS3", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": [f"arn:{partition}:s3:::{bucket}"], "Condition": {"StringLike": {"s3:prefix": [objects]}}},
    ]


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("call,value", [("lambda_bad", "s3://My-Locks/ecs-migrate"),
                                        ("local_exec_bad", "my-locks/ecs-migrate")])
def test_a_malformed_lock_fails_the_plan_naming_the_value(refused, call, value):
    assert refused.rc == 1, "the plan with malformed locks must fail\n" + refused.describe()
    errors = [one_line(e) for e in refused.out.split("Error: ")[1:] if f'in module "{call}"' in e]
    assert len(errors) == 1 and "var.lock" in errors[0], f"one error for module.{call}'s lock\n" + refused.describe()
    assert f"The lock is {json.dumps(value)}: it must be null" in errors[0] and "s3://BUCKET/PREFIX" in errors[0], (
        f"module.{call}: the error names {value!r} and the expected form\n" + refused.describe())


def test_the_lock_grants_exactly_its_objects_and_the_listing_of_its_prefix(planned):
    """lock = "s3://bucket/prefix": Get/Put/DeleteObject on bucket/prefix/*, ListBucket on the
    bucket for the prefix prefix/* only, nothing else on S3."""
    assert s3_statements(planned.policy("with_prefix")) == lock_statements("aws", "bucket", "prefix/*")


def test_the_prefix_is_taken_without_its_trailing_slashes(planned):
    assert s3_statements(planned.policy("trailing_slashes")) == lock_statements("aws", "my.locks-1", "a/b/*")


@pytest.mark.parametrize("call", ["bucket_only", "bucket_slash"])
def test_a_lock_without_prefix_grants_the_bucket(planned, call):
    assert s3_statements(planned.policy(call)) == lock_statements("aws", "my-locks", "*")


def test_the_lock_arns_are_in_the_partition_of_the_task_definition(planned):
    assert s3_statements(planned.policy("gov")) == lock_statements("aws-us-gov", "gov-locks", "p/*")


def test_without_lock_the_role_gets_no_s3_action(planned):
    assert s3_statements(planned.policy("none")) == []


def test_the_lock_leaves_the_rest_of_the_policy_as_it_is(planned):
    """The policy with a lock is the one without it plus the two S3 statements (the tag lock's
    permissions stay: the Rust side decides what it still reads)."""
    rest = [s for s in planned.policy("with_prefix") if not s3_statements([s])]
    assert json.dumps(rest, sort_keys=True).replace("with-prefix", "NAME") == (
        json.dumps(planned.policy("none"), sort_keys=True).replace("none", "NAME"))


def test_the_payload_carries_lock_only_when_set(planned):
    assert planned.payload("with_prefix")["Lock"] == "s3://bucket/prefix"
    assert "Lock" not in planned.payload("none")
    assert {k: v for k, v in planned.payload("with_prefix").items() if k != "Lock"} == planned.payload("none")


def test_adding_a_lock_does_not_invoke_the_function_again(planned):
    """`Lock` says where runs take turns, not what to migrate: it is not in the invocation's
    triggers, so adding, changing or removing it invokes nothing."""
    assert planned.invocation("with_prefix")["triggers"] == planned.invocation("none")["triggers"]
    assert planned.invocation("bucket_only")["triggers"] == planned.invocation("none")["triggers"]
