"""awslogs: container output -> CloudWatch Logs, and moto's logs fixes.

a. moto's logs models are not thread-safe (its own TODO): GetLogEvents sorts
   the event list while the emulator's log shippers append to it.  One lock
   serialises every access to streams' event lists.
b. GetLogEvents on a missing stream says "The specified log group does not
   exist." (moto's default message); CloudWatch says "log stream".
c. ``LogSink`` buffers one container's (or Lambda bootstrap's) lines and ships
   them into moto's logs backend; ``log_flusher`` (a launcher thread) flushes
   every sink every 50 ms.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from moto.logs import models as logs_models
from moto.logs.exceptions import ResourceNotFoundException as LogsNotFound

from .state import LOG_BATCH_MAX, LOG_FLUSH_INTERVAL, MAX_EVENT_BYTES, STATE

if TYPE_CHECKING:
    from .containers import ContainerRuntime

log = logging.getLogger("ecs_emulator")

_orig_group_get_log_events: Callable[..., Any] | None = None


def install() -> None:
    """Lock moto's ``LogStream`` event lists (a); fix ``LogGroup.get_log_events``'s message (b)."""
    global _orig_group_get_log_events
    for name in ("put_log_events", "get_log_events", "filter_log_events", "to_describe_dict"):
        setattr(logs_models.LogStream, name, locked(getattr(logs_models.LogStream, name)))
    _orig_group_get_log_events = logs_models.LogGroup.get_log_events
    logs_models.LogGroup.get_log_events = _group_get_log_events  # type: ignore[method-assign]


_LOGS_LOCK = threading.RLock()


def locked(func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _LOGS_LOCK:
            return func(*args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# b. Fixes: GetLogEvents on a missing stream says "The specified log group does
#     not exist." (moto's default message); CloudWatch says "log stream".


def _group_get_log_events(self: Any, log_stream_name: str, *args: Any, **kwargs: Any) -> Any:
    if log_stream_name not in self.streams:
        raise LogsNotFound("The specified log stream does not exist.")
    return _orig_group_get_log_events(self, log_stream_name, *args, **kwargs)


class LogSink:
    """Buffers one container's lines and ships them, in order, into moto's logs
    backend.  Timestamps are real milliseconds, never decreasing within a stream
    (moto pages GetLogEvents by position in the timestamp-sorted list, so
    appending in order keeps tokens stable)."""

    def __init__(self, backend: Any, group_name: str, stream_name: str) -> None:
        self.backend = backend  # bound at creation: never writes into a post-reset backend
        self.group_name = group_name
        self.stream_name = stream_name
        self.lock = threading.Lock()
        self.buffer: list[dict[str, Any]] = []
        self.last_ts = 0
        self.closed = False
        with _LOGS_LOCK:
            self._stream()

    @classmethod
    def for_container(cls, container: ContainerRuntime) -> "LogSink":
        options = container.awslogs or {}
        task = container.task_rt.task
        region = options.get("awslogs-region") or task.region_name
        group = options.get("awslogs-group") or f"/ecs/{container.task_rt.task_definition.family}"
        prefix = options.get("awslogs-stream-prefix")
        stream = f"{prefix}/{container.name}/{task.id}" if prefix else container.runtime_id
        sink = cls(logs_models.logs_backends[task._account_id][region], group, stream)
        STATE.sinks.add(sink)
        return sink

    def _stream(self) -> Any:
        group = self.backend.groups.get(self.group_name)
        if group is None:
            self.backend.create_log_group(self.group_name, {})
            group = self.backend.groups[self.group_name]
        stream = group.streams.get(self.stream_name)
        if stream is None:
            group.create_log_stream(self.stream_name)
            stream = group.streams[self.stream_name]
        return stream

    def add(self, message: str) -> None:
        with self.lock:
            ts = max(int(time.time() * 1000), self.last_ts)
            self.last_ts = ts
            self.buffer.append({"timestamp": ts, "message": message})
            if len(self.buffer) >= LOG_BATCH_MAX:
                self._flush_locked()

    def flush(self) -> None:
        with self.lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        if self.closed:
            return
        with _LOGS_LOCK:
            self._stream().put_log_events(batch)

    def close(self) -> None:
        self.flush()
        with STATE.lock:
            STATE.sinks.discard(self)


def pump_lines(pipe: Any, add: Callable[[str], None]) -> None:
    """Read ``pipe`` to EOF, handing each non-empty line (without its newline, split
    at MAX_EVENT_BYTES) to ``add`` (a LogSink's): containers and Lambda bootstraps."""
    try:
        while True:
            chunk = pipe.readline(MAX_EVENT_BYTES)
            if not chunk:
                break
            if chunk.endswith(b"\n"):
                chunk = chunk[:-1]
            if chunk:
                add(chunk.decode("utf-8", "replace"))
    except (OSError, ValueError):
        pass
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def log_flusher() -> None:
    while True:
        time.sleep(LOG_FLUSH_INTERVAL)
        with STATE.lock:
            sinks = list(STATE.sinks)
        for sink in sinks:
            try:
                sink.flush()
            except Exception:
                log.exception("log flush failed for %s/%s", sink.group_name, sink.stream_name)
