"""The fault suite: the real `ecs-migrate` binary against the strict emulator with faults on,
checking the safety invariants. Started by `scripts/fault-suite [SCENARIO...]`; see
faults/README.md.

Scenarios run concurrently (a thread pool; each has its own emulators and temp directory), the
longest first. One line per scenario as it ends, then `fault-suite: N passed, M failed`
(informational scenarios not counted); exit 0 iff none failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from scenarios import SCENARIOS, Context, Scenario  # noqa: E402

print_lock = threading.Lock()


def say(text: str) -> None:
    with print_lock:
        print(text, flush=True)


@dataclass
class Result:
    name: str
    verdict: str  # PASS, FAIL, INFO
    seconds: float
    figures: str
    details: str


def run_one(scenario: Scenario, root: Path) -> Result:
    work = root / scenario.name
    work.mkdir()
    ctx = Context(scenario.name, work)
    started = time.monotonic()
    crash = None
    try:
        scenario.run(ctx)
    except Exception:  # a scenario that could not finish fails, with its traceback
        crash = traceback.format_exc()
    finally:
        ctx.close()
    seconds = time.monotonic() - started
    check = ctx.check
    if crash:
        check.problems.append(f"the scenario crashed:\n{crash.rstrip()}")
    verdict = "FAIL" if check.problems else ("INFO" if ctx.informational else "PASS")
    figures = " ".join(f"{k}={v}" for k, v in check.figures.items())
    details = ""
    if check.problems:
        lines = [f"    - {p}" for p in check.problems]
        for log in check.logs:
            lines.append(f"    --- tail of {log}:")
            lines.extend(f"    | {line}" for line in harness.tail(log).splitlines())
        details = "\n".join(lines)
    return Result(scenario.name, verdict, seconds, figures, details)


def select(names: list[str]) -> list[Scenario]:
    if not names:
        return list(SCENARIOS)
    chosen: list[Scenario] = []
    for name in names:
        matches = [s for s in SCENARIOS if name in (s.name, s.group)]
        if not matches:
            known = sorted({s.name for s in SCENARIOS} | {s.group for s in SCENARIOS})
            raise SystemExit(f"fault-suite: unknown scenario {name!r}; known: {', '.join(known)}")
        chosen.extend(s for s in matches if s not in chosen)
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/fault-suite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario or group names (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=6, help="scenarios at once (default 6)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory even when all passed")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args()
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:32} ({s.group})")
        return 0
    try:
        chosen = select(args.scenarios)
    except SystemExit as err:
        print(err, file=sys.stderr)
        return 2

    source = harness.binary()
    if not os.access(source, os.X_OK):
        print(f"fault-suite: no ecs-migrate binary at {source}: run `cargo build --bins` first "
              "(or point ECS_MIGRATE_BIN at one)", file=sys.stderr)
        return 2
    if not harness.PYTHON.exists():
        print("fault-suite: no .venv: run scripts/emulator-venv first", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="fault-suite."))
    # A private copy: the binary under target/ may be rebuilt while the suite runs.
    frozen = root / "ecs-migrate"
    shutil.copy2(source, frozen)
    os.environ["ECS_MIGRATE_BIN"] = str(frozen)
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(source.stat().st_mtime))
    say(f"fault-suite: {len(chosen)} scenario(s), {args.jobs} at once; binary {source} (built {built}); "
        f"logs in {root}")

    started = time.monotonic()
    results: list[Result] = []
    order = sorted(chosen, key=lambda s: -s.expected_s)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, s, root) for s in order]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            say(f"{result.verdict} {result.name} {result.seconds:.1f}s {result.figures}".rstrip())
            if result.details:
                say(result.details)
    wall = time.monotonic() - started
    passed = sum(r.verdict == "PASS" for r in results)
    failed = sum(r.verdict == "FAIL" for r in results)
    say(f"fault-suite: wall time {wall:.0f}s; logs in {root}" if failed or args.keep
        else f"fault-suite: wall time {wall:.0f}s")
    if not failed and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    say(f"fault-suite: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
