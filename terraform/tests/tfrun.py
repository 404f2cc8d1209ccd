"""A Terraform working directory for the tests: a private copy of terraform/, one
configuration in it (a caller, a fixture, an example or a module), every command logged to a
file whose tail a failed check shows. Also where the provider mirror is found (run as a script,
`python3 tfrun.py plugin-dir`, for scripts/test-terraform; standard library only)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_EXEC = "../../../modules/ecs-migrate-local-exec"
LAMBDA = "../../../modules/ecs-migrate-lambda"
# What Terraform writes, never copied along with terraform/.
IGNORED = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__", "*.pyc", "tfplan")


def platform() -> str:
    """Terraform's platform (linux_amd64, ...)."""
    try:
        out = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True, check=True).stdout
        return json.loads(out)["platform"]
    except Exception:  # noqa: BLE001 - any failure: guess it
        machine = os.uname().machine.replace("x86_64", "amd64").replace("aarch64", "arm64")
        return f"{os.uname().sysname.lower()}_{machine}"


def plugin_dir() -> str | None:
    """The provider mirror: the first of $TF_PLUGIN_DIR, the usual implied-mirror directories
    and /opt/tf-plugins that holds hashicorp/aws for this platform."""
    this = platform()
    home = Path.home()
    candidates = [
        os.environ.get("TF_PLUGIN_DIR", ""),
        str(home / ".terraform.d/plugins"),
        os.path.join(os.environ.get("XDG_DATA_HOME", str(home / ".local/share")), "terraform/plugins"),
        "/usr/local/share/terraform/plugins",
        "/usr/share/terraform/plugins",
        "/opt/tf-plugins",
    ]
    for directory in candidates:
        if directory and list(Path(directory).glob(f"registry.terraform.io/hashicorp/aws/*/{this}")):
            return directory
    return None


def copy_tree(base: Path) -> Path:
    """A private copy of terraform/ at BASE/terraform, without anything Terraform wrote."""
    tree = base / "terraform"
    shutil.copytree(ROOT / "terraform", tree, ignore=IGNORED)
    return tree


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
    """terraform/ copied to BASE/terraform; runs in terraform/tests/callers/CALLER, or in
    terraform/AT (`at`, e.g. "examples/local-exec"), or in a directory of its own (`dir`,
    e.g. a generated configuration; then nothing is copied)."""

    def __init__(self, base: Path, caller: str | None, env: dict, plugin_dir: str, *,
                 at: str | None = None, dir: Path | None = None):
        self.base = base
        self.tree = base / "terraform"
        if dir is not None:
            self.dir = dir
        else:
            copy_tree(base)
            self.dir = self.tree / (at if at is not None else f"tests/callers/{caller}")
        self.main = self.dir / "main.tf"
        self.env = env
        self.plugin_dir = plugin_dir
        self.logs = base / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
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

    def run(self, *args: str, env: dict | None = None) -> Result:
        """`terraform -chdir=DIR ARGS`; `env` adds to (or overrides) the workspace's environment."""
        self.count += 1
        log = self.logs / f"{self.count:02d}-{args[0]}.log"
        proc = subprocess.run(["terraform", f"-chdir={self.dir}", *args], env={**self.env, **(env or {})},
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

    def apply(self, *extra: str, env: dict | None = None) -> Result:
        return self.run("apply", "-input=false", "-no-color", "-auto-approve", *extra, env=env)

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


if __name__ == "__main__":
    # scripts/test-terraform: `tfrun.py plugin-dir` prints the provider mirror, or exits 1
    # printing the platform it looked for.
    if sys.argv[1:] != ["plugin-dir"]:
        sys.exit("usage: tfrun.py plugin-dir")
    found = plugin_dir()
    print(found or platform())
    sys.exit(0 if found else 1)
