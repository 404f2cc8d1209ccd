"""terraform/examples/local-exec applied end to end against the emulator (an emulator of its
own: the checks count its RunTask calls): a migration runs while the service is paused and the
service comes back; a re-apply runs nothing; a new task definition revision runs again, with
auto scaling suspended and restored; a forced re-run of a revision that already succeeded is
skipped (run once); a failing migration fails the apply and the service still comes back.

Each apply is a module-scoped fixture that depends on the one before (so they run in order,
whichever tests are selected) and keeps what the emulator held right after it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from conftest import clean_env
from emulated import App, expect_seen, observe_app
from tfrun import Result, Workspace

pytestmark = pytest.mark.group("e")

# The migration command run in the `fleet` container: it prints the version it migrates to
# and fails for the version "broken". `$FLEET_VERSION` must reach the container literally (no
# shell on the Terraform side) and be expanded there.
MIGRATION_COMMAND = ["sh", "-c", 'echo "fleet prepare db: migrating to $FLEET_VERSION"; test "$FLEET_VERSION" != broken']
RAN_ECS_MIGRATE = "terraform_data.migration (local-exec)"


@dataclass
class Step:
    res: Result
    seen: dict  # what the emulator held right after it (emulated.observe_app)


class Example:
    def __init__(self, ws: Workspace, app: App, var_file, url: str):
        self.ws, self.app, self.var_file, self.url = ws, app, var_file, url

    def vars(self, version: str) -> list[str]:
        return ["-var", f"endpoint={self.url}", "-var", f"fleet_version={version}", f"-var-file={self.var_file}"]

    def apply(self, version: str, *extra: str) -> Step:
        res = self.ws.apply(*extra, *self.vars(version))
        return Step(res, self.observe())

    def observe(self) -> dict:
        return observe_app(self.app, "fleet")


@pytest.fixture(scope="module")
def example(own_emulator, session_tmp, bin_dir, plugin_dir) -> Example:
    base = session_tmp / "example-local-exec"
    # ecs-migrate on PATH (the module's default `ecs-migrate`); the endpoint only as the
    # example's variable, as a user gives it.
    ws = Workspace(base, None, clean_env(bin_dir), plugin_dir, at="examples/local-exec")
    var_file = base / "local-exec.tfvars.json"
    var_file.write_text(json.dumps({"migration_command": MIGRATION_COMMAND}))
    res = ws.init()
    if res.rc != 0:
        pytest.fail("init the local-exec example\n" + res.describe())
    return Example(ws, App(own_emulator, "fleet"), var_file, own_emulator.url)


def test_emulator_is_ready(own_emulator):
    """The examples' emulator printed ECS_EMULATOR_READY and answers."""
    assert own_emulator.url.startswith("http://") and isinstance(own_emulator.calls(), dict)


# -- (1) the first apply creates the app and runs the migration for revision 1 ---------------

@pytest.fixture(scope="module")
def apply_1(example) -> Step:
    return example.apply("v1")


def test_apply_1_new_app_revision_1_succeeds(apply_1):
    assert apply_1.res.rc == 0, apply_1.res.describe()


def test_apply_1_shows_the_migrations_own_log_line(apply_1):
    assert re.search(r"fleet prepare db: migrating to v1$", apply_1.res.out, re.M), apply_1.res.describe()


def test_apply_1_passes_the_command_through_no_shell(apply_1):
    """$FLEET_VERSION reached ecs-migrate literally."""
    assert "migrating to $FLEET_VERSION" in apply_1.res.out, apply_1.res.describe()


def test_apply_1_says_it_paused_the_service_from_2_to_0(apply_1):
    assert "paused service fleet: desired count 2 → 0" in apply_1.res.out, apply_1.res.describe()


def test_apply_1_says_it_restored_the_service_to_2(apply_1):
    assert "restored service fleet: desired count 2" in apply_1.res.out, apply_1.res.describe()


def test_apply_1_ran_one_migration_task(apply_1):
    expect_seen(apply_1.seen, "run_task_calls", 1)


def test_apply_1_ran_revision_1(apply_1):
    expect_seen(apply_1.seen, "last_task_definition", "fleet:1")


def test_apply_1_migration_exited_0(apply_1):
    expect_seen(apply_1.seen, "last_exit_code", 0)


def test_apply_1_service_had_launched_its_2_tasks_before_the_migration(apply_1):
    expect_seen(apply_1.seen, "service_tasks_before_migration", 2)


def test_apply_1_paused_the_service_its_2_tasks_were_drained(apply_1):
    expect_seen(apply_1.seen, "service_tasks_stopped_by_scheduler", 2)


def test_apply_1_no_service_task_ran_while_the_migration_ran(apply_1):
    expect_seen(apply_1.seen, "service_tasks_during_migration", 0)


def test_apply_1_restored_the_service_desired_count(apply_1):
    expect_seen(apply_1.seen, "service_desired_count", 2)


def test_apply_1_restored_the_service_2_tasks_wanted_running_again(apply_1):
    expect_seen(apply_1.seen, "service_tasks_wanted_running", 2)


def test_apply_1_left_no_pause_record_on_the_service(apply_1):
    expect_seen(apply_1.seen, "service_record_tags", 0)


# -- (2) a re-apply with nothing changed runs nothing ----------------------------------------
# (Its first re-apply may still update the service once: the emulator does not return
# availabilityZoneRebalancing.)

@pytest.fixture(scope="module")
def apply_2(example, apply_1) -> Step:
    return example.apply("v1")


@pytest.fixture(scope="module")
def plan_2(example, apply_2) -> Result:
    return example.ws.run("plan", "-detailed-exitcode", "-input=false", "-no-color", *example.vars("v1"))


def test_apply_2_nothing_changed_succeeds_without_running_ecs_migrate(apply_2):
    out = apply_2.res.out
    assert (apply_2.res.rc == 0 and RAN_ECS_MIGRATE not in out
            and not re.search(r"terraform_data\.migration: (Creating|Destroying)", out)), apply_2.res.describe()


def test_apply_2_ran_no_task(apply_2):
    expect_seen(apply_2.seen, "run_task_calls", 1)


def test_plan_after_apply_2_shows_no_changes_with_no_ignore_tags(plan_2):
    """No changes, with no ignore_tags (ecs-migrate leaves no tag on what Terraform manages)."""
    assert plan_2.rc == 0, plan_2.describe()


# -- (3) a new task definition revision runs the migration again -----------------------------
# The service now has auto scaling (registered here: the emulator's Application Auto Scaling
# lacks the tagging calls the provider's aws_appautoscaling_target makes).

@pytest.fixture(scope="module")
def apply_3(example, plan_2) -> tuple[Step, dict]:
    example.app.register_scalable_target(2, 4)
    before = example.observe()
    return example.apply("v2"), before


def test_apply_3_revision_2_succeeds_and_runs_the_migration(apply_3):
    step, _ = apply_3
    assert step.res.rc == 0 and re.search(r"fleet prepare db: migrating to v2$", step.res.out, re.M), step.res.describe()


def test_apply_3_ran_one_more_task(apply_3):
    expect_seen(apply_3[0].seen, "run_task_calls", 2)


def test_apply_3_ran_revision_2(apply_3):
    expect_seen(apply_3[0].seen, "last_task_definition", "fleet:2")


def test_apply_3_migration_exited_0(apply_3):
    expect_seen(apply_3[0].seen, "last_exit_code", 0)


def test_apply_3_no_service_task_ran_while_the_migration_ran(apply_3):
    expect_seen(apply_3[0].seen, "service_tasks_during_migration", 0)


def test_apply_3_suspended_auto_scaling_and_restored_it_with_2_register_scalable_target_calls(apply_3):
    step, before = apply_3
    expect_seen(step.seen, "register_scalable_target_calls", before.get("register_scalable_target_calls", 0) + 2)


def test_apply_3_restored_the_scalable_targets_bounds(apply_3):
    expect_seen(apply_3[0].seen, "scalable_target", "2-4")


def test_apply_3_left_auto_scaling_resumed(apply_3):
    expect_seen(apply_3[0].seen, "scaling_suspended", False)


def test_apply_3_restored_the_service(apply_3):
    expect_seen(apply_3[0].seen, "service_desired_count", 2)


def test_output_migrated_task_definition_is_revision_2(example, apply_3):
    assert example.ws.outputs().get("migrated_task_definition") == "fleet:2"


# -- (4) forcing a replacement for the same revision runs ecs-migrate, which finds the ---------
# migration already succeeded: no task, no pause.

@pytest.fixture(scope="module")
def apply_4(example, apply_3) -> tuple[Step, dict]:
    before = example.observe()
    return example.apply("v2", "-replace=module.migrations.terraform_data.migration"), before


def test_apply_4_replace_same_revision_runs_ecs_migrate_which_skips_the_succeeded_migration(apply_4):
    step, _ = apply_4
    out = step.res.out
    assert (step.res.rc == 0 and RAN_ECS_MIGRATE in out
            and "migration skipped: this migration already succeeded" in out), step.res.describe()


def test_apply_4_ran_no_task(apply_4):
    expect_seen(apply_4[0].seen, "run_task_calls", 2)


def test_apply_4_did_not_pause_the_service(apply_4):
    step, before = apply_4
    expect_seen(step.seen, "service_tasks_stopped_by_scheduler", before.get("service_tasks_stopped_by_scheduler", 0))


# -- (5) a revision whose migration exits 1 fails the apply; the service still comes back ----

@pytest.fixture(scope="module")
def apply_5(example, apply_4) -> Step:
    return example.apply("broken")


@pytest.fixture(scope="module")
def plan_5(example, apply_5) -> Result:
    return example.ws.run("plan", "-input=false", "-no-color", *example.vars("broken"))


def test_apply_5_revision_3_failing_migration_fails_the_apply(apply_5):
    assert apply_5.res.rc != 0 and "exited with code 1" in apply_5.res.out, apply_5.res.describe()


def test_apply_5_ran_one_more_task(apply_5):
    expect_seen(apply_5.seen, "run_task_calls", 3)


def test_apply_5_ran_revision_3(apply_5):
    expect_seen(apply_5.seen, "last_task_definition", "fleet:3")


def test_apply_5_migration_exited_1(apply_5):
    expect_seen(apply_5.seen, "last_exit_code", 1)


def test_apply_5_no_service_task_ran_while_the_migration_ran(apply_5):
    expect_seen(apply_5.seen, "service_tasks_during_migration", 0)


def test_apply_5_restored_the_service_after_the_failure(apply_5):
    expect_seen(apply_5.seen, "service_desired_count", 2)


def test_apply_5_restored_auto_scaling_after_the_failure(apply_5):
    expect_seen(apply_5.seen, "scalable_target", "2-4")


def test_apply_5_left_auto_scaling_resumed_after_the_failure(apply_5):
    expect_seen(apply_5.seen, "scaling_suspended", False)


def test_apply_5_left_no_pause_record_on_the_service(apply_5):
    expect_seen(apply_5.seen, "service_record_tags", 0)


def test_after_the_failure_the_next_plan_runs_the_migration_again_resource_tainted(plan_5):
    assert "module.migrations.terraform_data.migration is tainted, so must be replaced" in plan_5.out, plan_5.describe()
