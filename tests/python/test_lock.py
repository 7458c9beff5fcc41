"""ringpax.lock against a real, private redis-server: semantics of one server.

Contention across processes and SIGKILLed holders: test_lock_contention.py. Servers that die,
hang or restart, and Redlock: test_lock_failures.py. A missing redis-server fails these tests
(with the install command), it never skips them.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_server import RedisServer, RedisServerMissing  # noqa: E402

from ringpax.errors import (  # noqa: E402
    InvalidArgumentError,
    LockError,
    LockNotOwnedError,
    LockTimeoutError,
)
from ringpax.lock import Lease, RedisLock, Redlock, acquire_lock, release_lock  # noqa: E402


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


def commands(client: Any, name: str) -> int:
    """How many times the server ran command ``name`` since the last CONFIG RESETSTAT."""
    stats = client.info("commandstats")
    return int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))


def in_thread(fn: Any, *args: Any) -> Any:
    """Run fn in a new thread (a different lock holder) and return its result or raise."""
    out: Dict[str, Any] = {}

    def body() -> None:
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            out["error"] = exc

    t = threading.Thread(target=body)
    t.start()
    t.join(30)
    assert not t.is_alive()
    if "error" in out:
        raise out["error"]
    return out.get("value")


# -- basics --------------------------------------------------------------------------------------


def test_acquire_sets_token_and_ttl_in_one_step_and_release_deletes(client: Any) -> None:
    lock = RedisLock("basic", client=client, ttl=5)
    assert lock.fencing_token is None
    assert lock.acquire() is True
    token = lock.fencing_token
    assert isinstance(token, int) and token >= 1
    value = client.get(lock.key).decode()
    random_part, fence = value.split(":")
    assert len(bytes.fromhex(random_part)) == 20 and int(fence) == token
    assert 0 < client.pttl(lock.key) <= 5000  # never a lock without TTL
    assert lock.owned() and lock.locked()
    lock.release()
    assert not lock.locked() and not lock.owned() and lock.fencing_token is None
    assert client.exists(lock.key) == 0


def test_fencing_tokens_strictly_increase_across_objects_and_clients(
    server: RedisServer, client: Any
) -> None:
    other = server.client()
    tokens: List[int] = []
    for i in range(20):
        lock = RedisLock("fence", client=client if i % 2 else other, ttl=5)
        assert lock.acquire(blocking=False)
        assert lock.fencing_token is not None
        tokens.append(lock.fencing_token)
        lock.release()
    assert tokens == list(range(1, 21))  # only successful acquisitions take a number
    other.close()


def test_one_round_trip_to_acquire_and_one_to_release(client: Any) -> None:
    lock = RedisLock("rtt", client=client, ttl=5)
    lock.acquire()
    lock.release()  # scripts are loaded now
    client.config_resetstat()
    for _ in range(10):
        lock.acquire()
        lock.release()
    stats = client.info("commandstats")
    calls = {k[len("cmdstat_"):]: v["calls"] for k, v in stats.items()}
    assert calls.pop("evalsha") == 20, calls
    # Only commands run inside the scripts (no EVAL, no extra round trip).
    assert "eval" not in calls and "blpop" not in calls, calls


def test_release_without_holding_raises_and_deletes_nothing(client: Any) -> None:
    holder = RedisLock("other", client=client, ttl=5)
    intruder = RedisLock("other", client=client, ttl=5)
    assert in_thread(holder.acquire)
    with pytest.raises(LockNotOwnedError):
        intruder.release()
    with pytest.raises(LockNotOwnedError):
        intruder.extend()
    assert client.exists(holder.key) == 1


def test_stale_holder_cannot_release_or_extend_the_new_hold(client: Any) -> None:
    stale = RedisLock("stale", client=client, ttl=0.2)
    fresh = RedisLock("stale", client=client, ttl=5)
    assert stale.acquire()
    stale_token = stale.fencing_token
    deadline = time.monotonic() + 2
    while client.exists(stale.key) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.exists(stale.key) == 0, "the TTL did not free the lock"
    assert in_thread(fresh.acquire, False)
    held = client.get(fresh.key)
    with pytest.raises(LockNotOwnedError):
        stale.extend(10)
    assert stale.acquire(blocking=False) is False  # fresh holds it
    with pytest.raises(LockNotOwnedError):
        stale.release()
    assert client.get(fresh.key) == held  # untouched: not deleted, not extended
    assert 0 < client.pttl(fresh.key) <= 5000
    new_token = client.get(fresh.key).decode().split(":")[1]
    assert stale_token is not None and int(new_token) > stale_token


def test_extend_resets_ttl_and_keeps_token(client: Any) -> None:
    lock = RedisLock("extend", client=client, ttl=1)
    lock.acquire()
    token = lock.fencing_token
    lock.extend(20)
    assert 19000 < client.pttl(lock.key) <= 20000
    lock.extend()  # back to the TTL it was last given
    assert 19000 < client.pttl(lock.key) <= 20000
    assert lock.fencing_token == token and lock.owned()
    lock.release()
    with pytest.raises(LockNotOwnedError):
        lock.extend()


def test_not_reentrant(client: Any) -> None:
    lock = RedisLock("reentry", client=client, ttl=5)
    assert lock.acquire()
    token, value = lock.fencing_token, client.get(lock.key)
    assert lock.acquire(blocking=False) is False  # SETNX semantics: no
    with pytest.raises(LockError, match="not reentrant"):
        lock.acquire()  # would wait for itself
    assert lock.fencing_token == token and client.get(lock.key) == value
    lock.release()


def test_reacquire_after_own_hold_expired(client: Any) -> None:
    lock = RedisLock("expired-self", client=client, ttl=5)
    lock.acquire()
    first = lock.fencing_token
    client.delete(lock.key)  # as if the TTL ran out
    assert lock.acquire(blocking=False) is True
    assert first is not None and lock.fencing_token is not None and lock.fencing_token > first
    lock.release()


# -- waiting -------------------------------------------------------------------------------------


def test_blocking_acquire_times_out_without_busy_polling(client: Any) -> None:
    holder = RedisLock("poll", client=client, ttl=30)
    waiter = RedisLock("poll", client=client, ttl=30)
    assert in_thread(holder.acquire)
    client.config_resetstat()
    started = time.monotonic()
    assert waiter.acquire(timeout=1.5) is False
    elapsed = time.monotonic() - started
    assert 1.4 <= elapsed < 2.5
    attempts = commands(client, "evalsha")
    # A wait is at most ~1 s (jittered down to 0.5 s): a handful of attempts, not thousands.
    assert 2 <= attempts <= 6, attempts
    assert commands(client, "blpop") == attempts - 1


def test_release_wakes_a_blocked_acquirer_at_once(client: Any) -> None:
    holder = RedisLock("wake", client=client, ttl=30)
    waiter = RedisLock("wake", client=client, ttl=30)
    holder.acquire()
    woke: Dict[str, float] = {}

    def wait() -> None:
        assert waiter.acquire(timeout=10)
        woke["at"] = time.monotonic()
        waiter.release()

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)  # the waiter is blocked in BLPOP by now
    released_at = time.monotonic()
    holder.release()
    t.join(10)
    assert "at" in woke
    assert woke["at"] - released_at < 0.25  # woken by the release, not by its fallback timer


def test_release_hands_the_lock_to_the_longest_waiter(client: Any) -> None:
    lock = RedisLock("fifo", client=client, ttl=30)  # one object, four threads
    assert lock.acquire()
    order: List[str] = []

    def wait(name: str) -> None:
        assert lock.acquire(timeout=10)
        order.append(name)
        time.sleep(0.02)
        lock.release()

    threads = []
    for name in ("first", "second", "third"):
        t = threading.Thread(target=wait, args=(name,))
        t.start()
        threads.append(t)
        time.sleep(0.15)  # each one is blocked in BLPOP before the next arrives
    lock.release()
    assert lock.acquire(blocking=False) is False  # handed over: no barging past the queue
    for t in threads:
        t.join(10)
    assert order == ["first", "second", "third"]


def test_a_hand_off_to_a_vanished_waiter_expires(client: Any) -> None:
    lock = RedisLock("handoff", client=client, ttl=5)
    # As if a release had woken a waiter that died before taking the lock.
    client.set(lock.handoff_key, "ticket-of-a-dead-waiter", px=200)
    assert lock.acquire(blocking=False) is False
    started = time.monotonic()
    assert lock.acquire(timeout=5)
    assert 0.1 < time.monotonic() - started < 0.8
    lock.release()


def test_wait_ends_when_a_vanished_holder_ttl_runs_out(client: Any) -> None:
    crashed = RedisLock("crash", client=client, ttl=0.6)
    waiter = RedisLock("crash", client=client, ttl=5)
    assert in_thread(crashed.acquire)  # never released: its thread is gone
    started = time.monotonic()
    assert waiter.acquire(timeout=10)
    elapsed = time.monotonic() - started
    assert 0.2 < elapsed < 1.5, elapsed
    waiter.release()


def test_context_manager_holds_and_releases(client: Any) -> None:
    lock = RedisLock("cm", client=client, ttl=5)
    with lock as held:
        assert held is lock and lock.owned()
        token = lock.fencing_token
        assert token is not None
    assert not lock.locked()


def test_context_manager_never_runs_body_without_the_lock(client: Any) -> None:
    holder = RedisLock("cm-busy", client=client, ttl=30)
    waiter = RedisLock("cm-busy", client=client, ttl=30, blocking_timeout=0.3)
    assert in_thread(holder.acquire)
    ran = []
    started = time.monotonic()
    with pytest.raises(LockTimeoutError) as info:
        with waiter:
            ran.append(True)
    assert isinstance(info.value, TimeoutError)
    assert not ran and 0.25 < time.monotonic() - started < 2


def test_context_manager_exit_reports_a_lost_hold(client: Any) -> None:
    lock = RedisLock("cm-lost", client=client, ttl=5)
    with pytest.raises(LockNotOwnedError):
        with lock:
            client.delete(lock.key)


# -- ownership per thread / task -----------------------------------------------------------------


def test_threads_sharing_one_object_cannot_release_each_others_hold(client: Any) -> None:
    lock = RedisLock("shared", client=client, ttl=5)
    assert lock.acquire()
    mine = lock.fencing_token

    def intruder() -> Optional[int]:
        with pytest.raises(LockNotOwnedError):
            lock.release()
        with pytest.raises(LockNotOwnedError):
            lock.extend()
        assert lock.acquire(blocking=False) is False
        assert not lock.owned()
        return lock.fencing_token

    assert in_thread(intruder) is None
    assert lock.fencing_token == mine and lock.owned()
    lock.release()
    # Now the other thread can take it, and this one cannot release that.
    assert in_thread(lock.acquire, False)
    with pytest.raises(LockNotOwnedError):
        lock.release()


def test_asyncio_tasks_sharing_one_object_hold_separately(client: Any) -> None:
    lock = RedisLock("tasks", client=client, ttl=5)

    async def main() -> None:
        assert lock.acquire(blocking=False)
        token = lock.fencing_token

        async def other() -> None:
            # A child task copies its parent's context; it still does not own the hold.
            assert lock.fencing_token is None
            with pytest.raises(LockNotOwnedError):
                lock.release()
            assert lock.acquire(blocking=False) is False

        await asyncio.create_task(other())
        assert lock.fencing_token == token and lock.owned()
        lock.release()

    asyncio.run(main())
    assert not lock.locked()


# -- auto-renew ----------------------------------------------------------------------------------


def test_auto_renew_keeps_the_lock_past_several_ttls(client: Any) -> None:
    lock = RedisLock("renew", client=client, ttl=0.5, auto_renew=True)
    rival = RedisLock("renew", client=client, ttl=0.5)
    assert lock.acquire()
    token = lock.fencing_token
    deadline = time.monotonic() + 1.75  # three and a half TTLs
    while time.monotonic() < deadline:
        assert in_thread(rival.acquire, False) is False
        time.sleep(0.1)
    assert lock.owned() and lock.fencing_token == token and not lock.lost.is_set()
    watchdogs = [t for t in threading.enumerate() if t.name == "ringpax-lock-renew:renew"]
    assert len(watchdogs) == 1
    lock.release()
    watchdogs[0].join(1)
    assert not watchdogs[0].is_alive()  # the watchdog ends with the hold
    assert not lock.lost.is_set()


def test_auto_renew_signals_loss_when_the_key_disappears(client: Any) -> None:
    lost: List[Lease] = []
    lock = RedisLock("renew-lost", client=client, ttl=0.3, auto_renew=True, on_lost=lost.append)
    assert lock.acquire()
    token = lock.fencing_token
    client.delete(lock.key)
    assert lock.lost.wait(1.0)
    deadline = time.monotonic() + 1
    while not lost and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(lost) == 1 and lost[0].fencing_token == token and lost[0].lost
    assert not [t for t in threading.enumerate() if t.name == "ringpax-lock-renew:renew-lost"]
    with pytest.raises(LockNotOwnedError):
        lock.release()
    assert lock.acquire()  # a new acquisition clears `lost`
    assert not lock.lost.is_set()
    lock.release()


def test_watchdog_stops_when_its_holder_thread_ends(client: Any) -> None:
    lock = RedisLock("orphan", client=client, ttl=0.3, auto_renew=True)
    assert in_thread(lock.acquire)  # the thread exits holding the lock
    deadline = time.monotonic() + 2
    while client.exists(lock.key) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.exists(lock.key) == 0  # not renewed forever: it expired
    assert not lock.lost.is_set()


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", b"x", 1, None])
def test_bad_names(client: Any, name: Any) -> None:
    err = InvalidArgumentError if name == "" else TypeError
    with pytest.raises(err):
        RedisLock(name, client=client)
    with pytest.raises(err):
        acquire_lock(name, 60, client=client)
    with pytest.raises(err):
        release_lock(name, client=client)


@pytest.mark.parametrize(
    "ttl, err",
    [
        (0, ValueError),
        (-1, ValueError),
        (0.0001, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("30", TypeError),
        (None, TypeError),
        (True, TypeError),
    ],
)
def test_bad_ttls(client: Any, ttl: Any, err: type) -> None:
    with pytest.raises(err):
        RedisLock("x", client=client, ttl=ttl)
    with pytest.raises(err):
        acquire_lock("x", ttl, client=client)
    lock = RedisLock("x", client=client)
    lock.acquire()
    if ttl is not None:
        with pytest.raises(err):
            lock.extend(ttl)
    lock.release()


def test_bad_arguments(client: Any) -> None:
    assert issubclass(InvalidArgumentError, ValueError)
    with pytest.raises(TypeError):
        RedisLock("x", client="redis://localhost")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RedisLock("x", client=client, blocking_timeout=-1)
    with pytest.raises(TypeError):
        RedisLock("x", client=client, blocking_timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RedisLock("x", client=client, auto_renew=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RedisLock("x", client=client, on_lost=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RedisLock("x", client=client, socket_timeout=0)
    lock = RedisLock("x", client=client)
    with pytest.raises(ValueError):
        lock.acquire(timeout=-1)
    with pytest.raises(ValueError):
        lock.acquire(blocking=False, timeout=1)
    with pytest.raises(TypeError):
        lock.acquire(blocking="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lock.acquire(timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        acquire_lock("x", 60, client=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Redlock([], "x")
    with pytest.raises(TypeError):
        Redlock("redis://localhost", "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Redlock([client, 3], "x")  # type: ignore[list-item]
    with pytest.raises(ValueError):
        Redlock([client, client], "x")
    with pytest.raises(ValueError):
        Redlock([client], "x", ttl=0)
    with pytest.raises(ValueError):
        Redlock([client], "", ttl=1)
    with pytest.raises(ValueError):
        Redlock([client], "x", clock_drift_factor=1.5)
    assert not client.keys("*")  # nothing was written by a rejected call


# -- client variants -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"decode_responses": True},
        {"single_connection_client": True},  # commands go through execute_command
        {"protocol": 3},
    ],
    ids=["plain", "decode_responses", "single_connection", "resp3"],
)
def test_client_variants(server: RedisServer, options: Dict[str, Any]) -> None:
    c = server.client(**options)
    c.flushall()
    lock = RedisLock("variant", client=c, ttl=5)
    direct = lock._send != c.execute_command  # pooled connection used directly
    assert direct is not bool(options.get("single_connection_client"))
    assert lock.acquire() and lock.fencing_token == 1
    assert lock.owned() and lock.locked()
    assert lock.acquire(blocking=False) is False
    lock.extend(10)
    lock.release()
    other = RedisLock("variant", client=c, ttl=0.3)
    assert in_thread(other.acquire)
    assert lock.acquire(timeout=5)  # waited for the other's TTL
    assert lock.fencing_token == 3
    lock.release()
    lease = acquire_lock("variant-a", 5, client=c)
    assert lease and lease.fencing_token == 1
    assert release_lock("variant-a", client=c) is True
    c.close()
