"""Lambda custom runtimes in the local emulator: Invoke really runs the bootstrap.

moto's Lambda never runs a ``provided.*`` function without Docker: its
Docker-less "lambda-simple" backend echoes the payload (or returns a result
queued through ``POST /moto-api/static/lambda-simple/response``), and its
Docker backend needs images this machine does not have.  With the strict-mode
configuration key ``lambda_bootstrap`` on (``strict.py``), an Invoke
(``RequestResponse``) of a function whose runtime is ``provided.*`` and whose
deployment zip holds a ``bootstrap``:

1. extracts the zip (moto's ``LambdaFunction.code_bytes``) into a temporary
   directory, the task root;
2. starts a Lambda Runtime API server (version 2018-06-01) on 127.0.0.1 for
   this one invocation;
3. runs ``bootstrap`` as a local process (its own process group) with
   Lambda's environment, ``AWS_ENDPOINT_URL`` pointing back at the emulator;
4. hands it the event on ``GET /runtime/invocation/next`` and waits for its
   response, its error, an init error, its exit or the function's timeout;
5. kills the process group, writes its output and START / END / REPORT into
   CloudWatch Logs (``/aws/lambda/<name>``) through the emulator's ``LogSink``;
6. answers Invoke as Lambda does (``X-Amz-Function-Error: Unhandled`` and an
   error document when the function failed).

Anything else (the key off, another runtime, no ``bootstrap`` in the zip, the
``Event`` and ``DryRun`` invocation types) goes to moto's backend as before.

The pieces: this module patches moto's ``invoke`` (``install()``, from
``ecsemu.install()``) and answers for the runs; ``lambda_invocation.py`` is one
Invoke (its process, its logs, its record); ``lambda_api.py`` the Runtime API
server it starts.  The launcher calls ``set_endpoint_url()`` once it knows its
own URL; ``control.py`` calls ``kill_all()`` from ``stop_all_tasks()`` (reset,
shutdown) and ``forget_runs()`` from ``/moto-api/reset``, and ``runs()`` serves
``GET /ecs-emulator/lambda-runs``.

Every Invoke runs in its own werkzeug request thread and nothing here holds an
emulator lock while a bootstrap runs, so the handler's own AWS calls (and any
other client) are served meanwhile, and two Invokes run two processes at once.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any, Callable

from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend

from .lambda_invocation import Invocation, forget_runs, header, kill_all, runs, set_endpoint_url
from .state import STRICT

__all__ = ["CONFIG_KEY", "install", "set_endpoint_url", "runs", "forget_runs", "kill_all"]

#: The strict-mode configuration key that switches this on.
CONFIG_KEY = "lambda_bootstrap"


def install() -> None:
    """Patch moto's Lambda backends' ``invoke`` (both the Docker one and
    lambda-simple, whichever ``/moto-api/config`` selects)."""
    for cls in (LambdaBackend, LambdaSimpleBackend):
        original = cls.__dict__["invoke"]
        if not getattr(original, "_runs_bootstrap", False):
            cls.invoke = _wrap_invoke(original)  # type: ignore[method-assign]


def _bootstrap_zip(fn: Any) -> bytes | None:
    """The function's deployment zip if it is a custom-runtime zip with a bootstrap."""
    if not str(fn.run_time or "").startswith("provided"):
        return None
    if getattr(fn, "package_type", "Zip") != "Zip":
        return None
    code = getattr(fn, "code_bytes", None) or b""
    try:
        zipfile.ZipFile(io.BytesIO(code)).getinfo("bootstrap")
    except (zipfile.BadZipFile, KeyError, ValueError):
        return None
    return code


def _wrap_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(
        self: LambdaBackend, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        if STRICT[CONFIG_KEY]:
            invocation_type = header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
            if invocation_type == "RequestResponse":
                fn = self.get_function(function_name, qualifier)
                code = _bootstrap_zip(fn)
                if code is not None:
                    return Invocation(fn, qualifier, body, headers, code).run(response_headers)
        return original(self, function_name, qualifier, body, headers, response_headers)

    invoke._runs_bootstrap = True  # type: ignore[attr-defined]
    invoke.__name__ = "invoke"
    invoke.__doc__ = original.__doc__
    return invoke
