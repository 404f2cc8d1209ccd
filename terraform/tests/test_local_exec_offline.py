"""The local-exec module's command line, offline: what it hands to ecs-migrate (argv and the
ECS_MIGRATE_* environment) and its trigger, through a stand-in binary that records them
(fixtures/offline-local-exec: Fleet's call, and a call with a vuln service and every
addition). No emulator."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import clean_env
from tfrun import Result, Workspace

pytestmark = pytest.mark.group("d")

# The caller's own ECS_MIGRATE_* settings, in Terraform's environment: none may reach the run.
CALLERS_OWN = {"ECS_MIGRATE_DRY_RUN": "true", "ECS_MIGRATE_FORCE": "true", "ECS_MIGRATE_LAUNCH_TYPE": "EC2",
               "ECS_MIGRATE_ENV": "SECRET=x", "ECS_MIGRATE_LOCK": "s3://callers-own-locks"}
TRIGGERS_KEY = hashlib.sha256(b'{"migrations":"h1","seed":"s1"}').hexdigest()


@dataclass
class Offline:
    apply: Result
    fleet: dict | None  # what the stand-in recorded of each call
    more: dict | None
    state: dict | None  # `terraform show -json`
    ws: Workspace

    def env(self, call: str) -> dict:
        recorded = getattr(self, call)
        assert recorded is not None, f"the stand-in recorded nothing of module.{call}\n" + self.apply.describe()
        return recorded["env"]

    def triggers(self, call: str) -> list:
        assert self.state is not None, "no `terraform show -json`"
        return [r["values"]["triggers_replace"] for c in self.state["values"]["root_module"]["child_modules"]
                for r in c["resources"] if c["address"] == f"module.{call}" and r["type"] == "terraform_data"]


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@pytest.fixture(scope="module")
def offline(tree, plugin_dir) -> Offline:
    ws = Workspace(tree.parent / "offline", None, clean_env(), plugin_dir, dir=tree / "tests/fixtures/offline-local-exec")
    res = ws.init()
    if res.rc != 0:
        pytest.fail("init the offline configuration\n" + res.describe())
    res = ws.apply(env=CALLERS_OWN)
    shown = ws.run("show", "-json")
    state = json.loads(shown.out) if shown.rc == 0 else None
    return Offline(res, read_json(ws.dir / "fleet.json"), read_json(ws.dir / "more.json"), state, ws)


@pytest.fixture(scope="module")
def reapplied(offline) -> tuple[Result, bool]:
    """A second apply, nothing changed: its result, and whether the stand-in ran again."""
    for name in ("fleet.json", "more.json"):
        (offline.ws.dir / name).unlink(missing_ok=True)
    res = offline.ws.apply()
    ran = (offline.ws.dir / "fleet.json").exists() or (offline.ws.dir / "more.json").exists()
    return res, ran


def values(env: dict, *keys: str) -> list:
    return [env.get(k) for k in keys]


def test_offline_apply_of_two_module_calls_with_the_stand_in_succeeds(offline):
    assert offline.apply.rc == 0, offline.apply.describe()
    assert offline.fleet is not None and offline.more is not None, "the stand-in ran for both calls"


def test_argv_is_ecs_migrate_run_no_shell(offline):
    offline.env("fleet")
    assert offline.fleet["argv"] == ["run"]


def test_fleet_call_passes_cluster_task_definition_family_and_revision(offline):
    assert values(offline.env("fleet"), "ECS_MIGRATE_CLUSTER", "ECS_MIGRATE_TASK_DEFINITION", "ECS_MIGRATE_REVISION") == [
        "arn:aws:ecs:eu-west-1:123456789012:cluster/fleet", "fleet", "7"]


def test_fleet_call_places_the_task_as_fleets_addon_did(offline):
    """FARGATE, no public IP: no launch type, capacity provider, public IP or service to copy them from."""
    assert values(offline.env("fleet"), "ECS_MIGRATE_FROM_SERVICE", "ECS_MIGRATE_LAUNCH_TYPE",
                  "ECS_MIGRATE_CAPACITY_PROVIDER", "ECS_MIGRATE_ASSIGN_PUBLIC_IP") == ["", "", "", ""]


def test_fleet_call_has_no_key_no_force_no_adopt(offline):
    assert values(offline.env("fleet"), "ECS_MIGRATE_KEY", "ECS_MIGRATE_FORCE", "ECS_MIGRATE_ADOPT") == ["", "", ""]


def test_fleet_call_passes_subnets_and_security_groups_as_comma_lists(offline):
    assert values(offline.env("fleet"), "ECS_MIGRATE_SUBNETS", "ECS_MIGRATE_SECURITY_GROUPS") == [
        "subnet-0123abcd,subnet-4567cdef", "sg-0123abcd"]


def test_fleet_call_pauses_at_0_not_min_capacity_and_restores_at_desired_count(offline):
    assert values(offline.env("fleet"), "ECS_MIGRATE_SERVICE", "ECS_MIGRATE_MIN_CAPACITY",
                  "ECS_MIGRATE_DESIRED_COUNT") == ["fleet", "0", "2"]


def test_fleet_call_runs_fleet_prepare_db_in_the_fleet_container_as_a_json_array(offline):
    env = offline.env("fleet")
    assert [env.get("ECS_MIGRATE_CONTAINER"), json.loads(env.get("ECS_MIGRATE_COMMAND"))] == [
        "fleet", ["fleet", "prepare", "db"]]


def test_fleet_call_default_timeout_provider_region_text_output(offline):
    """timeout_seconds = 3600 (the default), the provider's region, text output."""
    assert values(offline.env("fleet"), "ECS_MIGRATE_TIMEOUT", "ECS_MIGRATE_REGION", "ECS_MIGRATE_OUTPUT") == [
        "3600s", "eu-west-1", "text"]


def test_fleet_call_sets_nothing_else(offline):
    assert sorted(k for k, v in offline.env("fleet").items() if v) == [
        "ECS_MIGRATE_CLUSTER", "ECS_MIGRATE_COMMAND", "ECS_MIGRATE_CONTAINER", "ECS_MIGRATE_DESIRED_COUNT",
        "ECS_MIGRATE_MIN_CAPACITY", "ECS_MIGRATE_OUTPUT", "ECS_MIGRATE_REGION", "ECS_MIGRATE_REVISION",
        "ECS_MIGRATE_SECURITY_GROUPS", "ECS_MIGRATE_SERVICE", "ECS_MIGRATE_SUBNETS", "ECS_MIGRATE_TASK_DEFINITION",
        "ECS_MIGRATE_TIMEOUT"]


def test_triggers_key_is_sha256_of_the_sorted_json_and_force_and_adopt_pass_through(offline):
    """ECS_MIGRATE_KEY is sha256 of the map as JSON (keys sorted); force and adopt_revision (= the revision)."""
    assert values(offline.env("more"), "ECS_MIGRATE_KEY", "ECS_MIGRATE_FORCE", "ECS_MIGRATE_ADOPT") == [
        TRIGGERS_KEY, "true", "true"]


def test_vuln_service_pauses_both_restores_each_at_its_own_count_at_paused_count(offline):
    """Both paused, each back at its own count (no --desired-count), at paused_count."""
    env = offline.env("more")
    assert [env.get("ECS_MIGRATE_SERVICE"), env.get("ECS_MIGRATE_DESIRED_COUNT", "unset"),
            env.get("ECS_MIGRATE_MIN_CAPACITY")] == ["fleet,fleet-vuln", "", "1"]


def test_additions_no_limit_keep_paused_assume_role_external_id_extra_environment(offline):
    assert values(offline.env("more"), "ECS_MIGRATE_TIMEOUT", "ECS_MIGRATE_KEEP_PAUSED_ON_FAILURE",
                  "ECS_MIGRATE_ASSUME_ROLE_ARN", "ECS_MIGRATE_ASSUME_ROLE_SESSION_NAME", "ECS_MIGRATE_EXTERNAL_ID",
                  "ECS_MIGRATE_WAIT_FOR_LOCK") == [
        "0", "true", "arn:aws:iam::123456789012:role/deploy", "fleet-migrate", "x-1", "10m"]


def test_revisionless_task_definition_arn_and_revision_go_separately(offline):
    assert values(offline.env("more"), "ECS_MIGRATE_TASK_DEFINITION", "ECS_MIGRATE_REVISION") == [
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/fleet", "8"]


def test_command_reaches_ecs_migrate_verbatim_and_container_null_is_blank(offline):
    """$HOME unexpanded; container = null is sent blank."""
    env = offline.env("more")
    assert [json.loads(env["ECS_MIGRATE_COMMAND"]), env["ECS_MIGRATE_CONTAINER"]] == [
        ["sh", "-c", "echo $HOME; exit 3"], ""]


def test_callers_own_ecs_migrate_settings_are_blanked(offline):
    """The caller's ECS_MIGRATE_DRY_RUN, _FORCE, _LAUNCH_TYPE, _ENV and _LOCK are blanked (ecs-migrate takes blank as unset)."""
    assert values(offline.env("fleet"), *CALLERS_OWN) == [""] * len(CALLERS_OWN)


def test_lock_is_passed_as_ecs_migrate_lock_only_when_set(offline):
    """`lock` set: ECS_MIGRATE_LOCK is it; not set (Fleet's call): blank, the tag lock."""
    assert [offline.env("more").get("ECS_MIGRATE_LOCK"), offline.env("fleet").get("ECS_MIGRATE_LOCK")] == [
        "s3://my-locks/ecs-migrate", ""]


def test_module_sets_or_blanks_every_setting_of_ecs_migrate_run_help(offline, ecs_migrate_bin):
    """Every ECS_MIGRATE_* of `ecs-migrate run --help` is set or blanked: a flag added to
    ecs-migrate and not to the module fails here. (ECS_MIGRATE_KEY, ECS_MIGRATE_ADOPT and
    ECS_MIGRATE_LOCK may be missing from an ecs-migrate built before they existed; any other
    difference fails.)"""
    out = subprocess.run([str(ecs_migrate_bin), "run", "--help"], capture_output=True, text=True, check=True).stdout
    documented = sorted(set(re.findall(r"ECS_MIGRATE_[A-Z_]*", out)))
    env = offline.env("fleet")
    newer = {"ECS_MIGRATE_KEY", "ECS_MIGRATE_ADOPT", "ECS_MIGRATE_LOCK"}
    assert sorted(set(env) - (newer - set(documented))) == documented


def test_fleet_call_triggers_on_the_revision_alone_as_fleets_null_resource_did(offline):
    """(So a moved block needs no re-run.)"""
    assert offline.triggers("fleet") == [{"task_definition_revision": "7"}]


def test_a_different_container_or_command_is_part_of_the_trigger(offline):
    assert [sorted(t) for t in offline.triggers("more")] == [["command", "container", "force", "key",
                                                              "task_definition_revision"]]


def test_trigger_holds_the_key_of_triggers_and_nothing_of_adopt_revision(offline):
    """The key is the same as ECS_MIGRATE_KEY."""
    assert [[t["key"], [k for k in t if "adopt" in k]] for t in offline.triggers("more")] == [[TRIGGERS_KEY, []]]


def test_reapply_with_nothing_changed_does_not_run_ecs_migrate(reapplied):
    res, ran = reapplied
    assert res.rc == 0 and "Resources: 0 added, 0 changed, 0 destroyed" in res.out and not ran, res.describe()
