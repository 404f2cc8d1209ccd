"""The local emulated AWS: moto's server, patched (see emulator/README.md).

``emulator/ecs_emulator.py`` runs ``launcher.main()``, which calls ``install()``
below: that is the only place patches are applied, each module's ``install()``
in this order.  Importing a module patches nothing.

Modules (each docstring says which moto behaviour it fixes):

* ``state``          configuration knobs, shared state (``STATE``, ``STRICT``), helpers
* ``response_types`` coercion of awsJson responses to the botocore model
* ``middleware``     the WSGI wrapper: call counting, fault injection, coercion
* ``placement``      RunTask/StartTask without moto's crashes; ``Task`` fields live in the runtime
* ``containers``     one container: a local process, its exit code, ``docker stop``
* ``lifecycle``      one task: statuses in real time, stops, DescribeTasks' view
* ``teardown``       Fargate's slow DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED
* ``logs``           container output -> CloudWatch Logs; moto's logs thread-safety
* ``ecs_handlers``   RunTask, DescribeTasks, StopTask, ListTasks, tagging, cluster counts
* ``services``       services keep desiredCount tasks running (the scheduler)
* ``autoscaling``    Application Auto Scaling's SuspendedState
* ``s3``             one S3 request at a time: conditional writes are atomic
* ``control``        /moto-api/reset and the /ecs-emulator/... endpoints
* ``strict``         strict mode's logic and configuration (no moto)
* ``strict_hooks``   strict mode's hooks into moto
* ``lambda_runtime`` Lambda custom runtimes: Invoke runs the bootstrap
  (``lambda_invocation``: one run; ``lambda_api``: its Runtime API server)
* ``stepfunctions``  moto's Step Functions interpreter on; its calls come back here; a
  distributed Map's failure threshold
* ``launcher``       the server, the READY line, signals
"""

from __future__ import annotations

_installed = False


def install() -> None:
    """Apply every patch to moto, once (later calls do nothing)."""
    global _installed
    if _installed:
        return
    _installed = True
    # Imported here, not at the top: ``import ecsemu.strict`` (the tests) needs no moto.
    from . import (
        autoscaling,
        control,
        ecs_handlers,
        lambda_runtime,
        logs,
        placement,
        s3,
        services,
        stepfunctions,
        strict_hooks,
    )

    placement.install()  # Task.__init__, task status fields, RunTask/StartTask placement
    logs.install()  # LogStream thread-safety, GetLogEvents' missing-stream message
    ecs_handlers.install()  # RunTask, DescribeTasks, StopTask, ListTasks, tagging, cluster counts
    services.install()  # CreateService's network check, live counts, create/update/delete
    autoscaling.install()  # SuspendedState
    s3.install()  # one S3 request at a time: If-None-Match / If-Match are checked and applied atomically
    control.install()  # /moto-api/reset forgets the emulator's tasks first
    strict_hooks.install()  # tag limits, stale desiredCount, log ingestion lag (replaces two logs reads)
    lambda_runtime.install()  # Invoke of a provided.* function runs its bootstrap
    stepfunctions.install()  # executions run (moto's interpreter), its Task calls come back here
