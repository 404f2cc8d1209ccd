"""Input validation: bad inputs to each module are refused by `terraform validate`, naming the
variable; Fleet's and Omni's own inputs (and the additions) are accepted. One configuration per
module calls it once per case (BASE with that case's arguments replaced); one `validate`
checks them all. Offline: no emulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import clean_env
from tfrun import Workspace

pytestmark = pytest.mark.group("d")

LOCAL_EXEC_BASE = """
  ecs_cluster              = "arn:aws:ecs:us-east-1:123456789012:cluster/fleet"
  ecs_service              = "fleet"
  task_definition          = "arn:aws:ecs:us-east-1:123456789012:task-definition/fleet"
  task_definition_revision = 7
  min_capacity             = 1
  desired_count            = 2
  subnets                  = ["subnet-0123abcd"]
  security_groups          = ["sg-0123abcd"]"""

# (label, arguments replacing BASE's, the variable validation must refuse; None: accepted)
LOCAL_EXEC_CASES = [
    ("Fleet's inputs (task definition ARN without revision)", [], None),
    ("the inputs of Fleet's later versions (vuln_service, assume role, max_capacity, timeout_seconds)",
     ['vuln_service = "fleet-vuln"', 'assume_role_arn = "arn:aws:iam::123456789012:role/deploy"',
      'assume_role_session_name = "fleet-migrate"', 'max_capacity = 5', 'timeout_seconds = 1800'], None),
    ("a family; desired_count, min_capacity, command and container null",
     ['task_definition = "fleet"', 'desired_count = null', 'min_capacity = null', 'command = null', 'container = null'], None),
    ("timeout_seconds = 0 (no limit), paused_count = 1, keep_paused_on_failure",
     ['timeout_seconds = 0', 'paused_count = 1', 'keep_paused_on_failure = true'], None),
    ("a task definition with its revision",
     ['task_definition = "arn:aws:ecs:us-east-1:123456789012:task-definition/fleet:7"'], "task_definition"),
    ("revision 0", ['task_definition_revision = 0'], "task_definition_revision"),
    ("service ARNs (Fleet's dogfood passes the vuln service's ARN)",
     ['ecs_service = "arn:aws:ecs:us-east-1:123456789012:service/fleet/fleet"',
      'vuln_service = "arn:aws:ecs:us-east-1:123456789012:service/fleet/fleet-vuln"'], None),
    ("an old-format service ARN and a cluster name",
     ['ecs_service = "arn:aws:ecs:us-east-1:123456789012:service/fleet"', 'ecs_cluster = "fleet"'], None),
    ("Fleet's dogfood call: no max_capacity (an older addon), a vuln service ARN",
     ['vuln_service = "arn:aws:ecs:us-east-1:123456789012:service/fleet/fleet-vuln-processing"'], None),
    ("triggers, force, adopt_revision", ['triggers = { migrations = "abc" }', 'force = true', 'adopt_revision = 7'], None),
    ("a service that is neither a name nor an ARN", ['ecs_service = "fleet/web"'], "ecs_service"),
    ("a vuln_service ARN of another resource type",
     ['vuln_service = "arn:aws:ecs:us-east-1:123456789012:cluster/fleet"'], "vuln_service"),
    ("adopt_revision = 0", ['adopt_revision = 0'], "adopt_revision"),
    ("extra_environment setting ECS_MIGRATE_FORCE (use force)",
     ['extra_environment = { ECS_MIGRATE_FORCE = "true" }'], "extra_environment"),
    ("extra_environment setting ECS_MIGRATE_KEY (use triggers)",
     ['extra_environment = { ECS_MIGRATE_KEY = "x" }'], "extra_environment"),
    ("extra_environment may place the task as the service is (ECS_MIGRATE_FROM_SERVICE)",
     ['extra_environment = { ECS_MIGRATE_FROM_SERVICE = "fleet" }'], None),
    ("no subnets", ['subnets = []'], "subnets"),
    ("a security group name", ['security_groups = ["default"]'], "security_groups"),
    ("a negative min_capacity", ['min_capacity = -1'], "min_capacity"),
    ("desired_count = 1.5", ['desired_count = 1.5'], "desired_count"),
    ("paused_count = -1", ['paused_count = -1'], "paused_count"),
    ("timeout_seconds = -5", ['timeout_seconds = -5'], "timeout_seconds"),
    ("an assume_role_arn that is not a role", ['assume_role_arn = "deploy"'], "assume_role_arn"),
    ("an empty command", ['command = []'], "command"),
    ("extra_environment overriding ECS_MIGRATE_CLUSTER",
     ['extra_environment = { ECS_MIGRATE_CLUSTER = "other" }'], "extra_environment"),
    ("extra_environment turning on ECS_MIGRATE_DRY_RUN",
     ['extra_environment = { ECS_MIGRATE_DRY_RUN = "true" }'], "extra_environment"),
    ("a lock in S3, with a prefix", ['lock = "s3://my-locks/ecs-migrate"'], None),
    ("a lock in S3, a bucket with dots and no prefix", ['lock = "s3://my.locks-1"'], None),
    ("a lock without s3://", ['lock = "my-locks/ecs-migrate"'], "lock"),
    ("a lock in a bucket with capitals", ['lock = "s3://My-Locks/ecs-migrate"'], "lock"),
    ("extra_environment setting ECS_MIGRATE_LOCK (use lock)",
     ['extra_environment = { ECS_MIGRATE_LOCK = "s3://my-locks" }'], "extra_environment"),
]

LAMBDA_BASE = """
  customer_name                = "acme"
  cluster_name                 = "omni-acme"
  migrator_task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/omni-acme-migrator:3"
  subnet_ids                   = ["subnet-0123abcd", "subnet-4567cdef"]
  security_group_id            = "sg-0123abcd"
  region                       = "us-east-1"
  task_execution_role_arn      = "arn:aws:iam::123456789012:role/omni-acme-execution"
  task_role_arn                = "arn:aws:iam::123456789012:role/omni-acme-task\""""

LAMBDA_CASES = [
    ("Omni's inputs", [], None),
    ("services, container, command, environment, arm64, wait_for_lock",
     ['services = ["omni-acme-api"]', 'container = "migrator"', 'command = ["bin/migrate", "up"]',
      'migration_environment = { LOG_LEVEL = "debug" }', 'architecture = "arm64"', 'wait_for_lock = "1m"'], None),
    ("a task definition ARN without revision",
     ['migrator_task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/omni-acme-migrator"'],
     "migrator_task_definition_arn"),
    ("a task definition family", ['migrator_task_definition_arn = "omni-acme-migrator:3"'], "migrator_task_definition_arn"),
    ("no subnets", ['subnet_ids = []'], "subnet_ids"),
    ("a security group list", ['security_group_id = "sg-1,sg-2"'], "security_group_id"),
    ("an execution role that is not a role ARN", ['task_execution_role_arn = "omni-acme-execution"'], "task_execution_role_arn"),
    ("a customer name with a space", ['customer_name = "acme corp"'], "customer_name"),
    ('architecture = "x86"', ['architecture = "x86"'], "architecture"),
    ('timeout = "0s"', ['timeout = "0s"'], "timeout"),
    ('timeout = "15 minutes"', ['timeout = "15 minutes"'], "timeout"),
    ('wait_for_lock = "soon"', ['wait_for_lock = "soon"'], "wait_for_lock"),
    ("lambda_timeout = 901", ['lambda_timeout = 901'], "lambda_timeout"),
    ("log_retention_in_days = 10", ['log_retention_in_days = 10'], "log_retention_in_days"),
    ("an empty command", ['command = []'], "command"),
    ("a negative paused_count", ['paused_count = -1'], "paused_count"),
    ("a cluster ARN and services by ARN (either format) and name",
     ['cluster_name = "arn:aws:ecs:us-east-1:123456789012:cluster/omni-acme"',
      'services = ["arn:aws:ecs:us-east-1:123456789012:service/omni-acme/omni-acme-api", '
      '"arn:aws:ecs:us-east-1:123456789012:service/omni-acme-worker", "omni-acme-web"]'], None),
    ("triggers, force, adopt_revision", ['triggers = { migrations_hash = "abc" }', 'force = true', 'adopt_revision = 3'], None),
    ("a service that is neither a name nor an ARN", ['services = ["omni/api"]'], "services"),
    ("adopt_revision = 1.5", ['adopt_revision = 1.5'], "adopt_revision"),
    ("a lock in S3, with a prefix ending in /", ['lock = "s3://my-locks/ecs-migrate/"'], None),
    ("a lock in S3, no prefix", ['lock = "s3://my-locks"'], None),
    ("a lock in a bucket name too short", ['lock = "s3://ab/ecs-migrate"'], "lock"),
    ("a lock given as a bucket ARN", ['lock = "arn:aws:s3:::my-locks"'], "lock"),
    ("a lock in a bucket name ending in -", ['lock = "s3://my-locks-/x"'], "lock"),
]

MODULES = {
    "ecs-migrate-local-exec": (LOCAL_EXEC_BASE, LOCAL_EXEC_CASES),
    "ecs-migrate-lambda": (LAMBDA_BASE, LAMBDA_CASES),
}


def arguments(base: str, overrides: list[str]) -> str:
    """BASE with each `name = value` of OVERRIDES replacing BASE's `name = ...` line (or added)."""
    args = base
    for override in overrides:
        name = override.split(" =", 1)[0]
        kept = [line for line in args.split("\n") if not re.match(rf"^ *{re.escape(name)} *=", line)]
        args = "\n".join(kept) + "\n  " + override
    return args


class Validated:
    """One `terraform validate` of every case of a module: which calls it refused, naming
    which variable."""

    def __init__(self, module: str, tree: Path, base_dir: Path, plugin_dir: str):
        base, cases = MODULES[module]
        directory = base_dir / f"inputs-{module}"
        directory.mkdir(parents=True)
        blocks = [f'module "case_{i}" {{\n  source = "{tree / "modules" / module}"\n{arguments(base, overrides)}\n}}\n'
                  for i, (_, overrides, _) in enumerate(cases, 1)]
        (directory / "main.tf").write_text("\n".join(blocks))
        ws = Workspace(directory, None, clean_env(), plugin_dir, dir=directory)
        self.init = ws.init()
        self.validate = ws.validate() if self.init.rc == 0 else None
        # "case_N variable" for each refused call
        self.refused: list[tuple[str, str]] = []
        current = None
        out = self.validate.out if self.validate else ""
        for line in out.splitlines():
            m = re.search(r'in module "(case_[0-9]+)"', line)
            if m:
                current = m.group(1)
            m = re.search(r" var\.([a-z_]+) is", line)
            if m:
                self.refused.append((current, m.group(1)))
        self.errors = len(re.findall(r"^Error: ", out, re.M))

    def check_runs(self, module: str) -> None:
        """Every error of the validation is a refused input (else a case proves nothing)."""
        assert self.init.rc == 0, f"{module}: terraform init of the input cases\n" + self.init.describe()
        assert self.errors == len(self.refused), (
            f"{module}: validation errors other than refused inputs\n" + self.validate.describe())

    def refused_variables(self, case: int) -> list[str]:
        return [variable for call, variable in self.refused if call == f"case_{case}"]


@pytest.fixture(scope="module")
def validated(tree, plugin_dir):
    done: dict[str, Validated] = {}

    def get(module: str) -> Validated:
        if module not in done:
            done[module] = Validated(module, tree, tree.parent / "inputs", plugin_dir)
        return done[module]

    return get


def cases(kind: str, refused: bool):
    return [pytest.param(i, label, variable, id=label)
            for i, (label, _, variable) in enumerate(MODULES[kind][1], 1) if (variable is not None) == refused]


@pytest.mark.parametrize("module", list(MODULES))
def test_input_cases_fail_validation_only_on_refused_inputs(module, validated):
    validated(module).check_runs(module)


@pytest.mark.parametrize("case,label,variable", cases("ecs-migrate-local-exec", refused=False))
def test_local_exec_accepts(case, label, variable, validated):
    v = validated("ecs-migrate-local-exec")
    v.check_runs("ecs-migrate-local-exec")
    assert not v.refused_variables(case), f"ecs-migrate-local-exec accepts {label} (refused: {v.refused_variables(case)})"


@pytest.mark.parametrize("case,label,variable", cases("ecs-migrate-local-exec", refused=True))
def test_local_exec_refuses(case, label, variable, validated):
    v = validated("ecs-migrate-local-exec")
    v.check_runs("ecs-migrate-local-exec")
    assert variable in v.refused_variables(case), (
        f"ecs-migrate-local-exec refuses {label} (var.{variable}); refused: {v.refused_variables(case)}")


@pytest.mark.parametrize("case,label,variable", cases("ecs-migrate-lambda", refused=False))
def test_lambda_accepts(case, label, variable, validated):
    v = validated("ecs-migrate-lambda")
    v.check_runs("ecs-migrate-lambda")
    assert not v.refused_variables(case), f"ecs-migrate-lambda accepts {label} (refused: {v.refused_variables(case)})"


@pytest.mark.parametrize("case,label,variable", cases("ecs-migrate-lambda", refused=True))
def test_lambda_refuses(case, label, variable, validated):
    v = validated("ecs-migrate-lambda")
    v.check_runs("ecs-migrate-lambda")
    assert variable in v.refused_variables(case), (
        f"ecs-migrate-lambda refuses {label} (var.{variable}); refused: {v.refused_variables(case)}")
