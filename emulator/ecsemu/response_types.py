"""Response types: coerce awsJson responses to the botocore model.

Fixes: the AWS SDK for Rust rejects a whole response on one JSON type mismatch
("type mismatch: expected string"), e.g. numbers where the model says string
(``containers[].cpu`` / ``memory``), ISO strings where awsJson wants epoch
seconds, nulls.  moto 5.2.5 serialises ECS through the model, but Logs and
Application Auto Scaling build JSON by hand, and the emulator's own handlers
return plain dicts.

The WSGI middleware (``middleware.py``) re-walks every 2xx JSON response of the
coerced awsJson services against botocore's output shape with
``coerce_to_shape`` and converts each value to the model's type, dropping what
cannot be represented (unknown members, nulls, unparseable values).  Nothing
here patches moto.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import botocore.session
from botocore.model import Shape

COERCED_SERVICES = ("ecs", "logs", "application-autoscaling")
DROP = object()


def _parse_timestamp(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=_dt.timezone.utc)
        return parsed.timestamp()
    return None


def _epoch_number(seconds: float) -> int | float:
    millis = int(round(seconds * 1000))
    return millis // 1000 if millis % 1000 == 0 else millis / 1000.0


def coerce_to_shape(value: Any, shape: Shape) -> Any:
    """Return ``value`` converted to ``shape``'s JSON type, or ``DROP``."""
    if value is None:
        return DROP
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return value
        if not isinstance(value, dict):
            return DROP
        out = {}
        members = shape.members
        for key, member_value in value.items():
            member_shape = members.get(key)
            if member_shape is None:
                continue
            coerced = coerce_to_shape(member_value, member_shape)
            if coerced is not DROP:
                out[key] = coerced
        return out
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            return DROP
        items = (coerce_to_shape(v, shape.member) for v in value)
        return [v for v in items if v is not DROP]
    if kind == "map":
        if not isinstance(value, dict):
            return DROP
        out = {}
        for key, map_value in value.items():
            coerced = coerce_to_shape(map_value, shape.value)
            if coerced is not DROP:
                out[str(key)] = coerced
        return out
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        return DROP
    if kind in ("integer", "long"):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        if isinstance(value, str):
            try:
                return int(float(value.strip()))
            except ValueError:
                return DROP
        return DROP
    if kind in ("float", "double"):
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return DROP
        return DROP
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return DROP
    if kind == "timestamp":
        seconds = _parse_timestamp(value)
        if seconds is None:
            return DROP
        fmt = shape.serialization.get("timestampFormat", "unixtimestamp")
        if fmt == "iso8601":
            return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return _epoch_number(seconds)
    if kind == "blob":
        return value if isinstance(value, str) else DROP
    return value


class ModelCoercer:
    """Maps an ``X-Amz-Target`` header to the operation's botocore output shape."""

    def __init__(self, services: Iterable[str] = COERCED_SERVICES) -> None:
        session = botocore.session.get_session()
        self._models = {}
        for name in services:
            model = session.get_service_model(name)
            prefix = model.metadata.get("targetPrefix")
            if prefix:
                self._models[prefix] = model
        self._cache: dict[str, tuple[Shape, str] | None] = {}

    def output_shape(self, target: str) -> tuple[Shape, str] | None:
        """(output shape, Content-Type) of the operation, or None."""
        if not target or "." not in target:
            return None
        if target not in self._cache:
            prefix, op_name = target.rsplit(".", 1)
            model = self._models.get(prefix)
            found = None
            if model is not None and op_name in model.operation_names:
                shape = model.operation_model(op_name).output_shape
                if shape is not None:
                    content_type = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}"
                    found = (shape, content_type)
            self._cache[target] = found
        return self._cache[target]
