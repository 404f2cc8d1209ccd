#!/usr/bin/env python3
"""Local emulated AWS ECS (+ CloudWatch Logs) for ecs-migrate's tests and demo.

``ecs-migrate`` runs a database-migration task on AWS ECS and waits for a *true*
verdict: the task's real exit code and its CloudWatch log output.  AWS is not
reachable from the test machines, and moto's plain server is not good enough:
its ECS tasks never run anything, and some of its responses crash or don't
deserialise in the AWS SDK for Rust.  This script starts moto's server
in-process with the patches of the ``ecsemu`` package (emulator/ecsemu/, one
module per patched service or concern; see its ``__init__``) and serves on a
local port.  ECS tasks *really run*: each container with a command is a local
process whose exit code becomes the container's exitCode, and whose output
becomes CloudWatch Logs events when it uses the ``awslogs`` log driver.

Usage::

    .venv/bin/python emulator/ecs_emulator.py [--host 127.0.0.1] [--port 0]

When ready it prints exactly one line on stdout::

    ECS_EMULATOR_READY http://127.0.0.1:PORT

and serves until SIGTERM/SIGINT; it then kills every task process it started
and exits 0.  Everything else goes to stderr.  See emulator/README.md for the
conventions (failure injection, environment knobs) and the list of patches.
"""

from __future__ import annotations

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ecsemu import launcher  # noqa: E402  (emulator/ecsemu/)

if __name__ == "__main__":
    status = launcher.main()
    # Skip interpreter finalisation (tearing down moto's modules takes ~0.3 s):
    # everything worth doing was done above.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
