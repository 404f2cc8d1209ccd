"""The modules and examples as files: `terraform fmt`, each module's files and documentation,
`terraform init` + `validate` of both modules and both examples, and the Lambda package the
examples and the callers deploy. Offline: no emulator."""

from __future__ import annotations

import re
import stat
import subprocess
import zipfile

import pytest

from conftest import ROOT, clean_env
from tfrun import Workspace

pytestmark = pytest.mark.group("d")

MODULES = ["ecs-migrate-local-exec", "ecs-migrate-lambda"]


def test_terraform_fmt_check_passes(plugin_dir):
    """`terraform fmt -check -recursive terraform/`: no file needs formatting."""
    proc = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", "terraform/"],
                          cwd=ROOT, env=clean_env(), capture_output=True, text=True)
    assert proc.returncode == 0, ("these files need `terraform fmt -recursive terraform/`:\n"
                                  + (proc.stdout + proc.stderr)[-4000:])


@pytest.mark.parametrize("module", MODULES)
def test_module_has_main_variables_outputs_versions_and_readme(module):
    missing = [f for f in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
               if not (ROOT / "terraform/modules" / module / f).is_file()]
    assert not missing, f"terraform/modules/{module} lacks {' '.join(missing)}"


def undocumented(lines: list[str]) -> list[str]:
    """`variable "x"` / `output "y"` blocks (their header at the start of a line) without a
    `description =` line, and variables without a `type =` line (both indented two spaces)."""
    found, name, kind, desc, typed = [], "", "", False, False

    def flush():
        if name and (not desc or (kind == "variable" and not typed)):
            found.append(name)

    for line in lines:
        m = re.match(r'^(variable|output) "', line)
        if m:
            flush()
            kind, name, desc, typed = m.group(1), " ".join(line.split()[:2]), False, False
        if re.match(r"^  description *=", line):
            desc = True
        if re.match(r"^  type *=", line):
            typed = True
    flush()
    return found


@pytest.mark.parametrize("module", MODULES)
def test_module_every_variable_is_typed_and_described_every_output_described(module):
    directory = ROOT / "terraform/modules" / module
    lines = []
    for f in ("variables.tf", "outputs.tf"):
        lines += (directory / f).read_text().splitlines()
    missing = undocumented(lines)
    assert not missing, f"terraform/modules/{module}: not typed or described: {' '.join(missing)}"


@pytest.mark.parametrize("module", MODULES)
def test_module_readme_lists_every_input_and_output(module):
    directory = ROOT / "terraform/modules" / module
    readme = (directory / "README.md").read_text().splitlines()
    names = re.findall(r'^variable "([a-z_0-9]*)"', (directory / "variables.tf").read_text(), re.M)
    names += re.findall(r'^output "([a-z_0-9]*)"', (directory / "outputs.tf").read_text(), re.M)
    assert names, f"terraform/modules/{module} declares no variable or output"
    unlisted = [n for n in names if not any(line.startswith(f"| `{n}` |") for line in readme)]
    assert not unlisted, f"terraform/modules/{module}/README.md does not list: {' '.join(unlisted)}"


@pytest.mark.parametrize("directory", ["modules/ecs-migrate-local-exec", "modules/ecs-migrate-lambda",
                                       "examples/local-exec", "examples/lambda"])
def test_init_and_validate_succeed(directory, tree, plugin_dir):
    """`terraform init -backend=false` (from the mirror) and `terraform validate`."""
    ws = Workspace(tree.parent / "logs" / directory.replace("/", "-"), None, clean_env(), plugin_dir,
                   dir=tree / directory)
    res = ws.init()
    assert res.rc == 0, res.describe()
    res = ws.validate()
    assert res.rc == 0, res.describe()


def test_lambda_package_holds_an_executable_bootstrap(lambda_zip):
    """The package the examples deploy (ECS_MIGRATE_LAMBDA_ZIP, else a placeholder)."""
    with zipfile.ZipFile(lambda_zip) as z:
        info = z.getinfo("bootstrap")
    assert (info.external_attr >> 16) & stat.S_IXUSR, f"bootstrap in {lambda_zip} is not executable"
