"""Fixtures of the Terraform caller tests (test_callers.py).

They run the real `terraform` against the local emulated AWS (emulator/), with the
hashicorp/aws provider from a local filesystem mirror (nothing is downloaded), on a private
copy of terraform/ per test, so that nothing Terraform writes lands in the repository.

Settings (environment):
  TF_PLUGIN_DIR          the provider mirror (else the usual implied-mirror directories,
                         then /opt/tf-plugins, as scripts/test-terraform looks)
  ECS_MIGRATE_BIN        the ecs-migrate binary the local-exec module runs
                         (default: target/debug/ecs-migrate)
  ECS_MIGRATE_LAMBDA_ZIP the Lambda package (a zip with `bootstrap`); without it, a
                         placeholder package (only where the emulator does not run it)
  KEEP_TMP=1             keep the temporary directories (their paths are printed)
Without terraform or a mirror, every test is skipped with a banner saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"


def banner(*lines: str) -> None:
    bar = "!" * 78
    sys.stderr.write("\n".join([bar, *("!!  " + line for line in lines), bar]) + "\n")


def _platform() -> str:
    try:
        out = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True, check=True).stdout
        return json.loads(out)["platform"]
    except Exception:  # noqa: BLE001 - any failure: guess it
        machine = os.uname().machine.replace("x86_64", "amd64").replace("aarch64", "arm64")
        return f"{os.uname().sysname.lower()}_{machine}"


def _plugin_dir() -> str | None:
    platform = _platform()
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
        if directory and list(Path(directory).glob(f"registry.terraform.io/hashicorp/aws/*/{platform}")):
            return directory
    return None


@pytest.fixture(scope="session")
def plugin_dir() -> str:
    if shutil.which("terraform") is None:
        banner("SKIPPED: terraform is not installed (or not on PATH): the caller tests did NOT run.")
        pytest.skip("terraform is not installed")
    directory = _plugin_dir()
    if directory is None:
        banner("SKIPPED: no local mirror of the hashicorp/aws provider: the caller tests did NOT run.",
               "Set TF_PLUGIN_DIR to a directory holding registry.terraform.io/hashicorp/aws/VERSION/PLATFORM/.")
        pytest.skip("no provider mirror")
    return directory


@pytest.fixture(scope="session")
def session_tmp():
    path = Path(tempfile.mkdtemp(prefix="test-callers."))
    yield path
    if os.environ.get("KEEP_TMP") == "1":
        print(f"kept: {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def ecs_migrate_bin() -> Path:
    path = Path(os.environ.get("ECS_MIGRATE_BIN") or ROOT / "target/debug/ecs-migrate")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no ecs-migrate binary at {path} (build it with `cargo build`, or set ECS_MIGRATE_BIN)")
    return path


@pytest.fixture(scope="session")
def bin_dir(session_tmp, ecs_migrate_bin) -> Path:
    """A directory holding `ecs-migrate` (the module's default command) and nothing else."""
    directory = session_tmp / "bin"
    directory.mkdir()
    (directory / "ecs-migrate").symlink_to(ecs_migrate_bin.resolve())
    return directory


@pytest.fixture(scope="session")
def ecs_migrate_features(ecs_migrate_bin) -> set[str]:
    """The ECS_MIGRATE_* settings `ecs-migrate run --help` names (KEY, ADOPT, ... where built)."""
    out = subprocess.run([str(ecs_migrate_bin), "run", "--help"], capture_output=True, text=True).stdout
    return {word.rstrip("]").rstrip(",") for word in out.replace("=", " ").split() if word.startswith("ECS_MIGRATE_")}


FAKE_FLEET = """#!/bin/sh
# Stand-in for the `fleet` binary of Fleet's image, on the emulator's PATH: the migration
# container runs `fleet prepare db`. It exits 1 for FLEET_VERSION=broken.
if [ "$1 $2" = "prepare db" ]; then
    echo "fleet prepare db: migrating to ${FLEET_VERSION:-unknown}"
    [ "${FLEET_VERSION:-}" != broken ]
    exit $?
fi
echo "fleet $*: not modelled by the test stand-in" >&2
exit 2
"""


@pytest.fixture(scope="session")
def emulator(session_tmp, plugin_dir):
    """The emulator, started once; tests use their own names (cluster, service, function)."""
    fakebin = session_tmp / "fakebin"
    fakebin.mkdir()
    (fakebin / "fleet").write_text(FAKE_FLEET)
    (fakebin / "fleet").chmod(0o755)
    workdir = session_tmp / "emulator"
    workdir.mkdir()
    # MOTO_IAM_LOAD_MANAGED_POLICIES: AWS's managed policies exist (Omni's role attaches
    # AWSLambdaBasicExecutionRole), as in AWS; moto leaves them out by default.
    env = dict(os.environ, PATH=f"{fakebin}:{os.environ['PATH']}", MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    out = open(workdir / "emulator.out", "w+")
    err = open(workdir / "emulator.err", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "emulator/ecs_emulator.py"), "--port", "0"],
                            cwd=workdir, env=env, stdout=out, stderr=err, start_new_session=False)
    url = None
    for _ in range(600):
        out.seek(0)
        for line in out.read().splitlines():
            if line.startswith("ECS_EMULATOR_READY "):
                url = line.split(" ", 1)[1].strip()
        if url or proc.poll() is not None:
            break
        time.sleep(0.1)
    if not url:
        proc.kill()
        pytest.fail("the emulator did not print ECS_EMULATOR_READY:\n" + (workdir / "emulator.err").read_text()[-3000:])
    emu = Emulator(url, workdir)
    yield emu
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Emulator:
    # The emulator's opt-in mode in which its Lambda really runs a provided.* function's
    # bootstrap (a key of /ecs-emulator/config where the emulator has it).
    LAMBDA_BOOTSTRAP_KEYS = ("lambda_bootstrap",)

    def __init__(self, url: str, workdir: Path):
        self.url = url
        self.workdir = workdir

    def request(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, method=method, data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as resp:
            text = resp.read().decode()
        return json.loads(text) if text.strip().startswith(("{", "[")) else text

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def lambda_bootstrap_key(self) -> str | None:
        """The config key that makes Invoke run a provided.* bootstrap, if the emulator has one."""
        try:
            config = self.request("GET", "/ecs-emulator/config")
        except Exception:  # noqa: BLE001
            return None
        return next((k for k in self.LAMBDA_BOOTSTRAP_KEYS if k in config), None)

    def queue_lambda_result(self, document: dict) -> None:
        """The Docker-less Lambda returns this as the next invocation's result."""
        self.request("POST", "/moto-api/static/lambda-simple/response",
                     {"results": [json.dumps(document)], "region": REGION, "account_id": ACCOUNT})


@pytest.fixture(scope="session")
def lambda_mode(emulator) -> str:
    """'bootstrap': the emulator's Lambda really runs ecs-migrate's handler; 'echo': its
    Docker-less Lambda returns a queued result (or echoes the payload) and runs nothing."""
    key = emulator.lambda_bootstrap_key()
    if key:
        emulator.request("POST", "/ecs-emulator/config", {key: True})
        banner(f"Lambda: the emulator runs the function's bootstrap ({key}): the Omni caller tests run",
               "ecs-migrate's handler for real (the migration task runs in the emulator).")
        return "bootstrap"
    emulator.request("POST", "/moto-api/config", {"lambda": {"use_docker": False}})
    banner("NOTE: this emulator's Lambda does not run a function's bootstrap: the Omni caller",
           "tests use its Docker-less Lambda (a queued result), so ecs-migrate's handler does NOT run there.")
    return "echo"


@pytest.fixture(scope="session")
def lambda_zip(session_tmp) -> Path:
    given = os.environ.get("ECS_MIGRATE_LAMBDA_ZIP")
    if given:
        return Path(given)
    path = session_tmp / "placeholder-bootstrap.zip"
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = (0o755 | stat.S_IFREG) << 16
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info, "#!/bin/sh\necho 'placeholder: not the ecs-migrate handler' >&2\nexit 1\n")
    return path


@pytest.fixture
def tf_env(emulator, bin_dir) -> dict:
    """Terraform's environment: the emulator for the provider and ecs-migrate alike, fake
    credentials, ecs-migrate on PATH (the module's default `ecs-migrate`); nothing of the
    caller's own AWS, TF_* or ECS_MIGRATE_* settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ECS_MIGRATE_", "TF_VAR_", "AWS_", "TF_"))}
    env.update(
        AWS_ENDPOINT_URL=emulator.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
        TF_INPUT="0", PATH=f"{bin_dir}:{os.environ['PATH']}",
    )
    return env


def pytest_configure(config):
    config.addinivalue_line("markers", "group(name): the share of the tests one process runs (TEST_CALLERS_GROUP)")


def pytest_collection_modifyitems(config, items):
    """TEST_CALLERS_GROUP=a,b runs only the tests of those groups (scripts/test-terraform runs
    the groups side by side: most of the time goes to waiting and to provider start-ups)."""
    wanted = {g for g in os.environ.get("TEST_CALLERS_GROUP", "").split(",") if g}
    if not wanted:
        return
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("group")
        (keep if marker and marker.args[0] in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
