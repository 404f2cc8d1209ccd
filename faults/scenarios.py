"""The fault-suite's scenarios: one function per safety property, named after what it proves.

Each takes a `Context` (its own temp directory, a `Check` to collect problems and figures) and
starts its own emulators. See faults/README.md for what each one proves.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness import CLUSTER, FAMILY, App, Check, Emulator, LeaseWatch, Run, Timeline, WEB_COUNT, start_together, wait_for

# Migrations (the container's command, as `-- COMMAND...`).
FOUR_SECONDS = ["sh", "-c", "echo start; sleep 4; echo done"]
SIX_SECONDS = ["sh", "-c", "echo start; sleep 6; echo done"]
THIRTY_SECONDS = ["sh", "-c", "echo start; sleep 30; echo done"]
FIVE_THOUSAND_LINES = ["sh", "-c", "seq 1 5000; exit 0"]

RUN_TIMEOUT = 240  # s: a run that should finish promptly
TAKEOVER_TIMEOUT = 480  # s: a run that must wait out a dead run's lease (2 min + 1 min skew)


@dataclass
class Context:
    name: str
    work: Path
    check: Check = field(default_factory=Check)
    informational: bool = False
    emulators: list[Emulator] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)

    def emulator(self, config: dict[str, Any] | None = None) -> Emulator:
        emu = Emulator(self.work, f"emulator-{len(self.emulators) + 1}", config)
        self.emulators.append(emu)
        self.check.logs.append(emu.log)
        return emu

    def run(self, app: App, name: str, argv: list[str]) -> Run:
        run = Run(app, self.work, name, argv)
        self.runs.append(run)
        self.check.logs.append(run.log)
        return run

    def together(self, app: App, argvs: dict[str, list[str]]) -> dict[str, Run]:
        runs = start_together(app, self.work, argvs)
        self.runs.extend(runs.values())
        self.check.logs.extend(r.log for r in runs.values())
        return runs

    def close(self) -> None:
        """Kills the runs still running (a scenario that gave up), then stops the emulators."""
        for run in self.runs:
            if run.signal(signal.SIGKILL):
                self.check.problems.append(f"{run.name} was still running at the end of the scenario (killed)")
        for emu in self.emulators:
            emu.stop()


def short(arn: str | None) -> str:
    return (arn or "-").rsplit("/", 1)[-1][:8]


# ---------------------------------------------------------------------------
# 1. the same migration, three runs at once
# ---------------------------------------------------------------------------


def concurrent_same_migration(ctx: Context) -> None:
    """Three runs of one migration started at the same instant start ONE task, all report its
    verdict, and `web` stays at 0 for the task's whole life and comes back to 2."""
    check = ctx.check
    emu = ctx.emulator()
    app = App.create(emu)
    argv = app.migrate_argv(FOUR_SECONDS)
    runs = ctx.together(app, {f"run{i}": argv for i in (1, 2, 3)})
    for run in runs.values():
        run.wait(RUN_TIMEOUT)
    reports = {name: check.run_exits(run, [0], ["succeeded", "skipped"]) for name, run in runs.items()}
    timeline = emu.timeline()
    tasks = timeline.migration_tasks()
    check.that(len(tasks) == 1, f"{len(tasks)} migration tasks started (expected exactly 1): "
                                f"{[short(t.arn) for t in tasks]}")
    for name, report in reports.items():
        if report.get("status") == "succeeded" and tasks:
            check.that(report.get("task_arn") == tasks[0].arn,
                       f"{name} reported task {short(report.get('task_arn'))}, not the one task {short(tasks[0].arn)}")
            check.that(report.get("log_lines") == 2, f"{name}: log_lines {report.get('log_lines')}, expected 2")
    check.web_paused_during(timeline, tasks)
    check.web_back(app, timeline)
    check.that(app.lock() is None, f"the lock is left on the cluster: {app.lock()}")
    check.figure("tasks", len(tasks))
    check.figure("statuses", ",".join(str(r.get("status")) for r in reports.values()))
    check.figure("slowest_run_s", round(max(r.seconds for r in runs.values()), 1))


# ---------------------------------------------------------------------------
# 2. two migrations of one app
# ---------------------------------------------------------------------------


def migration(label: str) -> list[str]:
    return ["sh", "-c", f"echo migration {label}; sleep 3; echo {label} done"]


def two_migrations_serialised(ctx: Context) -> None:
    """A second migration of the same app started 1.5 s after the first (which holds the lock by
    then) waits for it: their tasks never overlap, `web` is at 0 during each. Under eventual
    consistency: DescribeServices shows the old `desiredCount` for 2 s after UpdateService, and
    a new task is MISSING for 0.5 s, so the second run, reading `web` right after the first put
    it back, must not record the paused count as its "before" count (`web` ends at 2)."""
    check = ctx.check
    emu = ctx.emulator()
    app = App.create(emu)
    emu.configure(stale_desired_count_seconds=2, describe_lag_seconds=0.5)
    first = ctx.run(app, "first", app.migrate_argv(migration("A")))
    # The scenario is "1.5 s apart"; on a loaded machine the first run may not hold the lock yet
    # by then, which is the same-instant case below: wait for the lock too, and say so.
    wait_for("the first run to take the lock", app.lock, timeout=60, poll=0.02)
    lock_after = time.time() - first.started_at
    time.sleep(max(0.0, 1.5 - (time.time() - first.started_at)))
    second = ctx.run(app, "second", app.migrate_argv(migration("B")))
    first.wait(RUN_TIMEOUT)
    second.wait(RUN_TIMEOUT)
    check.run_exits(first, [0], ["succeeded"])
    check.run_exits(second, [0], ["succeeded"])
    timeline = emu.timeline()
    per = check.one_task_per_migration(timeline)
    check.that(len(per) == 2, f"{len(per)} migrations ran tasks (expected 2)")
    lives = timeline.migration_tasks()
    if len(lives) == 2:
        check.that(not lives[0].overlaps(lives[1]),
                   f"the two migrations' tasks overlapped: {short(lives[1].arn)} created "
                   f"{lives[0].ended and lives[1].first - lives[0].ended:.2f} s after {short(lives[0].arn)} ended")
        if lives[0].ended:
            check.figure("gap_s", round(lives[1].first - lives[0].ended, 2))
    check.web_paused_during(timeline, lives)
    check.web_back(app, timeline)
    check.that(app.lock() is None, f"the lock is left on the cluster: {app.lock()}")
    check.figure("lock_taken_after_s", round(lock_after, 2))
    check.figure("second_started_after_s", round(second.started_at - first.started_at, 2))


def two_migrations_same_instant(ctx: Context) -> None:
    """(Informational) Two different migrations of one app started at the same instant: the tag
    lock is not compare-and-swap, so they may overlap. Required all the same: each migration
    runs at most one task, each run succeeds or exits 5 (`locked`) without a task, `web` is
    back at 2."""
    ctx.informational = True
    check = ctx.check
    emu = ctx.emulator()
    app = App.create(emu)
    runs = ctx.together(app, {"first": app.migrate_argv(migration("A")), "second": app.migrate_argv(migration("B"))})
    for run in runs.values():
        run.wait(RUN_TIMEOUT)
    timeline = emu.timeline()
    commands = [app.command_of(life.arn) for life in timeline.migration_tasks()]
    for run in runs.values():
        # Exit 5 is a run that lost the same-instant race and found out before RunTask
        # (`Lease::check`); it must not have started a task.
        report = check.run_exits(run, [0, 5], ["succeeded", "error"])
        if run.code == 5:
            check.that((report.get("error") or {}).get("kind") == "locked",
                       f"{run.name} exited 5 without a `locked` error")
            check.that(run.command not in commands, f"{run.name} exited 5 (locked) but a task of its migration ran")
    check.figure("exits", ",".join(str(r.code) for r in runs.values()))
    check.one_task_per_migration(timeline)
    lives = timeline.migration_tasks()
    overlapped = len(lives) == 2 and lives[0].overlaps(lives[1])
    check.figure("overlapped", "yes" if overlapped else "no")
    paused = Check()
    paused.web_paused_during(timeline, lives)
    check.figure("web_paused_during_both", "yes" if not paused.problems else f"no ({paused.problems[0]})")
    check.web_back(app, timeline)
    check.that(app.lock() is None, f"the lock is left on the cluster: {app.lock()}")


S3_BUCKET = "locks"
S3_LOCK = f"s3://{S3_BUCKET}/suite"
S3_KEY = f"suite/{CLUSTER}/{FAMILY}.json"
# Every S3 call draws from the fault RNG: throttled (503 SlowDown), failed (500), or carried out
# with its answer lost (500), as a lock write whose answer is lost after S3 wrote it.
S3_FAULTS = {"s3": {"throttle": 0.15, "server_error": 0.05, "lost_response": 0.15}}


def s3_lock_serialises_migrations_under_s3_faults(ctx: Context) -> None:
    """Three different migrations of one app started at the same instant with `--lock s3://…`,
    while S3 throttles, fails and loses answers to carried-out writes (seeded): exactly one holds
    the app at a time, so their tasks never overlap; each exits 0 (a run that lost the race
    waits, `--wait-for-lock 10m`), `web` is at 0 during each task and back at 2, and the lock
    object is gone at the end. A lost answer to a lock write must not make a run take itself for
    another (it would wait out its own lease) nor two runs both hold the app."""
    check = ctx.check
    emu = ctx.emulator()
    app = App.create(emu)
    app.aws.s3.create_bucket(Bucket=S3_BUCKET)
    emu.configure(faults=S3_FAULTS, seed=3)
    extra = ("--lock", S3_LOCK, "--wait-for-lock", "10m")
    runs = ctx.together(app, {label: app.migrate_argv(migration(label), *extra) for label in "ABC"})
    for run in runs.values():
        run.wait(RUN_TIMEOUT)
    faults = {k: v for k, v in emu.calls()["faults"].items() if k.startswith("s3")}
    emu.configure(faults={})
    for run in runs.values():
        check.run_exits(run, [0], ["succeeded"])
    timeline = emu.timeline()
    per = check.one_task_per_migration(timeline)
    check.that(len(per) == 3, f"{len(per)} migrations ran tasks (expected 3)")
    lives = timeline.migration_tasks()
    for i, a in enumerate(lives):
        for b in lives[i + 1:]:
            check.that(not a.overlaps(b), f"migration tasks {short(a.arn)} and {short(b.arn)} overlapped")
    check.web_paused_during(timeline, lives)
    check.web_back(app, timeline)
    try:
        app.aws.s3.get_object(Bucket=S3_BUCKET, Key=S3_KEY)
        check.that(False, f"the lock object s3://{S3_BUCKET}/{S3_KEY} is left at the end")
    except app.aws.s3.exceptions.NoSuchKey:
        pass
    check.that(app.lock() is None, f"a lock tag is on the cluster: {app.lock()}")
    check.that(sum(faults.values()) > 0, "no S3 fault was injected (the scenario would prove nothing)")
    by_kind: dict[str, int] = {}
    for key, count in faults.items():  # "s3:PUT /locks/suite/app/app.json:lost_response"
        _, request, kind = key.split(":")
        name = f"{request.split()[0]}:{kind}"
        by_kind[name] = by_kind.get(name, 0) + count
    # Which calls drew which faults depends on timing (the RNG is shared by every call), so the
    # lost lock writes are a figure; the orchestration test
    # `a_lost_answer_to_taking_the_s3_lock_is_recognised_by_the_runs_own_nonce` makes one on demand.
    check.figure("s3_faults", ",".join(f"{k}={v}" for k, v in sorted(by_kind.items())))
    check.figure("seconds", ",".join(f"{r.seconds:.0f}" for r in runs.values()))


# ---------------------------------------------------------------------------
# 3. kill -9 at each phase, then re-run
# ---------------------------------------------------------------------------


def _lock_taken(app: App, emu: Emulator) -> bool:
    return app.lock() is not None


def _draining(app: App, emu: Emulator) -> bool:
    return emu.timeline().desired_now() == 0


def _task_reached(status: str) -> Callable[[App, Emulator], bool]:
    def reached(app: App, emu: Emulator) -> bool:
        return any(t.reached(status) for t in emu.timeline().migration_tasks())
    return reached


KILL_PHASES: dict[str, Callable[[App, Emulator], bool]] = {
    "locked": _lock_taken,
    "draining": _draining,
    "task_running": _task_reached("RUNNING"),
    "task_stopped": _task_reached("STOPPED"),
}


def _state(app: App, timeline: Timeline) -> str:
    """What a killed run left: the lock, a pause record on web, web's desired count, the
    migration task's status, an outcome record."""
    tasks = timeline.migration_tasks()
    task = tasks[-1].events[-1][1] if tasks else "none"
    record = any(k.startswith("ecs-migrate:") for k in app.tags(app.service_arn))
    return (f"lock={'yes' if app.lock() else 'no'} record={'yes' if record else 'no'} "
            f"web={timeline.desired_now()} task={task} outcome={'yes' if app.outcomes() else 'no'}")


def kill9_then_rerun(ctx: Context, phase: str) -> None:
    """A run killed with SIGKILL at `phase`, then the same command again: the re-run finishes the
    job (exit 0), attaches to a live task instead of starting a second one, never restores `web`
    while a migration task is live, and leaves `web` at 2."""
    check = ctx.check
    emu = ctx.emulator()
    app = App.create(emu)
    argv = app.migrate_argv(SIX_SECONDS, "--wait-for-lock", "5m")
    killed = ctx.run(app, "killed", argv)
    reached = KILL_PHASES[phase]
    wait_for(f"the run to reach {phase}", lambda: not killed.running or reached(app, emu), timeout=120, poll=0.005)
    if not check.that(killed.signal(signal.SIGKILL),
                      f"the run exited (code {killed.code}) before it could be killed at {phase}"):
        return
    killed.wait(10)
    at_kill = emu.timeline()
    first_tasks = at_kill.migration_tasks()
    outcome_recorded = bool(app.outcomes())
    check.figure("left", _state(app, at_kill))

    rerun = ctx.run(app, "rerun", argv)
    rerun.wait(TAKEOVER_TIMEOUT)
    report = check.run_exits(rerun, [0], ["succeeded", "skipped"])
    timeline = emu.timeline()
    # After a kill once the task had stopped, a second task is allowed only if the first one's
    # outcome was not recorded (the re-run cannot know it succeeded).
    allowed = 1 if outcome_recorded or phase != "task_stopped" else 2
    per = check.one_task_per_migration(timeline, {m: allowed for m in timeline.per_migration()})
    lives = timeline.migration_tasks()
    if phase == "task_running" and first_tasks:
        check.that(report.get("task_arn") == first_tasks[0].arn,
                   f"the re-run reported task {short(report.get('task_arn'))}, not the live one "
                   f"{short(first_tasks[0].arn)} (no re-attach)")
    if report.get("status") == "succeeded":
        check.that(report.get("exit_code") == 0, f"the re-run's exit_code is {report.get('exit_code')}")
    check.web_paused_during(timeline, lives)
    check.web_back(app, timeline)
    if report.get("status") != "skipped":
        check.that(app.lock() is None, f"the lock is left on the cluster: {app.lock()}")
    check.figure("rerun", f"{report.get('status')}/{rerun.seconds:.0f}s")
    check.figure("tasks", sum(len(v) for v in per.values()))
    if phase == "task_stopped":
        check.figure("outcome_recorded_at_kill", "yes" if outcome_recorded else "no")
        check.figure("second_task", "yes" if len(lives) > 1 else "no")


def kill9_at_locked(ctx: Context) -> None:
    kill9_then_rerun(ctx, "locked")


def kill9_at_draining(ctx: Context) -> None:
    kill9_then_rerun(ctx, "draining")


def kill9_at_task_running(ctx: Context) -> None:
    kill9_then_rerun(ctx, "task_running")


def kill9_at_task_stopped(ctx: Context) -> None:
    kill9_then_rerun(ctx, "task_stopped")


# ---------------------------------------------------------------------------
# 4. SIGINT
# ---------------------------------------------------------------------------


def sigint_stops_task_then_restores(ctx: Context) -> None:
    """SIGINT while the migration task runs: exit 130 `interrupted`, the task stopped (by
    ecs-migrate, with its reason), `web` restored only after the task's STOPPED."""
    check = ctx.check
    emu = ctx.emulator()
    app = App.create(emu)
    run = ctx.run(app, "run", app.migrate_argv(THIRTY_SECONDS))
    wait_for("the migration task to run",
             lambda: not run.running or _task_reached("RUNNING")(app, emu), timeout=120, poll=0.02)
    sent = time.time()
    if not check.that(run.signal(signal.SIGINT), f"the run exited (code {run.code}) before the SIGINT"):
        return
    run.wait(RUN_TIMEOUT)
    check.run_exits(run, [130], ["interrupted"])
    timeline = emu.timeline()
    lives = timeline.migration_tasks()
    check.that(len(lives) == 1, f"{len(lives)} migration tasks (expected 1)")
    for life in lives:
        check.that(life.ended is not None and life.ended <= (run.exited_at or time.time()),
                   f"the migration task {short(life.arn)}'s container had not exited when the run exited")
        task = app.task(life.arn)
        check.that(task.get("stopCode") == "UserInitiated" and "ecs-migrate" in task.get("stoppedReason", ""),
                   f"the task stopped with {task.get('stopCode')}: {task.get('stoppedReason')!r} "
                   "(expected StopTask with a reason naming ecs-migrate)")
        check.figure("stopped_reason", repr(task.get("stoppedReason", ""))[:60])
        if life.stopped:
            restored = next((t for t, c in timeline.desired_counts() if t > life.first and c != 0), None)
            if restored:
                check.figure("restored_after_stop_s", round(restored - life.stopped, 2))
    check.web_paused_during(timeline, lives)
    check.web_back(app, timeline)
    check.that(app.lock() is None, f"the lock is left on the cluster: {app.lock()}")
    check.figure("sigint_to_exit_s", round((run.exited_at or time.time()) - sent, 2))


# ---------------------------------------------------------------------------
# 5. a throttling storm
# ---------------------------------------------------------------------------

STORM = {"throttle": 0.3, "server_error": 0.05}
STORM_FAULTS = {"ecs": STORM, "logs": STORM, "application-autoscaling": STORM, "ssm": STORM,
                "ecs:RunTask": dict(STORM, lost_response=0.5),
                "ssm:PutParameter": dict(STORM, lost_response=0.3)}
STORM_SEED = 5


def _lines(label: str, n: int, then: str) -> list[str]:
    return ["sh", "-c", f"i=1; while [ $i -le {n} ]; do echo {label} line $i; i=$((i+1)); done; {then}"]


def throttling_storm_gives_true_verdicts(ctx: Context) -> None:
    """Under 30 % throttling and 5 % server errors on every ECS, Logs, Auto Scaling and SSM call
    (and half of RunTask's responses lost, 30 % of PutParameter's: the outcome record): every run gives the migration's true verdict (never exit 3),
    one task per run, every log line, `web` back at 2. Four runs (three that succeed, one whose
    container exits 3), each in its own emulator with its own seed, at once: under the storm a
    run takes up to a minute (see faults/README.md), one after another would take four times that."""
    check = ctx.check
    # (name, command, exit status, JSON status, container exit code, log lines)
    plan = [(f"ok{n}", _lines(f"storm{n}", 8, "exit 0"), 0, "succeeded", 0, 8) for n in (1, 2, 3)]
    plan.append(("fail", _lines("failing", 4, "exit 3"), 1, "failed", 3, 4))
    apps = []
    for _ in plan:  # emulators and fixtures first, so that the runs start together
        emu = ctx.emulator()
        apps.append(App.create(emu))
    runs, leases = [], []
    for n, (app, (name, command, *_)) in enumerate(zip(apps, plan)):
        app.emulator.configure(faults=STORM_FAULTS, seed=STORM_SEED + n)  # after the fixtures
        runs.append(ctx.run(app, name, app.migrate_argv(command)))
        leases.append(LeaseWatch(app))
    seconds, latencies, margins, injected, lost = [], [], [], 0, 0
    for app, run, lease, (name, _, code, status, exit_code, lines) in zip(apps, runs, leases, plan):
        emu = app.emulator
        run.wait(900)
        samples = lease.stop()
        seconds.append(f"{run.seconds:.0f}")
        report = check.run_exits(run, [code], [status])
        check.that(report.get("exit_code") == exit_code,
                   f"{name}: exit_code {report.get('exit_code')} in the JSON, expected {exit_code}")
        check.that(report.get("log_lines") == lines, f"{name}: log_lines {report.get('log_lines')}, expected {lines}")
        faults = emu.calls()["faults"]
        injected += sum(faults.values())
        lost += faults.get("ecs:RunTask:lost_response", 0)
        emu.configure(faults={})  # the suite's own checks below run without faults
        timeline = emu.timeline()
        lives = timeline.migration_tasks()
        check.that(len(lives) == 1, f"{name}: {len(lives)} migration tasks (expected 1)")
        if lives and lives[0].stopped and run.exited_at:
            latencies.append(f"{run.exited_at - lives[0].stopped:.0f}")
        check.web_paused_during(timeline, lives, f"{name}: ")
        check.web_back(app, timeline)
        check.that(app.lock() is None, f"{name}: the lock is left on the cluster: {app.lock()}")
        # A live run's lease must not expire (no renewal for over 2 minutes) while no task of
        # its migration is live: a run whose clock is ahead by the allowed minute of skew would
        # take the app over from it; one more minute and any run would.
        if samples:
            margins.append(f"{min(m for _, m in samples):.0f}")
        expired = [(t, m) for t, m in samples if m < 0 and not any(life.live_at(t) for life in lives)]
        check.that(not expired, f"{name}: the live run's lease had expired, with no migration task live, at "
                                f"{len(expired)} of {len(samples)} looks (by up to {-min(m for _, m in expired or [(0, 0)]):.0f} s; "
                                "takeover comes 60 s after expiry): its renewals did not get through for over 2 min")
    check.figure("faults_injected", injected)
    check.figure("lost_run_task", lost)
    check.figure("run_s", ",".join(seconds))
    check.figure("stopped_to_exit_s", ",".join(latencies))
    check.figure("lease_min_s", ",".join(margins))


# ---------------------------------------------------------------------------
# 6. lost RunTask responses
# ---------------------------------------------------------------------------

# Only RunTask draws from the fault RNG here, so a seed fixes the sequence of lost responses:
# seed 1 loses the first response, seed 9 the first three (see random.Random(seed).random()).
LOST_SEEDS = {1: 1, 9: 3}


def lost_run_task_responses_start_one_task(ctx: Context) -> None:
    """RunTask processed but its response lost (a 500 after the task started): the retry with
    the same clientToken gets the same task back, so the run succeeds with exactly one task."""
    check = ctx.check
    figures = []
    for seed, lost in LOST_SEEDS.items():
        emu = ctx.emulator({"faults": {"ecs:RunTask": {"lost_response": 0.5}}, "seed": seed})
        app = App.create(emu)
        run = ctx.run(app, f"seed{seed}", app.migrate_argv(["sh", "-c", "echo migrated"]))
        run.wait(RUN_TIMEOUT)
        report = check.run_exits(run, [0], ["succeeded"])
        calls = emu.calls()
        got = calls["faults"].get("ecs:RunTask:lost_response", 0)
        check.that(got == lost, f"seed {seed}: {got} lost RunTask responses, expected {lost} (the seed no longer "
                                "gives the faults this scenario is about)")
        tasks = emu.timeline().migration_tasks()
        check.that(len(tasks) == 1, f"seed {seed}: {len(tasks)} migration tasks after {got} lost responses "
                                    "(expected exactly 1)")
        if tasks:
            check.that(report.get("task_arn") == tasks[0].arn, f"seed {seed}: reported another task")
        figures.append(f"seed{seed}:lost={got},RunTask={calls['calls'].get('ecs:RunTask', 0)},tasks={len(tasks)}")
        emu.stop()
    check.figure("runs", " ".join(figures))


# ---------------------------------------------------------------------------
# 7. log lag
# ---------------------------------------------------------------------------


def every_log_line_despite_lag(ctx: Context, lag_ms: int, settle: str | None = None) -> None:
    """With CloudWatch ingestion lag `lag_ms` and 30 % empty pages, a migration that prints 5,000
    lines and exits at once: the report counts all 5,000 and its tail ends with `5000`. The rule
    held: no line is lost while the settle window (`--log-settle`, default 1 s; `settle` when
    given) is longer than the lag."""
    check = ctx.check
    emu = ctx.emulator({"log_lag_ms": lag_ms, "log_empty_page_rate": 0.3, "seed": 11})
    app = App.create(emu)
    extra = ["--log-settle", settle] if settle else []
    run = ctx.run(app, "run", app.migrate_argv(FIVE_THOUSAND_LINES, *extra, services=False))
    run.wait(RUN_TIMEOUT)
    report = check.run_exits(run, [0], ["succeeded"])
    check.that(report.get("log_lines") == 5000, f"log_lines {report.get('log_lines')}, expected 5000")
    tail = report.get("log_tail") or []
    check.that(tail[-1:] == ["5000"], f"log_tail ends with {tail[-1:]}, expected ['5000']")
    check.that(tail == [str(i) for i in range(5001 - len(tail), 5001)],
               f"log_tail is not the last {len(tail)} lines in order: {tail[:3]}...{tail[-3:]}")
    lives = emu.timeline().migration_tasks()
    if lives and lives[0].stopped and run.exited_at:
        check.figure("stopped_to_exit_s", round(run.exited_at - lives[0].stopped, 2))
    check.figure("GetLogEvents", emu.calls()["calls"].get("logs:GetLogEvents", 0))


def log_lag_0ms(ctx: Context) -> None:
    every_log_line_despite_lag(ctx, 0)


def log_lag_700ms(ctx: Context) -> None:
    every_log_line_despite_lag(ctx, 700)


def log_lag_1000ms(ctx: Context) -> None:
    every_log_line_despite_lag(ctx, 1000, settle="1500ms")


def log_lag_2000ms(ctx: Context) -> None:
    every_log_line_despite_lag(ctx, 2000, settle="2500ms")


# ---------------------------------------------------------------------------
# 8. tag limits
# ---------------------------------------------------------------------------

MUTATING = ("ecs:TagResource", "ecs:UntagResource", "ecs:UpdateService", "ecs:RunTask", "ecs:StopTask",
            "application-autoscaling:RegisterScalableTarget")


def full_cluster_tags_refused_before_any_change(ctx: Context) -> None:
    """A cluster already carrying 50 user tags cannot take the lock tag: the run exits 2 naming
    the tag limit, before changing anything (no mutating call, no task, `web` untouched)."""
    check = ctx.check
    emu = ctx.emulator()
    app = App.create(emu, cluster_tags=50)
    before = emu.calls()["calls"]
    run = ctx.run(app, "run", app.migrate_argv(FOUR_SECONDS))
    run.wait(RUN_TIMEOUT)
    report = check.run_exits(run, [2], ["error"])
    message = (report.get("error") or {}).get("message", "")
    check.that("tag" in message.lower() and "50" in message, f"the message does not name the tag limit: {message!r}")
    after = emu.calls()["calls"]
    changed = {op: after.get(op, 0) - before.get(op, 0) for op in MUTATING if after.get(op, 0) != before.get(op, 0)}
    check.that(not changed, f"mutating calls were made: {changed}")
    timeline = emu.timeline()
    check.that(not timeline.migration_tasks(), "a migration task was started")
    check.that([c for _, c in timeline.desired_counts()] == [WEB_COUNT],
               f"web's desired count changed: {timeline.desired_counts()}")
    check.that(not app.ecs_migrate_tags(), f"ecs-migrate tags were written: {app.ecs_migrate_tags()}")
    check.that(app.web()["runningCount"] == WEB_COUNT, "web no longer runs 2 tasks")
    check.figure("kind", (report.get("error") or {}).get("kind"))
    check.figure("message", repr(message[:90]))


# ---------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Context], None]
    group: str
    expected_s: float  # rough, for scheduling the longest first


# ---------------------------------------------------------------------------
# 9. Fargate's teardown under throttling
# ---------------------------------------------------------------------------

TEARDOWN_SECONDS = 10


def teardown_under_throttling(ctx: Context) -> None:
    """A 4 s migration whose task then tears down for 10 s (`task_teardown_seconds`), with 30 %
    throttling and 5 % server errors on every call: the run exits 0; `web` is paused from the
    task's creation to its container's exit (never restored while the migration runs) and back
    at 2; one task. How long before STOPPED `web` came back is a figure, not a check: under the
    storm a throttled poll may back off past the 10 s teardown (the promptness itself is proven
    without faults: orchestration `teardown.rs`, integration `teardown::*`, the benchmark)."""
    check = ctx.check
    emu = ctx.emulator({"task_teardown_seconds": TEARDOWN_SECONDS, "seed": 13})
    app = App.create(emu)
    emu.configure(faults=STORM_FAULTS, seed=13)  # after the fixtures
    run = ctx.run(app, "run", app.migrate_argv(FOUR_SECONDS))
    run.wait(RUN_TIMEOUT)
    emu.configure(faults={})  # the suite's own checks below run without faults
    check.run_exits(run, [0], ["succeeded"])
    wait_for("the migration task to reach STOPPED",
             lambda: all(life.stopped for life in emu.timeline().migration_tasks()),
             timeout=TEARDOWN_SECONDS * 6)
    timeline = emu.timeline()
    lives = timeline.migration_tasks()
    check.one_task_per_migration(timeline)
    for life in lives:
        if life.stopped is None or life.ended is None:
            continue
        restored = next((t for t, c in timeline.desired_counts() if t > life.first and c != 0), None)
        if restored is not None:
            check.figure("restored_before_stopped_s", round(life.stopped - restored, 2))
        if run.exited_at:
            check.figure("exit_after_container_s", round(run.exited_at - life.ended, 2))
    check.web_paused_during(timeline, lives)
    check.web_back(app, timeline)
    check.figure("faults_injected", sum(emu.calls()["faults"].values()))


SCENARIOS = [
    Scenario("kill9_at_locked", kill9_at_locked, "kill9_at_each_phase", 200),
    Scenario("kill9_at_draining", kill9_at_draining, "kill9_at_each_phase", 200),
    Scenario("kill9_at_task_stopped", kill9_at_task_stopped, "kill9_at_each_phase", 200),
    Scenario("kill9_at_task_running", kill9_at_task_running, "kill9_at_each_phase", 30),
    Scenario("throttling_storm", throttling_storm_gives_true_verdicts, "throttling_storm", 420),
    Scenario("concurrent_same_migration", concurrent_same_migration, "concurrent_same_migration", 20),
    Scenario("two_migrations_serialised", two_migrations_serialised, "two_migrations", 25),
    Scenario("two_migrations_same_instant", two_migrations_same_instant, "two_migrations", 20),
    Scenario("s3_lock_under_s3_faults", s3_lock_serialises_migrations_under_s3_faults, "two_migrations", 40),
    Scenario("sigint", sigint_stops_task_then_restores, "sigint", 20),
    Scenario("lost_run_task_responses", lost_run_task_responses_start_one_task, "lost_run_task_responses", 25),
    Scenario("log_lag_0ms", log_lag_0ms, "log_lag", 15),
    Scenario("log_lag_700ms", log_lag_700ms, "log_lag", 15),
    Scenario("log_lag_1000ms", log_lag_1000ms, "log_lag", 15),
    Scenario("log_lag_2000ms", log_lag_2000ms, "log_lag", 15),
    Scenario("tag_limits", full_cluster_tags_refused_before_any_change, "tag_limits", 10),
    Scenario("teardown_under_throttling", teardown_under_throttling, "teardown", 40),
]

# The rollout scenarios (group `rollout`): faults/rollout_scenarios.py.
from rollout_scenarios import ROLLOUT_SCENARIOS  # noqa: E402

SCENARIOS += [Scenario(name, run, group, expected_s) for name, run, group, expected_s in ROLLOUT_SCENARIOS]
