"""The fault suite's `ecs-migrate rollout` scenarios (group `rollout`): many targets in one
cluster, each its own migration (task definition family `tNN`, so its own family lock, and its
own command) pausing its own service `tNN-web` (2 tasks). See faults/README.md.

Registered by `scenarios.py` (`ROLLOUT_SCENARIOS`: name, function, group, expected seconds);
this module imports only the harness at load time, so it can be read on its own.
"""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING, Any

from harness import (STARTED_BY_PREFIX, TENANT_WEB_COUNT, CallRate, Tenant, Tenants, TaskLife, Timeline,
                     rollout_targets, wait_for)

if TYPE_CHECKING:
    from scenarios import Context

ROLLOUT_TIMEOUT = 300  # s: a rollout that should finish without waiting out a lease
TAKEOVER_TIMEOUT = 480  # s: one that may wait out a dead run's lease (2 min + 1 min skew)


def names(count: int) -> list[str]:
    return [f"t{n:02d}" for n in range(count)]


def sleeping(name: str, seconds: int) -> list[str]:
    """A migration of `name` that takes `seconds`."""
    return ["sh", "-c", f"echo {name} start; sleep {seconds}; echo {name} done"]


def short(arn: str | None) -> str:
    return (arn or "-").rsplit("/", 1)[-1][:8]


def tasks_of(timeline: Timeline, tenant: Tenant) -> list[TaskLife]:
    """The tenant's migration tasks: started by ecs-migrate, of its family."""
    return timeline.tasks(STARTED_BY_PREFIX, group=tenant.group)


def running_tasks(timeline: Timeline) -> int:
    """Migration tasks that have reached RUNNING and whose container has not exited yet."""
    return sum(1 for life in timeline.migration_tasks() if life.reached("RUNNING") and life.ended is None)


# ---------------------------------------------------------------------------
# 1. kill -9 mid-rollout, then the same rollout again
# ---------------------------------------------------------------------------

KILL_TARGETS = 6
KILL_CONCURRENCY = 3
# Long enough that every task live at the kill is still live when the re-run reaches it (the
# re-run re-attaches to a live task; one that ended unrecorded would be run again).
KILL_SLEEP = 25


def rollout_kill9_then_rerun(ctx: Context) -> None:
    """A rollout of 6 targets at concurrency 3 killed with SIGKILL once 2 of its migration tasks
    run, then the same rollout again: the re-run exits 0 with every target `succeeded` (or
    `skipped`), re-attaches to each task live at the kill instead of starting a second one (a
    target the killed run held with no task yet waits its lease out: `wait_for_lock` 5m),
    exactly one task per target's migration, each service at 0 during its target's task and
    back at 2, no pause record, no lock left."""
    check = ctx.check
    emu = ctx.emulator()
    tenants = Tenants.create(emu, {name: sleeping(name, KILL_SLEEP) for name in names(KILL_TARGETS)})
    targets = tenants.targets_file(ctx.work, {"timeout": "10m", "wait_for_lock": "5m"})
    argv = tenants.rollout_argv(targets, "--concurrency", str(KILL_CONCURRENCY))
    killed = ctx.run(tenants, "killed", argv)
    wait_for("2 migration tasks to run", lambda: not killed.running or running_tasks(emu.timeline()) >= 2,
             timeout=120, poll=0.02)
    if not check.that(killed.signal(signal.SIGKILL),
                      f"the rollout exited (code {killed.code}) before 2 of its tasks ran"):
        return
    killed.wait(10)
    killed_at = killed.exited_at or time.time()
    at_kill = emu.timeline()
    before = {life.arn: life for life in at_kill.migration_tasks()}
    live = [life for life in before.values() if life.ended is None]
    locks = tenants.locks()
    paused = [t.name for t in tenants.tenants if at_kill.desired_now(t.service) == 0]
    check.figure("live_at_kill", len(live))
    check.figure("left", f"tasks={len(before)} running={running_tasks(at_kill)} locks={len(locks)} "
                         f"paused={len(paused)}")

    rerun = ctx.run(tenants, "rerun", argv)
    rerun.wait(TAKEOVER_TIMEOUT)
    report = check.run_exits(rerun, [0], ["succeeded"])
    entries = rollout_targets(report)
    timeline = emu.timeline()
    check.one_task_per_migration(timeline)
    reattached, started, skipped, waited = 0, 0, 0, []
    for tenant in tenants.tenants:
        entry = entries.get(tenant.name) or {}
        run_report = entry.get("report") or {}
        status = entry.get("status")
        check.that(status in ("succeeded", "skipped"),
                   f"{tenant.name}: status {status!r} in the re-run (expected succeeded or skipped)"
                   f"{': ' + str(run_report.get('error') or run_report.get('reason')) if run_report else ''}")
        lives = tasks_of(timeline, tenant)
        check.that(len(lives) == 1, f"{tenant.name}: {len(lives)} migration tasks ever (expected exactly 1): "
                                    f"{[short(life.arn) for life in lives]}")
        mine = [life for life in lives if life.arn in before]
        if status == "succeeded":
            check.that(run_report.get("exit_code") == 0, f"{tenant.name}: exit_code {run_report.get('exit_code')}")
            if mine:
                reattached += 1
                check.that(run_report.get("task_arn") == mine[0].arn,
                           f"{tenant.name}: the re-run reported task {short(run_report.get('task_arn'))}, not the "
                           f"one live at the kill {short(mine[0].arn)} (no re-attach)")
            else:
                started += 1
        elif status == "skipped":
            skipped += 1
        if tenant.family in locks and not mine:
            waited.append(f"{tenant.name}:{entry.get('elapsed_seconds', 0):.0f}s")
        check.service_paused_during(timeline, tenant.service, lives, f"{tenant.name}: ")
    for life in live:
        check.that(any(life.arn == (e.get("report") or {}).get("task_arn") for e in entries.values()),
                   f"task {short(life.arn)}, live at the kill, is not any target's task in the re-run")
    check.tenants_back(tenants, timeline)
    check.figure("reattached", reattached)
    check.figure("started", started)
    check.figure("skipped", skipped)
    # Targets the killed run held (its lock) with no task yet: the re-run waits their lease out.
    check.figure("lease_waits", ",".join(waited) or "none")
    check.figure("kill_after_s", round(killed_at - killed.started_at, 1))
    check.figure("rerun_s", round(rerun.seconds, 1))


# ---------------------------------------------------------------------------
# 2. SIGINT mid-rollout
# ---------------------------------------------------------------------------

SIGINT_TARGETS = 6
SIGINT_CONCURRENCY = 3
SIGINT_SLEEP = 30


def rollout_sigint(ctx: Context) -> None:
    """SIGINT once the 3 running targets' tasks run (of 6, concurrency 3; migrations of 30 s):
    exit 130, status `interrupted`; each started target's task stopped by StopTask with a reason
    naming ecs-migrate, its container exited before its service was restored, the target
    `interrupted`; the targets never started are `not_started`, with no task and their service's
    count never changed; every service back at 2, no pause record, no lock left."""
    check = ctx.check
    emu = ctx.emulator()
    tenants = Tenants.create(emu, {name: sleeping(name, SIGINT_SLEEP) for name in names(SIGINT_TARGETS)})
    targets = tenants.targets_file(ctx.work, {"timeout": "10m"})
    run = ctx.run(tenants, "run", tenants.rollout_argv(targets, "--concurrency", str(SIGINT_CONCURRENCY)))
    wait_for(f"{SIGINT_CONCURRENCY} migration tasks to run",
             lambda: not run.running or running_tasks(emu.timeline()) >= SIGINT_CONCURRENCY, timeout=120, poll=0.02)
    sent = time.time()
    if not check.that(run.signal(signal.SIGINT), f"the rollout exited (code {run.code}) before the SIGINT"):
        return
    run.wait(ROLLOUT_TIMEOUT)
    exited = run.exited_at or time.time()
    report = check.run_exits(run, [130], ["interrupted"])
    entries = rollout_targets(report)
    timeline = emu.timeline()
    check.one_task_per_migration(timeline)
    started, not_started, restore_after_exit, reasons = [], [], [], set()
    for tenant in tenants.tenants:
        entry = entries.get(tenant.name) or {}
        status = entry.get("status")
        lives = tasks_of(timeline, tenant)
        if not lives:
            not_started.append(tenant.name)
            check.that(status == "not_started" and entry.get("report") is None,
                       f"{tenant.name}: no task, but status {status!r} (expected not_started, report null)")
            counts = [c for _, c in timeline.desired_counts(tenant.service)]
            check.that(counts == [TENANT_WEB_COUNT],
                       f"{tenant.name} never started, but {tenant.service}'s desired count changed: {counts}")
            continue
        started.append(tenant.name)
        check.that(len(lives) == 1, f"{tenant.name}: {len(lives)} migration tasks (expected 1)")
        check.that(status == "interrupted", f"{tenant.name}: status {status!r} (expected interrupted)")
        for life in lives:
            check.that(life.ended is not None and life.ended <= exited,
                       f"{tenant.name}: task {short(life.arn)}'s container had not exited when the rollout exited")
            task = tenants.task(life.arn)
            reason = task.get("stoppedReason", "")
            check.that(task.get("stopCode") == "UserInitiated" and "ecs-migrate" in reason,
                       f"{tenant.name}: task {short(life.arn)} stopped with {task.get('stopCode')}: {reason!r} "
                       "(expected StopTask with a reason naming ecs-migrate)")
            reasons.add(reason)
            restored = next((t for t, c in timeline.desired_counts(tenant.service) if t > life.first and c != 0), None)
            if check.that(restored is not None, f"{tenant.name}: {tenant.service} was never restored"):
                if life.ended is not None:
                    check.that(restored > life.ended,
                               f"{tenant.name}: {tenant.service} restored {life.ended - restored:.2f} s before its "
                               "migration container exited")
                    restore_after_exit.append(restored - life.ended)
        check.service_paused_during(timeline, tenant.service, lives, f"{tenant.name}: ")
    check.that(len(started) == SIGINT_CONCURRENCY,
               f"{len(started)} targets started (expected {SIGINT_CONCURRENCY}: the SIGINT came once they ran)")
    check.tenants_back(tenants, timeline)
    check.figure("started", len(started))
    check.figure("not_started", len(not_started))
    check.figure("sigint_to_exit_s", round(exited - sent, 2))
    if restore_after_exit:
        check.figure("restore_after_exit_s", f"{min(restore_after_exit):.2f}-{max(restore_after_exit):.2f}")
    check.figure("stopped_reason", " | ".join(repr(r)[:60] for r in sorted(reasons)))


# ---------------------------------------------------------------------------
# 3. a rollout under the throttling storm
# ---------------------------------------------------------------------------

STORM_TARGETS = 8
STORM_CONCURRENCY = 4
STORM_FAILING = "t05"
STORM_LINES = 4
STORM_ROLLOUT_SEED = 21
# s: as long as `throttling_storm` waits. Under these faults the rollout has taken 3.5-9.5 min
# (see faults/README.md "Time": its targets share the process's SDK retry quota, which runs out).
STORM_TIMEOUT = 900


def storm_migration(name: str, code: int) -> list[str]:
    """Prints STORM_LINES lines, runs 2 s, exits `code`."""
    return ["sh", "-c", f"for i in $(seq 1 {STORM_LINES}); do echo {name} line $i; done; sleep 2; exit {code}"]


def rollout_under_throttling(ctx: Context) -> None:
    """8 targets at concurrency 4 (`--max-failures 0`), one whose container exits 3, under the
    throttling storm's faults (30 % throttling and 5 % server errors on every ECS, Logs, Auto
    Scaling and SSM call, half of RunTask's answers and 30 % of PutParameter's lost), seeded:
    exit 1, status `failed`; the failing target `failed` with exit_code 3 (its true verdict,
    never an AWS error), the other 7 `succeeded`, each with its 4 log lines and one task; every
    service back at 2, no lock left; and faults were injected."""
    from scenarios import STORM_FAULTS  # the storm `throttling_storm` configures

    check = ctx.check
    emu = ctx.emulator()
    tenants = Tenants.create(emu, {name: storm_migration(name, 3 if name == STORM_FAILING else 0)
                                   for name in names(STORM_TARGETS)})
    targets = tenants.targets_file(ctx.work, {"timeout": "10m"})
    argv = tenants.rollout_argv(targets, "--concurrency", str(STORM_CONCURRENCY), "--max-failures", "0")
    emu.configure(faults=STORM_FAULTS, seed=STORM_ROLLOUT_SEED)  # after the fixtures
    rate = CallRate(emu)  # the suite makes no ECS call while the rollout runs
    run = ctx.run(tenants, "run", argv)
    run.wait(STORM_TIMEOUT)
    rate.stop()
    faults = emu.calls()["faults"]
    emu.configure(faults={})  # the suite's own checks below run without faults
    report = check.run_exits(run, [1], ["failed"])
    entries = rollout_targets(report)
    timeline = emu.timeline()
    check.one_task_per_migration(timeline)
    paused_after: list[tuple[float, str]] = []  # (container exit -> service set back, target)
    for tenant in tenants.tenants:
        entry = entries.get(tenant.name) or {}
        run_report = entry.get("report") or {}
        expected, code = ("failed", 3) if tenant.name == STORM_FAILING else ("succeeded", 0)
        check.that(entry.get("status") == expected and run_report.get("exit_code") == code,
                   f"{tenant.name}: status {entry.get('status')!r}, exit_code {run_report.get('exit_code')} "
                   f"(expected {expected}, {code}){': ' + str(run_report.get('error')) if run_report.get('error') else ''}")
        check.that(run_report.get("log_lines") == STORM_LINES,
                   f"{tenant.name}: log_lines {run_report.get('log_lines')}, expected {STORM_LINES}")
        lives = tasks_of(timeline, tenant)
        check.that(len(lives) == 1, f"{tenant.name}: {len(lives)} migration tasks (expected 1)")
        check.service_paused_during(timeline, tenant.service, lives, f"{tenant.name}: ")
        for life in lives:
            restored = next((t for t, c in timeline.desired_counts(tenant.service) if t > life.first and c != 0), None)
            if restored is not None and life.ended is not None:
                paused_after.append((restored - life.ended, tenant.name))
    check.tenants_back(tenants, timeline)
    injected = sum(faults.values())
    check.that(injected > 0, "no fault was injected (the scenario would prove nothing)")
    peak, span = rate.peak()
    check.figure("faults_injected", injected)
    check.figure("lost_run_task", faults.get("ecs:RunTask:lost_response", 0))
    check.figure("counts", ",".join(f"{k}={v}" for k, v in sorted((report.get("counts") or {}).items())))
    check.figure("run_s", round(run.seconds, 1))
    if paused_after:
        # A figure, not a check: how long a service stayed at 0 after its migration's container
        # exited (the slowest target), mostly waiting for RunTask's answer (see faults/README.md):
        # with the ECS client's own retry bucket (docs/aws-semantics.md row 28) 157-210 s, where
        # the shared one gave 75-484 s. Too timing-dependent for a bound.
        longest, name = max(paused_after)
        check.figure("paused_after_exit_max_s", f"{longest:.0f}({name})")
        check.figure("paused_after_exit_median_s", f"{sorted(p for p, _ in paused_after)[len(paused_after) // 2]:.0f}")
    check.figure("ecs_calls", rate.total)
    check.figure("ecs_per_s", round(rate.total / rate.seconds, 1) if rate.seconds else "-")
    check.figure("ecs_peak_1s", f"{peak}/{span:.2f}s")


ROLLOUT_SCENARIOS: list[tuple[str, Any, str, float]] = [
    ("rollout_kill9_then_rerun", rollout_kill9_then_rerun, "rollout", 200),
    ("rollout_under_throttling", rollout_under_throttling, "rollout", 400),
    ("rollout_sigint", rollout_sigint, "rollout", 30),
]
