"""The Lambda Runtime API (version 2018-06-01) of one invocation.

``lambda_invocation.Invocation.run`` starts one ``RuntimeApiServer`` on
127.0.0.1 per Invoke and sets its ``invocation``; the handler serves
``GET /2018-06-01/runtime/invocation/next`` (``Invocation.hand_out``, once; a
second ``next`` is held until the process is gone) and the posted response,
error and init error (``Invocation.finish``).  Nothing here patches moto.
"""

from __future__ import annotations

import http.server
import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lambda_invocation import Invocation

log = logging.getLogger("ecs_emulator.lambda")

API_PREFIX = "/2018-06-01/runtime"


class RuntimeApiServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    invocation: "Invocation"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A bootstrap killed mid-request (after its response, at its timeout) is normal.
        log.debug("runtime API request from %s failed", client_address, exc_info=True)


class RuntimeApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the runtime clients expect
    server_version = "ecs-emulator-lambda-runtime-api"
    server: RuntimeApiServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        log.debug("runtime API: " + format, *args)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                if not size_line:
                    break
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?", 1)[0] != f"{API_PREFIX}/invocation/next":
            self._send(404, {"errorType": "NotFound", "errorMessage": f"unknown path {self.path}"})
            return
        invocation = self.server.invocation
        headers = invocation.hand_out()
        if headers is None:
            # One invocation per process: a second `next` is held until the process is killed.
            invocation.finished.wait()
            self.close_connection = True
            return
        self._send(200, invocation.event, headers)

    def do_POST(self) -> None:  # noqa: N802
        invocation = self.server.invocation
        path = self.path.split("?", 1)[0]
        body = self._body()
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        if path == f"{API_PREFIX}/init/error":
            status, answer = invocation.finish("init_error", None, body, error_type)
        elif path.startswith(f"{API_PREFIX}/invocation/") and path.endswith(("/response", "/error")):
            request_id, kind = path[len(f"{API_PREFIX}/invocation/"):].rsplit("/", 1)
            status, answer = invocation.finish(kind, request_id, body, error_type)
        else:
            status, answer = 404, {"errorType": "NotFound", "errorMessage": f"unknown path {self.path}"}
        self._send(status, answer)
