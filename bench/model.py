"""What the benchmark harness (bench/run.py) and the document (bench/doc.py) share: the tools'
names, the targets, the scenario constants the document quotes, the measured runs (Child,
Measured; dump_measured/load_measured, the form results.json saves them in), the table's Row and
small helpers (ts, p95, times).

run.py measures and imports this and doc.py; doc.py renders docs/benchmarks.md and imports only
this; nothing imports run.py.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import fixtures

ECS_MIGRATE = "ecs-migrate"
AWSCLI = "aws CLI"
BOTO3 = "boto3"
FLEET = "fleet"  # bench/baseline_fleet.sh (aws CLI), its own column when the aws CLI is there
TOOLS = (ECS_MIGRATE, AWSCLI, BOTO3)
NAMES = {ECS_MIGRATE: "ecs-migrate", AWSCLI: "aws CLI script", BOTO3: "boto3 script", FLEET: "Fleet-style script"}

# Targets (ecs-migrate only).
TARGET_LATENCY_P95 = 1.5  # s
TARGET_DESCRIBE_PER_S = 1.0  # DescribeTasks per second of migration
TARGET_FIRST_REQUEST = 0.020  # s, median
TARGET_RSS_MB = 25.0  # 10^6 bytes
TARGET_LINES_PER_S = 10_000
TARGET_FLEET_RATIO = 0.5
TARGET_TEARDOWN_LATENCY_P95 = 1.5  # s, from executionStoppedAt, with the 15 s teardown

# The teardown scenario (issue #13): the default timings, and every task (the migration's and the
# services') takes this long from its containers' stop (executionStoppedAt) to STOPPED, a third
# each in DEACTIVATING, STOPPING and DEPROVISIONING. With a teardown the service drain is the
# teardown too (ECS_EMULATOR_DRAIN_SECONDS no longer applies).
TEARDOWN_SECONDS = 15
STOPPED_WAIT = 120  # s: how long the harness waits after a tool's exit for its task's STOPPED
PACED_CHUNK = 5000  # lines per chunk of the paced log migration ...
PACED_PERIOD = 0.25  # ... one chunk every 0.25 s: 20,000 lines/s


@dataclass
class Child:
    status: int
    spawned_at: float  # epoch, just before spawning
    exited_at: float  # epoch, when wait4() returned
    maxrss_kib: int | None  # peak RSS (see bench/maxrss.py); None when not measured
    stdout: bytes = b""
    # stdout as it arrived: (epoch, bytes so far) per chunk read
    arrivals: list[tuple[float, int]] = field(default_factory=list)


@dataclass
class Measured:
    tool: str
    scenario: str  # migration, coldstart, burst, paced, fleet, fargate, teardown
    base: float  # the migration's base length (s); seconds = base + phase offset
    seconds: float  # the migration's sleep (s)
    child: Child
    calls: dict[str, int] = field(default_factory=dict)
    task: dict[str, Any] | None = None
    error: str | None = None
    first_request_at: float | None = None
    services_back_at: float | None = None
    overlapping_service_tasks: int | None = None
    lines: list[int] = field(default_factory=list)  # "line N" numbers on stdout, in order
    other_lines: int = 0
    first_line_at: float | None = None
    last_line_at: float | None = None
    round: int | None = None  # teardown scenario: which migration (every tool runs the same ones)
    report_task_status: str | None = None  # ecs-migrate's JSON report: the task's lastStatus at the verdict
    stopped_seen_at: float | None = None  # when the harness saw the migration task STOPPED
    # with services: their tasks (service, createdAt, startedAt, executionStoppedAt, stoppedAt,
    # lastStatus; epoch floats or None), read once the migration task and the old tasks STOPPED
    service_tasks: list[dict[str, Any]] = field(default_factory=list)
    # with services: the emulator's timeline `desired_count` events since the spawn (t, service,
    # desired_count): when the pause and the restore set the counts
    desired_counts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exec_stopped(self) -> float:
        """The migration container's exit as ECS reports it: the task's executionStoppedAt (its
        last container stopped), else stoppedAt."""
        value = self.task.get("executionStoppedAt")
        return ts(value) if value is not None else ts(self.task["stoppedAt"])

    @property
    def verdict_latency(self) -> float:
        """The container's exit (executionStoppedAt) -> the tool's exit."""
        return self.child.exited_at - self.exec_stopped

    @property
    def task_seconds(self) -> float:
        """The migration task's lifetime as ECS reports it: createdAt (RunTask) to stoppedAt."""
        return ts(self.task["stoppedAt"]) - ts(self.task["createdAt"])

    @property
    def run_seconds(self) -> float:
        """createdAt (RunTask) -> the container's exit (executionStoppedAt)."""
        return self.exec_stopped - ts(self.task["createdAt"])

    @property
    def stopped_at(self) -> float:
        return ts(self.task["stoppedAt"])

    def restores(self) -> dict[str, float | None]:
        """Per service: when its count was set back (the first desired_count > 0 after the pause's
        0, since the spawn), None if it was not."""
        out: dict[str, float | None] = {}
        for name in fixtures.SERVICES:
            events = sorted((e for e in self.desired_counts if e["service"] == name), key=lambda e: e["t"])
            paused = next((i for i, e in enumerate(events) if e["desired_count"] == 0), None)
            back = None if paused is None else next((e["t"] for e in events[paused:] if e["desired_count"] > 0), None)
            out[name] = back
        return out

    @property
    def restored_at(self) -> float | None:
        """When the last of the services had its count set back (its UpdateService)."""
        backs = list(self.restores().values())
        return None if not backs or None in backs else max(backs)

    def _tasks_of(self, service: str, new: bool) -> list[dict[str, Any]]:
        return [t for t in self.service_tasks if t["service"] == service
                and (t["createdAt"] > self.child.spawned_at) == new]

    @property
    def first_new_created(self) -> float | None:
        """When every service had its first new task (the later of the services' first createdAt)."""
        firsts = [min((t["createdAt"] for t in self._tasks_of(name, True)), default=None) for name in fixtures.SERVICES]
        return None if None in firsts else max(firsts)

    def downtime(self, service: str, since: str = "executionStoppedAt") -> float | None:
        """`service`'s last old task's `since` (executionStoppedAt: its containers stopped, it
        serves nothing; or stoppedAt) -> its first new task's startedAt."""
        old = [t.get(since) or t.get("stoppedAt") for t in self._tasks_of(service, False)]
        new = [t["startedAt"] for t in self._tasks_of(service, True) if t.get("startedAt") is not None]
        if not old or None in old or not new:
            return None
        return min(new) - max(old)

    @property
    def wall(self) -> float:
        return self.child.exited_at - self.child.spawned_at

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def count(self, op: str) -> int:
        return self.calls.get(op, 0)


def ts(value: Any) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (with fewer than 20 values, the largest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def times(value: float, ours: float) -> str:
    """`value` as a multiple of ecs-migrate's `ours`."""
    if ours <= 0:
        return ""
    return f" ({value / ours:.1f}×)" if value / ours >= 1.95 else f" ({value / ours:.2f}×)"


@dataclass
class Row:
    metric: str
    values: dict[str, str]
    target: str = ""
    status: str = ""


def dump_measured(m: Measured) -> dict[str, Any]:
    out = asdict(m)
    out["child"]["stdout"] = None  # parsed into lines already; the JSON report is not needed again
    out["child"]["arrivals"] = []
    return out


def load_measured(d: dict[str, Any]) -> Measured:
    d = dict(d)
    child = d.pop("child")
    child["stdout"] = b""
    return Measured(child=Child(**child), **d)
