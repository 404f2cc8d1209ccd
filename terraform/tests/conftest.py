"""Fixtures of the Terraform tests (every test_*.py here; scripts/test-terraform runs them).

They run the real `terraform`, offline or against the local emulated AWS (emulator/), with
the hashicorp/aws provider from a local filesystem mirror (nothing is downloaded), on private
copies of terraform/ in temporary directories, so that nothing Terraform writes lands in the
repository. One emulator per session for the caller tests (`emulator`), one per test module
for the examples (`own_emulator`: they count the emulator's calls and set its Lambda mode).

Settings (environment):
  TF_PLUGIN_DIR          the provider mirror (else the usual implied-mirror directories,
                         then /opt/tf-plugins, as scripts/test-terraform looks)
  ECS_MIGRATE_BIN        the ecs-migrate binary the local-exec module runs
                         (default: $CARGO_TARGET_DIR or target/, then debug/ecs-migrate)
  ECS_MIGRATE_LAMBDA_ZIP the Lambda package (a zip with `bootstrap`); without it, a
                         placeholder package (only where the emulator does not run it)
  KEEP_TMP=1             keep the temporary directories (their paths are printed)
  TEST_TERRAFORM_GROUP   run only the tests of these groups (a,b,...: the `group` marker);
                         TEST_CALLERS_GROUP is its old name
  TEST_TERRAFORM_COUNTS  write "passed failed skipped" to this file at the end
                         (scripts/test-terraform adds up its parallel groups)
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

import tfrun

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"


def banner(*lines: str) -> None:
    bar = "!" * 78
    sys.stderr.write("\n".join([bar, *("!!  " + line for line in lines), bar]) + "\n")


@pytest.fixture(scope="session")
def plugin_dir() -> str:
    if shutil.which("terraform") is None:
        banner("SKIPPED: terraform is not installed (or not on PATH): the Terraform tests did NOT run.")
        pytest.skip("terraform is not installed")
    directory = tfrun.plugin_dir()
    if directory is None:
        banner("SKIPPED: no local mirror of the hashicorp/aws provider: the Terraform tests did NOT run.",
               "Set TF_PLUGIN_DIR to a directory holding registry.terraform.io/hashicorp/aws/VERSION/PLATFORM/.")
        pytest.skip("no provider mirror")
    return directory


@pytest.fixture(scope="session")
def session_tmp():
    path = Path(tempfile.mkdtemp(prefix="test-terraform."))
    yield path
    if os.environ.get("KEEP_TMP") == "1":
        print(f"kept: {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def ecs_migrate_bin() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    path = Path(os.environ.get("ECS_MIGRATE_BIN") or target / "debug/ecs-migrate")
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


def start_emulator(workdir: Path, env: dict | None = None):
    """Starts emulator/ecs_emulator.py on a free port, in WORKDIR (its tasks' processes run
    there); returns (process, Emulator), or fails the test with the end of its stderr."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = open(workdir / "emulator.out", "w+")
    err = open(workdir / "emulator.err", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "emulator/ecs_emulator.py"), "--port", "0"],
                            cwd=workdir, env=env or dict(os.environ), stdout=out, stderr=err)
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
        proc.wait()
        pytest.fail("the emulator did not print ECS_EMULATOR_READY:\n" + (workdir / "emulator.err").read_text()[-3000:])
    return proc, Emulator(url, workdir)


def stop_emulator(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        # It did not stop within 10 s: its task processes may be left behind.
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def emulator(session_tmp, plugin_dir):
    """The caller tests' emulator, started once; they use their own names (cluster, service,
    function)."""
    fakebin = session_tmp / "fakebin"
    fakebin.mkdir()
    (fakebin / "fleet").write_text(FAKE_FLEET)
    (fakebin / "fleet").chmod(0o755)
    # MOTO_IAM_LOAD_MANAGED_POLICIES: AWS's managed policies exist (Omni's role attaches
    # AWSLambdaBasicExecutionRole), as in AWS; moto leaves them out by default.
    env = dict(os.environ, PATH=f"{fakebin}:{os.environ['PATH']}", MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    proc, emu = start_emulator(session_tmp / "emulator", env)
    yield emu
    stop_emulator(proc)


@pytest.fixture(scope="module")
def own_emulator(request, session_tmp, plugin_dir):
    """An emulator of the test module's own (the examples count its calls and set its
    Lambda's mode), as it starts: no managed policies, nothing added to PATH."""
    proc, emu = start_emulator(session_tmp / f"emulator-{request.module.__name__}", clean_env())
    yield emu
    stop_emulator(proc)


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

    def calls(self) -> dict:
        """How many times each AWS operation was called ("ecs:RunTask": N, ...)."""
        return self.request("GET", "/ecs-emulator/calls")["calls"]

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


def clean_env(bin_dir: Path | None = None, endpoint: str | None = None) -> dict:
    """Terraform's environment: fake credentials, nothing of the caller's own AWS, TF_* or
    ECS_MIGRATE_* settings; ecs-migrate on PATH (the module's default `ecs-migrate`) with
    `bin_dir`; AWS_ENDPOINT_URL only with `endpoint` (the examples get their endpoint as a
    variable, as a user's configuration does)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ECS_MIGRATE_", "TF_VAR_", "AWS_", "TF_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
        TF_INPUT="0",
    )
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


@pytest.fixture
def tf_env(emulator, bin_dir) -> dict:
    """The caller tests' environment: the emulator for the provider and ecs-migrate alike
    (AWS_ENDPOINT_URL), ecs-migrate on PATH."""
    return clean_env(bin_dir, emulator.url)


@pytest.fixture(scope="session")
def tree(session_tmp) -> Path:
    """A private copy of terraform/ that tests read and init in place (validate, inputs,
    offline): BASE/terraform."""
    return tfrun.copy_tree(session_tmp / "tree")


def _interrupt(signum, frame):
    # Once: a second signal must not interrupt the teardown this one starts.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if signal.getsignal(signal.SIGINT) is _interrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    config.addinivalue_line("markers", "group(name): the share of the tests one process runs (TEST_TERRAFORM_GROUP)")
    # Stopped by scripts/test-terraform (SIGTERM), or by SIGINT where a shell started this in
    # the background (which ignores SIGINT): stop as on Ctrl-C, tearing the fixtures down (the
    # emulators stop).
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, _interrupt)


def pytest_collection_modifyitems(config, items):
    """TEST_TERRAFORM_GROUP=a,b runs only the tests of those groups (scripts/test-terraform runs
    the groups side by side: most of the time goes to waiting and to provider start-ups).
    With groups, a test in none of them is an error: it would run nowhere."""
    names = os.environ.get("TEST_TERRAFORM_GROUP") or os.environ.get("TEST_CALLERS_GROUP", "")
    wanted = {g for g in names.split(",") if g}
    if not wanted:
        return
    unmarked = [item.nodeid for item in items if not item.get_closest_marker("group")]
    if unmarked:
        raise pytest.UsageError("tests in no group (give them @pytest.mark.group): " + ", ".join(unmarked))
    keep, drop = [], []
    for item in items:
        (keep if item.get_closest_marker("group").args[0] in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_terminal_summary(terminalreporter):
    """TEST_TERRAFORM_COUNTS=FILE: "passed failed skipped" (errors count as failed)."""
    path = os.environ.get("TEST_TERRAFORM_COUNTS")
    if not path:
        return
    stats = terminalreporter.stats

    def count(*keys: str) -> int:
        return sum(len(stats.get(key, [])) for key in keys)

    Path(path).write_text(f"{count('passed')} {count('failed', 'error')} {count('skipped')}\n")
