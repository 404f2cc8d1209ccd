"""Strict mode of the local ECS emulator: AWS behaviours moto does not model.

The hooks into moto that use it are in ``strict_hooks.py`` (``STRICT`` itself is
in ``state.py``); this module needs no moto.  Everything here is switchable at
runtime (see emulator/README.md, "Strict mode"):

* ``Strict``: the configuration (validated; start-up value from the
  ``ECS_EMULATOR_CONFIG`` environment variable, changed through
  ``POST /ecs-emulator/config``, restored by ``/moto-api/reset``), the seeded
  RNG behind fault injection and empty log pages, the injected-fault counters
  and the timeline of task statuses, container exits, task teardowns and
  service desired counts.
* ``fault_response``: the throttling / server error a service answers with,
  in that service's wire protocol.
* ``check_ecs_tags``: ECS's documented tag restrictions.
* ``canonical_json``: how two RunTask requests are compared.

This module takes no lock of the emulator: its own lock is a leaf lock (it is
never held while another lock is acquired), so its hooks may be called from
anywhere, including with ``STATE.lock`` or the logs lock held.
"""

from __future__ import annotations

import collections
import copy
import json
import math
import random
import re
import threading
import time
import unicodedata
import uuid
from typing import Any, Iterable

#: The configuration keys, their defaults (documented hard rules on, timing
#: imperfections off) and what each must be.
DEFAULTS: dict[str, Any] = {
    "run_task_conflict": True,
    "client_token_ttl_seconds": 86400,
    "tag_limits": True,
    "log_lag_ms": 0,
    "log_empty_page_rate": 0,
    "describe_lag_seconds": 0,
    "stale_desired_count_seconds": 0,
    "stopped_task_retention_seconds": 3600,
    # Fargate's teardown: seconds from the containers' stop to STOPPED (0: the emulator's quick stop; teardown.py).
    "task_teardown_seconds": 0,
    "faults": {},
    "seed": None,
    # Not an AWS rule: Invoke of a provided.* function runs its bootstrap (lambda_runtime.py).
    "lambda_bootstrap": False,
}

_BOOLEANS = ("run_task_conflict", "tag_limits", "lambda_bootstrap")
_NON_NEGATIVE = (
    "client_token_ttl_seconds",
    "log_lag_ms",
    "describe_lag_seconds",
    "stale_desired_count_seconds",
    "stopped_task_retention_seconds",
    "task_teardown_seconds",
)
_SHARES = ("log_empty_page_rate",)
FAULT_KINDS = ("throttle", "server_error", "lost_response", "access_denied")
_FAULT_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*(?::[A-Za-z0-9]+)?$")

#: Timeline length bound (oldest events are dropped first).
TIMELINE_MAX = 100_000


class ConfigError(ValueError):
    """An invalid configuration; ``key`` names the offending key (or None)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.key is not None:
            body["key"] = self.key
        return body


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_share(value: Any, key: str) -> None:
    if not _is_number(value) or not 0 <= value <= 1:
        raise ConfigError(f"{key} must be a number from 0 to 1, got {json.dumps(value)}", key)


def _validate_faults(value: Any) -> dict[str, dict[str, float]]:
    if not isinstance(value, dict):
        raise ConfigError(f"faults must be an object, got {json.dumps(value)}", "faults")
    out: dict[str, dict[str, float]] = {}
    for target, shares in value.items():
        where = f"faults.{target}"
        if not isinstance(target, str) or not _FAULT_KEY.match(target):
            raise ConfigError(
                f"{where}: a faults key is \"<service>\" or \"<service>:<Operation>\" "
                "(for example \"ecs\" or \"ecs:RunTask\")",
                where,
            )
        if not isinstance(shares, dict):
            raise ConfigError(f"{where} must be an object of shares, got {json.dumps(shares)}", where)
        entry: dict[str, float] = {}
        for kind, share in shares.items():
            if kind not in FAULT_KINDS:
                raise ConfigError(
                    f"{where}.{kind}: unknown fault kind (known: {', '.join(FAULT_KINDS)})", f"{where}.{kind}"
                )
            _check_share(share, f"{where}.{kind}")
            entry[kind] = share
        out[target] = entry
    return out


def validate(update: Any) -> dict[str, Any]:
    """Validate a (partial) configuration object; return a normalised copy."""
    if not isinstance(update, dict):
        raise ConfigError(f"the configuration must be a JSON object, got {json.dumps(update)}")
    out: dict[str, Any] = {}
    for key, value in update.items():
        if key not in DEFAULTS:
            raise ConfigError(f"unknown configuration key {key!r} (known: {', '.join(DEFAULTS)})", key)
        if key in _BOOLEANS:
            if not isinstance(value, bool):
                raise ConfigError(f"{key} must be true or false, got {json.dumps(value)}", key)
        elif key in _NON_NEGATIVE:
            if not _is_number(value) or value < 0:
                raise ConfigError(f"{key} must be a number >= 0, got {json.dumps(value)}", key)
        elif key in _SHARES:
            _check_share(value, key)
        elif key == "faults":
            value = _validate_faults(value)
        elif key == "seed":
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ConfigError(f"seed must be an integer or null, got {json.dumps(value)}", key)
        out[key] = value
    return out


def parse_startup(text: str | None) -> dict[str, Any]:
    """The start-up configuration from ``ECS_EMULATOR_CONFIG`` (unset/empty: defaults)."""
    config = copy.deepcopy(DEFAULTS)
    if text is None or not text.strip():
        return config
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"not valid JSON: {exc}") from None
    config.update(validate(given))
    return config


class Strict:
    """The strict-mode configuration and the state that goes with it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # leaf lock
        self.startup: dict[str, Any] = copy.deepcopy(DEFAULTS)
        # Replaced (never mutated) on every change, so readers may use it without the lock.
        self.config: dict[str, Any] = copy.deepcopy(DEFAULTS)
        self.rng = random.Random()
        self.faults: collections.Counter[str] = collections.Counter()
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=TIMELINE_MAX)

    # -- configuration -----------------------------------------------------------
    def load_startup(self, text: str | None) -> None:
        config = parse_startup(text)
        with self.lock:
            self.startup = config
            self.config = copy.deepcopy(config)
            self.rng = random.Random(config["seed"])

    def __getitem__(self, key: str) -> Any:
        return self.config[key]

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.config)

    def update(self, update: Any) -> dict[str, Any]:
        """Merge a validated partial configuration (all or nothing); return the whole config."""
        checked = validate(update)
        with self.lock:
            merged = copy.deepcopy(self.config)
            merged.update(checked)
            self.config = merged
            if "seed" in checked:
                self.rng = random.Random(checked["seed"])
            return copy.deepcopy(merged)

    def reset(self) -> None:
        """/moto-api/reset: the start-up configuration, a re-seeded RNG, no counters, no timeline."""
        with self.lock:
            self.config = copy.deepcopy(self.startup)
            self.rng = random.Random(self.startup["seed"])
            self.faults.clear()
            self.events.clear()

    # -- randomness ----------------------------------------------------------------
    def draw_fault(self, service: str, operation: str) -> str | None:
        """The fault to inject into this call, if any (counted)."""
        faults = self.config["faults"]
        if not faults:
            return None
        shares = faults.get(f"{service}:{operation}")
        if shares is None:
            shares = faults.get(service)
        if not shares:
            return None
        with self.lock:
            draw = self.rng.random()
            bound = 0.0
            for kind in FAULT_KINDS:
                share = shares.get(kind, 0)
                bound += share
                if share > 0 and draw < bound:  # random() < 1: a share of 1 always fires
                    self.faults[f"{service}:{operation}:{kind}"] += 1
                    return kind
        return None

    def empty_page(self) -> bool:
        rate = self.config["log_empty_page_rate"]
        if rate <= 0:
            return False
        with self.lock:
            return rate >= 1 or self.rng.random() < rate

    def nonce(self) -> str:
        with self.lock:
            return f"{self.rng.getrandbits(32):08x}"

    def fault_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(sorted(self.faults.items()))

    # -- timeline ---------------------------------------------------------------------
    def record(self, kind: str, **fields: Any) -> None:
        with self.lock:
            event = {"t": time.time(), "kind": kind}
            event.update(fields)
            self.events.append(event)

    def timeline(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.events)


# ---------------------------------------------------------------------------
# Fault responses
# ---------------------------------------------------------------------------

#: (throttling (code, message, HTTP status), server error (code, message, HTTP status)) per
#: SigV4 service.  ECS/Logs/Application Auto Scaling: the codes their models (or the
#: AWS Common Errors) name; every throttling code is in botocore's and the Rust
#: SDK's list of throttling errors.
SERVICE_ERRORS: dict[str, tuple[tuple[str, str, int], tuple[str, str, int]]] = {
    "ecs": (
        ("ThrottlingException", "Rate exceeded", 400),
        ("ServerException", "Service Unavailable. Please try again later.", 500),
    ),
    "logs": (
        ("ThrottlingException", "Rate exceeded", 400),
        ("ServiceUnavailableException", "The service cannot complete the request.", 500),
    ),
    "application-autoscaling": (
        ("ThrottlingException", "Rate exceeded", 400),
        ("InternalServiceException", "The service encountered an internal error.", 500),
    ),
    "sts": (
        ("Throttling", "Rate exceeded", 400),
        ("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500),
    ),
    "ec2": (
        ("RequestLimitExceeded", "Request limit exceeded.", 503),
        ("InternalError", "An internal error has occurred.", 500),
    ),
}

_PROTOCOL_ERRORS: dict[str, tuple[tuple[str, str, int], tuple[str, str, int]]] = {
    "json": (
        ("ThrottlingException", "Rate exceeded", 400),
        ("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500),
    ),
    "rest-json": (
        ("ThrottlingException", "Rate exceeded", 400),
        ("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500),
    ),
    "query": (
        ("Throttling", "Rate exceeded", 400),
        ("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500),
    ),
    "ec2": SERVICE_ERRORS["ec2"],
    "rest-xml": (
        ("SlowDown", "Please reduce your request rate.", 503),
        ("InternalError", "We encountered an internal error. Please try again.", 500),
    ),
}

_protocols: dict[str, tuple[str, str]] = {}
_protocols_lock = threading.Lock()


def _protocol(service: str) -> tuple[str, str]:
    """(botocore protocol, JSON version) of a SigV4 service name; json/1.1 if unknown."""
    with _protocols_lock:
        if service not in _protocols:
            found = ("json", "1.1")
            try:
                import botocore.session

                model = botocore.session.get_session().get_service_model(service)
                found = (model.metadata.get("protocol", "json"), model.metadata.get("jsonVersion", "1.1"))
            except Exception:
                pass
            _protocols[service] = found
        return _protocols[service]


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fault_response(service: str, kind: str, operation: str = "") -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of an injected ``throttle``, ``server_error`` or
    ``access_denied`` (``lost_response`` answers with the server error)."""
    protocol, json_version = _protocol(service)
    errors = SERVICE_ERRORS.get(service) or _PROTOCOL_ERRORS.get(protocol) or _PROTOCOL_ERRORS["json"]
    if kind == "access_denied":
        # As IAM words it for an identity-based policy that does not allow the action.
        code, status = "AccessDeniedException", 400
        message = (
            f"User: arn:aws:sts::123456789012:assumed-role/ci/ecs-migrate is not authorized to perform: "
            f"{service}:{operation} because no identity-based policy allows the {service}:{operation} action"
        )
    else:
        code, message, status = errors[0] if kind == "throttle" else errors[1]
    request_id = str(uuid.uuid4())
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    headers = [("x-amzn-RequestId", request_id)]
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = f"application/x-amz-json-{json_version}" if protocol == "json" else "application/json"
        headers += [("Content-Type", content_type), ("X-Amzn-Errortype", code)]
    elif protocol == "ec2":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{_xml_escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "rest-xml":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{_xml_escape(message)}"
            f"</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers.append(("Content-Type", "application/xml"))
    else:  # query
        fault = "Sender" if status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{fault}</Type><Code>{code}</Code><Message>{_xml_escape(message)}"
            f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return f"{status} {reason}", headers, body


# ---------------------------------------------------------------------------
# ECS tag restrictions ("Tagging your Amazon ECS resources" -> tag restrictions;
# the Tag data type and TagResource in the ECS API reference)
# ---------------------------------------------------------------------------

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_TAG_PUNCTUATION = set("_.:/=+-@")


class TagError(ValueError):
    """A tag restriction is violated (ECS answers InvalidParameterException)."""


def _allowed(text: str) -> bool:
    """The model's pattern [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*: letters, separators
    (spaces), numbers and _ . : / = + - @."""
    for char in text:
        if char in _TAG_PUNCTUATION:
            continue
        if unicodedata.category(char)[0] in ("L", "Z", "N"):
            continue
        return False
    return True


def _show(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def check_ecs_tags(tags: Any, existing_keys: Iterable[str] = ()) -> None:
    """Raise TagError unless ``tags`` (ECS ``[{"key", "value"}]``) may be applied to
    a resource that already has ``existing_keys``."""
    if tags is None:
        return
    if not isinstance(tags, list):
        raise TagError("tags must be a list of key/value pairs.")
    keys: list[str] = []
    for tag in tags:
        if not isinstance(tag, dict):
            raise TagError("Each tag must be an object with a key and an optional value.")
        key = tag.get("key")
        value = tag.get("value")
        if not isinstance(key, str) or not key:
            raise TagError("Tag keys must be between 1 and 128 characters long; a tag has an empty key.")
        if len(key) > MAX_KEY_LENGTH:
            raise TagError(
                f"Tag key {_show(key)} is {len(key)} characters long; tag keys must be between 1 and "
                f"{MAX_KEY_LENGTH} characters long."
            )
        if key.lower().startswith("aws:"):
            raise TagError(
                f"Tag key {_show(key)} starts with the reserved prefix 'aws:'; keys beginning with aws: "
                "(in any case) are reserved for AWS use."
            )
        if not _allowed(key):
            raise TagError(
                f"Tag key {_show(key)} contains a character that is not allowed; use letters, numbers, "
                "spaces and + - = . _ : / @."
            )
        if value is not None:
            if not isinstance(value, str):
                raise TagError(f"The value of tag {_show(key)} must be a string.")
            if len(value) > MAX_VALUE_LENGTH:
                raise TagError(
                    f"The value of tag {_show(key)} is {len(value)} characters long; tag values must be at "
                    f"most {MAX_VALUE_LENGTH} characters long."
                )
            if not _allowed(value):
                raise TagError(
                    f"The value of tag {_show(key)} contains a character that is not allowed; use letters, "
                    "numbers, spaces and + - = . _ : / @."
                )
        keys.append(key)
    total = len(set(existing_keys) | set(keys))
    if total > MAX_TAGS:
        raise TagError(
            f"The resource would have {total} tags; the maximum number of tags per resource is {MAX_TAGS}."
        )


# ---------------------------------------------------------------------------
# RunTask comparison
# ---------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """One string per JSON value whatever its key order or spacing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
