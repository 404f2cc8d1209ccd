"""The wheel as a user installs it (scripts/test-wheel builds it): its name and contents, then
`pip install` into a fresh virtualenv and the installed `ecs-migrate` running a real migration,
with a pause, against the local emulated AWS (faults/harness.py's app), and making the Lambda
package from itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from faults import harness  # noqa: E402

# Amazon Linux 2023's glibc (the Lambda runtime provided.al2023): the newest the binary may need.
AL2023_GLIBC = (2, 34)

passed = failed = 0


def check(ok: bool, what: str, detail: str = "") -> bool:
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}" + (f"\n     {detail}" if detail else ""))
    return ok


def crate_version() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


def glibc_needed(binary: Path) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(["objdump", "-T", str(binary)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    versions = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+)", out)}
    return max(versions) if versions else ()


def main(wheel: Path) -> int:
    version = crate_version()
    check(re.fullmatch(rf"ecs_migrate-{re.escape(version)}-py3-none-manylinux[_0-9a-z.]*_x86_64\.whl",
                       wheel.name) is not None,
          f"the wheel is named for ecs-migrate {version}, any Python 3, manylinux x86_64: {wheel.name}")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    script = f"ecs_migrate-{version}.data/scripts/ecs-migrate"
    check(script in names, f"the wheel carries the binary as a script ({script})", str(names))

    with tempfile.TemporaryDirectory(prefix="ecs-migrate-wheel-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        pip = subprocess.run([str(env_dir / "bin/python"), "-m", "pip", "install", "--no-index",
                              "--disable-pip-version-check", "--quiet", str(wheel)],
                             capture_output=True, text=True)
        if not check(pip.returncode == 0, "pip installs the wheel into a fresh virtualenv (no index)", pip.stderr):
            return 1
        installed = env_dir / "bin/ecs-migrate"
        check(installed.is_file() and os.access(installed, os.X_OK), "pip puts an executable ecs-migrate on the venv's PATH")
        said = subprocess.run([str(installed), "--version"], capture_output=True, text=True).stdout.strip()
        check(said.startswith(f"ecs-migrate {version} (commit "), "`ecs-migrate --version` names the version and commit", said)

        needed = glibc_needed(installed)
        if needed is None:
            print("NOTE objdump is missing: the binary's glibc needs were not checked")
        else:
            check(needed <= AL2023_GLIBC,
                  f"the binary needs glibc {'.'.join(map(str, needed))}, no newer than Lambda AL2023's 2.34")

        os.environ["ECS_MIGRATE_BIN"] = str(installed)
        work = Path(tmp) / "work"
        work.mkdir()
        with harness.Emulator(work) as emulator:
            app = harness.App.create(emulator)
            run = harness.Run(app, work, "installed", app.migrate_argv(["sh", "-c", "echo from the wheel; exit 0"]))
            code = run.wait(300)
            report = run.report()
            check(code == 0 and report.get("status") == "succeeded",
                  "the installed ecs-migrate runs a migration with a pause against the emulator: succeeded",
                  f"exit {code}: {report}")
            check(report.get("log_tail") == ["from the wheel"], "its log line is in the report", str(report.get("log_tail")))
            check(app.web()["desiredCount"] == harness.WEB_COUNT, f"the paused service is back at {harness.WEB_COUNT}")

        package = Path(tmp) / "bootstrap.zip"
        made = subprocess.run([str(installed), "lambda-package", "-o", str(package)], capture_output=True, text=True)
        if check(made.returncode == 0, "the installed binary writes the Lambda package", made.stderr):
            with zipfile.ZipFile(package) as z:
                info = z.getinfo("bootstrap")
                same = z.read("bootstrap") == installed.read_bytes()
            check(same and (info.external_attr >> 16) & 0o111 != 0,
                  "the package's bootstrap is the installed binary, executable")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
