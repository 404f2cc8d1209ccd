"""S3: one request on a bucket or an object at a time, so conditional writes are atomic.

Fixes: moto's ``S3Response.put_object`` checks a precondition (``If-None-Match: *``,
``If-Match: <ETag>``) and then writes, with nothing held in between, and so does
``delete_object`` (``If-Match``).  In the threaded server two racing conditional writes
of one key can both pass the check: two ``If-None-Match: *`` creates both answer 200,
two ``If-Match`` writes on the same ETag both replace the object.  AWS documents that
the first to finish wins and the others fail with 412.  Concurrent writes of one key
also crash: ``FakeBucket.keys.setlist`` disposes the key it replaces, whose buffer the
other request is still reading for its ETag (``ValueError: I/O operation on closed
file``, HTTP 500).  ``install()`` runs moto's ``_key_response`` and ``_bucket_response``
(the request is already read by then) under one lock, so each request is evaluated
and applied as a whole.  The emulator's S3 traffic is a few small objects, so the
lock costs nothing noticeable.  ``409 ConditionalRequestConflict`` never happens.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from moto.s3.responses import S3Response

#: Held for the whole of one S3 request (re-entrant: moto's handlers call each other).
_LOCK = threading.RLock()

_orig_key_response: Callable[..., Any] | None = None
_orig_bucket_response: Callable[..., Any] | None = None


def install() -> None:
    """Patch ``S3Response._key_response`` and ``S3Response._bucket_response``."""
    global _orig_key_response, _orig_bucket_response
    _orig_key_response = S3Response._key_response
    _orig_bucket_response = S3Response._bucket_response
    S3Response._key_response = _key_response  # type: ignore[method-assign]
    S3Response._bucket_response = _bucket_response  # type: ignore[method-assign]


def _key_response(self: S3Response, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        return _orig_key_response(self, *args, **kwargs)


def _bucket_response(self: S3Response, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        return _orig_bucket_response(self, *args, **kwargs)
