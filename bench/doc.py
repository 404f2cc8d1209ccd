"""docs/benchmarks.md, rendered by bench/run.py from one run's results.

The tables and every number come from the run; the prose around them is here. A target that is
missed gets its explanation (why, and what it would take) from MISSED below, filled in with that
run's numbers, so the document never claims a target the table does not show.
"""

from __future__ import annotations

from typing import Any

import run


def render(table: str, detail: str, calls: str, misses: list[str], facts: dict[str, Any], meta: dict[str, Any],
           errors: list[str]) -> str:
    m = meta["machine"]
    plan = meta["plan"]
    versions = ", ".join(v if v.startswith(k) else f"{k} {v}" for k, v in meta["versions"].items())
    runs_per_tool = sum(plan["migrations"].values())
    out = [f"""# Benchmarks

ecs-migrate against what users do today, on the same migrations, in one run of `scripts/bench`
against the local emulated ECS ([emulator/README.md](../emulator/README.md)). AWS is not reachable
from this machine; what the emulator does not model (network latency to AWS, throttling, Fargate's
real start and stop times) is listed under [Caveats](#caveats).

- **Date:** {meta['date']}{' — a `--quick` smoke run: the numbers are not meaningful' if meta['quick'] else ''}
- **Machine:** `{m['uname']}`; {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM; load average
  {m['load']} when it started. The machine is shared (another engineer builds Rust on it), so
  absolute times are noisy: compare the tools *within* the table, where every ratio comes from
  the same run, the tools taking turns on each migration.
- **Command:** `{meta['command']}` (from the repository root; it took {meta['elapsed'] / 60:.1f} min after the build)
- **Versions:** {versions}
- **Emulator:** {meta['timings']['default']} (its defaults) for everything; a second emulator with
  {meta['timings']['fargate']} ("Fargate-like") for the second pause/restore comparison.
"""]
    if errors:
        out.append("**Invalid runs** (left out of every number below):\n\n" + "\n".join(f"- {e}" for e in errors) + "\n")

    out.append(f"""## Results

{table}

Values are ecs-migrate's and the two baselines' (see [What runs](#what-runs)); a multiple in
parentheses is that baseline's value ÷ ecs-migrate's. The target and met? columns are about
ecs-migrate. p95 is nearest-rank: with fewer than 20 runs it is the largest.
""")

    out.append("## Targets\n")
    out.append(target_summary(misses, facts))
    for key in misses:
        explain = MISSED.get(key)
        if explain:
            out.append(explain(facts, meta))
        else:
            out.append(f"### MISSED: {key}\n\nNo explanation was written for this; see the tables.\n")

    out.append(f"""## Per migration length

Each of the {runs_per_tool} migrations runs `sh -c "echo …; sleep S; echo migrated"` with
S = base length + a phase offset, and each tool runs the same S. The offsets are spread evenly over
0–6 s (one per stratum, shuffled, fixed seed), so the migrations end at every phase of a 6 s
waiter period and of ecs-migrate's 1.2 s poll, instead of at the one phase that whole-second sleeps
would give every run. The task lifetime is ECS's createdAt → stoppedAt: it includes the emulated
provisioning and deprovisioning (0.3 s).

{detail}

## The API calls of one run

Counted at the emulator (one run per scenario; the longest migration for the three tools):

{calls}

ecs-migrate's fixed calls, once per run: DescribeClusters, DescribeTaskDefinition (resolution);
ListTagsForResource ×4 (the outcome records on the task definition: run-once; the lock on the
cluster when taking it, again right before RunTask to be sure it is still this run's, and before
releasing it), TagResource on the cluster (the lock, renewed every 30 s), ListTasks (a live task
of this same migration to attach to), RunTask, TagResource on the task definition (the outcome
record) and UntagResource (the lock released). With `--service`, per service: its tags read
again before it is restored. Then one DescribeTasks every 1.2 s and one GetLogEvents a second
while the task runs, and the log stream read to its end after STOPPED. The baselines make RunTask, one DescribeTasks every
6 s, and one more for the exit code; they show no logs (users add `aws logs tail --follow` for that,
which polls too).

## What runs

- **ecs-migrate** — the release build (`cargo build --release --bin ecs-migrate`):
  `ecs-migrate run --cluster bench --task-definition bench-migrate:1 --subnets … --security-groups …
  --output json -- sh -c "…"`. It follows the migration's CloudWatch logs (its default); the log
  scenarios use `--output text`, which prints the log lines on stdout.
- **aws CLI script** — [bench/baseline_awscli.sh](../bench/baseline_awscli.sh): `aws ecs run-task` →
  `aws ecs wait tasks-stopped` (the waiter's defaults: every 6 s, 100 attempts) →
  `aws ecs describe-tasks --query` for the migration container's exit code. Three `aws` processes.
- **boto3 script** — [bench/baseline_boto3.py](../bench/baseline_boto3.py): `run_task`, the
  `tasks_stopped` waiter (defaults: every 6 s, 100 attempts), `describe_tasks` for the exit code.
- **Fleet-style script** — [bench/baseline_fleet.sh](../bench/baseline_fleet.sh), Fleet's sequence
  with the AWS CLI waiters: `aws ecs update-service --desired-count 0` for each service →
  `aws ecs wait services-stable` (every 15 s) → `run-task` → `wait tasks-stopped` (every 6 s) →
  `describe-tasks` (exit code) → `update-service --desired-count N` for each service →
  `wait services-stable`. The counts to restore are given on its command line, so it spends no
  call reading them. ecs-migrate runs the same migration with `--service app --service worker`.
- **Fixtures** ([bench/fixtures.py](../bench/fixtures.py)): before every measured run the harness
  resets the emulator (`POST /moto-api/reset`) and creates, with boto3, a cluster, the Fargate
  task definition `bench-migrate` (awslogs), and for the pause/restore flow two services, `app`
  (2 tasks) and `worker` (1 task), waited for until their tasks run. Every run starts from the same
  state; ecs-migrate's run-once records and lock tags do not carry over.
- **Order:** {plan['coldstart_reps']} rounds of start-up measurements; then the migrations, the
  base lengths {', '.join(f"{b:g} s ×{n}" for b, n in plan['migrations'].items())} interleaved,
  each run by the three tools in turn (the order rotated); then the log scenarios; then the
  pause/restore flow ({plan['fleet_reps']}× with the default timings, {plan['fargate_reps']}× with the
  Fargate-like ones; a {plan['fleet_base']:g} s migration plus a phase offset, the two tools alternating
  who goes first).
- **Emulator timings.** Default: a task spends 0.2 s in PROVISIONING + PENDING and 0.1 s in
  DEPROVISIONING; a scaled-in service task takes 1 s to stop. Fargate-like: 20 s to start
  (image pull, ENI), 10 s from the container's exit to STOPPED, 10 s for a scaled-in service task
  to stop — still faster than Fargate usually is. The emulator's service scheduler acts within
  50 ms in both.

## How each metric is measured

- **Verdict latency:** the tool's exit (when `wait4()` returned it, in
  [bench/maxrss.py](../bench/maxrss.py)) minus the migration task's `stoppedAt` as ECS reports it
  (DescribeTasks, read by the harness after the run; the emulator sets it when the task becomes
  STOPPED, with all its logs in CloudWatch). A run only counts if the task STOPPED, its container
  exited 0 and the tool exited 0 (ecs-migrate: a JSON report `succeeded` naming that task).
- **API calls:** the emulator counts every request by `service:operation`
  (`GET /ecs-emulator/calls`); the harness reads the counters just before spawning the tool and just
  after it exited, so its own calls (fixtures, checks) are not counted. *Per minute of migration*
  and *DescribeTasks per second of migration* are Σ calls ÷ Σ task lifetimes (createdAt →
  stoppedAt) over all the migrations; the least-squares line (calls = a + b × lifetime) splits a
  tool's DescribeTasks into b per second of migration and a per run.
- **Process start → first AWS request:** on an emptied emulator, the harness takes the time just
  before `Popen` and the emulator records the wall time of the first API request it receives
  (`first_request_at` in `GET /ecs-emulator/calls`, same clock). The request then fails (no
  cluster), which changes nothing before it. This is the part of a Lambda cold start the tool pays
  for (process start, configuration, building clients, the first connection); the Lambda runtime's
  own init is not in it. It includes Python's `Popen` and the `exec` (a few ms: `date +%s.%N`
  spawned the same way reads the clock about 3.5 ms after the harness did), so it overstates every
  tool a little. {plan['coldstart_reps']} runs per tool, interleaved; the first ones also warm the
  page cache.
- **Peak RSS:** `ru_maxrss` of the tool's process tree (`wait4()`), for every run, and the largest
  is shown. Linux carries a process's peak RSS across `exec`, so the tool is forked from a small
  helper ([bench/maxrss.py](../bench/maxrss.py), `python -I -S`) rather than from the harness: a
  value can not be lower than the helper's own, {facts['rss_floor']:.1f} MB (`true` run through it).
  For the shell scripts it is their largest `aws` process.
- **Log lines lost / throughput:** ecs-migrate with `--output text` on migrations that print
  `line 1` … `line {plan['log_lines']:,}`: once written all at once by `seq` (the whole stream is in
  CloudWatch within a second), once paced at {run.PACED_CHUNK:,} lines every {run.PACED_PERIOD:g} s
  ({run.PACED_CHUNK / run.PACED_PERIOD:,.0f} lines/s, so it is read while it grows). The harness
  reads the tool's stdout in chunks of up to 1 MiB through a 1 MiB pipe, timestamps each chunk, and
  checks that every number arrived exactly once and in order. Throughput is lines ÷ time: from the
  first line on stdout to the last (how fast it reads a backlog), and from the task's `startedAt` to
  the last line (end to end, including the first 1.2 s poll). The emulator's own GetLogEvents (moto,
  Python, a new HTTP connection per request) is part of every number.
- **Pause → migrate → restore:** wall time from spawn to exit of the whole run. Also shown: the time
  until both services run their desired tasks again (the harness polls DescribeServices every
  50 ms after the tool exited: ecs-migrate sets the counts back and exits, the script waits for
  `services-stable`), and how many old service tasks were still not STOPPED when the migration task
  was created (from their `stoppedAt` and the migration task's `createdAt`).

## Caveats

- The emulator answers in a few milliseconds over loopback, on a new TCP connection per request
  (Werkzeug); AWS answers in tens of milliseconds over TLS. Every tool pays that on each
  call, so the tools that make more calls (ecs-migrate) look slightly better here than they would
  against AWS; the poll cadences, which dominate the verdict latency, do not change.
- The emulator never throttles, and its DescribeTasks, DescribeServices and GetLogEvents cost the
  same whatever the rate. ECS and CloudWatch Logs limit them per account and region (token buckets
  shared by every pipeline in the account), which is why the calls are counted.
- The aws CLI here is v1 ({meta['versions'].get('aws CLI', '?')}), a Python program; the CLI v2 is a bundled
  binary with a different start-up time. Either way the 6 s and 15 s waiter delays dominate.
- The pause/restore comparison depends on how long tasks take to start and stop, which the
  emulator does not know for a real app: hence the two timings.
""")
    return "\n".join(out)


def target_summary(misses: list[str], facts: dict[str, Any]) -> str:
    keys = [("latency", "Verdict latency p95 ≤ 1.5 s"),
            ("describe", "≤ 1 DescribeTasks per second of migration"),
            ("coldstart", "start → first request ≤ 20 ms (median)"),
            ("rss", "peak RSS ≤ 25 MB"),
            ("loss", "0 log lines lost"),
            ("throughput", "≥ 10,000 log lines/s"),
            ("fleet", "pause/migrate/restore ≤ 0.5× the Fleet-style script (default timings)"),
            ("fargate", "pause/migrate/restore ≤ 0.5× the Fleet-style script (Fargate-like timings)")]
    measured_by = {"latency": f"latency:{run.ECS_MIGRATE}", "describe": f"describe:{run.ECS_MIGRATE}",
                   "coldstart": f"coldstart:{run.ECS_MIGRATE}", "rss": "rss_by_scenario", "loss": "log_loss",
                   "throughput": "log_rates", "fleet": "fleet", "fargate": "fargate"}
    lines = []
    for key, text in keys:
        if any(m.split(":")[0] == key for m in misses):
            verdict = "**MISSED** (below)"
        elif measured_by[key] not in facts:
            verdict = "**not measured** in this run"
        else:
            verdict = "met"
        if key == "coldstart" and verdict == "met":
            cs = facts[measured_by[key]]
            if cs["max"] > run.TARGET_FIRST_REQUEST:
                verdict += (f" (median {cs['p50'] * 1000:.1f} ms; the slowest of the {cs['n']} runs took "
                            f"{cs['max'] * 1000:.1f} ms)")
        lines.append(f"- {text}: {verdict}")
    return "\n".join(lines) + "\n"


def _describe(facts: dict[str, Any], meta: dict[str, Any]) -> str:
    d = facts[f"describe:{run.ECS_MIGRATE}"]
    a, b = d["fit"] if d["fit"] else (float("nan"), float("nan"))
    lat = facts[f"latency:{run.ECS_MIGRATE}"]
    mean_life = d["seconds"] / max(1, sum(meta["plan"]["migrations"].values()))
    est = 1 / 1.2 + 0.5 / mean_life
    return f"""### MISSED: DescribeTasks per second of migration ({d['rate']:.2f} > 1)

**Why.** ecs-migrate polls DescribeTasks every 1.2 s (`POLL` in
`crates/ecs-migrate-core/src/watch.rs`: sleep 1.2 s, DescribeTasks, repeat) from RunTask until it
sees STOPPED: {b:.2f} calls per second of the task's lifetime (createdAt → stoppedAt) by the fit.
The call that sees STOPPED necessarily comes *after* stoppedAt, on average half a poll later, and
it is what brings the verdict: {a:.1f} calls per run on top ({d['calls']} DescribeTasks over
{d['seconds']:.0f} task-seconds here). So the count per second of migration is about
1/1.2 + 0.6 s ÷ the mean lifetime (≈ {est:.2f} for this mix, whose mean lifetime is {mean_life:.1f} s):
above 1 for a mix of migrations that live under about 3.5 s on average.

**What it would take.** A longer poll for the first seconds after RunTask (a task cannot stop
before it has started), or a longer poll overall, which would cost verdict latency (now
{lat['p50']:.2f} s median, {lat['p95']:.2f} s p95 against the 1.5 s target).
"""


def _latency(facts: dict[str, Any], meta: dict[str, Any]) -> str:
    lat = facts[f"latency:{run.ECS_MIGRATE}"]
    return f"""### MISSED: verdict latency ({lat['p95']:.2f} s p95 > 1.5 s): the log settle window, a chosen trade-off

**Why.** CloudWatch shows a log event a moment after it was put (ingestion lag; AWS states no
bound), so the last lines of a migration, the ones that carry its error, can become visible after
the task is STOPPED. ecs-migrate now reads the stream until a read that began the settle window
(`--log-settle`, default 2 s) after the containers stopped (`executionStoppedAt`) finds nothing new
(`crates/ecs-migrate-core/src/log_follower.rs`; docs/aws-semantics.md, row 9). Before that rule
the latency was 0.55 s (p50) and 1.19 s (p95) (commit a3102ca), and a strict emulator lost 1,300 of
5,000 lines at 1.5 s of lag; with it, 0 lines are lost at 0, 1 and 2 s of lag (orchestration test
`lines_that_show_up_after_the_task_stopped_are_still_read`, integration test
`no_line_is_lost_at_two_seconds_of_ingestion_lag`, fault suite `log_lag`). The exit comes
{lat['p50']:.2f} s (p50) after stoppedAt: about the window, which starts at `executionStoppedAt`,
a little before `stoppedAt`. The verdict itself (exit code, stop code) is known at
STOPPED; only the report's log lines wait.

**What it would take.** `--log-settle 0s` gives back the old latency for migrations whose logs
are off or whose last lines do not matter; the "decide at the container's exit" issue moves the
restore of the paused services before this window, so that it costs exit time only, not
downtime (today the restore follows the log read: the pause/restore rows above include it).
"""


def _fleet(key: str, label: str) -> Any:
    def explain(facts: dict[str, Any], meta: dict[str, Any]) -> str:
        f = facts[key]
        own = f["pre_ours"] + f["post_ours"]
        theirs = f["pre_base"] + f["post_base"]
        bound = f["life_base"] / f["wall_base"]
        timing = dict(kv.split("=") for kv in meta["timings"]["default" if key == "fleet" else "fargate"].split(", "))
        drain = float(timing["ECS_EMULATOR_DRAIN_SECONDS"])
        start = float(timing["ECS_EMULATOR_START_DELAY"])
        cli = facts.get(f"coldstart:{run.AWSCLI}", {}).get("p50", 0.4)
        text = f"""### MISSED: pause → migrate → restore, {label} ({f['ratio']:.2f}× > 0.5×)

**Why.** Split at the migration task's createdAt and stoppedAt (medians, s):

| | spawn → RunTask (pause) | task lifetime | stoppedAt → exit (verdict, restore) | wall |
|---|---|---|---|---|
| ecs-migrate | {f['pre_ours']:.1f} | {f['life_ours']:.1f} | {f['post_ours']:.1f} | {f['wall_ours']:.1f} |
| Fleet-style script | {f['pre_base']:.1f} | {f['life_base']:.1f} | {f['post_base']:.1f} | {f['wall_base']:.1f} |

Both run the same migration task, so its lifetime is in both wall times; only what lies around it
can differ. ecs-migrate spends {own:.1f} s there, the script {theirs:.1f} s: (own + lifetime) ÷
(theirs + lifetime) is ≤ 0.5 only for migration tasks that live at most theirs − 2 × own =
{theirs - 2 * own:.1f} s, and this one lived {f['life_ours']:.1f} s. Even a tool that spent nothing
around the task would be at {bound:.2f}× ({f['life_base']:.1f} ÷ {f['wall_base']:.1f}).
Most of ecs-migrate's {f['pre_ours']:.1f} s before RunTask is waiting for the old service tasks to be
STOPPED (a scaled-in task takes {drain:g} s to stop here; ecs-migrate checks every 1 s): that is the
point of pausing. The script does not wait for that: `services-stable` only compares `runningCount`
("the number of tasks … in the RUNNING state") with `desiredCount`, and a stopping task stops
counting as soon as it leaves RUNNING (in the emulator within 50 ms of `update-service`), so
the script's `services-stable` after the scale-down passes at its first call: it reaches RunTask
{f['pre_base']:.1f} s after it started, four `aws` start-ups. """
        if f["overlap_base"]:
            n = f["overlap_base"]
            text += f"""Its migration task started with up to {n} old service task{'s' if n > 1 else ''} not
yet STOPPED (ecs-migrate's: {f['overlap_ours']}).
"""
        else:
            text += f"""Here the old tasks happened to have stopped by the time its `run-task` (one more `aws`
start-up later) created the migration task; with a longer drain they would not have.
"""
        if key == "fleet":
            text += f"""With the default timings the script's waiters hardly wait either: new service tasks run
{start:g} s after `update-service`, before the restore's `services-stable` makes its first call, so
its cost around the task is its nine `aws` start-ups (~{cli:.1f} s each here) and the 6 s cadence of
`tasks-stopped`.

**What it would take.** Nothing in ecs-migrate's code: its own time around the task is the drain
wait plus {f['post_ours']:.1f} s after stoppedAt. The target needs the task's lifetime to be short next to
what the script spends around it ({theirs:.1f} s here), i.e. migrations of a second or two, or real
service start times (next row, and production, where Fargate tasks take 20–60 s to start and
`services-stable` waits in 15 s steps). Not waiting for the old tasks to stop would save about
{drain:g}–{drain + 1:g} s but would run the migration next to the old code — what the pause is for.
Checking the drain every 0.25 s instead of every 1 s (`DRAIN_POLL` in
`crates/ecs-migrate-core/src/service_pause.rs`) would save about 0.4 s on average, at 4 more calls
a second while draining.
"""
        else:
            text += f"""Here the script does wait on the way back: new service tasks take {start:g} s to start, so its last
`services-stable` waits in 15 s steps, while ecs-migrate sets the counts back and exits (both
services were running again {f['back_ours']:.1f} s after ecs-migrate started, {f['back_base']:.1f} s after the script did).

**What it would take.** Nothing in ecs-migrate's code that keeps the pause safe: its own time around
the task is the drain wait plus {f['post_ours']:.1f} s. Without the drain wait it would be at about
{(f['wall_ours'] - drain) / f['wall_base']:.2f}×, with the old code running beside the migration.
"""
        return text

    return explain


def _generic(name: str) -> Any:
    def explain(facts: dict[str, Any], meta: dict[str, Any]) -> str:
        detail = {k: v for k, v in facts.items() if k.startswith(name)}
        return f"""### MISSED: {name}

This target was met when this document was written; this run missed it ({detail or 'see the table'}).
The machine is shared: re-run `scripts/bench`, and if it stays missed, profile the release binary
(`strace -f -tt`, `perf record`, `valgrind --tool=massif`) on the scenario in question.
"""

    return explain


MISSED = {
    "describe": _describe,
    "fleet": _fleet("fleet", "default timings"),
    "fargate": _fleet("fargate", "Fargate-like timings"),
    "latency": _latency,
    "coldstart": _generic("coldstart"),
    "rss": _generic("rss"),
    "loss": _generic("log_loss"),
    "throughput": _generic("log_rates"),
}
