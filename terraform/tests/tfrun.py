"""A Terraform working directory for the tests: a private copy of terraform/, one caller
configuration in it, every command logged to a file whose tail a failed check shows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_EXEC = "../../../modules/ecs-migrate-local-exec"
LAMBDA = "../../../modules/ecs-migrate-lambda"


@dataclass
class Result:
    args: list[str]
    rc: int
    out: str
    log: Path

    def tail(self, lines: int = 60) -> str:
        return "\n".join("      | " + line for line in self.out.splitlines()[-lines:])

    def describe(self) -> str:
        return f"`terraform {' '.join(self.args)}` exited {self.rc} (log {self.log}):\n{self.tail()}"


class Workspace:
    """terraform/ copied to BASE/terraform; runs in terraform/tests/callers/CALLER."""

    def __init__(self, base: Path, caller: str, env: dict, plugin_dir: str):
        self.base = base
        self.tree = base / "terraform"
        shutil.copytree(ROOT / "terraform", self.tree,
                        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*",
                                                      "__pycache__", "*.pyc", "tfplan"))
        self.dir = self.tree / "tests/callers" / caller
        self.main = self.dir / "main.tf"
        self.env = env
        self.plugin_dir = plugin_dir
        self.logs = base / "logs"
        self.logs.mkdir(exist_ok=True)
        self.count = 0

    # -- files ---------------------------------------------------------------------------

    def set_vars(self, **values) -> None:
        (self.dir / "terraform.tfvars.json").write_text(json.dumps(values))

    def update_vars(self, **values) -> None:
        path = self.dir / "terraform.tfvars.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        current.update(values)
        path.write_text(json.dumps(current))

    def set_source(self, source: str) -> None:
        """Replaces the `source` of module "migrations" (the only line a swap changes)."""
        text = self.main.read_text()
        start = text.index('module "migrations" {')
        m = re.compile(r'^(\s*source\s*=\s*)"[^"]*"', re.M).search(text, start)
        assert m, f'no module "migrations" source in {self.main}'
        new = text[:m.start()] + m.group(1) + json.dumps(source) + text[m.end():]
        self.main.write_text(new)

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.write_text(text)
        return path

    def remove(self, name: str) -> None:
        (self.dir / name).unlink(missing_ok=True)

    # -- commands ------------------------------------------------------------------------

    def run(self, *args: str) -> Result:
        self.count += 1
        log = self.logs / f"{self.count:02d}-{args[0]}.log"
        proc = subprocess.run(["terraform", f"-chdir={self.dir}", *args], env=self.env,
                              capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        log.write_text(out)
        return Result(list(args), proc.returncode, out, log)

    def init(self) -> Result:
        return self.run("init", "-input=false", "-no-color", "-backend=false", f"-plugin-dir={self.plugin_dir}")

    def validate(self) -> Result:
        return self.run("validate", "-no-color")

    def plan(self, *extra: str, out: str = "tfplan") -> Result:
        """`plan -detailed-exitcode`: 0 no changes, 2 changes (saved to `out`), 1 error."""
        return self.run("plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={out}", *extra)

    def apply_plan(self, plan: str = "tfplan") -> Result:
        return self.run("apply", "-input=false", "-no-color", "-auto-approve", plan)

    def apply(self, *extra: str) -> Result:
        return self.run("apply", "-input=false", "-no-color", "-auto-approve", *extra)

    def tfstate(self) -> dict:
        """The local state file, read directly (no provider starts: several seconds each)."""
        path = self.dir / "terraform.tfstate"
        return json.loads(path.read_text()) if path.exists() else {}

    def outputs(self) -> dict:
        return {k: v["value"] for k, v in self.tfstate().get("outputs", {}).items()}

    def state(self) -> dict:
        """Resource instance address -> attribute values, from the state file."""
        found: dict = {}
        for r in self.tfstate().get("resources", []):
            if r["mode"] != "managed":
                continue
            prefix = (r["module"] + ".") if r.get("module") else ""
            for inst in r["instances"]:
                if inst.get("deposed"):
                    continue
                key = inst.get("index_key")
                index = "" if key is None else (f"[{key}]" if isinstance(key, int) else f'["{key}"]')
                found[f"{prefix}{r['type']}.{r['name']}{index}"] = inst["attributes"]
        return found


PLANNED = re.compile(r"^  # (\S+)(?: \(deposed object \w+\))? (will be created|will be destroyed|will be updated in-place|"
                     r"must be replaced|is tainted, so must be replaced|has moved to \S+)")


def planned_actions(plan_out: str) -> dict:
    """Actions of a `terraform plan` (its text, -no-color): address -> list of actions, as
    `terraform show -json` names them (a replacement is ["create", "delete"] when the new
    object is created first, ["delete", "create"] otherwise). A move alone is no action.
    (Reading the plan's text instead of `terraform show -json PLAN` saves a provider start.)"""
    lines = plan_out.splitlines()
    found: dict = {}
    for i, line in enumerate(lines):
        m = PLANNED.match(line)
        if not m:
            continue
        address, what = m.groups()
        if what.startswith("has moved"):
            continue
        if what == "will be created":
            actions = ["create"]
        elif what == "will be destroyed":
            actions = ["delete"]
        elif what == "will be updated in-place":
            actions = ["update"]
        else:
            header = next((l for l in lines[i + 1:i + 6] if l.strip().startswith(("+/-", "-/+"))), "")
            actions = ["create", "delete"] if header.strip().startswith("+/-") else ["delete", "create"]
        found[address] = actions
    return found


def changes_line(out: str) -> str:
    m = re.search(r"(Apply complete! Resources: .*|No changes\..*)", out)
    return m.group(1) if m else "<no summary line>"


def require(condition: bool, what: str, result: Result | None = None) -> None:
    """assert with the command's log tail in the message."""
    if not condition:
        raise AssertionError(what + ("\n" + result.describe() if result else ""))


def env_flag(name: str) -> bool:
    return os.environ.get(name) == "1"
