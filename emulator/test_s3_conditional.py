"""Tests of the emulator's S3: the conditional requests ecs-migrate's S3 lock relies on.

The lock (``--lock s3://BUCKET/PREFIX``) is the object ``PREFIX/<cluster>/<family>.json``:
taken with PutObject ``If-None-Match: *``, renewed and taken over with PutObject
``If-Match: <ETag>``, released with DeleteObject ``If-Match: <ETag>``; a lost race is
412 ``PreconditionFailed``.  Each test drives a launched emulator with boto3 (path-style
addressing, one attempt per call, so every answer is seen as it is); the per-test
fixture's /moto-api/reset empties S3 and restores the start-up configuration (no
faults).  The atomicity of the racing writes is ``ecsemu/s3.py``'s.  Run:
    .venv/bin/python -m pytest -q emulator/test_s3_conditional.py
"""

from __future__ import annotations

import collections
import hashlib
import json
import threading
from typing import Any, Callable

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from test_emulator import REGION, Emulator
from test_strict import configure

BUCKET = "ecs-migrate-locks"
KEY = "locks/c/app.json"
RACERS = 20


# ---------------------------------------------------------------------------
# harness
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_emulator(tmp_path_factory: pytest.TempPathFactory):
    emu = Emulator(tmp_path_factory.mktemp("s3") / "emulator.log")
    yield emu
    assert emu.stop() == 0


@pytest.fixture
def emu(s3_emulator: Emulator) -> Emulator:
    s3_emulator.reset()
    s3(s3_emulator).create_bucket(Bucket=BUCKET)
    return s3_emulator


def s3(emu: Emulator) -> Any:
    """A path-style S3 client that makes exactly one attempt."""
    return boto3.client(
        "s3",
        endpoint_url=emu.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}),
    )


def error(call: Callable[[], Any]) -> tuple[str, int]:
    """(code, HTTP status) of the ClientError the call raises."""
    with pytest.raises(ClientError) as err:
        call()
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def body(client: Any, key: str = KEY) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def document(run: str, write: str) -> bytes:
    """A lock document as ecs-migrate writes it: the same run renews with a new nonce each time."""
    return json.dumps({"run": run, "write": write}).encode()


def race(emu: Emulator, attempt: Callable[[Any, int], Any]) -> collections.Counter[Any]:
    """Runs ``attempt(client, i)`` in RACERS threads released at once; counts "ok" and the
    HTTP statuses of the failures."""
    clients = [s3(emu) for _ in range(RACERS)]
    for client in clients:  # open each connection first, so the attempts arrive together
        client.head_bucket(Bucket=BUCKET)
    barrier = threading.Barrier(RACERS)
    outcomes: collections.Counter[Any] = collections.Counter()
    lock = threading.Lock()

    def go(i: int) -> None:
        barrier.wait()
        try:
            attempt(clients[i], i)
            outcome: Any = "ok"
        except ClientError as err:
            outcome = (err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"])
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=go, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


# ---------------------------------------------------------------------------
# take: PutObject If-None-Match: *
# ---------------------------------------------------------------------------


def test_put_if_none_match_on_a_missing_key_creates_it_and_returns_its_etag(emu: Emulator) -> None:
    client = s3(emu)
    put = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"), IfNoneMatch="*")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert put["ETag"] == client.head_object(Bucket=BUCKET, Key=KEY)["ETag"]
    assert body(client) == document("r-1", "w1")


def test_put_if_none_match_on_an_existing_key_is_412_and_leaves_the_object_unchanged(emu: Emulator) -> None:
    client = s3(emu)
    etag = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"))["ETag"]
    assert error(lambda: client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-2", "w2"),
                                           IfNoneMatch="*")) == ("PreconditionFailed", 412)
    assert body(client) == document("r-1", "w1")
    assert client.head_object(Bucket=BUCKET, Key=KEY)["ETag"] == etag


# ---------------------------------------------------------------------------
# renew, take over: PutObject If-Match: <ETag>
# ---------------------------------------------------------------------------


def test_put_if_match_with_the_current_etag_replaces_the_object_with_a_new_etag(emu: Emulator) -> None:
    client = s3(emu)
    first = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"), IfNoneMatch="*")["ETag"]
    second = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w2"), IfMatch=first)["ETag"]
    assert second != first
    assert body(client) == document("r-1", "w2")
    assert client.head_object(Bucket=BUCKET, Key=KEY)["ETag"] == second


def test_put_if_match_with_a_stale_etag_is_412_and_leaves_the_object_unchanged(emu: Emulator) -> None:
    client = s3(emu)
    stale = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"), IfNoneMatch="*")["ETag"]
    current = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-2", "w2"), IfMatch=stale)["ETag"]
    assert error(lambda: client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w3"),
                                           IfMatch=stale)) == ("PreconditionFailed", 412)
    assert body(client) == document("r-2", "w2")
    assert client.head_object(Bucket=BUCKET, Key=KEY)["ETag"] == current


def test_put_if_match_on_a_missing_key_is_no_such_key_404_not_412(emu: Emulator) -> None:
    # As AWS documents it ("Conditional write behavior"): a lock released (or unlocked)
    # between a run's read and its If-Match write answers 404, not 412.
    client = s3(emu)
    etag = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"))["ETag"]
    client.delete_object(Bucket=BUCKET, Key=KEY)
    assert error(lambda: client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-2", "w2"),
                                           IfMatch=etag)) == ("NoSuchKey", 404)
    assert error(lambda: client.get_object(Bucket=BUCKET, Key=KEY)) == ("NoSuchKey", 404)


# ---------------------------------------------------------------------------
# release: DeleteObject If-Match: <ETag>
# ---------------------------------------------------------------------------


def test_delete_if_match_with_the_current_etag_deletes_the_object(emu: Emulator) -> None:
    client = s3(emu)
    etag = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"), IfNoneMatch="*")["ETag"]
    deleted = client.delete_object(Bucket=BUCKET, Key=KEY, IfMatch=etag)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error(lambda: client.get_object(Bucket=BUCKET, Key=KEY)) == ("NoSuchKey", 404)


def test_delete_if_match_with_a_stale_etag_is_412_and_the_object_remains(emu: Emulator) -> None:
    client = s3(emu)
    stale = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"), IfNoneMatch="*")["ETag"]
    client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-2", "w2"), IfMatch=stale)
    assert error(lambda: client.delete_object(Bucket=BUCKET, Key=KEY, IfMatch=stale)) == ("PreconditionFailed", 412)
    assert body(client) == document("r-2", "w2")


def test_delete_if_match_on_a_missing_key_is_no_such_key_404(emu: Emulator) -> None:
    client = s3(emu)
    etag = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"))["ETag"]
    client.delete_object(Bucket=BUCKET, Key=KEY)
    assert error(lambda: client.delete_object(Bucket=BUCKET, Key=KEY, IfMatch=etag)) == ("NoSuchKey", 404)
    # Without If-Match, deleting a missing key succeeds (204), as in S3.
    assert client.delete_object(Bucket=BUCKET, Key=KEY)["ResponseMetadata"]["HTTPStatusCode"] == 204


# ---------------------------------------------------------------------------
# ETags, missing keys and buckets
# ---------------------------------------------------------------------------


def test_two_writes_of_the_same_body_have_the_same_etag_the_md5_of_the_body(emu: Emulator) -> None:
    # Why each lock document carries a nonce: without it, a renewal that writes the same bytes
    # would not change the ETag, and a run could not tell its own write from an identical one.
    client = s3(emu)
    same = document("r-1", "w1")
    first = client.put_object(Bucket=BUCKET, Key=KEY, Body=same)["ETag"]
    second = client.put_object(Bucket=BUCKET, Key=KEY, Body=same, IfMatch=first)["ETag"]
    assert first == second == f'"{hashlib.md5(same).hexdigest()}"'
    assert client.put_object(Bucket=BUCKET, Key="other.json", Body=same)["ETag"] == first
    assert client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w2"), IfMatch=first)["ETag"] != first


def test_get_of_a_missing_key_in_an_existing_bucket_is_no_such_key_404(emu: Emulator) -> None:
    assert error(lambda: s3(emu).get_object(Bucket=BUCKET, Key=KEY)) == ("NoSuchKey", 404)


def test_a_missing_bucket_is_no_such_bucket_404_for_get_and_for_a_conditional_put(emu: Emulator) -> None:
    client = s3(emu)
    assert error(lambda: client.get_object(Bucket="no-such-bucket", Key=KEY)) == ("NoSuchBucket", 404)
    assert error(lambda: client.put_object(Bucket="no-such-bucket", Key=KEY, Body=b"{}",
                                           IfNoneMatch="*")) == ("NoSuchBucket", 404)


def test_versioned_bucket_a_delete_marker_counts_as_no_object_for_if_none_match(emu: Emulator) -> None:
    client = s3(emu)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    etag = client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"), IfNoneMatch="*")["ETag"]
    assert error(lambda: client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-2", "w2"),
                                           IfNoneMatch="*")) == ("PreconditionFailed", 412)
    assert client.delete_object(Bucket=BUCKET, Key=KEY, IfMatch=etag)["DeleteMarker"] is True
    assert error(lambda: client.get_object(Bucket=BUCKET, Key=KEY)) == ("NoSuchKey", 404)
    client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-2", "w2"), IfNoneMatch="*")
    assert body(client) == document("r-2", "w2")


# ---------------------------------------------------------------------------
# races
# ---------------------------------------------------------------------------


def test_twenty_racing_if_none_match_creates_of_one_key_have_exactly_one_winner(emu: Emulator) -> None:
    for round_ in range(5):
        key = f"race/{round_}.json"
        outcomes = race(emu, lambda client, i: client.put_object(
            Bucket=BUCKET, Key=key, Body=document(f"r-{i}", f"w{i}"), IfNoneMatch="*"))
        assert outcomes == {"ok": 1, ("PreconditionFailed", 412): RACERS - 1}, (round_, outcomes)
        assert json.loads(body(s3(emu), key))["run"].startswith("r-")


def test_twenty_racing_if_match_takeovers_of_one_etag_have_exactly_one_winner(emu: Emulator) -> None:
    client = s3(emu)
    for round_ in range(5):
        key = f"takeover/{round_}.json"
        dead = client.put_object(Bucket=BUCKET, Key=key, Body=document("r-dead", "w0"))["ETag"]
        winners: list[str] = []

        def take_over(racer: Any, i: int) -> None:
            racer.put_object(Bucket=BUCKET, Key=key, Body=document(f"r-{i}", f"w{i}"), IfMatch=dead)
            winners.append(f"r-{i}")

        outcomes = race(emu, take_over)
        assert outcomes == {"ok": 1, ("PreconditionFailed", 412): RACERS - 1}, (round_, outcomes)
        assert json.loads(body(client, key))["run"] == winners[0]


def test_reads_racing_renewals_always_see_a_whole_document(emu: Emulator) -> None:
    # A waiting run reads the lock while its holder renews it: every read must succeed
    # (no 500 from a half-replaced object) and return one of the documents written.
    writer = s3(emu)
    etag = writer.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w0"), IfNoneMatch="*")["ETag"]
    written = {document("r-1", "w0")}
    done = threading.Event()
    seen: list[Any] = []

    def read(client: Any) -> None:
        while not done.is_set():
            try:
                seen.append(body(client))
            except ClientError as err:
                seen.append(err.response["Error"]["Code"])

    readers = [threading.Thread(target=read, args=(s3(emu),)) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for n in range(1, 60):
            doc = document("r-1", f"w{n}")
            written.add(doc)
            etag = writer.put_object(Bucket=BUCKET, Key=KEY, Body=doc, IfMatch=etag)["ETag"]
    finally:
        done.set()
        for reader in readers:
            reader.join(30)
    assert seen and set(seen) <= written, set(seen) - written


# ---------------------------------------------------------------------------
# fault injection reaches S3
# ---------------------------------------------------------------------------


def test_a_fault_on_s3_reaches_s3_calls_and_clearing_it_restores_them(emu: Emulator) -> None:
    client = s3(emu)
    configure(emu, faults={"s3": {"throttle": 1}})
    assert error(lambda: client.put_object(Bucket=BUCKET, Key=KEY, Body=b"{}", IfNoneMatch="*")) == ("SlowDown", 503)
    assert error(lambda: client.get_object(Bucket=BUCKET, Key=KEY)) == ("SlowDown", 503)
    configure(emu, faults={"s3": {"server_error": 1}})
    assert error(lambda: client.delete_object(Bucket=BUCKET, Key=KEY)) == ("InternalError", 500)
    faults = emu.http("/ecs-emulator/calls")["faults"]
    assert sum(faults.values()) == 3 and all(key.startswith("s3:") for key in faults), faults
    configure(emu, faults={})
    # Nothing was written while S3 was faulted; now it answers normally.
    assert error(lambda: client.get_object(Bucket=BUCKET, Key=KEY)) == ("NoSuchKey", 404)
    client.put_object(Bucket=BUCKET, Key=KEY, Body=b"{}", IfNoneMatch="*")
    assert body(client) == b"{}"


def test_a_lost_put_response_wrote_the_object_and_resending_it_is_412_against_its_own_write(emu: Emulator) -> None:
    # Why a 412 is judged by reading the object back: the first attempt may have won.
    client = s3(emu)
    configure(emu, faults={"s3": {"lost_response": 1}})
    assert error(lambda: client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"),
                                           IfNoneMatch="*")) == ("InternalError", 500)
    configure(emu, faults={})
    assert error(lambda: client.put_object(Bucket=BUCKET, Key=KEY, Body=document("r-1", "w1"),
                                           IfNoneMatch="*")) == ("PreconditionFailed", 412)
    assert json.loads(body(client))["write"] == "w1"
