"""Mutual exclusion across processes, shown by recorded hold intervals, and SIGKILLed holders."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any, Iterator, List

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_server import RedisServer, RedisServerMissing  # noqa: E402
from test_lock_workers import PROCESSES, ACQUISITIONS, Record, contender  # noqa: E402

@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    try:
        srv = RedisServer().start()
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield srv
    srv.close()


@pytest.fixture
def client(server: RedisServer) -> Any:
    c = server.client()
    c.flushall()
    yield c
    c.close()


def test_mutual_exclusion_and_fencing_order_under_contention(
    server: RedisServer, client: Any
) -> None:
    assert sys.platform.startswith("linux"), "time.monotonic_ns must be one clock for all"
    # forkserver: a clean process (no threads of ours) that imports this module once and forks
    # the contenders; spawning 16 interpreters that each import pytest and redis takes seconds.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["test_lock_workers"])
    ready = ctx.Semaphore(0)
    start = ctx.Event()
    out = ctx.Queue()
    procs = [
        ctx.Process(target=contender, args=(server.url, w, ACQUISITIONS, ready, start, out))
        for w in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    for _ in procs:  # all connected and waiting: then they contend from the same instant
        assert ready.acquire(timeout=60), "a contender did not start"
    started = time.monotonic()
    start.set()
    records: List[Record] = []
    errors: List[str] = []
    try:
        for _ in procs:
            kind, payload = out.get(timeout=60)
            if kind == "ok":
                records.extend(payload)
            else:
                errors.append(payload)
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    contended = time.monotonic() - started
    assert not errors, errors
    print(f"{len(records)} acquisitions by {PROCESSES} processes in {contended:.2f} s")
    assert len(records) == PROCESSES * ACQUISITIONS
    records.sort(key=lambda r: r[1])
    for before, after in zip(records, records[1:]):
        assert before[2] < after[1], f"hold intervals overlap: {before} and {after}"
        assert before[0] < after[0], f"fencing tokens out of order: {before} then {after}"
    assert int(client.get("counter")) == PROCESSES * ACQUISITIONS  # no lost update
    workers = {r[3] for r in records}
    assert workers == set(range(PROCESSES))


HOLDER = textwrap.dedent(
    """
    import sys, time, redis
    from ringpax.lock import RedisLock
    lock = RedisLock("killed", client=redis.Redis.from_url(sys.argv[1]), ttl=1.0,
                     auto_renew=True)
    assert lock.acquire(timeout=5)
    print(lock.fencing_token, flush=True)
    time.sleep(600)
    """
)


def test_sigkilled_holder_frees_the_lock_after_its_ttl(server: RedisServer, client: Any) -> None:
    from ringpax.lock import RedisLock

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, server.url], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.strip().isdigit(), f"holder printed {line!r}"
        killed_token = int(line)
        lock = RedisLock("killed", client=client, ttl=5)
        time.sleep(1.5)  # past its 1 s TTL: the holder's watchdog keeps renewing
        assert lock.acquire(blocking=False) is False
        holder.send_signal(signal.SIGKILL)
        holder.wait(5)
        killed_at = time.monotonic()
        assert lock.acquire(timeout=5)
        waited = time.monotonic() - killed_at
        # Nothing released it: it expired, somewhere between 2/3 TTL and 1 TTL after the kill.
        assert 0.3 < waited < 1.5, waited
        assert lock.fencing_token is not None and lock.fencing_token > killed_token
        lock.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(5)
        if holder.stdout is not None:
            holder.stdout.close()
