"""The real callers of the two modules this project replaces, with only `source` changed.

callers/ holds their `module "migrations"` blocks verbatim (Fleet's example and byo-vpc
example at tf-mod-addon-migrations-v2.3.0, Fleet's dogfood configuration, Omni's stack);
stand-ins/ the modules they refer to and the old modules as an existing install has them.
For each caller, on a fresh install and on an existing one (the old module applied first,
then `source` swapped): init, validate, plan and apply succeed against the emulator; the
migration really runs (local-exec: ecs-migrate itself; Lambda: see `lambda_mode`); then a
second apply and a plan show no changes, with a provider block that has no ignore_tags.
Further tests: the swap on Terraform 1.5-1.8 (adopt_revision) and >= 1.9 (a moved block),
`triggers` re-running on SQL changes (fileset/filesha256), the Lambda's payload.

Not testable here, and said so in the output: Fleet's and Omni's null_resource, Omni's
archive_file and external data sources (the hashicorp/null, archive and external providers
are not in the mirror). The stand-ins model their state with terraform_data.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import ACCOUNT, REGION, banner
from emulated import App, exit_code, revision
from tfrun import LAMBDA, LOCAL_EXEC, Workspace, changes_line, planned_actions, require

OLD_FLEET = "../../stand-ins/fleet-addon-migrations"
OLD_OMNI = "../../stand-ins/omni-migrations"

# caller directory -> (the stand-in module's name in it, whether it has a vuln service)
FLEET_CALLERS = {
    "fleet-example": ("fleet", False),
    "fleet-byo-vpc": ("byo-vpc", False),
    "fleet-dogfood": ("main", True),
}


def short(caller: str) -> str:
    return caller.replace("fleet-", "f").replace("example", "ex").replace("byo-vpc", "bv").replace("dogfood", "dog")


@pytest.fixture(scope="session", autouse=True)
def say_what_is_not_tested():
    banner("NOT TESTED: null_resource (Fleet's addon, Omni's module), archive_file and external (Omni's):",
           "the hashicorp/null, archive and external providers are not in the local mirror and nothing can be",
           "downloaded. The old modules' stand-ins hold a terraform_data of the same name instead, so the",
           "state move null_resource -> terraform_data (moved block, Terraform >= 1.9) is tested from a",
           "terraform_data with the same trigger value only.")
    yield


@pytest.fixture
def workspace(tmp_path, tf_env, plugin_dir):
    def make(caller: str) -> Workspace:
        return Workspace(tmp_path, caller, tf_env, plugin_dir)

    return make


# ---------------------------------------------------------------------------------------
# Steps every test shares
# ---------------------------------------------------------------------------------------


def init_validate(ws: Workspace) -> None:
    res = ws.init()
    require(res.rc == 0, "terraform init", res)
    res = ws.validate()
    require(res.rc == 0, "terraform validate", res)


def plan_and_apply(ws: Workspace, what: str):
    plan = ws.plan()
    require(plan.rc == 2, f"{what}: terraform plan shows the changes (exit 2)", plan)
    actions = planned_actions(plan.out)
    res = ws.apply_plan()
    require(res.rc == 0, f"{what}: terraform apply of that plan succeeds", res)
    return actions, res


def no_changes_after(ws: Workspace, what: str, ran_marker: str) -> None:
    """A second apply changes nothing (and runs nothing); then a plan shows no changes."""
    res = ws.apply()
    require(res.rc == 0 and "No changes." in res.out and ran_marker not in res.out,
            f"{what}: a second apply changes nothing ({changes_line(res.out)})", res)
    plan = ws.plan()
    require(plan.rc == 0, f"{what}: then `terraform plan -detailed-exitcode` shows no changes "
                          "(no ignore_tags in the provider block)", plan)


def needs(features: set[str], *names: str) -> None:
    missing = [n for n in names if n not in features]
    if missing:
        banner(f"SKIPPED: this ecs-migrate has no {', '.join(missing)} (`ecs-migrate run --help`):",
               "build the current one, or set ECS_MIGRATE_BIN.")
        pytest.skip(f"ecs-migrate lacks {', '.join(missing)}")


LOCAL_EXEC_RAN = "terraform_data.migration (local-exec)"


def check_fleet_migration_ran(app: App, res, revision_name: str, runs_before: int) -> dict:
    runs = app.migrations()
    require(len(runs) == runs_before + 1, f"one more migration task ran ({len(runs)} after {runs_before})", res)
    last = runs[-1]
    require(revision(last) == revision_name, f"it ran {revision_name} (ran {revision(last)})", res)
    require(exit_code(last, "fleet") == 0, f"its fleet container exited 0 ({exit_code(last, 'fleet')})", res)
    require(app.service_tasks_during(last) == 0, "no task of the service ran while the migration ran", res)
    if app.vuln:
        require(app.service_tasks_during(last, app.vuln) == 0,
                "no task of the vuln service (given by ARN) ran while the migration ran", res)
        require(app.service(app.vuln)["desiredCount"] == 1, "the vuln service came back at its count (1)", res)
    require(app.service()["desiredCount"] == 2, "the service came back at desired_count (2)", res)
    require("fleet prepare db: migrating to" in res.out, "the migration's own log line is in the apply output", res)
    left = app.ecs_migrate_tags()
    require(not left, f"ecs-migrate left no tag on what Terraform manages ({left})", res)
    return last


# ---------------------------------------------------------------------------------------
# Fleet (local-exec module)
# ---------------------------------------------------------------------------------------

FRESH: dict[str, tuple[Workspace, App]] = {}


@pytest.mark.group("a")
@pytest.mark.parametrize("caller", list(FLEET_CALLERS))
def test_fleet_fresh_install(caller, workspace, emulator, request):
    _, vuln = FLEET_CALLERS[caller]
    name = f"{short(caller)}-new"
    ws = workspace(caller)
    ws.set_vars(name=name)
    app = App(emulator, name, vuln)

    init_validate(ws)
    _, res = plan_and_apply(ws, "fresh install")
    require(LOCAL_EXEC_RAN in res.out, "the apply ran ecs-migrate", res)
    check_fleet_migration_ran(app, res, f"{name}:1", 0)
    require("paused service" in res.out and "restored service" in res.out,
            "ecs-migrate says it paused and restored the service", res)

    no_changes_after(ws, "fresh install", LOCAL_EXEC_RAN)
    require(len(app.migrations()) == 1, "nothing ran again")
    FRESH[caller] = (ws, app)


@pytest.mark.group("b")
@pytest.mark.parametrize("caller", list(FLEET_CALLERS))
def test_fleet_existing_install(caller, workspace, emulator):
    """Fleet's addon in place, then only `source` swapped: the migration of the current
    revision runs once more (neither adopt_revision nor a moved block), with the pause."""
    _, vuln = FLEET_CALLERS[caller]
    name = f"{short(caller)}-old"
    ws = workspace(caller)
    ws.set_vars(name=name)
    app = App(emulator, name, vuln)

    ws.set_source(OLD_FLEET)
    res = ws.init()
    require(res.rc == 0, "init with the old module", res)
    res = ws.apply()
    require(res.rc == 0, "apply with the old module (the existing install)", res)
    app.register_scalable_target(2, 5)

    ws.set_source(LOCAL_EXEC)
    init_validate(ws)
    actions, res = plan_and_apply(ws, "the swap")
    require(actions == {"module.migrations.terraform_data.main": ["delete"],
                        "module.migrations.terraform_data.migration": ["create"]},
            f"the swap replaces the old module's resource and changes nothing else ({actions})", res)
    check_fleet_migration_ran(app, res, f"{name}:1", 0)
    require(app.drained() == 2, f"the service's 2 tasks were drained first ({app.drained()})", res)
    require(app.scalable_target() == "2-5", f"auto scaling is back as it was ({app.scalable_target()})", res)

    no_changes_after(ws, "after the swap", LOCAL_EXEC_RAN)


@pytest.mark.group("a")
def test_fleet_swap_with_a_moved_block(workspace, emulator):
    """Terraform >= 1.9: `moved` from the old resource carries the migration over; nothing
    runs. (From a terraform_data stand-in: see the banner.)"""
    ws = workspace("fleet-example")
    name = "fex-moved"
    ws.set_vars(name=name)
    app = App(emulator, name)
    ws.set_source(OLD_FLEET)
    require(ws.init().rc == 0, "init with the old module")
    res = ws.apply()
    require(res.rc == 0, "apply with the old module", res)

    ws.set_source(LOCAL_EXEC)
    ws.write("moved.tf", 'moved {\n  from = module.migrations.terraform_data.main\n  to   = module.migrations.terraform_data.migration\n}\n')
    init_validate(ws)
    plan = ws.plan()
    # The moved resource keeps its trigger (no replacement: its provisioner does not run);
    # only its `input` (what the outputs read) is written.
    actions = planned_actions(plan.out)
    require(plan.rc == 2 and actions == {"module.migrations.terraform_data.migration": ["update"]}
            and "(moved from module.migrations.terraform_data.main)" in plan.out,
            f"with the moved block the swap replaces nothing ({actions})", plan)
    res = ws.apply_plan()
    require(res.rc == 0 and LOCAL_EXEC_RAN not in res.out, "the apply runs nothing", res)
    require(app.migrations() == [], "no migration task ran")
    no_changes_after(ws, "after the moved swap", LOCAL_EXEC_RAN)


@pytest.mark.group("b")
def test_fleet_swap_with_adopt_revision(workspace, emulator, ecs_migrate_features):
    """Terraform 1.5-1.8: adopt_revision = the revision the old module migrated: the swap
    records it as succeeded without a task or a pause; the next revision runs normally."""
    needs(ecs_migrate_features, "ECS_MIGRATE_ADOPT")
    ws = workspace("fleet-byo-vpc")
    name = "fbv-adopt"
    ws.set_vars(name=name)
    app = App(emulator, name)
    ws.set_source(OLD_FLEET)
    require(ws.init().rc == 0, "init with the old module")
    require(ws.apply().rc == 0, "apply with the old module")

    ws.set_source(LOCAL_EXEC)
    ws.write("adopt_override.tf", 'module "migrations" {\n  adopt_revision = 1\n}\n')
    init_validate(ws)
    actions, res = plan_and_apply(ws, "the swap with adopt_revision = 1")
    require(LOCAL_EXEC_RAN in res.out, "ecs-migrate ran (to record the adopted migration)", res)
    require(app.migrations() == [], "no migration task ran", res)
    require(app.drained() == 0, "the service was not paused", res)
    records = app.outcome_records()
    require(len(records) == 1 and next(iter(records)).startswith(f"/ecs-migrate/{name}/1/"),
            f"the migration of revision 1 is recorded in SSM ({records})", res)
    require(not app.ecs_migrate_tags(), f"no tag left ({app.ecs_migrate_tags()})", res)
    no_changes_after(ws, "after the adopting swap", LOCAL_EXEC_RAN)

    ws.update_vars(fleet_version="v4.61.0")
    _, res = plan_and_apply(ws, "revision 2 with adopt_revision = 1 still set")
    check_fleet_migration_ran(app, res, f"{name}:2", 0)
    no_changes_after(ws, "after revision 2", LOCAL_EXEC_RAN)
    ws.remove("adopt_override.tf")
    plan = ws.plan()
    require(plan.rc == 0, "removing adopt_revision afterwards runs nothing", plan)


SQL_TRIGGERS = '''module "migrations" {
  # README: re-run on every change of the SQL files, as Omni's module did.
  triggers = {
    migrations = sha256(join("\\n", [for f in sort(fileset("${path.root}/migrations", "**/*.sql")) : "${f} ${filesha256("${path.root}/migrations/${f}")}"]))
  }
}
'''


@pytest.mark.group("a")
def test_fleet_triggers_rerun_when_the_sql_files_change(emulator, ecs_migrate_features):
    """`triggers` (fileset/filesha256, as the README says): a change of the files runs the
    migration again for the same revision; nothing else does."""
    needs(ecs_migrate_features, "ECS_MIGRATE_KEY")
    if "fleet-example" not in FRESH:
        pytest.skip("needs test_fleet_fresh_install[fleet-example]")
    ws, app = FRESH["fleet-example"]
    (ws.dir / "migrations").mkdir()
    (ws.dir / "migrations/0001_init.sql").write_text("create table hosts (id int);\n")
    ws.write("triggers_override.tf", SQL_TRIGGERS)
    _, res = plan_and_apply(ws, "adding triggers")
    check_fleet_migration_ran(app, res, f"{app.name}:1", 1)
    no_changes_after(ws, "with triggers", LOCAL_EXEC_RAN)

    (ws.dir / "migrations/0002_more.sql").write_text("alter table hosts add column name text;\n")
    _, res = plan_and_apply(ws, "a new SQL file")
    check_fleet_migration_ran(app, res, f"{app.name}:1", 2)
    no_changes_after(ws, "after the new SQL file", LOCAL_EXEC_RAN)
    require(len(app.outcome_records()) == 3, f"three migrations recorded ({app.outcome_records()})")


# ---------------------------------------------------------------------------------------
# Omni (Lambda module)
# ---------------------------------------------------------------------------------------

PYTHON_HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"


def omni_workspace(workspace, customer: str) -> Workspace:
    ws = workspace("omni")
    ws.set_vars(customer_name=customer, environment="staging")
    # Omni's call has no lambda_zip_path and the module holds no lambda/bootstrap.zip: the
    # apply writes the package with the ecs-migrate on PATH (`ecs-migrate lambda-package`),
    # as a user who ran `pipx install ecs-migrate` gets it.
    # The old module's package (Omni's archive_file wrote it; no archive provider here).
    old = ws.tree / "tests/stand-ins/omni-migrations/lambda"
    old.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(old / "migrator.zip", "w") as z:
        z.writestr("index.py", PYTHON_HANDLER)
    return ws


def invocation_input(ws: Workspace) -> dict:
    values = ws.state()["module.migrations.aws_lambda_invocation.migration[0]"]
    return json.loads(values["input"])


def expect_lambda_migration(emulator, ws: Workspace, res, customer: str, lambda_mode: str, runs: int) -> None:
    """migration_completed says so; with the handler really running, `runs` migration tasks
    have run in the tenant's cluster by now, the last one exited 0, no tag is left."""
    outputs = ws.outputs()
    require(outputs.get("migration_completed") == "completed",
            f"migration_completed = \"completed\", Omni's value ({outputs.get('migration_completed')!r})", res)
    if lambda_mode != "bootstrap":
        return
    app = App.omni(emulator, customer)
    tasks = app.migrations()
    require(len(tasks) == runs, f"the handler has run {runs} migration task(s) ({len(tasks)})", res)
    require(not tasks or exit_code(tasks[-1], "migrator") == 0, "the migrator exited 0", res)
    require(not app.ecs_migrate_tags(), f"no tag left ({app.ecs_migrate_tags()})", res)


def succeed_next_invocation(emulator, lambda_mode: str) -> None:
    if lambda_mode == "echo":
        emulator.queue_lambda_result({"statusCode": 200, "status": "succeeded", "exit_code": 0})


@pytest.mark.group("c")
def test_omni_fresh_install(workspace, emulator, lambda_mode, ecs_migrate_bin):
    customer = "acme-new"
    ws = omni_workspace(workspace, customer)
    init_validate(ws)
    succeed_next_invocation(emulator, lambda_mode)
    _, res = plan_and_apply(ws, "fresh install")
    package = ws.dir / f".terraform/ecs-migrate/omni-{customer}-migrator-x86_64.zip"
    require(package.is_file(), f"the apply wrote the Lambda package with `ecs-migrate lambda-package` ({package})", res)
    with zipfile.ZipFile(package) as z:
        same = z.namelist() == ["bootstrap"] and z.read("bootstrap") == ecs_migrate_bin.read_bytes()
    require(same, "the package is the installed ecs-migrate as bootstrap", res)
    fn = emulator.client("lambda").get_function(FunctionName=f"omni-{customer}-migrator")["Configuration"]
    require(fn["Runtime"] == "provided.al2023" and fn["Role"].endswith(f"/omni-{customer}-migrator-ecs-migrate"),
            f"the function runs the handler with the module's role ({fn['Runtime']}, {fn['Role']})", res)
    expect_lambda_migration(emulator, ws, res, customer, lambda_mode, 1)
    no_changes_after(ws, "fresh install", "aws_lambda_invocation.migration[0]: Creating")


@pytest.mark.group("c")
def test_omni_existing_install(workspace, emulator, lambda_mode):
    """Omni's module in place (its role with RunECSTask and AWSLambdaBasicExecutionRole, its
    Python function, the function's log group created by Lambda), then only `source`
    swapped: one apply, never a function without a role, no log group conflict, nothing of
    the old permissions left."""
    customer = "acme-old"
    function = f"omni-{customer}-migrator"
    old_role = f"{function}-lambda-role"
    ws = omni_workspace(workspace, customer)
    ws.set_source(OLD_OMNI)
    require(ws.init().rc == 0, "init with the old module")
    res = ws.apply()
    require(res.rc == 0, "apply with the old module (the existing install)", res)
    logs = emulator.client("logs")
    logs.create_log_group(logGroupName=f"/aws/lambda/{function}")  # as Lambda did, outside Terraform
    iam = emulator.client("iam")
    require(iam.list_role_policies(RoleName=old_role)["PolicyNames"] == ["RunECSTask"]
            and len(iam.list_attached_role_policies(RoleName=old_role)["AttachedPolicies"]) == 1,
            "the old role has Omni's inline policy and managed policy")

    ws.set_source(LAMBDA)
    init_validate(ws)
    succeed_next_invocation(emulator, lambda_mode)
    actions, res = plan_and_apply(ws, "the swap")
    expected = {
        "module.migrations.aws_iam_role.lambda_execution": ["create", "delete"],
        "module.migrations.aws_iam_role_policy.lambda": ["create"],
        "module.migrations.aws_lambda_function.migrator": ["update"],
        "module.migrations.aws_lambda_invocation.migration[0]": ["create"],
        "module.migrations.terraform_data.package[0]": ["create"],
        "module.migrations.terraform_data.run_migrations": ["delete"],
    }
    require(actions == expected, f"the swap: new role first, the package written, function updated in place, no log group ({actions})", res)
    order = [res.out.find(marker) for marker in (
        "module.migrations.aws_iam_role.lambda_execution: Creation complete",
        "module.migrations.aws_lambda_function.migrator: Modifications complete",
        "module.migrations.aws_iam_role.lambda_execution (deposed object",
    )]
    require(-1 not in order and order == sorted(order),
            "the new role exists before the function moves to it, and Omni's is deleted only after", res)
    fn = emulator.client("lambda").get_function(FunctionName=function)["Configuration"]
    new_role = fn["Role"].rsplit("/", 1)[-1]
    require(new_role == f"{function}-ecs-migrate", f"the function has the new role ({new_role})", res)
    require(iam.list_role_policies(RoleName=new_role)["PolicyNames"] == ["ecs-migrate"]
            and iam.list_attached_role_policies(RoleName=new_role)["AttachedPolicies"] == [],
            "the new role has only the module's policy", res)
    try:
        iam.get_role(RoleName=old_role)
        gone = False
    except iam.exceptions.NoSuchEntityException:
        gone = True
    require(gone, "Omni's role, with RunECSTask and AWSLambdaBasicExecutionRole, is gone", res)
    require(len(logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function}")["logGroups"]) == 1,
            "the function's log group is still there", res)
    expect_lambda_migration(emulator, ws, res, customer, lambda_mode, 1)
    no_changes_after(ws, "after the swap", "aws_lambda_invocation.migration[0]: Creating")

    # adopt_revision is harmless to add afterwards: it invokes nothing.
    ws.write("adopt_override.tf", 'module "migrations" {\n  adopt_revision = 1\n}\n')
    plan = ws.plan()
    require(plan.rc == 0, "adding adopt_revision for the current revision invokes nothing", plan)

    # triggers: a new Key, so a new migration; with adopt_revision = this revision, it is
    # adopted (recorded, not run), as it would be on a swap that adds triggers.
    ws.write("triggers_override.tf", 'module "migrations" {\n  triggers = { migrations_hash = "h2" }\n}\n')
    succeed_next_invocation(emulator, lambda_mode)
    actions, res = plan_and_apply(ws, "triggers")
    require(actions == {"module.migrations.aws_lambda_invocation.migration[0]": ["delete", "create"]},
            f"new triggers invoke again and change nothing else ({actions})", res)
    sent = invocation_input(ws)
    key = hashlib.sha256(json.dumps({"migrations_hash": "h2"}, separators=(",", ":")).encode()).hexdigest()
    require(sent.get("Key") == key and sent.get("Adopt") is True,
            f"the payload has Key = sha256 of the triggers and (revision 1 = adopt_revision) Adopt ({sent})", res)
    expect_lambda_migration(emulator, ws, res, customer, lambda_mode, 1)

    # A new revision with adopt_revision still 1: no Adopt, a normal run.
    ws.update_vars(app_version="v2")
    succeed_next_invocation(emulator, lambda_mode)
    _, res = plan_and_apply(ws, "revision 2")
    sent = invocation_input(ws)
    require("Adopt" not in sent and sent["TaskDefinition"].endswith(f"omni-{customer}-migrator:2"),
            f"revision 2 is invoked without Adopt ({sent})", res)
    expect_lambda_migration(emulator, ws, res, customer, lambda_mode, 2)
    no_changes_after(ws, "after revision 2", "aws_lambda_invocation.migration[0]: Creating")


@pytest.mark.group("c")
def test_omni_swap_with_adopt_revision(workspace, emulator, lambda_mode):
    """adopt_revision on the swap: the invocation carries Adopt = true for the revision Omni
    already migrated (with the handler: recorded, no task)."""
    customer = "acme-adopt"
    ws = omni_workspace(workspace, customer)
    ws.set_source(OLD_OMNI)
    require(ws.init().rc == 0, "init with the old module")
    require(ws.apply().rc == 0, "apply with the old module")
    emulator.client("logs").create_log_group(logGroupName=f"/aws/lambda/omni-{customer}-migrator")

    ws.set_source(LAMBDA)
    ws.write("adopt_override.tf", 'module "migrations" {\n  adopt_revision = 1\n}\n')
    init_validate(ws)
    if lambda_mode == "echo":
        emulator.queue_lambda_result({"statusCode": 200, "status": "skipped", "exit_code": None})
    _, res = plan_and_apply(ws, "the swap with adopt_revision = 1")
    sent = invocation_input(ws)
    require(sent.get("Adopt") is True and "Key" not in sent and "Force" not in sent,
            f"the swap's invocation adopts revision 1 ({sent})", res)
    outputs = ws.outputs()
    require(outputs.get("migration_completed") == "completed", f"migration_completed ({outputs})", res)
    if lambda_mode == "bootstrap":
        app = App.omni(emulator, customer)
        require(app.migrations() == [], "no migration task ran", res)
        require(len(app.outcome_records()) == 1, f"the adopted migration is recorded ({app.outcome_records()})", res)
    no_changes_after(ws, "after the adopting swap", "aws_lambda_invocation.migration[0]: Creating")


# ---------------------------------------------------------------------------------------
# The callers' blocks are Fleet's own, verbatim but for `source`
# ---------------------------------------------------------------------------------------


@pytest.mark.group("c")
@pytest.mark.parametrize("caller,ref,path", [
    ("fleet-example", "tf-mod-addon-migrations-v2.3.0", "example/main.tf"),
    ("fleet-byo-vpc", "tf-mod-addon-migrations-v2.3.0", "byo-vpc/example/main.tf"),
])
def test_fleet_blocks_are_verbatim(caller, ref, path):
    """With FLEET_TERRAFORM_GIT_DIR (a clone or bare mirror of fleetdm/fleet-terraform)."""
    git_dir = os.environ.get("FLEET_TERRAFORM_GIT_DIR")
    if not git_dir:
        pytest.skip("FLEET_TERRAFORM_GIT_DIR is not set")
    theirs = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{ref}:{path}"],
                            capture_output=True, text=True, check=True).stdout

    def block(text: str) -> list[str]:
        start = text.index('module "migrations" {')
        end = text.index("\n}\n", start)
        return [line for line in text[start:end].splitlines() if not line.lstrip().startswith("source ")]

    ours = (Path(__file__).parent / "callers" / caller / "main.tf").read_text()
    assert block(ours) == block(theirs)


# ---------------------------------------------------------------------------------------
# The Lambda module's policy for services given by ARN (as the local-exec module takes them)
# ---------------------------------------------------------------------------------------


@pytest.mark.group("c")
def test_lambda_policy_for_services_and_cluster_given_by_arn(workspace, lambda_zip):
    ws = workspace("../fixtures/lambda-service-arns")
    (ws.dir / "bootstrap.zip").symlink_to(lambda_zip)
    require(ws.init().rc == 0, "init")
    plan = ws.plan()
    require(plan.rc == 2, "plan", plan)
    shown = ws.run("show", "-json", "-no-color", "tfplan")
    doc = json.loads(shown.out)
    policy = next(c["change"]["after"]["policy"] for c in doc["resource_changes"]
                  if c["address"] == "module.migrations.aws_iam_role_policy.lambda")
    grants: dict = {}
    for statement in json.loads(policy)["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            grants.setdefault(action, set()).update(resources)
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
    assert grants["ecs:UpdateService"] == {f"{ecs}:service/omni-arns/api", f"{ecs}:service/worker",
                                           f"{ecs}:service/omni-arns/web", f"{ecs}:service/web"}
    assert grants["ecs:RunTask"] == {f"{ecs}:task-definition/omni-arns-migrator:*"}
    assert grants["ecs:TagResource"] >= {f"{ecs}:task/omni-arns/*", f"{ecs}:cluster/omni-arns"}
    assert grants["ssm:PutParameter"] == {f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ecs-migrate/omni-arns-migrator/*"}

    # The invocation: Key = sha256 of the triggers as JSON, Force, Adopt (revision 4 is the
    # adopted one); its triggers hash the payload without Adopt.
    invocation = next(c["change"]["after"] for c in doc["resource_changes"]
                      if c["address"] == "module.migrations.aws_lambda_invocation.migration[0]")
    payload = json.loads(invocation["input"])
    key = hashlib.sha256(b'{"migrations_hash":"h1","seed":"s1"}').hexdigest()
    assert (payload["Key"], payload["Force"], payload["Adopt"]) == (key, True, True)
    assert payload["Services"][0].startswith("arn:aws:ecs:")
    without_adopt = {k: v for k, v in payload.items() if k != "Adopt"}
    # Terraform's jsonencode sorts keys and adds no spaces.
    assert invocation["triggers"]["payload"] == hashlib.sha256(
        json.dumps(without_adopt, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
