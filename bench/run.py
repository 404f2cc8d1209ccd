"""The benchmark harness: ecs-migrate against what users do today, on the local emulated AWS.

Started by `scripts/bench` (which sets up the virtualenv, builds the release binary and finds the
aws CLI); run with the virtualenv's Python. Standard library, plus boto3 for the fixtures.

It starts its own emulators (emulator/ecs_emulator.py; stopped by their PIDs at the end):
- "default": the emulator's default timings, for every scenario;
- "Fargate-like": tasks that take seconds to start, drain and stop, for a second pause/migrate/
  restore comparison (see TIMINGS);
- "teardown": the default timings with a 15 s Fargate-like task teardown (strict-mode key
  `task_teardown_seconds`: executionStoppedAt -> DEACTIVATING -> STOPPING -> DEPROVISIONING ->
  STOPPED 15 s later), for the teardown scenario of issue #13 (verdict latency from the container's
  exit, the app's downtime, the restore before the migration task's STOPPED).

Every measured run is one child process, started after `POST /moto-api/reset` and fresh fixtures,
with the emulator's call counters read just before it is spawned and just after it exited, so the
counts are the tool's own. Afterwards the harness waits (bounded) for the migration task to reach
STOPPED (ecs-migrate decides at the container's exit and exits during the teardown), reads it back
(DescribeTasks) and refuses the run unless the task STOPPED, its container exited 0 and the tool
said so (exit 0, and for ecs-migrate a JSON report naming that task). Every verdict latency is
measured from the task's executionStoppedAt (the container's exit; stoppedAt when absent). See
docs/benchmarks.md for each metric.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import platform
import random
import re
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import doc  # noqa: E402  (the prose of docs/benchmarks.md)
import fixtures  # noqa: E402
from model import (  # noqa: E402  (what run.py and doc.py share)
    AWSCLI, BOTO3, ECS_MIGRATE, FLEET, NAMES, PACED_CHUNK, PACED_PERIOD, STOPPED_WAIT, TARGET_DESCRIBE_PER_S,
    TARGET_FIRST_REQUEST, TARGET_FLEET_RATIO, TARGET_LATENCY_P95, TARGET_LINES_PER_S, TARGET_RSS_MB,
    TARGET_TEARDOWN_LATENCY_P95, TEARDOWN_SECONDS, TOOLS, Child, Measured, Row, dump_measured, load_measured, p95,
    times, ts,
)

ROOT = Path(__file__).resolve().parent.parent

# The waiters' documented delays (the baselines use them unchanged).
WAITER_TASKS_STOPPED = 6  # s: aws ecs wait tasks-stopped, boto3 tasks_stopped
WAITER_SERVICES_STABLE = 15  # s: aws ecs wait services-stable

# Emulator timings: ECS_EMULATOR_* values.
TIMINGS = {
    # The emulator's defaults (emulator/README.md): tasks start in 0.2 s, a scaled-in service task
    # takes 1 s to stop.
    "default": {"START_DELAY": "0.2", "DRAIN_SECONDS": "1", "STOP_GRACE": "2"},
    # Closer to Fargate, though still faster than it usually is: 20 s from RunTask to RUNNING (image
    # pull, ENI), 10 s from the container's exit to STOPPED, 10 s for a scaled-in service task to
    # stop.
    "fargate": {"START_DELAY": "20", "DRAIN_SECONDS": "10", "STOP_GRACE": "2"},
}
QUICK_FARGATE = {"START_DELAY": "3", "DRAIN_SECONDS": "2", "STOP_GRACE": "2"}
# The teardown scenario (issue #13): the default timings with a TEARDOWN_SECONDS Fargate-like task
# teardown (model.py).
TIMINGS["teardown"] = dict(TIMINGS["default"], CONFIG=json.dumps({"task_teardown_seconds": TEARDOWN_SECONDS}))

FULL_PLAN: dict[str, Any] = {
    "coldstart_reps": 10,
    # base length (s) -> runs; each run adds a phase offset (see phase_offsets), the same migration
    # for every tool.
    "migrations": {1: 5, 4: 4, 10: 3, 24: 2},
    "log_lines": 100_000,
    "burst_reps": 2,
    "paced_reps": 1,
    "fleet_base": 5,
    "fleet_reps": 2,
    "fargate_reps": 1,
    # the teardown scenario: ecs-migrate --service app --service worker on every migration (20, so
    # that its nearest-rank p95 is not just the largest), each baseline on 6 of them (spread over
    # the phase offsets); a 1 s migration plus a phase offset
    "teardown_reps": 20,
    "teardown_base_reps": 6,
    "teardown_base": 1,
    "teardown_seconds": TEARDOWN_SECONDS,
}
QUICK_PLAN: dict[str, Any] = {
    "coldstart_reps": 2,
    "migrations": {1: 1, 4: 1},
    "log_lines": 10_000,
    "burst_reps": 1,
    "paced_reps": 1,
    "fleet_base": 2,
    "fleet_reps": 1,
    "fargate_reps": 1,
    "teardown_reps": 2,
    "teardown_base_reps": 1,
    "teardown_base": 1,
    "teardown_seconds": TEARDOWN_SECONDS,
}
PHASE_SPREAD = float(WAITER_TASKS_STOPPED)  # offsets cover one 6 s waiter period
SEED = 20261122


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# emulators
# ---------------------------------------------------------------------------


class Emulator:
    """One emulator process (started here, stopped by its PID) and its control plane."""

    def __init__(self, name: str, timings: dict[str, str], log: Path) -> None:
        self.name = name
        self.timings = timings
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_EMULATOR_")}
        env.update({f"ECS_EMULATOR_{k}": v for k, v in timings.items()})
        self.log = log
        self._stderr = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "emulator/ecs_emulator.py"), "--port", "0"],
            stdout=subprocess.PIPE, stderr=self._stderr, env=env, cwd=ROOT,
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
        self._stderr.close()

    def _http(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        return json.loads(body) if body else None

    def reset(self) -> None:
        self._http("/moto-api/reset", "POST")

    def calls(self) -> dict[str, Any]:
        return self._http("/ecs-emulator/calls")

    def timeline(self) -> list[dict[str, Any]]:
        return self._http("/ecs-emulator/timeline")["events"]

    def describe(self) -> str:
        return ", ".join(f"ECS_EMULATOR_{k}={v}" for k, v in self.timings.items())


def diff_calls(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    out = {op: n - before.get(op, 0) for op, n in after.items()}
    return {op: n for op, n in sorted(out.items()) if n}


# ---------------------------------------------------------------------------
# one child process, measured
# ---------------------------------------------------------------------------


def run_child(cmd: list[str], env: dict[str, str], stderr_path: Path, rss: bool = True) -> Child:
    """Spawns `cmd` (through bench/maxrss.py when `rss`), drains its stdout in a thread in big
    chunks, timestamping each (so a slow reader here cannot throttle the tool), waits."""
    chunks: list[bytes] = []
    arrivals: list[tuple[float, int]] = []

    def drain(fd: int) -> None:
        size = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return
            size += len(chunk)
            arrivals.append((time.time(), size))
            chunks.append(chunk)

    result = stderr_path.with_suffix(".rss")
    if rss:
        cmd = [sys.executable, "-I", "-S", str(ROOT / "bench/maxrss.py"), str(result)] + cmd
    with open(stderr_path, "wb") as stderr:
        spawned_at = time.time()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=ROOT)
        fd = proc.stdout.fileno()
        try:
            fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ: 1 MiB, the tool never waits for us
        except OSError:
            pass
        reader = threading.Thread(target=drain, args=(fd,), daemon=True)
        reader.start()
        proc.wait()
        exited_at = time.time()
        reader.join(120)
        proc.stdout.close()
    status, maxrss = proc.returncode, None
    if rss:
        maxrss_text, status_text, exited_text = result.read_text().split()
        maxrss, status, exited_at = int(maxrss_text), int(status_text), float(exited_text)
    return Child(status, spawned_at, exited_at, maxrss, b"".join(chunks), arrivals)


# ---------------------------------------------------------------------------
# the migrations and the tools
# ---------------------------------------------------------------------------


def migration_command(seconds: float) -> list[str]:
    return ["sh", "-c", f"echo 'migrating ({seconds:.2f} s)'; sleep {seconds:.3f}; echo 'migrated'"]


def burst_log_command(lines: int) -> list[str]:
    """All lines at once (`seq` writes 100,000 lines in a few ms)."""
    return ["sh", "-c", f"seq -f 'line %.0f' 1 {lines}"]


def paced_log_command(lines: int) -> list[str]:
    """PACED_CHUNK lines every PACED_PERIOD s (20,000 lines/s), so they are read while written."""
    chunks = max(1, lines // PACED_CHUNK)
    return ["sh", "-c",
            f"i=0; while [ $i -lt {chunks} ]; do "
            f"seq -f 'line %.0f' $((i*{PACED_CHUNK}+1)) $((i*{PACED_CHUNK}+{PACED_CHUNK})); "
            f"sleep {PACED_PERIOD}; i=$((i+1)); done"]


def phase_offsets(n: int, rng: random.Random) -> list[float]:
    """n offsets in [0, PHASE_SPREAD), one in each of n equal strata, shuffled: the migrations end
    at every phase of a 6 s waiter period (and of ecs-migrate's 1.2 s poll) about equally often,
    instead of at the one phase whole-second sleeps would give."""
    offsets = [(i + rng.random()) / n * PHASE_SPREAD for i in range(n)]
    rng.shuffle(offsets)
    return offsets


class Tools:
    def __init__(self, binary: str) -> None:
        self.binary = binary

    def command(self, tool: str, fx: fixtures.Fixtures, migration: list[str], output: str = "json",
                services: bool = False) -> list[str]:
        subnets = ",".join(fx.subnets)
        if tool == ECS_MIGRATE:
            cmd = [self.binary, "run", "--cluster", fx.cluster, "--task-definition", fx.task_definition,
                   "--subnets", subnets, "--security-groups", fx.security_group, "--output", output]
            if services:
                for service in fixtures.SERVICES:
                    cmd += ["--service", service]
            return cmd + ["--"] + migration
        args = [fx.cluster, fx.task_definition, subnets, fx.security_group, fixtures.CONTAINER, json.dumps(migration)]
        if tool == AWSCLI:
            return [str(ROOT / "bench/baseline_awscli.sh")] + args
        if tool == BOTO3:
            return [sys.executable, str(ROOT / "bench/baseline_boto3.py")] + args
        if tool == FLEET:
            return [str(ROOT / "bench/baseline_fleet.sh")] + args + [f"{n}={c}" for n, c in fixtures.SERVICES.items()]
        raise ValueError(tool)


# ---------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------


LINE = re.compile(rb"line (\d+)")


def parse_lines(m: Measured) -> None:
    """The log lines the tool printed on stdout, and when the first and the last one arrived."""
    lines = m.child.stdout.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    offset = 0
    first_end = last_end = None
    for raw in lines:
        offset += len(raw) + 1
        match = LINE.fullmatch(raw)
        if match:
            m.lines.append(int(match.group(1)))
            if first_end is None:
                first_end = offset
            last_end = offset
        else:
            m.other_lines += 1

    def arrived(end: int | None) -> float | None:
        if end is None:
            return None
        return next((at for at, size in m.child.arrivals if size >= end), None)

    m.first_line_at, m.last_line_at = arrived(first_end), arrived(last_end)


class Bench:
    def __init__(self, tools: Tools, env: dict[str, str], work: Path) -> None:
        self.tools = tools
        self.env = env
        self.work = work
        self.results: list[Measured] = []
        self.counter = 0

    def _stderr_path(self, tool: str, scenario: str) -> Path:
        self.counter += 1
        slug = re.sub(r"[^a-z0-9]+", "-", f"{tool}-{scenario}".lower())
        return self.work / f"{self.counter:03d}-{slug}.stderr"

    def measure(self, emu: Emulator, tool: str, scenario: str, base: float, seconds: float,
                migration: list[str], services: bool = False, output: str = "json",
                round_: int | None = None) -> Measured:
        env = dict(self.env, AWS_ENDPOINT_URL=emu.url)
        aws = fixtures.Aws(emu.url)
        emu.reset()
        fx = fixtures.create(aws, services=services)
        cmd = self.tools.command(tool, fx, migration, output=output, services=services)
        before = emu.calls()["calls"]
        child = run_child(cmd, env, self._stderr_path(tool, scenario))
        after = emu.calls()["calls"]
        m = Measured(tool, scenario, base, seconds, child, calls=diff_calls(before, after), round=round_)
        if output == "text":
            parse_lines(m)
        if services:
            try:
                m.services_back_at = fixtures.wait_services_running(aws, timeout=180, poll=0.05)
            except RuntimeError as err:
                m.error = str(err)
        tasks, m.stopped_seen_at = self._wait_stopped(aws)
        m.error = m.error or self._check(m, tasks, output)
        if not m.error:
            m.task = tasks[0]
            if services:
                m.service_tasks = self._service_tasks(aws)
                m.desired_counts = [
                    {"t": e["t"], "service": e["service"], "desired_count": e["desired_count"]}
                    for e in emu.timeline() if e["kind"] == "desired_count" and e["t"] >= child.spawned_at
                ]
                m.overlapping_service_tasks = self._overlap(m)
        self.results.append(m)
        return m

    def _wait_stopped(self, aws: fixtures.Aws) -> tuple[list[dict[str, Any]], float | None]:
        """The migration tasks, once all are STOPPED (DescribeTasks every 0.25 s, for at most
        STOPPED_WAIT s): ecs-migrate decides at the container's exit and exits while ECS is still
        tearing the task down. Returns them as last described, and when they were seen STOPPED."""
        deadline = time.monotonic() + STOPPED_WAIT
        while True:
            tasks = fixtures.migration_tasks(aws)
            if tasks and all(t.get("lastStatus") == "STOPPED" for t in tasks):
                return tasks, time.time()
            if not tasks or time.monotonic() > deadline:
                return tasks, None
            time.sleep(0.25)

    def _service_tasks(self, aws: fixtures.Aws) -> list[dict[str, Any]]:
        """The services' tasks (old and new), once every task ECS is stopping is STOPPED (at most
        60 s more), so that the old ones have their stoppedAt."""
        deadline = time.monotonic() + 60
        while True:
            described: list[dict[str, Any]] = []
            for name in fixtures.SERVICES:
                arns: list[str] = []
                for status in ("RUNNING", "STOPPED"):
                    arns += aws.ecs.list_tasks(cluster=fixtures.CLUSTER, serviceName=name, desiredStatus=status)["taskArns"]
                for i in range(0, len(arns), 100):
                    for t in aws.ecs.describe_tasks(cluster=fixtures.CLUSTER, tasks=arns[i:i + 100])["tasks"]:
                        described.append(dict(t, service=name))
            stopping = [t for t in described if t.get("desiredStatus") == "STOPPED" and t.get("lastStatus") != "STOPPED"]
            if not stopping or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        keys = ("createdAt", "startedAt", "executionStoppedAt", "stoppedAt")
        return [{"service": t["service"], "lastStatus": t.get("lastStatus"),
                 **{k: (ts(t[k]) if t.get(k) is not None else None) for k in keys}} for t in described]

    def _check(self, m: Measured, tasks: list[dict[str, Any]], output: str) -> str | None:
        """The run must have given the true verdict of one successful, stopped migration task."""
        if len(tasks) != 1:
            return f"expected 1 migration task, found {len(tasks)}"
        task = tasks[0]
        if task.get("lastStatus") != "STOPPED":
            return f"migration task is still {task.get('lastStatus')} {STOPPED_WAIT} s after the tool exited"
        code = next((c.get("exitCode") for c in task["containers"] if c["name"] == fixtures.CONTAINER), None)
        if code != 0:
            return f"migration container exit code {code}"
        if m.child.status != 0:
            return f"{m.tool} exited {m.child.status} for a migration that exited 0"
        if m.tool == ECS_MIGRATE and output == "json":
            try:
                report = json.loads(m.child.stdout)
            except ValueError:
                return f"ecs-migrate printed no JSON document: {m.child.stdout[:200]!r}"
            if report.get("status") != "succeeded" or report.get("exit_code") != 0:
                return f"ecs-migrate reported {report.get('status')} / exit code {report.get('exit_code')}"
            if report.get("task_arn") != task["taskArn"]:
                return "ecs-migrate reported another task"
            m.report_task_status = report.get("task_status")
        return None

    @staticmethod
    def _overlap(m: Measured) -> int:
        """Old service tasks (created before the migration task) whose containers had not all
        stopped (executionStoppedAt, else stoppedAt) when the migration task was created."""
        created = ts(m.task["createdAt"])
        return sum(
            1 for t in m.service_tasks
            if t["createdAt"] < created
            and ((t["executionStoppedAt"] or t["stoppedAt"]) is None or (t["executionStoppedAt"] or t["stoppedAt"]) > created)
        )

    def cold_start(self, emu: Emulator, tool: str) -> Measured:
        """Process start -> first AWS request, on an emptied emulator: the tool's first request
        (which then fails: there is no cluster) comes after the same start-up as in a real run.
        Spawned directly (no RSS helper), so only Popen itself is counted on top."""
        env = dict(self.env, AWS_ENDPOINT_URL=emu.url)
        emu.reset()
        fx = fixtures.Fixtures(fixtures.CLUSTER, f"{fixtures.MIGRATE_FAMILY}:1", ["subnet-00000000"], "sg-00000000")
        cmd = self.tools.command(tool, fx, ["true"])
        child = run_child(cmd, env, self._stderr_path(tool, "coldstart"), rss=False)
        m = Measured(tool, "coldstart", 0, 0, child)
        m.first_request_at = emu.calls()["first_request_at"]
        if m.first_request_at is None:
            m.error = "no request reached the emulator"
        self.results.append(m)
        return m


# ---------------------------------------------------------------------------
# statistics and the table
# ---------------------------------------------------------------------------


def status(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def slope(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares y = a + b x: (a, b)."""
    if len(points) < 2 or len({x for x, _ in points}) < 2:
        return None
    b, a = statistics.linear_regression([x for x, _ in points], [y for _, y in points])
    return a, b


def summarize(results: list[Measured], tools: list[str], plan: dict[str, Any]) -> tuple[list[Row], list[str], dict[str, Any]]:
    ok = [m for m in results if not m.error]
    rows: list[Row] = []
    misses: list[str] = []
    facts: dict[str, Any] = {"plan": plan}

    def of(tool: str, scenario: str) -> list[Measured]:
        return [m for m in ok if m.tool == tool and m.scenario == scenario]

    mig = {tool: of(tool, "migration") for tool in tools}
    n_runs = len(mig[ECS_MIGRATE])

    # --- verdict latency
    lat = {tool: [m.verdict_latency for m in mig[tool]] for tool in tools}
    ours = statistics.median(lat[ECS_MIGRATE]) if lat[ECS_MIGRATE] else 0
    values = {}
    for tool in tools:
        if lat[tool]:
            p50 = statistics.median(lat[tool])
            values[tool] = (f"{p50:.2f} / {p95(lat[tool]):.2f} / {max(lat[tool]):.2f}"
                            + ("" if tool == ECS_MIGRATE else times(p50, ours)))
            facts[f"latency:{tool}"] = dict(p50=p50, p95=p95(lat[tool]), max=max(lat[tool]), mean=statistics.mean(lat[tool]),
                                            n=len(lat[tool]), over=sum(1 for x in lat[tool] if x > TARGET_LATENCY_P95))
    lat_p95 = p95(lat[ECS_MIGRATE]) if lat[ECS_MIGRATE] else None
    good = lat_p95 is not None and lat_p95 <= TARGET_LATENCY_P95
    lifetimes = [m.task_seconds for m in mig[ECS_MIGRATE]] or [0]
    rows.append(Row(f"verdict latency: the container's exit (ECS's executionStoppedAt) → the tool's exit, "
                    f"p50 / p95 / max (s); {n_runs} migrations, task lifetimes {min(lifetimes):.0f}–{max(lifetimes):.0f} s",
                    values, f"p95 ≤ {TARGET_LATENCY_P95} s", status(good)))
    if not good:
        misses.append("latency")

    # --- DescribeTasks per second of migration
    values = {}
    for tool in tools:
        ms = mig[tool]
        if not ms:
            continue
        secs = sum(m.task_seconds for m in ms)
        rate = sum(m.count("ecs:DescribeTasks") for m in ms) / secs
        fit = slope([(m.task_seconds, m.count("ecs:DescribeTasks")) for m in ms])
        values[tool] = f"{rate:.2f}" + (f" ({fit[1]:.2f} + {fit[0]:.1f} per run)" if fit else "")
        facts[f"describe:{tool}"] = dict(rate=rate, fit=fit, seconds=secs, calls=sum(m.count("ecs:DescribeTasks") for m in ms))
    rate = facts.get(f"describe:{ECS_MIGRATE}", {}).get("rate")
    good = rate is not None and rate <= TARGET_DESCRIBE_PER_S
    rows.append(Row("DescribeTasks per second of migration: Σ calls ÷ Σ task lifetimes (createdAt → stoppedAt); "
                    "(least squares: per second + per run)", values, f"≤ {TARGET_DESCRIBE_PER_S:g}", status(good)))
    if not good:
        misses.append("describe")

    # --- all API calls
    values, per_min = {}, {}
    for tool in tools:
        ms = mig[tool]
        if not ms:
            continue
        secs = sum(m.task_seconds for m in ms)
        total = sum(m.total_calls for m in ms)
        mean = statistics.mean(m.total_calls for m in ms)
        values[tool] = f"{mean:.1f}"
        per_min[tool] = f"{total / secs * 60:.0f}"
        if tool == ECS_MIGRATE:
            logs = sum(m.count("logs:GetLogEvents") for m in ms)
            values[tool] += f" ({mean - logs / len(ms):.1f} without GetLogEvents)"
            per_min[tool] += f" ({(total - logs) / secs * 60:.0f} without GetLogEvents)"
        facts[f"calls:{tool}"] = dict(mean=mean, per_min=total / secs * 60)
    rows.append(Row("API calls per migration, mean", values))
    rows.append(Row("API calls per minute of migration: Σ calls ÷ Σ task lifetimes", per_min))

    # --- start -> first request
    values = {}
    cs_ours = None
    for tool in tools:
        cs = [m.first_request_at - m.child.spawned_at for m in of(tool, "coldstart")]
        if cs:
            p50 = statistics.median(cs)
            if tool == ECS_MIGRATE:
                cs_ours = p50
            values[tool] = f"{p50 * 1000:.1f} / {max(cs) * 1000:.1f}" + ("" if tool == ECS_MIGRATE else times(p50, cs_ours or 0))
            facts[f"coldstart:{tool}"] = dict(p50=p50, max=max(cs), n=len(cs))
    good = cs_ours is not None and cs_ours <= TARGET_FIRST_REQUEST
    rows.append(Row(f"process start → first AWS request, p50 / max (ms); {plan['coldstart_reps']} runs each", values,
                    f"p50 ≤ {TARGET_FIRST_REQUEST * 1000:.0f} ms", status(good)))
    if not good:
        misses.append("coldstart")

    # --- peak RSS
    values = {}
    rss_ours = None
    for tool in tools:
        ms = [m for m in ok if m.tool == tool and m.child.maxrss_kib is not None]
        if ms:
            worst = max(ms, key=lambda m: m.child.maxrss_kib)
            rss = worst.child.maxrss_kib * 1024 / 1e6
            if tool == ECS_MIGRATE:
                rss_ours = rss
                facts["rss_worst_scenario"] = worst.scenario
                facts["rss_by_scenario"] = {
                    s: max(m.child.maxrss_kib for m in ms if m.scenario == s) * 1024 / 1e6
                    for s in sorted({m.scenario for m in ms})
                }
            values[tool] = f"{rss:.1f}" + ("" if tool == ECS_MIGRATE else times(rss, rss_ours or 0))
    good = rss_ours is not None and rss_ours <= TARGET_RSS_MB
    rows.append(Row("peak RSS of a whole run, largest of all its runs (MB = 10⁶ B)", values,
                    f"≤ {TARGET_RSS_MB:g} MB", status(good)))
    if not good:
        misses.append("rss")

    # --- logs
    logs = [m for m in results if m.tool == ECS_MIGRATE and m.scenario in ("burst", "paced")]
    if logs:
        expected = plan["log_lines"]
        lost = dupes = 0
        in_order = True
        for m in logs:
            got = m.lines
            lost = max(lost, len(set(range(1, expected + 1)) - set(got)))
            dupes = max(dupes, len(got) - len(set(got)))
            in_order = in_order and got == sorted(got)
        errors = [m.error for m in logs if m.error]
        good = lost == 0 and dupes == 0 and in_order and not errors
        n_burst = len([m for m in logs if m.scenario == "burst"])
        n_paced = len(logs) - n_burst
        text = f"{lost} / {dupes}" + ("" if in_order else ", OUT OF ORDER") + (f", {len(errors)} failed runs" if errors else "")
        rows.append(Row(f"log lines lost / duplicated, worst run; {expected:,}-line migrations: {n_burst} written at once, "
                        f"{n_paced} at {PACED_CHUNK / PACED_PERIOD:,.0f} lines/s", {ECS_MIGRATE: text}, "0 lost", status(good)))
        facts["log_loss"] = dict(lost=lost, dupes=dupes, in_order=in_order, errors=errors)
        if not good:
            misses.append("loss")

        def rate_of(m: Measured, since: float | None) -> float | None:
            if since is None or m.last_line_at is None or m.last_line_at <= since:
                return None
            return len(m.lines) / (m.last_line_at - since)

        def since_started(m: Measured) -> float | None:
            if m.error or m.last_line_at is None:
                return None
            return len(m.lines) / (m.last_line_at - ts(m.task["startedAt"]))

        burst_read = [r for m in logs if m.scenario == "burst" and not m.error
                      if (r := rate_of(m, m.first_line_at)) is not None]
        burst_e2e = [r for m in logs if m.scenario == "burst" if (r := since_started(m)) is not None]
        paced = [r for m in logs if m.scenario == "paced" if (r := since_started(m)) is not None]
        lows = [min(x) for x in (burst_read, burst_e2e, paced) if x]
        good = len(lows) == 3 and min(lows) >= TARGET_LINES_PER_S

        def fmt(xs: list[float]) -> str:
            return f"{min(xs):,.0f}" if xs else "n/a"

        rows.append(Row("log streaming throughput, worst run (lines/s): written at once: first → last line on the "
                        "tool's stdout / task startedAt → last line; paced: task startedAt → last line",
                        {ECS_MIGRATE: f"{fmt(burst_read)} / {fmt(burst_e2e)}; {fmt(paced)}"},
                        f"≥ {TARGET_LINES_PER_S:,}", status(good)))
        facts["log_rates"] = dict(burst_read=burst_read, burst_e2e=burst_e2e, paced=paced)
        if not good:
            misses.append("throughput")

    # --- pause / migrate / restore
    for scenario, label in (("fleet", "default timings"), ("fargate", "Fargate-like timings")):
        ours_runs, base_runs = of(ECS_MIGRATE, scenario), of(FLEET, scenario)
        if not (ours_runs and base_runs):
            if any(m.scenario == scenario for m in results):
                misses.append(f"{scenario}: no valid runs to compare")
            continue
        wall_ours = statistics.median(m.wall for m in ours_runs)
        wall_base = statistics.median(m.wall for m in base_runs)
        back_ours = statistics.median(m.services_back_at - m.child.spawned_at for m in ours_runs)
        back_base = statistics.median(m.services_back_at - m.child.spawned_at for m in base_runs)
        ratio = wall_ours / wall_base
        facts[scenario] = dict(
            wall_ours=wall_ours, wall_base=wall_base, ratio=ratio, back_ours=back_ours, back_base=back_base,
            n=len(ours_runs), calls_ours=statistics.mean(m.total_calls for m in ours_runs),
            calls_base=statistics.mean(m.total_calls for m in base_runs),
            describe_services_base=statistics.mean(m.count("ecs:DescribeServices") for m in base_runs),
            overlap_ours=max(m.overlapping_service_tasks for m in ours_runs),
            overlap_base=max(m.overlapping_service_tasks for m in base_runs),
            task_seconds=statistics.mean(m.task_seconds for m in ours_runs + base_runs),
            seconds=[m.seconds for m in ours_runs],
            # the wall time in three parts, from ECS's own timestamps of the migration task:
            # spawn -> createdAt -> executionStoppedAt -> exit
            pre_ours=statistics.median(ts(m.task["createdAt"]) - m.child.spawned_at for m in ours_runs),
            pre_base=statistics.median(ts(m.task["createdAt"]) - m.child.spawned_at for m in base_runs),
            life_ours=statistics.median(m.run_seconds for m in ours_runs),
            life_base=statistics.median(m.run_seconds for m in base_runs),
            post_ours=statistics.median(m.verdict_latency for m in ours_runs),
            post_base=statistics.median(m.verdict_latency for m in base_runs),
        )
        good = ratio <= TARGET_FLEET_RATIO
        rows.append(Row(f"pause → migrate → restore wall time ({label}), median of {len(ours_runs)} (s); "
                        "ecs-migrate ÷ Fleet-style script (baseline_fleet.sh)",
                        {ECS_MIGRATE: f"{wall_ours:.1f} (**{ratio:.2f}×**)", FLEET: f"{wall_base:.1f}"},
                        f"≤ {TARGET_FLEET_RATIO}×", status(good)))
        rows.append(Row("… time until both services run their tasks again, median (s)",
                        {ECS_MIGRATE: f"{back_ours:.1f}", FLEET: f"{back_base:.1f}"}))
        rows.append(Row("… API calls per run, mean; old service tasks still running (containers not stopped) when the "
                        "migration task was created (max)",
                        {ECS_MIGRATE: f"{facts[scenario]['calls_ours']:.0f}; {facts[scenario]['overlap_ours']}",
                         FLEET: f"{facts[scenario]['calls_base']:.0f}; {facts[scenario]['overlap_base']}"}))
        if not good:
            misses.append(scenario)

    summarize_teardown(ok, results, plan, rows, misses, facts)
    return rows, misses, facts


def _dist(values: list[float]) -> dict[str, float]:
    return dict(p50=statistics.median(values), p95=p95(values), max=max(values), min=min(values), n=len(values))


def summarize_teardown(ok: list[Measured], results: list[Measured], plan: dict[str, Any], rows: list[Row],
                       misses: list[str], facts: dict[str, Any]) -> None:
    """The teardown scenario (issue #13): verdict latency from executionStoppedAt, the restore
    before the migration task's STOPPED, the app's downtime against the Fleet-style script."""
    runs = {tool: [m for m in ok if m.tool == tool and m.scenario == "teardown"] for tool in (ECS_MIGRATE, AWSCLI, BOTO3, FLEET)}
    runs = {tool: ms for tool, ms in runs.items() if ms}
    if ECS_MIGRATE not in runs:
        if any(m.scenario == "teardown" for m in results):
            misses.append("teardown_latency: no valid runs")
        return
    n = {tool: len(ms) for tool, ms in runs.items()}
    teardown = plan.get("teardown_seconds", TEARDOWN_SECONDS)
    td: dict[str, Any] = {"n": n, "seconds": teardown}
    facts["teardown"] = td

    # verdict latency: executionStoppedAt -> the tool's exit
    lat = {tool: [m.verdict_latency for m in ms] for tool, ms in runs.items()}
    td["latency"] = {tool: _dist(v) for tool, v in lat.items()}
    td["over"] = sum(1 for x in lat[ECS_MIGRATE] if x > TARGET_TEARDOWN_LATENCY_P95)
    ours = td["latency"][ECS_MIGRATE]
    values = {}
    for tool, d in td["latency"].items():
        values[tool] = f"{d['p50']:.2f} / {d['p95']:.2f} / {d['max']:.2f}" + ("" if tool == ECS_MIGRATE else times(d["p50"], ours["p50"]))
    runs_text = "runs: " + ", ".join(f"{NAMES[t]} {n[t]}" for t in runs)
    good = ours["p95"] <= TARGET_TEARDOWN_LATENCY_P95
    rows.append(Row(f"**{teardown:g} s teardown**, services paused (ecs-migrate --service …, Fleet-style script): verdict "
                    f"latency, the container's exit (executionStoppedAt) → the tool's exit, p50 / p95 / max (s); {runs_text}",
                    values, f"p95 ≤ {TARGET_TEARDOWN_LATENCY_P95} s", status(good)))
    if not good:
        misses.append("teardown_latency")

    # the restore: executionStoppedAt -> the later service's UpdateService back to its count
    restore = {tool: [m.restored_at - m.exec_stopped for m in ms if m.restored_at is not None]
               for tool, ms in runs.items() if tool in (ECS_MIGRATE, FLEET)}
    td["restore"] = {tool: _dist(v) for tool, v in restore.items() if v}
    rows.append(Row("… the container's exit (executionStoppedAt) → the services' restore (UpdateService back to its count, "
                    "the later of the two; emulator timeline), p50 / p95 / max (s)",
                    {tool: f"{d['p50']:.2f} / {d['p95']:.2f} / {d['max']:.2f}" for tool, d in td["restore"].items()}))

    # restored before the migration task reached STOPPED
    before: dict[str, Any] = {}
    values = {}
    for tool in (ECS_MIGRATE, FLEET):
        ms = runs.get(tool)
        if not ms:
            continue
        margins = [m.stopped_at - m.restored_at for m in ms if m.restored_at is not None]
        created = [m.stopped_at - m.first_new_created for m in ms if m.first_new_created is not None]
        restored = sum(1 for x in margins if x > 0)
        new_before = sum(1 for x in created if x > 0)
        before[tool] = dict(n=len(ms), restored=restored, new_before=new_before,
                            margin=_dist(margins) if margins else None, created=_dist(created) if created else None)
        if margins:
            values[tool] = (f"{restored} / {new_before} of {len(ms)}; {statistics.median(margins):+.1f} s "
                            f"({min(margins):+.1f} … {max(margins):+.1f})")
        else:
            values[tool] = f"no restore seen in {len(ms)} runs"
    td["before_stopped"] = before
    ours_before = before[ECS_MIGRATE]
    good = ours_before["restored"] == ours_before["n"] == ours_before["new_before"]
    rows.append(Row("… runs whose services were restored (both UpdateServices) / had their first new tasks created, before "
                    "the migration task's stoppedAt; stoppedAt − restore, p50 (min … max; > 0: before STOPPED)", values,
                    "all runs", status(good)))
    if not good:
        misses.append("restored")

    # the tool's exit vs the migration task's STOPPED, and the report's task_status
    exits = {}
    values = {}
    for tool, ms in runs.items():
        early = sum(1 for m in ms if m.child.exited_at < m.stopped_at)
        exits[tool] = early
        text = f"{early} of {len(ms)}"
        if tool == ECS_MIGRATE:
            statuses: dict[str, int] = {}
            for m in ms:
                statuses[m.report_task_status or "none"] = statuses.get(m.report_task_status or "none", 0) + 1
            td["task_status"] = statuses
            text += "; report's task_status: " + ", ".join(f"{k} ×{v}" for k, v in sorted(statuses.items()))
        values[tool] = text
    td["exit_before_stopped"] = exits
    rows.append(Row("… runs in which the tool exited before the migration task's STOPPED", values))

    # the app's downtime, against the Fleet-style script on the same migrations
    if FLEET in runs:
        paired_rounds = {m.round for m in runs[FLEET]}
        down: dict[str, Any] = {}
        for since in ("executionStoppedAt", "stoppedAt"):
            for service in fixtures.SERVICES:
                per = {}
                for tool in (ECS_MIGRATE, FLEET):
                    ms = [m for m in runs[tool] if m.round in paired_rounds]
                    v = [d for m in ms if (d := m.downtime(service, since)) is not None]
                    if v:
                        per[tool] = _dist(v)
                if len(per) == 2:
                    per["ratio"] = per[ECS_MIGRATE]["p50"] / per[FLEET]["p50"] if per[FLEET]["p50"] else float("nan")
                everyone = [d for m in runs[ECS_MIGRATE] if (d := m.downtime(service, since)) is not None]
                per["all_ours"] = _dist(everyone) if everyone else None
                down[f"{service}:{since}"] = per
        td["downtime"] = down
        td["paired"] = len(paired_rounds)
        for since, label in (("executionStoppedAt", "executionStoppedAt (its containers stopped)"),
                             ("stoppedAt", "stoppedAt (STOPPED; < 0: the new task ran first)")):
            per = down.get(f"app:{since}", {})
            if ECS_MIGRATE in per and FLEET in per:
                ours_down, theirs_down = per[ECS_MIGRATE]["p50"], per[FLEET]["p50"]
                ratio = f" (**{per['ratio']:.2f}×**)" if ours_down > 0 and theirs_down > 0 else ""
                rows.append(Row(f"… app downtime (service `app`): its last old task's {label} → its first new task's "
                                f"startedAt, median of the {len(paired_rounds)} migrations both ran (s)"
                                + ("; ecs-migrate ÷ Fleet-style script" if ratio else ""),
                                {ECS_MIGRATE: f"{ours_down:.1f}{ratio}", FLEET: f"{theirs_down:.1f}"}))


def columns(tools: list[str]) -> list[str]:
    """The table's tools: the Fleet-style script gets a column when it ran (it needs the aws CLI)."""
    return list(tools) + ([FLEET] if AWSCLI in tools else [])


def render_table(rows: list[Row], tools: list[str]) -> str:
    tools = columns(tools)
    head = ["metric"] + [NAMES[t] for t in tools] + ["target (ecs-migrate)", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row.metric] + [row.values.get(t, "—") for t in tools] + [row.target, row.status]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_detail(results: list[Measured], tools: list[str]) -> str:
    lines = ["| tool | base length | runs | task lifetime, mean (s) | verdict latency p50 / max (s) | API calls per run "
             "| DescribeTasks per run | DescribeTasks ÷ lifetime | peak RSS (MB) |",
             "|---|---|---|---|---|---|---|---|---|"]
    ok = [m for m in results if not m.error and m.scenario == "migration"]
    for tool in tools:
        for base in sorted({m.base for m in ok}):
            ms = [m for m in ok if m.tool == tool and m.base == base]
            if not ms:
                continue
            lat = [m.verdict_latency for m in ms]
            lines.append(
                f"| {NAMES[tool]} | {base:g} s + 0–6 s | {len(ms)} | {statistics.mean(m.task_seconds for m in ms):.1f} "
                f"| {statistics.median(lat):.2f} / {max(lat):.2f} "
                f"| {statistics.mean(m.total_calls for m in ms):.1f} | {statistics.mean(m.count('ecs:DescribeTasks') for m in ms):.1f} "
                f"| {sum(m.count('ecs:DescribeTasks') for m in ms) / sum(m.task_seconds for m in ms):.2f} "
                f"| {max(m.child.maxrss_kib for m in ms) * 1024 / 1e6:.1f} |"
            )
    return "\n".join(lines)


def render_calls(results: list[Measured], tools: list[str]) -> str:
    """The calls of one run per tool and scenario (the longest migration's first run)."""
    out = []
    picks: list[tuple[str, Measured]] = []
    ok = [m for m in results if not m.error]
    longest = max((m.base for m in ok if m.scenario == "migration"), default=None)
    for tool in tools:
        for m in [m for m in ok if m.tool == tool and m.scenario == "migration" and m.base == longest][:1]:
            picks.append((f"{NAMES[tool]}, a {m.task_seconds:.1f} s migration", m))
    for m in [m for m in ok if m.scenario == "burst"][:1]:
        picks.append((f"ecs-migrate, {len(m.lines):,} log lines written at once", m))
    for m in [m for m in ok if m.scenario == "paced"][:1]:
        picks.append((f"ecs-migrate, {len(m.lines):,} log lines at {PACED_CHUNK / PACED_PERIOD:,.0f} lines/s", m))
    for scenario, label in (("fleet", "default timings"), ("fargate", "Fargate-like timings")):
        for tool, name in ((ECS_MIGRATE, "ecs-migrate --service app --service worker"), (FLEET, "baseline_fleet.sh")):
            for m in [m for m in ok if m.scenario == scenario and m.tool == tool][:1]:
                picks.append((f"{name}, pause → migrate → restore ({label}, {m.task_seconds:.1f} s migration task)", m))
    # the teardown scenario: the first migration every tool ran
    teardown = [m for m in ok if m.scenario == "teardown"]
    shared = sorted({m.round for m in teardown if m.tool != ECS_MIGRATE})
    if shared:
        names = {ECS_MIGRATE: "ecs-migrate --service app --service worker", FLEET: "baseline_fleet.sh",
                 AWSCLI: "aws CLI script", BOTO3: "boto3 script"}
        for tool in (ECS_MIGRATE, FLEET, AWSCLI, BOTO3):
            for m in [m for m in teardown if m.tool == tool and m.round == shared[0]][:1]:
                picks.append((f"{names[tool]}, {TEARDOWN_SECONDS} s teardown ({m.run_seconds:.1f} s from RunTask to "
                              f"the container's exit, {m.task_seconds:.1f} s to STOPPED)", m))
    for label, m in picks:
        calls = ", ".join(f"{op.split(':', 1)[1]} {n}" for op, n in m.calls.items())
        out.append(f"- {label}: {calls} (total {m.total_calls})")
    return "\n".join(out)


def render_teardown(results: list[Measured]) -> str:
    """The teardown scenario, run by run: every ecs-migrate run, then the baselines' runs (the same
    migrations: a round is one migration length). Times in s, relative to the migration task's
    executionStoppedAt (the container's exit) unless said otherwise."""
    ok = [m for m in results if not m.error and m.scenario == "teardown"]
    if not ok:
        return ""

    def f(x: float | None, fmt: str = ".2f") -> str:
        return "—" if x is None else format(x, fmt)

    lines = ["| run | tool | migration (s) | → tool's exit | → restore (UpdateService, later service) "
             "| → first new service tasks created (later service) | → stoppedAt (STOPPED) | restore before STOPPED by "
             "| task_status at the verdict | app downtime from executionStoppedAt / stoppedAt | worker downtime, same |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {ECS_MIGRATE: 0, FLEET: 1, AWSCLI: 2, BOTO3: 3}
    for m in sorted(ok, key=lambda m: (order[m.tool], m.round or 0)):
        es = m.exec_stopped
        services = m.tool in (ECS_MIGRATE, FLEET)
        restore = m.restored_at - es if services and m.restored_at is not None else None
        created = m.first_new_created - es if services and m.first_new_created is not None else None
        margin = m.stopped_at - m.restored_at if services and m.restored_at is not None else None

        def down(service: str) -> str:
            if not services:
                return "—"
            return f"{f(m.downtime(service, 'executionStoppedAt'), '.1f')} / {f(m.downtime(service, 'stoppedAt'), '.1f')}"

        lines.append(
            f"| {(m.round or 0) + 1} | {NAMES[m.tool]} | {m.seconds:.2f} | {f(m.verdict_latency)} | {f(restore)} "
            f"| {f(created)} | {m.stopped_at - es:.2f} | {f(margin, '+.1f') if margin is not None else '—'} "
            f"| {m.report_task_status or '—'} | {down('app')} | {down('worker')} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    try:
        uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        uname = " ".join(platform.uname()).strip()
    return {"uname": uname, "nproc": str(os.cpu_count()), "memory": mem, "cpu": cpu,
            "load": load}


def version(cmd: list[str], env: dict[str, str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, env=env, timeout=60, text=True)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def tool_env(empty_config: Path) -> dict[str, str]:
    """The tools' environment: fake credentials, the emulator's region, nothing from ~/.aws."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("ECS_MIGRATE_")}
    env.update(
        AWS_REGION=fixtures.REGION,
        AWS_DEFAULT_REGION=fixtures.REGION,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(empty_config),
        AWS_SHARED_CREDENTIALS_FILE=str(empty_config),
        AWS_PAGER="",
    )
    return env


def source_state() -> str:
    """The commit the binary was built from, and whether its Rust sources had changes on top."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "crates", "Cargo.toml", "Cargo.lock"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "source state unknown"
    return f"commit {head}" + (", with uncommitted changes to its Rust sources" if dirty else "")


def rss_floor(work: Path) -> float:
    """ru_maxrss of `true` run through bench/maxrss.py: below this, a peak RSS is the helper's."""
    result = work / "floor.rss"
    subprocess.run([sys.executable, "-I", "-S", str(ROOT / "bench/maxrss.py"), str(result), "true"], check=True)
    return int(result.read_text().split()[0]) * 1024 / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="ecs-migrate release binary")
    parser.add_argument("--no-awscli", action="store_true", help="skip the aws CLI baselines (no `aws`)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run of every scenario (numbers not meaningful)")
    parser.add_argument("--doc", help="write the results to this Markdown file")
    parser.add_argument("--command", default="scripts/bench", help="the command line shown in the document")
    parser.add_argument("--from-results", metavar="RESULTS_JSON",
                        help="run nothing: print (and with --doc write) the results a previous run saved")
    args = parser.parse_args()
    if args.from_results:
        saved = json.loads(Path(args.from_results).read_text())
        return report(saved["meta"], [load_measured(m) for m in saved["results"]], args.doc)
    if not args.binary:
        parser.error("--binary is required")

    plan = dict(QUICK_PLAN if args.quick else FULL_PLAN)
    timings = dict(TIMINGS)
    if args.quick:
        timings["fargate"] = QUICK_FARGATE
    tools = [t for t in TOOLS if not (t == AWSCLI and args.no_awscli)]
    rng = random.Random(SEED)

    work = Path(tempfile.mkdtemp(prefix="ecs-migrate-bench."))
    empty = work / "empty-aws-config"
    empty.touch()
    env = tool_env(empty)
    bench = Bench(Tools(args.binary), env, work)
    say(f"work directory (stderr of every run, emulator logs, results.json): {work}")
    emulators: list[Emulator] = []
    started = time.time()
    meta: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": machine()}
    try:
        emu = Emulator("default", timings["default"], work / "emulator-default.log")
        emulators.append(emu)
        say(f"emulator ({emu.describe()}) at {emu.url}")
        run_all(bench, emu, timings, plan, tools, rng, emulators, work)
    finally:
        for e in emulators:
            e.stop()
    meta.update(
        plan=plan, tools=tools, command=args.command, quick=args.quick, elapsed=time.time() - started,
        timings={name: ", ".join(f"ECS_EMULATOR_{k}={v}" for k, v in t.items()) for name, t in timings.items()},
        rss_floor=rss_floor(work),
        versions={
            "ecs-migrate": version([args.binary, "--version"], env) + f" ({source_state()})",
            "aws CLI": version(["aws", "--version"], env) if AWSCLI in tools else "not installed (skipped)",
            "Python": platform.python_version(),
            "boto3": version([sys.executable, "-c", "import boto3; print(boto3.__version__)"], env),
            "moto": version([sys.executable, "-c", "import moto; print(moto.__version__)"], env),
        },
    )
    saved = {"meta": meta, "results": [dump_measured(m) for m in bench.results]}
    (work / "results.json").write_text(json.dumps(saved, default=lambda o: ts(o)))
    say(f"saved {work / 'results.json'} (re-render: bench/run.py --from-results FILE [--doc FILE])")
    return report(meta, bench.results, args.doc)


def report(meta: dict[str, Any], results: list[Measured], doc_path: str | None) -> int:
    tools, plan = meta["tools"], meta["plan"]
    plan["migrations"] = {float(k): v for k, v in plan["migrations"].items()}
    rows, misses, facts = summarize(results, tools, plan)
    facts["rss_floor"] = meta["rss_floor"]
    table = render_table(rows, tools)
    detail = render_detail(results, tools)
    calls = render_calls(results, tools)
    teardown = render_teardown(results)
    errors = [m for m in results if m.error]
    print()
    print(table)
    print()
    print(detail)
    print()
    print(calls)
    print()
    if teardown:
        print(teardown)
        print()
    for m in errors:
        print(f"INVALID RUN: {m.tool} {m.scenario} {m.seconds:.2f} s: {m.error}")
    print(f"targets missed by ecs-migrate: {len(misses)}" + (f" ({', '.join(misses)})" if misses else ""))
    print(f"RSS helper floor: {meta['rss_floor']:.1f} MB; the benchmark took {meta['elapsed'] / 60:.1f} min")
    if doc_path:
        Path(doc_path).parent.mkdir(parents=True, exist_ok=True)
        rendered = doc.render(
            table=table, detail=detail, calls=calls, teardown=teardown, misses=misses, facts=facts, meta=meta,
            errors=[f"{m.tool} {m.scenario} {m.seconds:.2f} s: {m.error}" for m in errors],
        )
        Path(doc_path).write_text(rendered + kept_sections(Path(doc_path)))
        say(f"wrote {doc_path}")
    return 1 if errors else 0


# Sections of the document other benchmarks write (scripts/bench-rollout): kept as they are.
KEPT_SECTIONS = ("## Rollouts (issue #16)",)


def kept_sections(path: Path) -> str:
    if not path.exists():
        return ""
    kept, keeping = [], False
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("## "):
            keeping = line.rstrip("\n") in KEPT_SECTIONS
        if keeping:
            kept.append(line)
    return ("\n" + "".join(kept)) if kept else ""


def run_all(bench: Bench, emu: Emulator, timings: dict[str, dict[str, str]], plan: dict[str, Any],
            tools: list[str], rng: random.Random, emulators: list[Emulator], work: Path) -> None:
    def progress(m: Measured, text: str) -> None:
        say(f"{m.tool:<11} {m.scenario:<9} {m.seconds:>6.2f} s  " + (f"INVALID: {m.error}" if m.error else text))

    # 1. process start -> first request (the first rounds also warm the page cache)
    for _ in range(plan["coldstart_reps"]):
        for tool in tools:
            m = bench.cold_start(emu, tool)
            progress(m, "" if m.error else f"first request {(m.first_request_at - m.child.spawned_at) * 1000:.1f} ms after spawn")

    # 2. migrations of several lengths: each one run by every tool in turn (order rotated)
    runs = [base for base, n in plan["migrations"].items() for _ in range(n)]
    offsets = phase_offsets(len(runs), rng)
    order = sorted(range(len(runs)), key=lambda i: (sum(1 for j in range(i) if runs[j] == runs[i]), runs[i]))
    for k, i in enumerate(order):
        base, seconds = runs[i], runs[i] + offsets[i]
        for tool in tools[k % len(tools):] + tools[:k % len(tools)]:
            m = bench.measure(emu, tool, "migration", base, seconds, migration_command(seconds))
            progress(m, "" if m.error else
                     f"verdict {m.verdict_latency:.2f} s after executionStoppedAt, {m.total_calls} calls "
                     f"({m.count('ecs:DescribeTasks')} DescribeTasks), {m.child.maxrss_kib / 1024:.1f} MiB")

    # 3. log streaming: ecs-migrate in text mode (the lines on stdout)
    lines = plan["log_lines"]
    for scenario, reps, command in (("burst", plan["burst_reps"], burst_log_command(lines)),
                                    ("paced", plan["paced_reps"], paced_log_command(lines))):
        for _ in range(reps):
            m = bench.measure(emu, ECS_MIGRATE, scenario, 0, 0, command, output="text")
            span = (m.last_line_at or 0) - (m.first_line_at or 0)
            progress(m, f"{len(m.lines):,} lines, first → last {span:.2f} s, {m.total_calls} calls, "
                        f"{(m.child.maxrss_kib or 0) / 1024:.1f} MiB")

    # 4. pause / migrate / restore, against the Fleet-style script, on both timings
    if AWSCLI not in tools:
        say("SKIPPING the Fleet-style pause/migrate/restore comparison: it needs the aws CLI")
    else:
        for scenario, reps in (("fleet", plan["fleet_reps"]), ("fargate", plan["fargate_reps"])):
            if scenario == "fargate":
                emu = Emulator("fargate", timings["fargate"], work / "emulator-fargate.log")
                emulators.append(emu)
                say(f"emulator ({emu.describe()}) at {emu.url}")
            for rep, offset in enumerate(phase_offsets(reps, rng)):
                seconds = plan["fleet_base"] + offset
                for tool in ((ECS_MIGRATE, FLEET) if rep % 2 == 0 else (FLEET, ECS_MIGRATE)):
                    m = bench.measure(emu, tool, scenario, plan["fleet_base"], seconds, migration_command(seconds),
                                      services=True)
                    progress(m, "" if m.error else
                             f"wall {m.wall:.1f} s, services back after {m.services_back_at - m.child.spawned_at:.1f} s, "
                             f"{m.total_calls} calls, {m.overlapping_service_tasks} old service tasks overlapped")

    # 5. a Fargate-like teardown (issue #13): ecs-migrate pausing the services on every migration,
    # each baseline on base_reps of them, chosen evenly over the phase offsets (by rank), the order
    # of the tools rotated on those
    reps, base_reps, base = plan["teardown_reps"], plan["teardown_base_reps"], plan["teardown_base"]
    emu = Emulator("teardown", timings["teardown"], work / "emulator-teardown.log")
    emulators.append(emu)
    say(f"emulator ({emu.describe()}) at {emu.url}")
    offsets = phase_offsets(reps, rng)
    by_rank = sorted(range(reps), key=lambda i: offsets[i])
    shared = {by_rank[min(reps - 1, int((j + 0.5) * reps / base_reps))] for j in range(min(base_reps, reps))}
    others = ([FLEET] if AWSCLI in tools else []) + [t for t in tools if t != ECS_MIGRATE]
    k = 0
    for i in range(reps):
        seconds = base + offsets[i]
        order = [ECS_MIGRATE]
        if i in shared:
            order += others
            order = order[k % len(order):] + order[:k % len(order)]
            k += 1
        for tool in order:
            m = bench.measure(emu, tool, "teardown", base, seconds, migration_command(seconds),
                              services=tool in (ECS_MIGRATE, FLEET), round_=i)
            if m.error:
                progress(m, "")
                continue
            restore = f"restore {m.restored_at - m.exec_stopped:.2f} s, " if m.restored_at is not None else ""
            progress(m, f"round {i + 1}: exit {m.verdict_latency:.2f} s after executionStoppedAt, {restore}"
                        f"stoppedAt {m.stopped_at - m.exec_stopped:.1f} s after it"
                        + (f", task_status {m.report_task_status}" if m.report_task_status else ""))


if __name__ == "__main__":
    sys.exit(main())
