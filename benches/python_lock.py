"""ringpax.lock.RedisLock vs redis-py's redis.lock.Lock on the same private redis-server.

Run: ``python benches/python_lock.py`` (needs ``redis-server`` on PATH and ringpax installed).

1. Uncontended acquire+release pairs per second, in interleaved rounds (the median of each side
   is reported, so background load hits both alike), and the round trips per pair counted on the
   client. ringpax also issues a fencing token per acquisition; redis-py does not.
2. Contended: N processes (default 8) loop acquire -> (work) -> release on one lock for a fixed
   time, once with no work inside and once with 2 ms; total acquisitions per second, fairness
   (min and max acquisitions per process) and the requests sent per acquisition (the load on
   the server). redis-py's Lock polls (``sleep=0.1`` by default; also run with
   ``sleep=0.005``); ringpax waiters block on a wake list.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))

import redis  # noqa: E402
from redis_server import RedisServer  # noqa: E402

from ringpax.lock import RedisLock  # noqa: E402


class CountingConnection(redis.Connection):
    """A connection that counts the requests it writes (each one is one round trip here)."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


def make_lock(kind: str, client: Any, name: str) -> Tuple[Callable[[], Any], Callable[[], Any]]:
    if kind == "ringpax":
        lock = RedisLock(name, client=client, ttl=30)
        return lock.acquire, lock.release
    sleep = 0.005 if kind == "redis-py-5ms" else 0.1
    rlock = client.lock(name, timeout=30, sleep=sleep)
    return rlock.acquire, rlock.release


def pairs_per_second(kind: str, client: Any, pairs: int) -> float:
    acquire, release = make_lock(kind, client, f"bench-u-{kind}")
    started = time.perf_counter()
    for _ in range(pairs):
        if not acquire():
            raise RuntimeError(f"{kind}: uncontended acquire failed")
        release()
    return pairs / (time.perf_counter() - started)


def round_trips_per_pair(kind: str, url: str) -> float:
    pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection)
    client = redis.Redis(connection_pool=pool)
    acquire, release = make_lock(kind, client, f"bench-rt-{kind}")
    acquire()
    release()  # connected, scripts loaded
    CountingConnection.sent = 0
    for _ in range(100):
        acquire()
        release()
    client.close()
    return CountingConnection.sent / 100


def uncontended(url: str, rounds: int, pairs: int) -> Dict[str, float]:
    client = redis.Redis.from_url(url)
    kinds = ["ringpax", "redis-py"]
    for kind in kinds:  # warm up: connections, scripts
        pairs_per_second(kind, client, 200)
    rates: Dict[str, List[float]] = {k: [] for k in kinds}
    for r in range(rounds):
        order = kinds if r % 2 == 0 else kinds[::-1]
        for kind in order:
            rates[kind].append(pairs_per_second(kind, client, pairs))
    client.close()
    return {k: statistics.median(v) for k, v in rates.items()}


def contender(
    kind: str, url: str, seconds: float, work: float, ready: Any, start: Any, out: Any
) -> None:
    pool = redis.ConnectionPool.from_url(url, socket_timeout=10, connection_class=CountingConnection)
    client = redis.Redis(connection_pool=pool)
    acquire, release = make_lock(kind, client, f"bench-c-{kind}")
    client.ping()
    ready.release()
    start.wait()
    count = 0
    CountingConnection.sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if acquire():
            count += 1
            if work:
                time.sleep(work)
            release()
    out.put((count, CountingConnection.sent))


def contended(
    kind: str, url: str, processes: int, seconds: float, work: float
) -> Tuple[float, List[int], float]:
    """(acquisitions/s, sorted per-process counts, requests sent per acquisition)."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Semaphore(0)
    start = ctx.Event()
    out = ctx.Queue()
    procs = [
        ctx.Process(target=contender, args=(kind, url, seconds, work, ready, start, out))
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=60):
            raise RuntimeError("a contender did not start")
    started = time.monotonic()
    start.set()
    results = [out.get(timeout=seconds + 60) for _ in procs]
    elapsed = time.monotonic() - started
    for p in procs:
        p.join(10)
    counts = sorted(r[0] for r in results)
    requests = sum(r[1] for r in results)
    return sum(counts) / elapsed, counts, requests / max(sum(counts), 1)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--work-ms", type=float, nargs="+", default=[0.0, 2.0],
                        help="time spent holding the lock, one contended run per value")
    args = parser.parse_args(argv)

    with RedisServer() as server:
        print(f"redis-server {server.url}, redis-py {redis.__version__}, {os.cpu_count()} CPUs")
        print()
        rt = {k: round_trips_per_pair(k, server.url) for k in ("ringpax", "redis-py")}
        rates = uncontended(server.url, args.rounds, args.pairs)
        print(f"uncontended acquire+release, median of {args.rounds} interleaved rounds"
              f" of {args.pairs} pairs")
        for kind in ("ringpax", "redis-py"):
            note = "  (+ fencing token)" if kind == "ringpax" else ""
            print(f"  {kind:<10} {rates[kind]:9.0f} pairs/s   {rt[kind]:.1f} round trips"
                  f"/pair{note}")
        print(f"  ratio ringpax / redis-py: {rates['ringpax'] / rates['redis-py']:.2f}")
        for work_ms in args.work_ms:
            print()
            inside = "no work" if not work_ms else f"{work_ms:g} ms of work"
            print(f"contended: {args.processes} processes, one lock, {args.seconds:g} s,"
                  f" {inside} inside")
            results: Dict[str, float] = {}
            for kind, label in (
                ("ringpax", "ringpax (hand-off)"),
                ("redis-py", "redis-py sleep=0.1"),
                ("redis-py-5ms", "redis-py sleep=0.005"),
            ):
                rate, counts, per_acq = contended(
                    kind, server.url, args.processes, args.seconds, work_ms / 1000.0
                )
                results[kind] = rate
                print(f"  {label:<21} {rate:7.0f} acq/s   per process min {counts[0]:5d}"
                      f" max {counts[-1]:5d} (min/max {counts[0] / max(counts[-1], 1):.2f})"
                      f"   {per_acq:5.1f} requests/acq")
            for kind in ("redis-py", "redis-py-5ms"):
                ratio = results["ringpax"] / max(results[kind], 1e-9)
                print(f"  ratio ringpax / {kind}: {ratio:.2f}")


if __name__ == "__main__":
    main()
