"""The WSGI middleware around moto's dispatcher.

For every request it counts the API call (``GET /ecs-emulator/calls``), draws
strict mode's injected faults (throttle, server error, access denied before
moto handles the request; lost response after it did; ``strict.py``), coerces
the 2xx responses of ECS, CloudWatch Logs and Application Auto Scaling to the
botocore model (``response_types.py``), and hands ``/ecs-emulator/...`` to the
control plane (``control.py``).  Nothing here patches moto: the launcher wraps
moto's app in ``EmulatorMiddleware``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from . import control, strict
from .response_types import DROP, ModelCoercer, coerce_to_shape
from .state import STATE, STRICT

log = logging.getLogger("ecs_emulator")

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class EmulatorMiddleware:
    """WSGI wrapper around moto's dispatcher: response coercion, call counting,
    fault injection (strict mode) and the ``/ecs-emulator/...`` control endpoints
    (``control.handle``)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.coercer = ModelCoercer()

    # -- call recording (GET /ecs-emulator/calls) -----------------------------------------
    def _record_call(self, environ: dict[str, Any], target: str) -> tuple[str, str] | None:
        """Count an API call; return its (service, operation), None for control requests."""
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/moto-api") or path.startswith("/ecs-emulator"):
            return None
        arrived = time.time()
        with STATE.lock:
            if STATE.first_request_at is None:
                STATE.first_request_at = arrived
        match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(1) if match else "unknown"
        if target:
            operation = target.rsplit(".", 1)[-1]
        else:
            operation = None
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if "Action" in query:
                operation = query["Action"][0]
            elif environ.get("REQUEST_METHOD") == "POST" and environ.get("CONTENT_TYPE", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(body)
                form = parse_qs(body.decode("utf-8", "replace"))
                if "Action" in form:
                    operation = form["Action"][0]
            if operation is None:
                operation = f"{environ.get('REQUEST_METHOD', 'GET')} {path}"
        with STATE.lock:
            STATE.calls[f"{service}:{operation}"] += 1
        return service, operation

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/ecs-emulator/"):
            return control.handle(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        call = None
        try:
            call = self._record_call(environ, target)
        except Exception:  # never let bookkeeping break a request
            log.exception("could not record call")
        fault = STRICT.draw_fault(*call) if call is not None else None
        if fault is None:
            return self._serve(environ, start_response, target)
        service, operation = call  # type: ignore[misc]
        log.info("injecting %s into %s:%s", fault, service, operation)
        if fault == "lost_response":
            # Process the request for real, then lose the answer.
            try:
                result = self._serve(environ, lambda *args, **kwargs: (lambda data: None), target)
                try:
                    for _chunk in result:
                        pass
                finally:
                    if hasattr(result, "close"):
                        result.close()
            except Exception:
                log.exception("request failed before its response was lost")
        status, headers, body = strict.fault_response(service, fault, operation)
        start_response(status, headers)
        return [body]

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any], target: str) -> Iterable[bytes]:
        found = self.coercer.output_shape(target)
        if found is None:
            return self.app(environ, start_response)
        shape, content_type = found

        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.app(environ, capture)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        body = b"".join(chunks)
        status = captured.get("status", "500 INTERNAL SERVER ERROR")
        headers = captured.get("headers", [])
        if status[:1] == "2" and body:
            try:
                fixed = coerce_to_shape(json.loads(body), shape)
            except ValueError:
                pass
            else:
                body = json.dumps({} if fixed is DROP else fixed).encode()
                headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
                headers.append(("Content-Type", content_type))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]
