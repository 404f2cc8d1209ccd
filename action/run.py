"""The GitHub Action's migration step (action.yml, step `migrate`): runs `ecs-migrate run` with the
ECS_MIGRATE_* environment the step was given, and turns its JSON report into the step's outputs.

- ecs-migrate's progress and the migration's log lines (its stderr) go to the job log inside a
  `::group::`, with workflow commands stopped (`::stop-commands::`), so a line the migration
  prints can never act as a command (`::add-mask::`, `::error::`, ...). Its stderr is sent
  through this process's stdout, so that the group and the stop/resume lines keep their order
  with them (the runner reads stdout and stderr separately).
- Its stdout, the one JSON document of `--output json`, becomes the outputs `status`, `task-arn`,
  `exit-code` and `report`, written to $GITHUB_OUTPUT before the step ends, also on failure.
- A failure adds an `::error::` annotation with the report's reason, and the step exits with
  ecs-migrate's own exit status.
- SIGINT/SIGTERM (a cancelled job) are handed to ecs-migrate, which stops the task and restores
  the services; it runs in its own process group, so that it gets each signal once.

Nothing from the inputs is evaluated: values are only split (lists) and passed on as environment.
Python >= 3.8, standard library only.
"""

import json
import os
import signal
import subprocess
import sys
import uuid

# List settings: the action's inputs accept commas or newlines; ecs-migrate reads comma lists.
LISTS = (
    "ECS_MIGRATE_SUBNETS",
    "ECS_MIGRATE_SECURITY_GROUPS",
    "ECS_MIGRATE_SERVICE",
    "ECS_MIGRATE_TAG",
)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def escape_data(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text):
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def comma_list(text):
    items = (item.strip() for item in text.replace("\r", "\n").replace("\n", ",").split(","))
    return ",".join(item for item in items if item)


def write_outputs(path, outputs):
    """`name<<delimiter` syntax for every output, with a delimiter that is in no value."""
    with open(path, "a", encoding="utf-8") as file:
        for name, value in outputs.items():
            delimiter = "ghadelimiter_" + uuid.uuid4().hex
            while delimiter in value:
                delimiter = "ghadelimiter_" + uuid.uuid4().hex
            file.write("%s<<%s\n%s\n%s\n" % (name, delimiter, value, delimiter))


def main():
    env = dict(os.environ)
    binary = env.pop("ACTION_ECS_MIGRATE_BIN", "")
    output_path = env.get("GITHUB_OUTPUT", "")
    if not binary or not output_path:
        say("::error title=ecs-migrate::the install step gave no ecs-migrate binary, or GITHUB_OUTPUT is unset")
        return 1
    for name in LISTS:
        env[name] = comma_list(env.get(name, ""))
    env["ECS_MIGRATE_OUTPUT"] = "json"

    child = []
    pending = []

    def forward(signum, _frame):
        if child:
            child[0].send_signal(signum)
        else:
            pending.append(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)

    token = uuid.uuid4().hex
    say("::group::ecs-migrate run")
    say("::stop-commands::" + token)
    try:
        proc = subprocess.Popen(
            [binary, "run"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=sys.stdout.fileno(),
            start_new_session=True,
        )
    except OSError as err:
        say("::%s::" % token)
        say("::endgroup::")
        say("::error title=ecs-migrate::cannot start %s: %s" % (escape_data(binary), escape_data(str(err))))
        write_outputs(output_path, {"status": "error", "task-arn": "", "exit-code": "", "report": ""})
        return 1
    child.append(proc)
    for signum in pending:
        proc.send_signal(signum)
    stdout, _ = proc.communicate()
    code = proc.returncode
    if code < 0:
        code = 128 - code
    say("::%s::" % token)
    say("::endgroup::")

    text = stdout.decode("utf-8", "replace").strip()
    try:
        report = json.loads(text) if text else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        report = None

    status = "error"
    task_arn = exit_code = reason = ""
    if report is not None:
        status = str(report.get("status") or "error")
        task_arn = report.get("task_arn") or ""
        if isinstance(report.get("exit_code"), int):
            exit_code = str(report["exit_code"])
        error = report.get("error")
        reason = report.get("reason") or (error.get("message") if isinstance(error, dict) else "") or ""
    else:
        # A clap error (an invalid value) is printed before there is any report.
        reason = "ecs-migrate exited with status %d without a report; its error is in the log above" % code
        if code == 0:
            code = 1

    write_outputs(
        output_path,
        {"status": status, "task-arn": str(task_arn), "exit-code": exit_code, "report": text if report else ""},
    )
    # One line, so that no part of a reason (it can quote an input) starts a workflow command.
    say("ecs-migrate: %s%s" % (status, ": " + " ".join(str(reason).splitlines()) if reason else ""))
    if code != 0:
        message = str(reason or "ecs-migrate exited with status %d" % code)
        say("::error title=%s::%s" % (escape_property("ecs-migrate: " + status), escape_data(message)))
    return code


if __name__ == "__main__":
    sys.exit(main())
