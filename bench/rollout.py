"""The rollout benchmark (issue #16): `ecs-migrate rollout` over many targets, against the same
targets as separate `ecs-migrate run` processes, on the local emulated AWS.

Started by `scripts/bench-rollout` (which sets up the virtualenv and builds the release binary);
run with the virtualenv's Python. Standard library, plus boto3 for the fixtures (bench/fixtures.py).
Not part of bench/run.py (nothing imports run.py): this script starts its own emulators (with the
emulator's default timings) and stops them, and every child process, at the end, on Ctrl-C,
SIGTERM or an error.

    .venv/bin/python bench/rollout.py --binary target/release/ecs-migrate [--quick] [--doc FILE]
        [--targets N] [--concurrency C] [--seconds L] [--only rollout|runs]

1. A fresh emulator; one cluster; N task definition families t000, t001, ... (Fargate, awsvpc,
   awslogs), each a migration that sleeps L s and exits 0; a targets file naming them. One
   `ecs-migrate rollout --targets FILE --cluster bench --subnets S --concurrency C --max-failures 0
   --output json`, through bench/maxrss.py (peak RSS).
2. A fresh emulator, the same fixtures; the same N migrations as N `ecs-migrate run --cluster bench
   --subnets S --task-definition tNNN --output json` processes, C at a time (a pool: the next one
   starts when one exits), each through bench/maxrss.py.

Measured for both: the wall time against the ideal ceil(N/C) x L; ECS calls a second, at peak
(the largest increase of the emulator's ECS call counters over any 1 s window, from polling
GET /ecs-emulator/calls every 0.25 s: the emulator keeps no per-call timeline) and on average;
DescribeTasks per running target per second (DescribeTasks / the sum of the task lifetimes, from
the emulator's timeline: PROVISIONING -> STOPPED); the calls by operation; peak RSS; whether
every target succeeded. Prints a table; with --doc FILE replaces (or appends) the section
`## Rollouts (issue #16)` of that Markdown file and leaves the rest of it as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures  # noqa: E402
from model import p95  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Rollouts (issue #16)"

FULL = {"targets": 200, "concurrency": 20, "seconds": 60.0}
QUICK = {"targets": 12, "concurrency": 4, "seconds": 5.0}

# The targets of issue #16 (the rollout's).
TARGET_WALL_RATIO = 1.15  # wall time <= 1.15 x ceil(N/C) x L
TARGET_RSS_MB = 60.0  # 10^6 bytes
TARGET_ECS_PER_S = 20  # ECS calls in any second, at most

POLL_PERIOD = 0.25  # s between two reads of the emulator's call counters
WINDOW_TICKS = 4  # 4 x 0.25 s: a 1 s window
STOPPED_WAIT = 60.0  # s: how long to wait, after the tool(s) exited, for every task's STOPPED
TERM_GRACE = 30.0  # s: SIGTERM -> SIGKILL for a child still running at the end


def say(message: str) -> None:
    print(f"bench-rollout: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# child processes: started in their own process group, stopped by that group's id
# ---------------------------------------------------------------------------

_LIVE: dict[int, subprocess.Popen] = {}  # pid (= process group id) -> the helper process
_LIVE_LOCK = threading.Lock()
_CLOSING = threading.Event()  # set by stop_children: nothing new starts


def _spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen:
    with _LIVE_LOCK:
        if _CLOSING.is_set():
            raise RuntimeError("stopping: no new process")
        proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
        _LIVE[proc.pid] = proc
    return proc


def _forget(proc: subprocess.Popen) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(proc.pid, None)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_children() -> None:
    """SIGTERM every child's process group (ecs-migrate, like Ctrl-C: it stops its task(s) and
    exits; the maxrss helper dies at once), waits up to TERM_GRACE s for the groups to be gone,
    then SIGKILLs what is left. Only the groups this script started, by their ids."""
    with _LIVE_LOCK:
        _CLOSING.set()
        procs = list(_LIVE.values())
    if not procs:
        return
    say(f"stopping {len(procs)} child process group(s): {', '.join(str(p.pid) for p in procs)}")
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + TERM_GRACE
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))  # reap the helper, else its zombie keeps the group
        except subprocess.TimeoutExpired:
            pass
    while time.monotonic() < deadline and any(_group_alive(p.pid) for p in procs):
        time.sleep(0.2)
    for proc in procs:
        if _group_alive(proc.pid):
            say(f"process group {proc.pid} still there after {TERM_GRACE:.0f} s: SIGKILL")
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        _forget(proc)


# ---------------------------------------------------------------------------
# the emulator (minimal start-up code, as in bench/run.py, which nothing imports)
# ---------------------------------------------------------------------------


class Emulator:
    """One emulator process with its default timings (its own session: stopped by its PID, after
    the tools, so that an interrupted ecs-migrate can still stop its tasks)."""

    def __init__(self, name: str, log: Path) -> None:
        self.name = name
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_EMULATOR_")}
        self._stderr = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "emulator/ecs_emulator.py"), "--port", "0"],
            stdout=subprocess.PIPE, stderr=self._stderr, env=env, cwd=ROOT, start_new_session=True,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 120)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("ECS_EMULATOR_READY "):
            self.stop()
            raise RuntimeError(f"the {name} emulator did not start; see {log}")
        self.url = line.split()[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: it kills its task processes and exits 0
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._stderr.close()

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            return json.loads(response.read())

    def calls(self) -> dict[str, int]:
        return self._get("/ecs-emulator/calls")["calls"]

    def timeline(self) -> list[dict[str, Any]]:
        return self._get("/ecs-emulator/timeline")["events"]


def ecs_total(calls: dict[str, int]) -> int:
    return sum(n for op, n in calls.items() if op.startswith("ecs:"))


def diff_calls(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    out = {op: n - before.get(op, 0) for op, n in after.items()}
    return {op: n for op, n in sorted(out.items()) if n}


class Sampler:
    """Reads the emulator's call counters every POLL_PERIOD s (on a fixed grid of ticks; a late
    read skips the ticks it missed) in a thread, and says how the run is going now and then."""

    def __init__(self, emu: Emulator, label: str, targets: int) -> None:
        self.emu = emu
        self.label = label
        self.targets = targets
        self.samples: list[dict[str, Any]] = []  # {k, sent, got, ecs, run_task, describe_tasks}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.t0 = 0.0
        self.errors = 0

    def start(self) -> None:
        self.t0 = time.time()
        self._sample(0)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self._sample(math.floor((time.time() - self.t0) / POLL_PERIOD) + 1, final=True)

    def _sample(self, k: int, final: bool = False) -> None:
        sent = time.time()
        try:
            calls = self.emu.calls()
        except OSError:
            self.errors += 1
            return
        got = time.time()
        self.samples.append({"k": k, "sent": sent, "got": got, "final": final, "ecs": ecs_total(calls),
                             "run_task": calls.get("ecs:RunTask", 0),
                             "describe_tasks": calls.get("ecs:DescribeTasks", 0)})

    def _loop(self) -> None:
        k, next_report = 1, self.t0 + 15
        while True:
            delay = self.t0 + k * POLL_PERIOD - time.time()
            if self._stop.wait(max(0.0, delay)):
                return
            self._sample(k)
            k = max(k + 1, math.floor((time.time() - self.t0) / POLL_PERIOD) + 1)
            if time.time() >= next_report and self.samples:
                next_report += 15
                s, first = self.samples[-1], self.samples[0]
                recent = [x for x in self.samples if x["got"] >= s["got"] - 15]
                rate = (s["ecs"] - recent[0]["ecs"]) / max(1e-9, s["got"] - recent[0]["got"])
                say(f"{self.label}: {s['got'] - self.t0:.0f} s, RunTask {s['run_task'] - first['run_task']}"
                    f"/{self.targets}, {s['ecs'] - first['ecs']} ECS calls ({rate:.1f}/s over the last 15 s)")

    def series(self, since: float) -> list[list[float]]:
        first = self.samples[0] if self.samples else None
        return [[round((s["sent"] + s["got"]) / 2 - since, 3), s["ecs"] - first["ecs"], s["run_task"] - first["run_task"],
                 s["describe_tasks"] - first["describe_tasks"]] for s in self.samples]

    def peak(self) -> dict[str, Any] | None:
        """The largest increase of the ECS call count between two reads WINDOW_TICKS ticks (1 s)
        apart, with when (relative to t0) and the shortest/longest span such windows really had."""
        by_k = {s["k"]: s for s in self.samples if not s["final"]}
        best: dict[str, Any] | None = None
        spans: list[float] = []
        for k, a in by_k.items():
            b = by_k.get(k + WINDOW_TICKS)
            if b is None:
                continue
            spans.append(b["got"] - a["sent"])
            spans.append(b["sent"] - a["got"])
            calls = b["ecs"] - a["ecs"]
            if best is None or calls > best["calls"]:
                best = {"calls": calls, "from": a["sent"] - self.t0, "to": b["got"] - self.t0}
        if best is not None:
            best["span_min"], best["span_max"] = min(spans), max(spans)
            best["windows"] = len(spans) // 2
        return best


# ---------------------------------------------------------------------------
# one measured ecs-migrate process
# ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str  # the target, or "rollout"
    status: int | None  # exit status (None: killed before its helper could say)
    spawned_at: float
    exited_at: float
    maxrss_kib: int | None
    stdout: str = ""
    report: Any = None  # the parsed JSON document, None if there was none
    stderr_path: str = ""

    @property
    def wall(self) -> float:
        return self.exited_at - self.spawned_at

    @property
    def rss_mb(self) -> float | None:
        return None if self.maxrss_kib is None else self.maxrss_kib * 1024 / 1e6


def measured(name: str, cmd: list[str], env: dict[str, str], work: Path) -> Proc:
    """Runs `cmd` through bench/maxrss.py (its own process group), stdout and stderr to files."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name)
    out_path, err_path, rss_path = (work / f"{slug}.{ext}" for ext in ("stdout", "stderr", "rss"))
    helper = [sys.executable, "-I", "-S", str(ROOT / "bench/maxrss.py"), str(rss_path)]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        spawned_at = time.time()
        proc = _spawn(helper + cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        proc.wait()  # interrupted: it stays in _LIVE, for stop_children
        _forget(proc)
    exited_at, status, maxrss = time.time(), None, None
    if rss_path.exists():
        maxrss_text, status_text, exited_text = rss_path.read_text().split()
        maxrss, status, exited_at = int(maxrss_text), int(status_text), float(exited_text)
    stdout = out_path.read_text(errors="replace")
    try:
        report = json.loads(stdout)
    except ValueError:
        report = None
    return Proc(name, status, spawned_at, exited_at, maxrss, stdout, report, str(err_path))


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


def family(n: int) -> str:
    return f"t{n:03d}"


def migration(n: int, seconds: float) -> list[str]:
    return ["sh", "-c", f"echo 'migrating {family(n)} ({seconds:g} s)'; sleep {seconds:g}; echo 'migrated {family(n)}'; exit 0"]


def create_fixtures(emu: Emulator, targets: int, seconds: float) -> str:
    """The cluster and one task definition family per target; returns the subnet to pass."""
    aws = fixtures.Aws(emu.url)
    aws.ecs.create_cluster(clusterName=fixtures.CLUSTER)
    subnets, _ = fixtures.network(aws)
    for n in range(targets):
        fixtures.register(aws, family(n), {"name": fixtures.CONTAINER, "command": migration(n, seconds)})
    return subnets[0]


def tool_env(work: Path, url: str) -> dict[str, str]:
    """Fake credentials, the emulator's endpoint and region, nothing from ~/.aws or ECS_MIGRATE_*."""
    empty = work / "empty-aws-config"
    empty.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("ECS_MIGRATE_")}
    env.update(
        AWS_ENDPOINT_URL=url, AWS_REGION=fixtures.REGION, AWS_DEFAULT_REGION=fixtures.REGION,
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty), AWS_PAGER="",
    )
    return env


# ---------------------------------------------------------------------------
# the two ways
# ---------------------------------------------------------------------------


@dataclass
class Result:
    way: str  # "rollout" or "runs"
    targets: int
    concurrency: int
    seconds: float
    spawned_at: float
    finished_at: float
    calls: dict[str, int]
    peak: dict[str, Any] | None
    procs: list[dict[str, Any]]  # asdict(Proc) without stdout
    rss_mb: float | None  # the rollout's; the largest run's
    rss_sum_mb: float | None  # runs: the largest sum of the peaks of the processes alive at once
    lifetimes: dict[str, float]  # task ARN -> PROVISIONING -> STOPPED (s)
    first_task_at: float | None  # the first task's PROVISIONING, relative to the spawn
    target_seconds: list[float]  # per target: its own time (rollout: elapsed_seconds; runs: process wall)
    problems: list[str] = field(default_factory=list)
    succeeded: int = 0
    sampler_errors: int = 0
    # the counter reads: [s since the spawn (read's midpoint), ECS calls, RunTask, DescribeTasks] so far
    series: list[list[float]] = field(default_factory=list)
    reported_elapsed: float | None = None  # the rollout document's elapsed_seconds

    @property
    def wall(self) -> float:
        return self.finished_at - self.spawned_at

    @property
    def ideal(self) -> float:
        return math.ceil(self.targets / self.concurrency) * self.seconds

    @property
    def ecs_calls(self) -> int:
        return ecs_total(self.calls)

    @property
    def describe_per_target_s(self) -> float | None:
        total = sum(self.lifetimes.values())
        return self.calls.get("ecs:DescribeTasks", 0) / total if total > 0 else None


def task_lifetimes(emu: Emulator, since: float, expected: int) -> tuple[dict[str, float], float | None, dict[str, Any]]:
    """From the emulator's timeline: each task's PROVISIONING -> STOPPED (waiting up to
    STOPPED_WAIT s for every task's STOPPED), the first PROVISIONING, and each task's container
    exit codes."""
    deadline = time.monotonic() + STOPPED_WAIT
    while True:
        events = [e for e in emu.timeline() if e["t"] >= since]
        created: dict[str, float] = {}
        stopped: dict[str, float] = {}
        exits: dict[str, list[Any]] = {}
        for e in events:
            if e["kind"] == "task":
                if e["status"] == "PROVISIONING":
                    created.setdefault(e["task_arn"], e["t"])
                elif e["status"] == "STOPPED":
                    stopped[e["task_arn"]] = e["t"]
            elif e["kind"] == "container_stopped":
                exits.setdefault(e["task_arn"], []).append(e["exit_code"])
        if (len(created) >= expected and all(a in stopped for a in created)) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    lifetimes = {a: stopped[a] - t for a, t in created.items() if a in stopped}
    first = min(created.values()) - since if created else None
    return lifetimes, first, exits


def check_task(name: str, report: Any, exits: dict[str, list[Any]]) -> str | None:
    """A target's run report must say succeeded, exit code 0, and name a task whose container the
    emulator saw exit 0."""
    if not isinstance(report, dict):
        return f"{name}: no run report"
    if report.get("status") != "succeeded" or report.get("exit_code") != 0:
        return (f"{name}: {report.get('status')} (exit code {report.get('exit_code')}): "
                f"{report.get('reason') or report.get('error')}")
    arn = report.get("task_arn")
    if arn not in exits:
        return f"{name}: its task {arn} never stopped in the emulator's timeline"
    if exits[arn] != [0]:
        return f"{name}: its task's container exit codes in the emulator: {exits[arn]}"
    return None


def bench_rollout(binary: str, n: int, c: int, seconds: float, work: Path, emulators: list[Emulator]) -> Result:
    emu = Emulator("rollout", work / "emulator-rollout.log")
    emulators.append(emu)
    say(f"rollout: emulator at {emu.url}; creating the cluster and {n} task definitions")
    subnet = create_fixtures(emu, n, seconds)
    targets_path = work / "targets.json"
    targets_path.write_text(json.dumps({"defaults": {}, "targets": [
        {"name": family(i), "task_definition": family(i)} for i in range(n)]}, indent=1))
    cmd = [binary, "rollout", "--targets", str(targets_path), "--cluster", fixtures.CLUSTER, "--subnets", subnet,
           "--concurrency", str(c), "--max-failures", "0", "--output", "json"]
    env = tool_env(work, emu.url)
    say(f"rollout: {' '.join(cmd)}")
    sampler = Sampler(emu, "rollout", n)
    before = emu.calls()
    sampler.start()
    try:
        proc = measured("rollout", cmd, env, work)
    finally:
        sampler.stop()
    after = emu.calls()
    lifetimes, first, exits = task_lifetimes(emu, proc.spawned_at, n)
    emu.stop()
    emulators.remove(emu)

    problems: list[str] = []
    report = proc.report
    target_seconds: list[float] = []
    succeeded = 0
    if proc.status != 0:
        problems.append(f"ecs-migrate rollout exited {proc.status} (stderr: {proc.stderr_path})")
    if not isinstance(report, dict):
        problems.append(f"ecs-migrate rollout printed no JSON document: {proc.stdout[:300]!r}")
    else:
        if report.get("status") != "succeeded":
            problems.append(f"rollout status {report.get('status')!r}, counts {report.get('counts')}")
        entries = report.get("targets") or []
        if [t.get("name") for t in entries] != [family(i) for i in range(n)]:
            problems.append(f"the report names {len(entries)} targets, not t000 ... in order")
        arns = set()
        for t in entries:
            bad = None if t.get("status") == "succeeded" else f"{t.get('name')}: target status {t.get('status')!r}"
            bad = bad or check_task(t.get("name"), t.get("report"), exits)
            if bad:
                problems.append(bad)
            else:
                succeeded += 1
            if t.get("elapsed_seconds") is not None:
                target_seconds.append(float(t["elapsed_seconds"]))
            if isinstance(t.get("report"), dict) and t["report"].get("task_arn"):
                arns.add(t["report"]["task_arn"])
        if len(arns) != len(entries):
            problems.append(f"{len(arns)} distinct task ARNs for {len(entries)} targets")
    calls = diff_calls(before, after)
    if calls.get("ecs:RunTask", 0) != n:
        problems.append(f"{calls.get('ecs:RunTask', 0)} RunTask calls for {n} targets")
    record = asdict(proc)
    record.pop("stdout")
    record.pop("report")
    return Result("rollout", n, c, seconds, proc.spawned_at, proc.exited_at, calls, sampler.peak(), [record],
                  proc.rss_mb, None, lifetimes, first, target_seconds, problems, succeeded, sampler.errors,
                  sampler.series(proc.spawned_at),
                  report.get("elapsed_seconds") if isinstance(report, dict) else None)


def bench_runs(binary: str, n: int, c: int, seconds: float, work: Path, emulators: list[Emulator]) -> Result:
    emu = Emulator("runs", work / "emulator-runs.log")
    emulators.append(emu)
    say(f"runs: emulator at {emu.url}; creating the cluster and {n} task definitions")
    subnet = create_fixtures(emu, n, seconds)
    env = tool_env(work, emu.url)
    runs_dir = work / "runs"
    runs_dir.mkdir(exist_ok=True)

    def command(i: int) -> list[str]:
        return [binary, "run", "--cluster", fixtures.CLUSTER, "--subnets", subnet, "--task-definition", family(i),
                "--output", "json"]

    say(f"runs: {n} × {' '.join(command(0))} (…), {c} at a time")
    results: list[Proc | None] = [None] * n
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    state = {"next": 0}

    def worker() -> None:
        while not stop.is_set():
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= n:
                return
            try:
                results[i] = measured(family(i), command(i), env, runs_dir)
            except Exception as err:  # noqa: BLE001 (reported below, and the pool stops)
                with lock:
                    failures.append(f"{family(i)}: {err!r}")
                stop.set()
                return

    sampler = Sampler(emu, "runs", n)
    before = emu.calls()
    sampler.start()
    workers = [threading.Thread(target=worker, daemon=True, name=f"pool-{j}") for j in range(min(c, n))]
    try:
        for w in workers:
            w.start()
        for w in workers:
            while w.is_alive():
                w.join(0.5)
    finally:
        stop.set()
        sampler.stop()
    after = emu.calls()
    procs = [p for p in results if p is not None]
    spawned_at = min((p.spawned_at for p in procs), default=time.time())
    finished_at = max((p.exited_at for p in procs), default=spawned_at)
    lifetimes, first, exits = task_lifetimes(emu, spawned_at, n)
    emu.stop()
    emulators.remove(emu)

    problems = list(failures)
    succeeded = 0
    for i, p in enumerate(results):
        if p is None:
            problems.append(f"{family(i)}: not run")
            continue
        bad = None if p.status == 0 else f"{p.name}: ecs-migrate run exited {p.status} (stderr: {p.stderr_path})"
        bad = bad or check_task(p.name, p.report, exits)
        if bad:
            problems.append(bad)
        else:
            succeeded += 1
    calls = diff_calls(before, after)
    if calls.get("ecs:RunTask", 0) != n:
        problems.append(f"{calls.get('ecs:RunTask', 0)} RunTask calls for {n} targets")
    rss = [p.rss_mb for p in procs if p.rss_mb is not None]
    # the largest sum of peak RSS over the processes alive at one moment (an upper bound of what
    # they held together: each at its own peak)
    moments = sorted([(p.spawned_at, 1, p.rss_mb or 0.0) for p in procs] + [(p.exited_at, 0, p.rss_mb or 0.0) for p in procs])
    alive = best = 0.0
    for _, starting, mb in moments:  # exits sort before spawns at the same instant
        alive += mb if starting else -mb
        best = max(best, alive)
    records = []
    for p in procs:
        record = asdict(p)
        record.pop("stdout")
        record.pop("report")
        records.append(record)
    return Result("runs", n, c, seconds, spawned_at, finished_at, calls, sampler.peak(), records,
                  max(rss) if rss else None, best if rss else None, lifetimes, first,
                  [p.wall for p in procs], problems, succeeded, sampler.errors, sampler.series(spawned_at))


# ---------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = mem = "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return {"platform": platform.platform(), "nproc": str(os.cpu_count()), "cpu": cpu, "memory": mem, "load": load}


def versions(binary: str) -> str:
    try:
        ours = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        ours = "ecs-migrate (version unknown)"
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "crates", "Cargo.toml", "Cargo.lock"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        if dirty:
            ours += ", with uncommitted changes to its Rust sources"
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        moto = importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        moto = "unknown"
    return f"{ours}; Python {platform.python_version()}, moto {moto}"


def rss_floor(work: Path) -> float:
    """ru_maxrss of `true` run through bench/maxrss.py: below this, a peak RSS is the helper's."""
    result = work / "floor.rss"
    subprocess.run([sys.executable, "-I", "-S", str(ROOT / "bench/maxrss.py"), str(result), "true"], check=True)
    return int(result.read_text().split()[0]) * 1024 / 1e6


def fmt(x: float | None, spec: str = ".1f") -> str:
    return "—" if x is None else format(x, spec)


def spread(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.1f} / {p95(values):.1f} / {max(values):.1f}"


def rows(results: dict[str, Result]) -> list[tuple[str, dict[str, str], str, str]]:
    """(metric, value per way, the rollout's target, met?)"""
    out: list[tuple[str, dict[str, str], str, str]] = []
    r = results.get("rollout")

    def met(ok: bool | None) -> str:
        return "—" if ok is None else ("met" if ok else "**missed**")

    def row(metric: str, value, target: str = "", ok: bool | None = None) -> None:
        out.append((metric, {way: value(res) for way, res in results.items()}, target,
                    met(ok) if target and r is not None else ""))

    any_res = next(iter(results.values()))
    n, c, secs = any_res.targets, any_res.concurrency, any_res.seconds
    row("targets succeeded (report, exit code 0, the emulator saw the container exit 0)",
        lambda x: f"{x.succeeded} of {x.targets}" + ("" if not x.problems else f" ({len(x.problems)} problems)"),
        "all", None if r is None else (r.succeeded == r.targets and not r.problems))
    row(f"wall time (s): spawn → exit (runs: first spawn → last exit); ideal = ceil({n}/{c}) × {secs:g} s",
        lambda x: f"{x.wall:.1f} (ideal {x.ideal:.0f})")
    row("wall time ÷ ideal", lambda x: f"{x.wall / x.ideal:.3f}", f"≤ {TARGET_WALL_RATIO}",
        None if r is None else r.wall / r.ideal <= TARGET_WALL_RATIO)
    row("spawn → first task's PROVISIONING (s; the rollout resolves every target first)",
        lambda x: fmt(x.first_task_at, ".2f"))
    if r is not None:
        row("the rollout document's own `elapsed_seconds` (s; from after that resolve)",
            lambda x: fmt(x.reported_elapsed) if x.way == "rollout" else "—")
    row("one target's time beyond its migration (s): target elapsed − L (runs: process wall − L), p50 / p95 / max",
        lambda x: spread([s - x.seconds for s in x.target_seconds]))
    row("ECS calls a second, peak: the most in any 1 s window (0.25 s polls of the call counters)",
        lambda x: "—" if x.peak is None else f"{x.peak['calls']} (at {x.peak['from']:.1f}–{x.peak['to']:.1f} s)",
        f"≤ {TARGET_ECS_PER_S}", None if r is None or r.peak is None else r.peak["calls"] <= TARGET_ECS_PER_S)
    row("ECS calls a second, mean: ECS calls ÷ wall time", lambda x: f"{x.ecs_calls / x.wall:.2f}")
    row("DescribeTasks per running target per second: DescribeTasks ÷ Σ task lifetimes (PROVISIONING → STOPPED)",
        lambda x: f"{fmt(x.describe_per_target_s, '.3f')} ({x.calls.get('ecs:DescribeTasks', 0)} ÷ "
                  f"{sum(x.lifetimes.values()):.0f} s)")
    row("ECS calls: total; per target", lambda x: f"{x.ecs_calls}; {x.ecs_calls / x.targets:.1f}")
    row("all API calls (ECS, CloudWatch Logs, SSM, …): total; per target",
        lambda x: f"{sum(x.calls.values())}; {sum(x.calls.values()) / x.targets:.1f}")
    row("peak RSS (MB = 10⁶ B): the rollout's process; runs: the largest one (Σ of those alive at once, at their peaks)",
        lambda x: fmt(x.rss_mb) + ("" if x.rss_sum_mb is None else f" (Σ ≤ {x.rss_sum_mb:.0f})"),
        f"≤ {TARGET_RSS_MB:.0f} MB", None if r is None or r.rss_mb is None else r.rss_mb <= TARGET_RSS_MB)
    return out


WAY_NAMES = {"rollout": "ecs-migrate rollout", "runs": "separate ecs-migrate runs"}


def render_table(results: dict[str, Result]) -> str:
    ways = list(results)
    n, c = next(iter(results.values())).targets, next(iter(results.values())).concurrency
    heads = [f"`{WAY_NAMES[w]}`" + (f" ({n} processes, {c} at a time)" if w == "runs" else f" (--concurrency {c})")
             for w in ways]
    lines = ["| metric | " + " | ".join(heads) + " | target (rollout) | met? |",
             "|---|" + "---|" * len(ways) + "---|---|"]
    for metric, values, target, ok in rows(results):
        lines.append(f"| {metric} | " + " | ".join(values[w] for w in ways) + f" | {target} | {ok} |")
    return "\n".join(lines)


def render_calls(results: dict[str, Result]) -> str:
    ways = list(results)
    ops = sorted({op for r in results.values() for op in r.calls})
    lines = ["| operation | " + " | ".join(f"`{WAY_NAMES[w]}`" for w in ways) + " |",
             "|---|" + "---|" * len(ways)]
    for op in ops:
        lines.append(f"| {op} | " + " | ".join(str(results[w].calls.get(op, 0)) for w in ways) + " |")
    lines.append("| **total** | " + " | ".join(str(sum(results[w].calls.values())) for w in ways) + " |")
    return "\n".join(lines)


def target_lines(r: Result | None) -> list[str]:
    if r is None:
        return ["- (the rollout was not run: `--only runs`)"]
    ratio = r.wall / r.ideal
    peak = None if r.peak is None else r.peak["calls"]

    def word(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "**missed**")

    all_ok = r.succeeded == r.targets and not r.problems
    return [
        f"- every target succeeded: {word(all_ok)} ({r.succeeded} of {r.targets})",
        f"- wall time ≤ {TARGET_WALL_RATIO} × ideal: {word(ratio <= TARGET_WALL_RATIO)} "
        f"({r.wall:.1f} s ÷ {r.ideal:.0f} s = {ratio:.3f})",
        f"- peak RSS ≤ {TARGET_RSS_MB:.0f} MB: {word(None if r.rss_mb is None else r.rss_mb <= TARGET_RSS_MB)} "
        f"({fmt(r.rss_mb)} MB)",
        f"- ECS calls ≤ {TARGET_ECS_PER_S} a second (peak, any 1 s window): "
        f"{word(None if peak is None else peak <= TARGET_ECS_PER_S)} ({peak if peak is not None else '—'})",
    ]


def method_notes(results: dict[str, Result], meta: dict[str, Any]) -> list[str]:
    peaks = [r.peak for r in results.values() if r.peak]
    span = (f"; the windows really spanned {min(p['span_min'] for p in peaks):.2f}–"
            f"{max(p['span_max'] for p in peaks):.2f} s (read latency)") if peaks else ""
    errors = sum(r.sampler_errors for r in results.values())
    return [
        "- **ECS calls a second (peak):** the emulator keeps no per-call timeline, so a thread reads its call "
        f"counters (`GET /ecs-emulator/calls`, not counted itself) every {POLL_PERIOD} s on a fixed grid; the "
        f"peak is the largest increase of the `ecs:*` total between two reads {WINDOW_TICKS} ticks (1 s) apart"
        f"{span}, so a window can count the calls of a little more or less than 1 s (at the rollout's pace "
        "of 15 a second, 0.1 s is 1–2 calls); and a 1 s window straddling two grid windows can hold a little "
        "more than either."
        + (f" {errors} counter reads failed." if errors else ""),
        "- **Mean ECS calls a second:** the ECS calls (counters read just before the spawn and after the last "
        "exit) ÷ the wall time.",
        "- **DescribeTasks per running target per second:** DescribeTasks calls ÷ the sum over the targets of "
        "their task's lifetime, PROVISIONING (RunTask) → STOPPED, from the emulator's timeline "
        "(`GET /ecs-emulator/timeline`).",
        "- **Ideal:** ceil(targets ÷ concurrency) × L, the waves' task lifetimes alone: no resolve, no lock, "
        "no start-up or stop time.",
        "- **Peak RSS:** `ru_maxrss` from `wait4()` in [bench/maxrss.py](../bench/maxrss.py), as in the rest of "
        f"this file (the helper's own floor, `true` through it: {meta['rss_floor']:.1f} MB). For the separate "
        "runs, the largest single process, and the largest sum over the processes alive at one moment of their "
        "peaks (an upper bound: not all at their peaks at once).",
        "- **Succeeded:** the tool's exit status 0; the rollout's document `succeeded` with every target "
        "`succeeded`; every run report `succeeded` with exit code 0, naming a task the emulator's timeline saw "
        "stop with its container's exit code 0; one RunTask per target.",
        "- Each way runs against its own freshly started emulator (default timings), with the same fixtures, "
        "created with boto3 before the counters are read.",
    ]


def render_section(results: dict[str, Result], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    r0 = next(iter(results.values()))
    quick = " — a `--quick` smoke run: the numbers are not meaningful" if meta["quick"] else ""
    problems = [f"- {way}: {p}" for way, r in results.items() for p in r.problems]
    parts = [f"""{SECTION}

Measured by `scripts/bench-rollout` ([bench/rollout.py](../bench/rollout.py)), not by `scripts/bench`:
`ecs-migrate rollout` over {r0.targets} targets against the same {r0.targets} migrations as separate
`ecs-migrate run` processes, on the local emulated AWS. `scripts/bench` regenerates the rest of this
file; run `scripts/bench-rollout --doc docs/benchmarks.md` after it to put this section back.

- **Date:** {meta['date']}{quick}
- **Machine:** `{m['platform']}`; {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM; load average {m['load']}
  when it started
- **Command:** `{meta['command']}` (it took {meta['elapsed'] / 60:.1f} min after the build)
- **Versions:** {meta['versions']}
- **Setup:** one cluster, {r0.targets} targets, each its own task definition family (`t000`, `t001`, …:
  Fargate, awsvpc, cpu 256 / memory 512, awslogs) whose migration is
  `sh -c "echo …; sleep {r0.seconds:g}; echo …; exit 0"` (L = {r0.seconds:g} s); concurrency {r0.concurrency}.
  *rollout*: one `ecs-migrate rollout --targets targets.json --cluster bench --subnets <default subnet>
  --concurrency {r0.concurrency} --max-failures 0 --output json`, the file
  `{{"defaults": {{}}, "targets": [{{"name": "t000", "task_definition": "t000"}}, …]}}`. *separate runs*: against a
  fresh emulator with the same fixtures, `ecs-migrate run --cluster bench --subnets <default subnet>
  --task-definition tNNN --output json` for each target, {r0.concurrency} processes at a time (the next starts
  when one exits). The emulator's default timings (tasks start in 0.2 s, stop in about 0.1 s).
"""]
    if problems:
        parts.append("**Problems** (targets that did not succeed, or checks that failed):\n\n" + "\n".join(problems) + "\n")
    parts.append(render_table(results) + "\n")
    parts.append("### Targets (issue #16, the rollout's)\n\n" + "\n".join(target_lines(results.get("rollout"))) + "\n")
    parts.append("### Calls by operation\n\n" + render_calls(results) + "\n")
    parts.append("### How it is measured\n\n" + "\n".join(method_notes(results, meta)) + "\n")
    return "\n".join(parts)


def write_section(path: Path, section: str) -> None:
    """Replaces the `## Rollouts (issue #16)` section of `path` (up to the next `## ` heading or
    the end) with `section`, or appends it; the rest of the file stays byte for byte."""
    text = path.read_text() if path.exists() else ""
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == SECTION), None)
    body = section.rstrip("\n") + "\n"
    if start is None:
        sep = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
        path.write_text(text + sep + body)
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    tail = "".join(lines[end:])
    path.write_text("".join(lines[:start]) + body + ("\n" + tail if tail else ""))


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def _sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the ecs-migrate binary")
    parser.add_argument("--quick", action="store_true",
                        help=f"a small smoke run: {QUICK['targets']} targets, concurrency {QUICK['concurrency']}, "
                             f"{QUICK['seconds']:g} s tasks (numbers not meaningful)")
    parser.add_argument("--targets", type=int, help=f"how many targets (default {FULL['targets']})")
    parser.add_argument("--concurrency", type=int, help=f"targets at once (default {FULL['concurrency']})")
    parser.add_argument("--seconds", type=float, help=f"L, each migration's sleep (default {FULL['seconds']:g})")
    parser.add_argument("--only", choices=("rollout", "runs"), help="measure only one of the two ways")
    parser.add_argument("--doc", help="replace (or append) the section '## Rollouts (issue #16)' of this Markdown file")
    args = parser.parse_args()
    plan = dict(QUICK if args.quick else FULL)
    for key in ("targets", "concurrency", "seconds"):
        if getattr(args, key) is not None:
            plan[key] = getattr(args, key)
    n, c, seconds = int(plan["targets"]), int(plan["concurrency"]), float(plan["seconds"])
    if n < 1 or c < 1 or seconds < 0:
        parser.error("--targets and --concurrency must be at least 1, --seconds at least 0")
    if n > 1000:
        parser.error("at most 1000 targets (t000 … t999)")
    binary = str(Path(args.binary).resolve())
    if not os.access(binary, os.X_OK):
        parser.error(f"{args.binary}: not an executable")

    signal.signal(signal.SIGTERM, _sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored (`&`)
    work = Path(tempfile.mkdtemp(prefix="ecs-migrate-bench-rollout."))
    say(f"work directory (every process's stdout/stderr, emulator logs, results.json): {work}")
    say(f"{n} targets, concurrency {c}, {seconds:g} s migrations; ideal {math.ceil(n / c) * seconds:.0f} s per way")
    shown = [a for a in sys.argv[1:]]
    if "--binary" in shown:
        i = shown.index("--binary")
        del shown[i:i + 2]
    shown = [a for a in shown if not a.startswith("--binary=")]
    meta: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": machine(), "quick": args.quick,
                            "command": " ".join(["scripts/bench-rollout"] + shown), "versions": versions(binary)}
    started = time.time()
    results: dict[str, Result] = {}
    emulators: list[Emulator] = []
    try:
        if args.only in (None, "rollout"):
            results["rollout"] = bench_rollout(binary, n, c, seconds, work, emulators)
            say(f"rollout: {results['rollout'].wall:.1f} s, {results['rollout'].succeeded}/{n} succeeded")
        if args.only in (None, "runs"):
            results["runs"] = bench_runs(binary, n, c, seconds, work, emulators)
            say(f"runs: {results['runs'].wall:.1f} s, {results['runs'].succeeded}/{n} succeeded")
    except KeyboardInterrupt:
        say("interrupted: stopping every child process and emulator")
        raise
    finally:
        stop_children()
        for emu in emulators:
            emu.stop()
    meta["elapsed"] = time.time() - started
    meta["rss_floor"] = rss_floor(work)
    (work / "results.json").write_text(json.dumps(
        {"meta": meta, "plan": plan, "results": {w: asdict(r) for w, r in results.items()}}, indent=1))

    print()
    print(f"rollout benchmark: {n} targets, concurrency {c}, L = {seconds:g} s"
          + (" (--quick: numbers not meaningful)" if args.quick else ""))
    print()
    print(render_table(results))
    print()
    print(render_calls(results))
    print()
    print("\n".join(target_lines(results.get("rollout"))))
    peaks = [(w, r.peak) for w, r in results.items() if r.peak]
    print(f"peak ECS calls/s method: 0.25 s polls of GET /ecs-emulator/calls (no per-call timeline in the "
          f"emulator), max increase over 4 ticks; window spans "
          + ", ".join(f"{w} {p['span_min']:.2f}–{p['span_max']:.2f} s" for w, p in peaks))
    for way, r in results.items():
        for p in r.problems:
            print(f"PROBLEM ({way}): {p}")
    print(f"RSS helper floor: {meta['rss_floor']:.1f} MB; took {meta['elapsed'] / 60:.1f} min; details in {work}")
    if args.doc:
        write_section(Path(args.doc), render_section(results, meta))
        say(f"wrote the section '{SECTION}' of {args.doc}")
    return 1 if any(r.problems for r in results.values()) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
