"""Entry points of the processes that test_lock_contention.py starts (no tests here).

They live in their own module, imported by its plain name, so that multiprocessing children can
import them whatever import mode pytest uses, and without importing pytest.
"""

from __future__ import annotations

import time
from typing import Any, List, Tuple

import redis

from ringpax.lock import RedisLock

PROCESSES = 16
ACQUISITIONS = 50

Record = Tuple[int, int, int, int]  # fencing token, start ns, end ns, worker


def contender(url: str, worker: int, count: int, ready: Any, start: Any, out: Any) -> None:
    """One process: take the lock `count` times; record (token, start, end) of each hold."""
    client = redis.Redis.from_url(url, socket_timeout=10)
    lock = RedisLock("contended", client=client, ttl=10)
    records: List[Record] = []
    client.ping()
    ready.release()
    start.wait()
    try:
        for _ in range(count):
            if not lock.acquire(timeout=30):
                raise AssertionError(f"worker {worker}: not acquired in 30 s")
            begin = time.monotonic_ns()  # CLOCK_MONOTONIC: one clock for all processes
            token = lock.fencing_token
            # A read-modify-write that loses updates unless the lock excludes the others.
            value = int(client.get("counter") or 0)
            client.set("counter", value + 1)
            end = time.monotonic_ns()
            lock.release()
            assert token is not None
            records.append((token, begin, end, worker))
        out.put(("ok", records))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        out.put(("error", f"worker {worker}: {type(exc).__name__}: {exc}"))
