"""Tests of the emulator's Lambda custom runtimes (emulator/ecsemu/lambda_runtime.py).

With the strict-mode key ``lambda_bootstrap`` on, Invoke of a ``provided.*``
function runs the ``bootstrap`` of its zip as a local process speaking the Lambda
Runtime API.  The bootstraps here are small shell / Python scripts written and
zipped by the tests (no Rust build needed); the last test runs the project's own
handler (target/debug/ecs-migrate, zipped as bootstrap) when it has been built.  Run:
    .venv/bin/python -m pytest -q emulator/test_lambda_runtime.py
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from ecsemu import strict  # emulator/ecsemu/strict.py: the configuration's defaults
from test_emulator import PY, REGION, Emulator, alive, all_events, wait_for

ROLE = "arn:aws:iam::123456789012:role/lambda-test"
#: Set in the emulator's environment only: a bootstrap must not inherit it.
MARKER = "ECS_EMULATOR_TEST_ONLY_MARKER"
RUN_FIELDS = {
    "function", "function_arn", "request_id", "pid", "started_at", "ended_at", "duration_ms",
    "outcome", "error_type", "exit_code", "log_group", "log_stream",
}
STREAM_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")
REPORT_LINE = re.compile(
    r"^REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: (?P<memory>\d+) MB\tMax Memory Used: \d+ MB(\tInit Duration: \d+\.\d\d ms)?$"
)

# A bash + curl bootstrap's first lines: one `next`, then respond / fail with the request id.
BASH = r"""#!/bin/bash
set -eu
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
event=$(curl -sS -D "$LAMBDA_TASK_ROOT/.headers" "$api/invocation/next")
id=$(grep -i '^lambda-runtime-aws-request-id:' "$LAMBDA_TASK_ROOT/.headers" | cut -d' ' -f2 | tr -d '\r')
respond() { curl -sS -o /dev/null -X POST "$api/invocation/$id/response" --data-binary "$1"; }
fail() { curl -sS -o /dev/null -X POST "$api/invocation/$id/error" -H "Lambda-Runtime-Function-Error-Type: $1" --data-binary "$2"; }
"""

# A Python bootstrap's first lines (this interpreter: it has boto3).
PYTHON = f"""#!{PY}
import json, os, urllib.request
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
with urllib.request.urlopen(API + "next") as r:
    HEADERS = dict(r.headers.items())
    EVENT = json.loads(r.read())
REQUEST_ID = HEADERS["Lambda-Runtime-Aws-Request-Id"]
def respond(value):
    request = urllib.request.Request(API + REQUEST_ID + "/response", data=json.dumps(value).encode(), method="POST")
    urllib.request.urlopen(request).read()
"""


# ---------------------------------------------------------------------------
# harness
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lambda_emulator(tmp_path_factory: pytest.TempPathFactory):
    emu = Emulator(
        tmp_path_factory.mktemp("lambda") / "emulator.log",
        ECS_EMULATOR_CONFIG=json.dumps({"lambda_bootstrap": True}),
        **{MARKER: "1"},
    )
    yield emu
    assert emu.stop() == 0


def post(emu: Emulator, path: str, payload: Any) -> tuple[int, Any]:
    request = urllib.request.Request(emu.url + path, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def moto_lambda_backend(emu: Emulator, use_docker: bool) -> None:
    """moto's own switch (not reset by /moto-api/reset): Docker backend or Docker-less lambda-simple."""
    status, _ = post(emu, "/moto-api/config", {"lambda": {"use_docker": use_docker}})
    assert status in (200, 201)


@pytest.fixture
def emu(lambda_emulator: Emulator) -> Emulator:
    lambda_emulator.reset()  # also restores the start-up config: lambda_bootstrap on
    moto_lambda_backend(lambda_emulator, True)  # moto's default
    lambda_emulator.client("iam").create_role(RoleName="lambda-test", AssumeRolePolicyDocument="{}")
    return lambda_emulator


def zipped(files: dict[str, str | bytes], mode: int = 0o755) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def lambda_client(emu: Emulator, region: str = REGION) -> Any:
    return boto3.client(
        "lambda", endpoint_url=emu.url, region_name=region, aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}, read_timeout=120),
    )


def function(emu: Emulator, name: str, bootstrap: str | bytes, *, runtime: str = "provided.al2023",
             mode: int = 0o755, region: str = REGION, files: dict[str, str | bytes] | None = None,
             **kwargs: Any) -> dict[str, Any]:
    code = zipped({"bootstrap": bootstrap, **(files or {})}, mode)
    kwargs.setdefault("Timeout", 30)
    return lambda_client(emu, region).create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Handler="bootstrap", Code={"ZipFile": code}, **kwargs
    )


def invoke(emu: Emulator, name: str, payload: Any = None, region: str = REGION, **kwargs: Any) -> dict[str, Any]:
    if payload is not None:
        kwargs["Payload"] = json.dumps(payload).encode()
    response = lambda_client(emu, region).invoke(FunctionName=name, **kwargs)
    response["body"] = response["Payload"].read()
    return response


def lambda_runs(emu: Emulator) -> list[dict[str, Any]]:
    return emu.http("/ecs-emulator/lambda-runs")["runs"]


def the_run(emu: Emulator) -> dict[str, Any]:
    runs = lambda_runs(emu)
    assert len(runs) == 1, runs
    assert set(runs[0]) == RUN_FIELDS
    return runs[0]


def run_log(emu: Emulator, run: dict[str, Any], region: str = REGION) -> list[str]:
    """Every event of the run's log stream (in the function's region)."""
    if region == REGION:
        return all_events(emu, run["log_group"], run["log_stream"])
    logs = boto3.client("logs", endpoint_url=emu.url, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing")
    page = logs.get_log_events(logGroupName=run["log_group"], logStreamName=run["log_stream"], startFromHead=True)
    return [e["message"] for e in page["events"]]


def assert_lambda_framing(lines: list[str], request_id: str, memory: int = 128) -> list[str]:
    """START first, END and REPORT last, as Lambda writes them; returns what is in between."""
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST", lines
    assert lines[-2] == f"END RequestId: {request_id}", lines
    report = REPORT_LINE.match(lines[-1])
    assert report and report["id"] == request_id and int(report["memory"]) == memory, lines[-1]
    return lines[1:-2]


def gone(pid: int) -> bool:
    return not alive(pid)


# ---------------------------------------------------------------------------
# the Runtime API round trip
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("use_docker", [True, False], ids=["moto-docker-backend", "moto-lambda-simple-backend"])
def test_echo_bootstrap_answers_invoke_with_its_response(emu: Emulator, use_docker: bool) -> None:
    moto_lambda_backend(emu, use_docker)
    function(emu, "echo", BASH + 'respond "{\\"echoed\\": $event}"\n')
    response = invoke(emu, "echo", {"order": 42, "items": ["a", "b"]})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert json.loads(response["body"]) == {"echoed": {"order": 42, "items": ["a", "b"]}}
    run = the_run(emu)
    assert run["function"] == "echo" and run["outcome"] == "response" and run["error_type"] is None
    assert run["exit_code"] is None  # killed after answering, not exited
    wait_for(lambda: gone(run["pid"]), timeout=5)
    calls = emu.http("/ecs-emulator/calls")["calls"]
    assert calls["lambda:POST /2015-03-31/functions/echo/invocations"] == 1


def test_bootstrap_gets_lambdas_environment_not_the_emulators(emu: Emulator) -> None:
    region = "eu-west-1"  # the function's region, not the emulator's default
    function(
        emu, "env", PYTHON + 'respond({"env": dict(os.environ), "cwd": os.getcwd(), "files": sorted(os.listdir("."))})\n',
        region=region, MemorySize=256, Timeout=7, files={"data/config.txt": "x"},
        Environment={"Variables": {"GREETING": "hello", "AWS_REGION": "us-west-2"}},
    )
    answer = json.loads(invoke(emu, "env", {}, region=region)["body"])
    env = answer["env"]
    env.pop("LC_CTYPE", None)  # Python's own C-locale coercion (PEP 538), not the emulator's
    run = the_run(emu)
    root = env["LAMBDA_TASK_ROOT"]
    assert env == {
        "PATH": env["PATH"],
        "TZ": ":UTC",
        "_HANDLER": "bootstrap",
        "AWS_ENDPOINT_URL": emu.url,  # the handler's AWS calls come back to the emulator
        "AWS_REGION": region,  # reserved: the function's own AWS_REGION does not win
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": "env",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/env",
        "AWS_LAMBDA_LOG_STREAM_NAME": run["log_stream"],
        "AWS_LAMBDA_RUNTIME_API": env["AWS_LAMBDA_RUNTIME_API"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "LAMBDA_TASK_ROOT": root,
        "LAMBDA_RUNTIME_DIR": root,
        "GREETING": "hello",
    }
    assert MARKER not in env  # nothing of the emulator's own environment but PATH
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert answer["cwd"] == root and answer["files"] == ["bootstrap", "data"]
    assert not Path(root).exists()  # the extracted zip is removed after the run
    assert STREAM_NAME.match(run["log_stream"])
    assert run["function_arn"] == f"arn:aws:lambda:{region}:123456789012:function:env"
    assert_lambda_framing(run_log(emu, run, region), run["request_id"], memory=256)


def test_next_invocation_headers_carry_request_id_deadline_arn_and_trace(emu: Emulator) -> None:
    function(emu, "headers", PYTHON + 'respond({"headers": HEADERS, "event": EVENT})\n', Timeout=7)
    before = time.time()
    answer = json.loads(invoke(emu, "headers", {"k": "v"})["body"])
    after = time.time()
    headers = {k.lower(): v for k, v in answer["headers"].items()}
    run = the_run(emu)
    assert answer["event"] == {"k": "v"}
    assert headers["lambda-runtime-aws-request-id"] == run["request_id"]
    assert headers["lambda-runtime-invoked-function-arn"] == "arn:aws:lambda:us-east-1:123456789012:function:headers"
    deadline = int(headers["lambda-runtime-deadline-ms"])  # the run's start + the function's timeout
    assert math.floor(before * 1000) + 7000 <= deadline <= math.ceil(after * 1000) + 7000
    assert deadline == int((run["started_at"] + 7) * 1000)
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0",
                        headers["lambda-runtime-trace-id"])
    assert headers["content-type"] == "application/json"


def test_posted_error_is_function_error_unhandled_with_the_document(emu: Emulator) -> None:
    document = {"errorType": "OrderFailed", "errorMessage": "no stock for item a", "stackTrace": ["at line 1"]}
    function(emu, "fails", BASH + f"fail OrderFailed '{json.dumps(document)}'\n")
    response = invoke(emu, "fails", {"order": 1})
    assert response["StatusCode"] == 200  # a function error is still a successful Invoke
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["body"]) == document
    run = the_run(emu)
    assert run["outcome"] == "error" and run["error_type"] == "OrderFailed"


def test_runtime_api_refuses_wrong_ids_and_late_init_errors_and_takes_chunked_bodies(emu: Emulator) -> None:
    function(emu, "strict-api", PYTHON + """import http.client
def status(method, path, body, **headers):
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    connection.request(method, "/2018-06-01/runtime/" + path, body=body, headers=headers)
    answer = connection.getresponse()
    return answer.status, json.loads(answer.read())
seen = [status("POST", "invocation/not-the-id/response", b"1"), status("POST", "init/error", b"{}")]
chunks = iter([b'{"seen": ', json.dumps(seen).encode(), b"}"])  # an iterator: sent chunked
connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
connection.request("POST", "/2018-06-01/runtime/invocation/" + REQUEST_ID + "/response", body=chunks,
                   encode_chunked=True, headers={"Transfer-Encoding": "chunked"})
connection.getresponse().read()
""")
    response = invoke(emu, "strict-api", {})
    assert "FunctionError" not in response, response["body"]
    (wrong_id, wrong_id_body), (late_init, late_init_body) = json.loads(response["body"])["seen"]
    assert (wrong_id, wrong_id_body["errorType"]) == (400, "InvalidRequestID")
    assert (late_init, late_init_body["errorType"]) == (403, "InvalidStateTransition")


def test_init_error_is_function_error_unhandled_with_the_document(emu: Emulator) -> None:
    document = {"errorType": "Runtime.ConfigError", "errorMessage": "DATABASE_URL is not set"}
    function(emu, "init-fails", f"""#!/bin/bash
curl -sS -o /dev/null -X POST "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" \\
    -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigError' --data-binary '{json.dumps(document)}'
exit 1
""")
    response = invoke(emu, "init-fails", {})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["body"]) == document
    run = the_run(emu)
    assert run["outcome"] == "init_error" and run["error_type"] == "Runtime.ConfigError"


def test_handler_calls_back_into_the_emulator_while_invoke_waits(emu: Emulator) -> None:
    # boto3 in the bootstrap finds the emulator, the region and the credentials in its environment.
    function(emu, "callback", PYTHON + """import boto3
ecs = boto3.client("ecs")
ecs.create_cluster(clusterName=EVENT["cluster"])
respond({"clusters": ecs.list_clusters()["clusterArns"]})
""")
    response = invoke(emu, "callback", {"cluster": "made-by-lambda"})
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/made-by-lambda"
    assert "FunctionError" not in response, response["body"]
    assert json.loads(response["body"]) == {"clusters": [arn]}
    assert emu.client("ecs").list_clusters()["clusterArns"] == [arn]  # it really changed the emulator
    calls = emu.http("/ecs-emulator/calls")["calls"]
    assert calls["ecs:CreateCluster"] == 1 and calls["ecs:ListClusters"] == 2


# ---------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------


def test_output_becomes_log_events_between_start_end_and_report(emu: Emulator) -> None:
    function(emu, "talks", BASH + """echo "stream $AWS_LAMBDA_LOG_STREAM_NAME"
echo "to stdout"
echo "to stderr" >&2
echo
printf 'no newline at the end'
respond '"ok"'
""", MemorySize=512)
    assert emu.client("logs").describe_log_groups()["logGroups"] == []
    response = invoke(emu, "talks", {})
    assert json.loads(response["body"]) == "ok"
    run = the_run(emu)
    groups = emu.client("logs").describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/aws/lambda/talks"]  # created, as Lambda does
    streams = emu.client("logs").describe_log_streams(logGroupName="/aws/lambda/talks")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [run["log_stream"]]
    assert STREAM_NAME.match(run["log_stream"])
    # Every line is in CloudWatch by the time Invoke answers (empty lines are dropped).
    inner = assert_lambda_framing(run_log(emu, run), run["request_id"], memory=512)
    assert inner == [f"stream {run['log_stream']}", "to stdout", "to stderr", "no newline at the end"]


def test_existing_log_group_is_used_as_it_is(emu: Emulator) -> None:
    logs = emu.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/kept", tags={"owner": "terraform"})
    logs.put_retention_policy(logGroupName="/aws/lambda/kept", retentionInDays=30)
    function(emu, "kept", BASH + "echo hi\nrespond 1\n")
    assert "FunctionError" not in invoke(emu, "kept", {})
    assert "FunctionError" not in invoke(emu, "kept", {})  # a second run: a second stream
    groups = logs.describe_log_groups()["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [("/aws/lambda/kept", 30)]
    assert logs.list_tags_for_resource(resourceArn=groups[0]["arn"].rstrip(":*"))["tags"] == {"owner": "terraform"}
    runs = lambda_runs(emu)
    assert len(runs) == 2 and runs[0]["log_stream"] != runs[1]["log_stream"]
    for run in runs:
        assert assert_lambda_framing(run_log(emu, run), run["request_id"]) == ["hi"]


def test_log_type_tail_returns_the_invocations_log(emu: Emulator) -> None:
    function(emu, "tail", BASH + "echo 'line one'\nrespond 1\n")
    response = invoke(emu, "tail", {}, LogType="Tail")
    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    assert assert_lambda_framing(lines, the_run(emu)["request_id"]) == ["line one"]
    assert "LogResult" not in invoke(emu, "tail", {})  # only when asked for


# ---------------------------------------------------------------------------
# a bootstrap that does not answer
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "exit_code", "reason"),
    [
        (BASH + "exit 3\n", 3, "Runtime exited with error: exit status 3"),
        (BASH + "exit 0\n", 0, "Runtime exited without providing a reason"),
        ("#!/bin/bash\necho 'dies during init'\nexit 2\n", 2, "Runtime exited with error: exit status 2"),
        (BASH + "kill -SEGV $$\n", 139, "Runtime exited with error: signal: segmentation fault"),
    ],
    ids=["exit-3-after-next", "exit-0-after-next", "exit-2-before-next", "segfault"],
)
def test_exit_without_response_is_runtime_exit_error(emu: Emulator, script: str, exit_code: int, reason: str) -> None:
    function(emu, "quits", script)
    response = invoke(emu, "quits", {})
    run = the_run(emu)
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["body"]) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {run['request_id']} Error: {reason}",
    }
    assert run["outcome"] == "exited" and run["exit_code"] == exit_code
    inner = assert_lambda_framing(run_log(emu, run), run["request_id"])
    assert inner[-1] == f"RequestId: {run['request_id']} Error: {reason}\nRuntime.ExitError"


def test_bootstrap_outliving_its_timeout_is_killed_with_its_group(emu: Emulator, tmp_path: Path) -> None:
    function(emu, "slow", BASH + f"""echo $$ > {tmp_path}/pid
sleep 300 &
echo $! > {tmp_path}/child
wait
""", Timeout=2)
    started = time.monotonic()
    response = invoke(emu, "slow", {})
    took = time.monotonic() - started
    run = the_run(emu)
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["body"]) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {run['request_id']} Error: Task timed out after 2.00 seconds",
    }
    assert 2.0 <= took < 10, took
    assert run["outcome"] == "timeout" and run["exit_code"] is None
    pid, child = int((tmp_path / "pid").read_text()), int((tmp_path / "child").read_text())
    wait_for(lambda: gone(pid) and gone(child), timeout=5)  # the whole process group
    inner = assert_lambda_framing(run_log(emu, run), run["request_id"])
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {run['request_id']} Task timed out after 2\.00 seconds", inner[-1]
    )


def test_bootstrap_without_execute_permission_is_invalid_entrypoint(emu: Emulator) -> None:
    function(emu, "not-executable", BASH + "respond 1\n", mode=0o644)
    response = invoke(emu, "not-executable", {})
    body = json.loads(response["body"])
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"].endswith("/bootstrap: permission denied")
    run = the_run(emu)
    assert run["outcome"] == "start_failed" and run["pid"] is None


# ---------------------------------------------------------------------------
# concurrency, reset, shutdown
# ---------------------------------------------------------------------------


def test_two_invokes_at_once_run_two_processes_concurrently(emu: Emulator, tmp_path: Path) -> None:
    # Each bootstrap answers only once both have started: serialised Invokes would time out.
    function(emu, "pair", BASH + f"""touch {tmp_path}/$$
until [ "$(ls {tmp_path} | wc -l)" -ge 2 ]; do sleep 0.02; done
respond "$$"
""", Timeout=20)
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: results.append(invoke(emu, "pair", {}))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    assert all("FunctionError" not in r for r in results), [r["body"] for r in results]
    pids = sorted(json.loads(r["body"]) for r in results)
    runs = lambda_runs(emu)
    assert sorted(run["pid"] for run in runs) == pids and pids[0] != pids[1]
    first, second = sorted(runs, key=lambda run: run["started_at"])
    assert second["started_at"] < first["ended_at"]  # they overlapped


def test_reset_kills_a_running_bootstrap_and_records_nothing(emu: Emulator, tmp_path: Path) -> None:
    function(emu, "long", BASH + f"echo $$ > {tmp_path}/pid.tmp\nmv {tmp_path}/pid.tmp {tmp_path}/pid\nexec sleep 300\n",
             Timeout=120)
    results: list[dict[str, Any]] = []
    thread = threading.Thread(target=lambda: results.append(invoke(emu, "long", {})))
    thread.start()
    pid = int(wait_for(lambda: (tmp_path / "pid").exists() and (tmp_path / "pid").read_text()))
    assert alive(pid)
    emu.reset()
    thread.join(30)
    assert not thread.is_alive() and results[0]["FunctionError"] == "Unhandled"
    wait_for(lambda: gone(pid), timeout=5)
    assert lambda_runs(emu) == []


def test_sigterm_kills_running_bootstraps(tmp_path: Path) -> None:
    emu = Emulator(tmp_path / "emulator.log", ECS_EMULATOR_CONFIG=json.dumps({"lambda_bootstrap": True}))
    try:
        emu.client("iam").create_role(RoleName="lambda-test", AssumeRolePolicyDocument="{}")
        function(emu, "long", BASH + f"echo $$ > {tmp_path}/pid.tmp\nmv {tmp_path}/pid.tmp {tmp_path}/pid\n"
                 "exec sleep 300\n", Timeout=120)
        thread = threading.Thread(target=lambda: invoke_quietly(emu, "long"), daemon=True)
        thread.start()
        pid = int(wait_for(lambda: (tmp_path / "pid").exists() and (tmp_path / "pid").read_text()))
        assert alive(pid)
    finally:
        assert emu.stop() == 0
    wait_for(lambda: gone(pid), timeout=5)


def invoke_quietly(emu: Emulator, name: str) -> None:
    try:
        invoke(emu, name, {})
    except Exception:  # the emulator went away mid-Invoke: expected here
        pass


# ---------------------------------------------------------------------------
# off, or not a custom runtime: moto's behaviour as before
# ---------------------------------------------------------------------------


def test_config_key_is_a_boolean_and_off_by_default(emu: Emulator) -> None:
    assert strict.DEFAULTS["lambda_bootstrap"] is False
    assert emu.http("/ecs-emulator/config")["lambda_bootstrap"] is True  # this emulator's start-up config
    status, body = post(emu, "/ecs-emulator/config", {"lambda_bootstrap": "yes"})
    assert status == 400 and body["key"] == "lambda_bootstrap"
    status, body = post(emu, "/ecs-emulator/config", {"lambda_bootstrap": False})
    assert status == 200 and body["lambda_bootstrap"] is False
    emu.reset()
    assert emu.http("/ecs-emulator/config")["lambda_bootstrap"] is True


def test_mode_off_keeps_moto_docker_less_echo_and_queued_results(emu: Emulator) -> None:
    # What scripts/test-terraform relies on: lambda-simple echoes, or returns a queued result.
    moto_lambda_backend(emu, False)
    status, _ = post(emu, "/ecs-emulator/config", {"lambda_bootstrap": False})
    assert status == 200
    function(emu, "off", BASH + "respond '\"from the bootstrap\"'\n")
    response = invoke(emu, "off", {"Cluster": "c"})
    assert "FunctionError" not in response
    assert json.loads(response["body"]) == {"Cluster": "c"}
    status, _ = post(emu, "/moto-api/static/lambda-simple/response",
                     {"results": ['{"queued": true}'], "region": REGION, "account_id": "123456789012"})
    assert status in (200, 201)
    assert json.loads(invoke(emu, "off", {"Cluster": "c"})["body"]) == {"queued": True}
    assert lambda_runs(emu) == []


def test_mode_on_leaves_other_runtimes_zips_without_bootstrap_and_async_invokes_to_moto(emu: Emulator) -> None:
    moto_lambda_backend(emu, False)
    function(emu, "python", "not run", runtime="python3.12")
    assert json.loads(invoke(emu, "python", {"a": 1})["body"]) == {"a": 1}
    code = zipped({"handler.sh": BASH + "respond 1\n"})
    lambda_client(emu).create_function(FunctionName="no-bootstrap", Runtime="provided.al2", Role=ROLE,
                                       Handler="handler.sh", Code={"ZipFile": code})
    assert json.loads(invoke(emu, "no-bootstrap", {"b": 2})["body"]) == {"b": 2}
    function(emu, "async", BASH + "respond 1\n")
    assert invoke(emu, "async", {"c": 3}, InvocationType="Event")["StatusCode"] == 202
    assert lambda_runs(emu) == []


# ---------------------------------------------------------------------------
# the project's own handler
# ---------------------------------------------------------------------------

# The ecs-migrate binary serves as the function when started as `bootstrap` (its name in the zip).
REAL_BOOTSTRAP = Path(__file__).resolve().parents[1] / "target" / "debug" / "ecs-migrate"


def test_real_ecs_migrate_bootstrap_answers_a_missing_cluster_with_a_typed_error(emu: Emulator, tmp_path: Path) -> None:
    if not REAL_BOOTSTRAP.is_file():
        message = (
            "NOT RUN: target/debug/ecs-migrate is absent, so the real ecs-migrate Lambda handler was not run "
            "against the emulator's Runtime API (build it: cargo build)"
        )
        warnings.warn(message)
        pytest.skip(message)
    copy = tmp_path / "bootstrap"
    shutil.copyfile(REAL_BOOTSTRAP, copy)  # a snapshot: a concurrent build may replace the file
    function(emu, "ecs-migrate", copy.read_bytes(), Timeout=60)
    payload = {
        "Cluster": "nope",
        "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1",
        "Subnets": "subnet-1",
        "SecurityGroups": "sg-1",
    }
    response = invoke(emu, "ecs-migrate", payload)
    body = json.loads(response["body"])
    assert response["FunctionError"] == "Unhandled", body
    assert set(body) == {"errorType", "errorMessage"}
    assert body["errorType"] in ("AwsError", "InvalidInput"), body
    assert "nope" in body["errorMessage"], body
    run = the_run(emu)
    assert run["outcome"] == "error" and run["error_type"] == body["errorType"]
    # It asked the emulator (AWS_ENDPOINT_URL) about the cluster before failing.
    assert emu.http("/ecs-emulator/calls")["calls"].get("ecs:DescribeClusters", 0) >= 1
    assert_lambda_framing(run_log(emu, run), run["request_id"])
