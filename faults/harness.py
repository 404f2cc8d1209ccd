"""What every fault-suite scenario shares: the emulator process, the app's fixtures in it, runs
of the real `ecs-migrate` binary, and checks on the emulator's timeline.

Nothing here decides whether a scenario passed; scenarios collect `problems` (see `Check`) and
the suite prints them.
"""

from __future__ import annotations

import calendar
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import fixtures as bench_fixtures  # noqa: E402  (bench/fixtures.py: network(), register())

PYTHON = ROOT / ".venv/bin/python"
EMULATOR = ROOT / "emulator/ecs_emulator.py"
DEFAULT_BIN = ROOT / "target/debug/ecs-migrate"

REGION = bench_fixtures.REGION
CLUSTER = "app"
FAMILY = "app"  # the migration's task definition family
CONTAINER = "migrate"
LOG_GROUP = "/app/migrate"
WEB = "web"
WEB_COUNT = 2
LOCK_PREFIX = "ecs-migrate:lock:"
OUTCOME_ROOT = "/ecs-migrate"
STARTED_BY_PREFIX = "ecs-migrate/"


def binary() -> Path:
    return Path(os.environ.get("ECS_MIGRATE_BIN") or DEFAULT_BIN)


def wait_for(what: str, condition: Callable[[], Any], timeout: float, poll: float = 0.05) -> Any:
    """Polls `condition` until it returns something truthy (returned); TimeoutError names `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as err:
        return f"({path}: {err})"
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------
# the emulator
# ---------------------------------------------------------------------------


class Emulator:
    """One strict emulator process for one scenario (stopped by its PID), and its control plane."""

    def __init__(self, work: Path, name: str = "emulator", config: dict[str, Any] | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_EMULATOR_")}
        if config is not None:
            env["ECS_EMULATOR_CONFIG"] = json.dumps(config)
        self.log = work / f"{name}.log"
        self._stderr = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [str(PYTHON), str(EMULATOR), "--host", "127.0.0.1", "--port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, env=env, cwd=work,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 120)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("ECS_EMULATOR_READY "):
            self.stop()
            raise RuntimeError(f"the emulator did not start; see {self.log}:\n{tail(self.log)}")
        self.url = line.split()[1]

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()

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

    def _http(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method="GET" if data is None else "POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{path}: HTTP {err.code}: {err.read().decode(errors='replace')}") from None

    def configure(self, **update: Any) -> dict[str, Any]:
        """POST /ecs-emulator/config: merges `update` into the strict-mode configuration."""
        return self._http("/ecs-emulator/config", update)

    def calls(self) -> dict[str, Any]:
        return self._http("/ecs-emulator/calls")

    def timeline(self) -> Timeline:
        return Timeline(self._http("/ecs-emulator/timeline")["events"])


# ---------------------------------------------------------------------------
# the app in the emulator
# ---------------------------------------------------------------------------


class Aws:
    """The suite's own boto3 clients, patient (they are also used while faults are on). Has the
    `ecs` and `ec2` that bench/fixtures.py's helpers take."""

    def __init__(self, endpoint_url: str) -> None:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=REGION)
        config = Config(retries={"max_attempts": 20, "mode": "standard"})
        self.ecs = session.client("ecs", endpoint_url=endpoint_url, config=config)
        self.ec2 = session.client("ec2", endpoint_url=endpoint_url, config=config)
        self.autoscaling = session.client("application-autoscaling", endpoint_url=endpoint_url, config=config)
        self.ssm = session.client("ssm", endpoint_url=endpoint_url, config=config)
        self.s3 = session.client("s3", endpoint_url=endpoint_url,
                                 config=config.merge(Config(s3={"addressing_style": "path"})))


@dataclass
class App:
    """An app: cluster `app`, the migration's task definition `app:1` (container `migrate`,
    awslogs), service `web` at 2 tasks with an auto scaling target."""

    emulator: Emulator
    aws: Aws
    cluster_arn: str
    task_definition: str  # family:revision
    task_definition_arn: str
    service_arn: str
    subnets: list[str]
    security_group: str

    @classmethod
    def create(cls, emulator: Emulator, cluster_tags: int = 0) -> App:
        """Creates the app (the cluster with `cluster_tags` user tags) and waits until `web` runs
        its 2 tasks."""
        aws = Aws(emulator.url)
        tags = [{"key": f"team-tag-{i:02d}", "value": f"value {i}"} for i in range(cluster_tags)]
        cluster_arn = aws.ecs.create_cluster(clusterName=CLUSTER, tags=tags)["cluster"]["clusterArn"]
        subnets, security_group = bench_fixtures.network(aws)
        task_definition = bench_fixtures.register(
            aws, FAMILY, {"name": CONTAINER, "command": ["sh", "-c", "echo migrated"]}, log_group=LOG_GROUP)
        td_arn = aws.ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]["taskDefinitionArn"]
        web_td = bench_fixtures.register(aws, WEB, {"name": WEB, "command": ["sleep", "86400"]}, log_group="/app/web")
        service_arn = aws.ecs.create_service(
            cluster=CLUSTER, serviceName=WEB, taskDefinition=web_td, desiredCount=WEB_COUNT, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [security_group],
                                                          "assignPublicIp": "DISABLED"}},
        )["service"]["serviceArn"]
        aws.autoscaling.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=f"service/{CLUSTER}/{WEB}",
            ScalableDimension="ecs:service:DesiredCount", MinCapacity=WEB_COUNT, MaxCapacity=4)
        app = cls(emulator, aws, cluster_arn, task_definition, td_arn, service_arn, subnets, security_group)
        wait_for("web to run its 2 tasks", lambda: app.web()["runningCount"] == WEB_COUNT, timeout=60)
        return app

    # -- reading the app's state ----------------------------------------------------
    def web(self) -> dict[str, Any]:
        return self.aws.ecs.describe_services(cluster=CLUSTER, services=[WEB])["services"][0]

    def tags(self, arn: str) -> dict[str, str]:
        return {t["key"]: t["value"] for t in self.aws.ecs.list_tags_for_resource(resourceArn=arn)["tags"]}

    def lock(self) -> str | None:
        """The value of the family lock on the cluster, if any."""
        return next((v for k, v in self.tags(self.cluster_arn).items() if k.startswith(LOCK_PREFIX)), None)

    def outcomes(self) -> dict[str, str]:
        """Recorded outcomes of the task definition revision (SSM parameters
        /ecs-migrate/<family>/<revision>/<migration id>): migration id -> the JSON record."""
        family, revision = self.task_definition_arn.rsplit("/", 1)[1].split(":")
        path = f"{OUTCOME_ROOT}/{family}/{revision}"
        pages = self.aws.ssm.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True)
        return {p["Name"].rsplit("/", 1)[1]: p["Value"] for page in pages for p in page["Parameters"]}

    def ecs_migrate_tags(self) -> dict[str, list[str]]:
        """Every `ecs-migrate:` tag key on the cluster, the service and the task definition."""
        found = {}
        for what, arn in (("cluster", self.cluster_arn), ("service web", self.service_arn),
                          ("task definition", self.task_definition_arn)):
            keys = [k for k in self.tags(arn) if k.startswith("ecs-migrate:")]
            if keys:
                found[what] = keys
        return found

    def autoscaling_suspended(self) -> dict[str, bool]:
        target = self.aws.autoscaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{CLUSTER}/{WEB}"])["ScalableTargets"][0]
        return {k: v for k, v in target.get("SuspendedState", {}).items() if v}

    def task(self, arn: str) -> dict[str, Any]:
        return self.aws.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]

    def command_of(self, task_arn: str) -> list[str] | None:
        """The migration container's command override of a task (what `-- COMMAND` gave)."""
        overrides = self.task(task_arn).get("overrides", {}).get("containerOverrides", [])
        return next((o.get("command") for o in overrides if o.get("name") == CONTAINER), None)

    # -- the binary -------------------------------------------------------------------
    def migrate_argv(self, command: list[str], *extra: str, services: bool = True) -> list[str]:
        """`ecs-migrate run` of `command` as the app's migration (pausing `web` unless not
        `services`), JSON on stdout."""
        return [
            str(binary()), "run", "--cluster", CLUSTER, "--task-definition", self.task_definition,
            "--subnets", ",".join(self.subnets), "--security-groups", self.security_group,
            *(["--service", WEB] if services else []), "--output", "json", "--timeout", "10m", *extra,
            "--", *command,
        ]

    def env(self) -> dict[str, str]:
        """The binary's environment: the emulator, fake credentials, nothing of the user's AWS or
        ECS_MIGRATE_* settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_MIGRATE_"))}
        env.update(AWS_ENDPOINT_URL=self.emulator.url, AWS_REGION=REGION, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
        return env


class Run:
    """One `ecs-migrate` process: stdout (the JSON document) and stderr to files under the
    scenario's directory; its exit time taken by a waiter thread as it happens."""

    def __init__(self, app: App, work: Path, name: str, argv: list[str]) -> None:
        self.name = name
        self.argv = argv
        self.command = argv[argv.index("--") + 1:] if "--" in argv else None
        self.stdout_path = work / f"{name}.json"
        self.log = work / f"{name}.stderr.log"
        with open(self.stdout_path, "wb") as out, open(self.log, "wb") as err:
            self.started_at = time.time()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=app.env())
        self.exited_at: float | None = None
        self._waiter = threading.Thread(target=self._wait, daemon=True)
        self._waiter.start()

    def _wait(self) -> None:
        self.proc.wait()
        self.exited_at = time.time()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, signum: int) -> bool:
        """Sends `signum` if the process still runs; whether it did."""
        if self.proc.poll() is not None:
            return False
        os.kill(self.proc.pid, signum)
        return True

    def wait(self, timeout: float) -> int:
        self._waiter.join(timeout)
        if self._waiter.is_alive():
            self.signal(signal.SIGKILL)
            self._waiter.join(10)
            raise TimeoutError(f"{self.name} did not exit within {timeout:.0f} s (killed)")
        return self.proc.returncode

    @property
    def code(self) -> int | None:
        return self.proc.returncode

    @property
    def seconds(self) -> float:
        return (self.exited_at or time.time()) - self.started_at

    def report(self) -> dict[str, Any]:
        """stdout as exactly one JSON document ({} with `_unparsable` when it is not)."""
        text = self.stdout_path.read_text(errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return {"_unparsable": text[:300]}


def start_together(app: App, work: Path, argvs: dict[str, list[str]]) -> dict[str, Run]:
    """Spawns the runs back to back (the same instant, as far as the machine allows)."""
    return {name: Run(app, work, name, argv) for name, argv in argvs.items()}


class LeaseWatch:
    """Polls the family lock's lease (`expires=` of the lock tag) every `every` seconds in a
    thread while a run lives: how long before its expiry each look came. The holder renews it
    every 30 s to 2 min ahead, so a live run's lease should always be 90-120 s from expiring;
    other runs take it over 1 min (allowed clock skew) after it expired."""

    def __init__(self, app: App, every: float = 1.0) -> None:
        self.app = app
        self.every = every
        self.samples: list[tuple[float, float]] = []  # (t, seconds until `expires`; < 0: expired)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self.every):
            try:
                value = self.app.lock()
            except Exception:  # noqa: BLE001  (a faulted call that outlasted boto3's retries)
                continue
            expires = next((part[len("expires="):] for part in (value or "").split()
                            if part.startswith("expires=")), None)
            if expires:
                now = time.time()
                self.samples.append((now, calendar.timegm(time.strptime(expires, "%Y-%m-%dT%H:%M:%SZ")) - now))

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        self._thread.join(30)
        return self.samples


# ---------------------------------------------------------------------------
# the timeline
# ---------------------------------------------------------------------------


@dataclass
class TaskLife:
    arn: str
    started_by: str
    events: list[tuple[float, str]] = field(default_factory=list)  # (t, lastStatus)
    # (t, container) for each container reaching STOPPED
    containers_stopped: list[tuple[float, str]] = field(default_factory=list)

    @property
    def first(self) -> float:
        return self.events[0][0]

    @property
    def stopped(self) -> float | None:
        return next((t for t, s in self.events if s == "STOPPED"), None)

    @property
    def ended(self) -> float | None:
        """When its code stopped running: its containers' exit (every task here has one
        container), else its STOPPED. The teardown after that runs nothing, and ecs-migrate
        decides, restores and lets the next migration go at that moment."""
        exits = [t for t, _ in self.containers_stopped]
        ends = [t for t in (max(exits) if exits else None, self.stopped) if t is not None]
        return min(ends) if ends else None

    def reached(self, status: str) -> float | None:
        return next((t for t, s in self.events if s == status), None)

    def live_at(self, t: float) -> bool:
        return self.first <= t and (self.ended is None or t <= self.ended)

    def overlaps(self, other: TaskLife) -> bool:
        end, other_end = self.ended or float("inf"), other.ended or float("inf")
        return self.first <= other_end and other.first <= end


class Timeline:
    """`GET /ecs-emulator/timeline`, read."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def tasks(self, started_by_prefix: str = "", group: str | None = None) -> list[TaskLife]:
        lives: dict[str, TaskLife] = {}
        for e in self.events:
            if e["kind"] != "task" or not (e.get("started_by") or "").startswith(started_by_prefix):
                continue
            if group is not None and e.get("group") != group:
                continue
            life = lives.setdefault(e["task_arn"], TaskLife(e["task_arn"], e.get("started_by") or ""))
            life.events.append((e["t"], e["status"]))
        for e in self.events:
            if e["kind"] == "container_stopped" and e["task_arn"] in lives:
                lives[e["task_arn"]].containers_stopped.append((e["t"], e["container"]))
        return sorted(lives.values(), key=lambda life: life.first)

    def migration_tasks(self) -> list[TaskLife]:
        """Every task started by ecs-migrate (`startedBy` = `ecs-migrate/<migration id>`)."""
        return self.tasks(STARTED_BY_PREFIX)

    def per_migration(self) -> dict[str, list[TaskLife]]:
        out: dict[str, list[TaskLife]] = {}
        for life in self.migration_tasks():
            out.setdefault(life.started_by[len(STARTED_BY_PREFIX):], []).append(life)
        return out

    def web_tasks(self) -> list[TaskLife]:
        return self.tasks(group=f"service:{WEB}")

    def desired_counts(self, service: str = WEB) -> list[tuple[float, int]]:
        return [(e["t"], e["desired_count"]) for e in self.events
                if e["kind"] == "desired_count" and e["service"] == service]

    def desired_at(self, t: float, service: str = WEB) -> int | None:
        """The service's real desired count at `t` (the last event at or before it)."""
        at = None
        for when, count in self.desired_counts(service):
            if when > t:
                break
            at = count
        return at

    def desired_now(self, service: str = WEB) -> int | None:
        counts = self.desired_counts(service)
        return counts[-1][1] if counts else None


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------


class Check:
    """A scenario's findings: `problems` make it fail; `figures` are printed on its line."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.figures: dict[str, Any] = {}
        self.logs: list[Path] = []

    def that(self, ok: bool, problem: str) -> bool:
        if not ok:
            self.problems.append(problem)
        return ok

    def figure(self, key: str, value: Any) -> None:
        self.figures[key] = value

    def run_exits(self, run: Run, codes: Iterable[int], statuses: Iterable[str]) -> dict[str, Any]:
        """The run exited with one of `codes` and its JSON status is one of `statuses`."""
        codes, statuses = tuple(codes), tuple(statuses)
        report = run.report()
        status = report.get("status")
        self.that(run.code in codes and status in statuses,
                  f"{run.name}: exit {run.code} status {status!r} (expected exit {'/'.join(map(str, codes))}, "
                  f"status {'/'.join(statuses)}){error_text(report)}")
        return report

    def web_paused_during(self, timeline: Timeline, lives: Iterable[TaskLife], label: str = "") -> None:
        """Invariant: `web`'s real desired count was 0 from each migration task's first event to
        its container's exit (never restored while a migration ran), and its old tasks' containers
        had stopped when the migration task was created (`service_paused_during` for `web`)."""
        self.service_paused_during(timeline, WEB, lives, label)

    def web_back(self, app: App, timeline: Timeline | None = None) -> None:
        """`web` is back at 2 (desired now; its tasks running within 30 s), its pause record gone
        and auto scaling no longer suspended."""
        timeline = timeline or app.emulator.timeline()
        desired = timeline.desired_now()
        self.that(desired == WEB_COUNT, f"web's desired count is {desired} at the end, not {WEB_COUNT}")
        try:
            wait_for("web to run 2 tasks", lambda: app.web()["runningCount"] == WEB_COUNT, timeout=30)
        except TimeoutError as err:
            self.that(False, str(err))
        records = [k for k in app.tags(app.service_arn) if k.startswith("ecs-migrate:")]
        self.that(not records, f"web still carries pause record tags {records}")
        suspended = app.autoscaling_suspended()
        self.that(not suspended, f"web's auto scaling is still suspended: {suspended}")

    def one_task_per_migration(self, timeline: Timeline, allowed: dict[str, int] | None = None) -> dict[str, list[TaskLife]]:
        per = timeline.per_migration()
        for migration, lives in per.items():
            limit = (allowed or {}).get(migration, 1)
            self.that(len(lives) <= limit, f"migration {migration} ran {len(lives)} tasks (at most {limit} allowed)")
        return per

    # -- a rollout's tenants (many services, one per target; see `Tenants`) --------------
    def service_paused_during(self, timeline: Timeline, service: str, lives: Iterable[TaskLife],
                              label: str = "") -> None:
        """`web_paused_during` for any service: its real desired count was 0 from each of
        `lives`' first event to its container's exit, and its old tasks' containers had stopped
        when the migration task was created."""
        counts = timeline.desired_counts(service)
        service_tasks = timeline.tasks(group=f"service:{service}")
        for life in lives:
            short = life.arn.rsplit("/", 1)[-1][:8]
            end = life.ended
            if not self.that(end is not None, f"{label}migration task {short} never stopped"):
                end = float("inf")
            at_start = timeline.desired_at(life.first, service)
            self.that(at_start == 0, f"{label}{service}'s desired count was {at_start} when migration task {short} "
                                     "was created")
            for t, count in counts:
                if life.first <= t <= end and count != 0:
                    self.that(False, f"{label}{service}'s desired count set to {count} while migration task {short} "
                                     f"was live ({t - life.first:.2f} s after it was created, "
                                     f"{'before' if t < end else 'at'} its container's exit)")
            running = [w for w in service_tasks if w.live_at(life.first)]
            self.that(not running, f"{label}{len(running)} old task(s) of {service} still running when migration "
                                   f"task {short} was created")

    def tenants_back(self, tenants: Tenants, timeline: Timeline | None = None) -> None:
        """`web_back` for every tenant: each service's desired count back at 2 and its tasks
        running (within 30 s), no pause record left, auto scaling not suspended; and no family
        lock left on the cluster."""
        timeline = timeline or tenants.emulator.timeline()
        for tenant in tenants.tenants:
            desired = timeline.desired_now(tenant.service)
            self.that(desired == TENANT_WEB_COUNT,
                      f"{tenant.service}'s desired count is {desired} at the end, not {TENANT_WEB_COUNT}")
            records = tenants.pause_records(tenant)
            self.that(not records, f"{tenant.service} still carries pause record tags {records}")
            suspended = tenants.autoscaling_suspended(tenant)
            self.that(not suspended, f"{tenant.service}'s auto scaling is still suspended: {suspended}")
        try:
            wait_for("every tenant's service to run its tasks",
                     lambda: all(s["runningCount"] == TENANT_WEB_COUNT for s in tenants.services().values()),
                     timeout=30)
        except TimeoutError as err:
            running = {name: s["runningCount"] for name, s in tenants.services().items()
                       if s["runningCount"] != TENANT_WEB_COUNT}
            self.that(False, f"{err}: {running}")
        locks = tenants.locks()
        self.that(not locks, f"family locks left on the cluster: {sorted(locks)}")


def error_text(report: dict[str, Any]) -> str:
    if report.get("status") == "error":
        return f": {report['error'].get('kind')}: {report['error'].get('message')}"
    if "_unparsable" in report:
        return f": stdout is not one JSON document: {report['_unparsable']!r}"
    if report.get("reason"):
        return f": {report['reason']}"
    return ""


# ---------------------------------------------------------------------------
# many tenants: the app of a rollout
# ---------------------------------------------------------------------------

TENANT_WEB_COUNT = 2  # each tenant's service runs this many tasks
TENANT_WEB_FAMILY = "tenant-web"  # the task definition every tenant's service runs


@dataclass
class Tenant:
    """One target of a rollout: its own migration (task definition family `<name>`, so its own
    family lock, and its own command) and its own service `<name>-web`."""

    name: str
    task_definition: str  # family:revision
    task_definition_arn: str
    service: str
    service_arn: str
    command: list[str]

    @property
    def family(self) -> str:
        return self.task_definition.split(":")[0]

    @property
    def group(self) -> str:
        """The `group` ECS gives its standalone (migration) tasks: `family:<family>`."""
        return f"family:{self.family}"

    def target(self) -> dict[str, Any]:
        """Its entry of the targets file."""
        return {"name": self.name, "task_definition": self.task_definition, "services": [self.service],
                "command": self.command}


@dataclass
class Tenants:
    """Cluster `app` holding one tenant per rollout target (see `Tenant`): each migration's
    task definition has container `migrate` logging to `/app/migrate`; each service runs 2
    tasks and has an Application Auto Scaling target."""

    emulator: Emulator
    aws: Aws
    cluster_arn: str
    subnets: list[str]
    security_group: str
    tenants: list[Tenant]

    @classmethod
    def create(cls, emulator: Emulator, commands: dict[str, list[str]]) -> Tenants:
        """One tenant per `commands` entry (name -> its migration's command), in that order;
        waits until every service runs its tasks."""
        aws = Aws(emulator.url)
        cluster_arn = aws.ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
        subnets, security_group = bench_fixtures.network(aws)
        web_td = bench_fixtures.register(aws, TENANT_WEB_FAMILY, {"name": WEB, "command": ["sleep", "86400"]},
                                         log_group="/app/web")
        tenants = []
        for name, command in commands.items():
            task_definition = bench_fixtures.register(
                aws, name, {"name": CONTAINER, "command": ["sh", "-c", "echo migrated"]}, log_group=LOG_GROUP)
            td_arn = aws.ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]["taskDefinitionArn"]
            service = f"{name}-web"
            service_arn = aws.ecs.create_service(
                cluster=CLUSTER, serviceName=service, taskDefinition=web_td, desiredCount=TENANT_WEB_COUNT,
                launchType="FARGATE",
                networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [security_group],
                                                              "assignPublicIp": "DISABLED"}},
            )["service"]["serviceArn"]
            aws.autoscaling.register_scalable_target(
                ServiceNamespace="ecs", ResourceId=f"service/{CLUSTER}/{service}",
                ScalableDimension="ecs:service:DesiredCount", MinCapacity=TENANT_WEB_COUNT, MaxCapacity=4)
            tenants.append(Tenant(name, task_definition, td_arn, service, service_arn, command))
        app = cls(emulator, aws, cluster_arn, subnets, security_group, tenants)
        wait_for("every tenant's service to run its tasks",
                 lambda: all(s["runningCount"] == TENANT_WEB_COUNT for s in app.services().values()), timeout=120)
        return app

    # -- reading their state ----------------------------------------------------------
    def services(self) -> dict[str, dict[str, Any]]:
        """Every tenant's service (DescribeServices, 10 at a time): name -> description."""
        names = [t.service for t in self.tenants]
        found = {}
        for i in range(0, len(names), 10):
            for service in self.aws.ecs.describe_services(cluster=CLUSTER, services=names[i:i + 10])["services"]:
                found[service["serviceName"]] = service
        return found

    def tags(self, arn: str) -> dict[str, str]:
        return {t["key"]: t["value"] for t in self.aws.ecs.list_tags_for_resource(resourceArn=arn)["tags"]}

    def locks(self) -> dict[str, str]:
        """The family locks on the cluster: family -> the lock's value."""
        return {k[len(LOCK_PREFIX):]: v for k, v in self.tags(self.cluster_arn).items() if k.startswith(LOCK_PREFIX)}

    def pause_records(self, tenant: Tenant) -> list[str]:
        """The `ecs-migrate:` tag keys on the tenant's service (its pause record)."""
        return [k for k in self.tags(tenant.service_arn) if k.startswith("ecs-migrate:")]

    def autoscaling_suspended(self, tenant: Tenant) -> dict[str, bool]:
        target = self.aws.autoscaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{CLUSTER}/{tenant.service}"])["ScalableTargets"][0]
        return {k: v for k, v in target.get("SuspendedState", {}).items() if v}

    def task(self, arn: str) -> dict[str, Any]:
        return self.aws.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]

    # -- the binary -------------------------------------------------------------------
    def targets_file(self, work: Path, defaults: dict[str, Any], name: str = "targets.json") -> Path:
        """Writes the targets file (every tenant, in order, under `defaults`) into `work`."""
        path = work / name
        path.write_text(json.dumps({"defaults": defaults, "targets": [t.target() for t in self.tenants]}, indent=1))
        return path

    def rollout_argv(self, targets: Path, *extra: str) -> list[str]:
        """`ecs-migrate rollout` of the targets file in the cluster, JSON on stdout."""
        return [
            str(binary()), "rollout", "--targets", str(targets), "--cluster", CLUSTER,
            "--subnets", ",".join(self.subnets), "--security-groups", self.security_group,
            "--output", "json", *extra,
        ]

    env = App.env  # the same environment as a run's: it reads only `self.emulator`


def rollout_targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A rollout's JSON document's targets by name: {"status", "elapsed_seconds", "report"}."""
    return {t.get("name"): t for t in report.get("targets") or []}


class CallRate:
    """Reads the emulator's call counters every `every` seconds in a thread (the control plane
    is not counted): how many calls of `prefix` (`ecs:`) came in each stretch of ~1 s. The
    peak is over consecutive reads at least 1 s apart (so a window is 1 s to 1 s + `every`, an
    upper bound on the busiest second's count)."""

    def __init__(self, emulator: Emulator, prefix: str = "ecs:", every: float = 0.25) -> None:
        self.emulator = emulator
        self.prefix = prefix
        self.every = every
        self.samples: list[tuple[float, int]] = []  # (t, calls of `prefix` so far)
        self._stop = threading.Event()
        self._sample()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            calls = self.emulator.calls()["calls"]
        except (OSError, RuntimeError):
            return
        self.samples.append((time.time(), sum(n for op, n in calls.items() if op.startswith(self.prefix))))

    def _poll(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def stop(self) -> CallRate:
        self._stop.set()
        self._thread.join(30)
        self._sample()
        return self

    @property
    def total(self) -> int:
        return self.samples[-1][1] - self.samples[0][1] if self.samples else 0

    @property
    def seconds(self) -> float:
        return self.samples[-1][0] - self.samples[0][0] if len(self.samples) > 1 else 0.0

    def peak(self) -> tuple[int, float]:
        """The most calls between two reads at least 1 s apart (the first such pair from each
        read), and that window's length in seconds."""
        best, span = 0, 0.0
        j = 0
        for i, (t, count) in enumerate(self.samples):
            j = max(j, i + 1)
            while j < len(self.samples) and self.samples[j][0] - t < 1.0:
                j += 1
            if j == len(self.samples):
                break
            calls = self.samples[j][1] - count
            if calls > best:
                best, span = calls, self.samples[j][0] - t
        return best, span
