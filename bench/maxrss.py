"""Runs a command and reports its peak RSS, for the benchmark harness (bench/run.py).

    python -I -S bench/maxrss.py RESULT_FILE COMMAND...

Forks, execs COMMAND in the child, reaps it with wait4(), and writes one line to RESULT_FILE:
`<ru_maxrss KiB> <exit status> <epoch seconds when wait4 returned>`; exits with COMMAND's status.

Why a helper: Linux carries a process's peak RSS across exec (ru_maxrss includes the memory of the
process it was forked from), so a child forked straight from the harness (a Python process with
boto3 loaded, ~75 MB) would report at least that. Forked from this small interpreter instead, the
floor is this helper's own RSS at fork time, which the harness measures with `true` and reports.
ru_maxrss of the child covers the child and every descendant it waited for (the largest one):
for the shell-script baselines, that is the largest `aws` process.
"""

import os
import sys
import time

result, command = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
while True:
    try:
        _, wait_status, rusage = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
exited_at = time.time()
status = os.waitstatus_to_exitcode(wait_status)
with open(result, "w") as f:
    f.write(f"{rusage.ru_maxrss} {status} {exited_at!r}\n")
sys.exit(status if status >= 0 else 128 - status)
