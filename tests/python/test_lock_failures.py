"""Servers that die, hang or restart under a lock; Redlock over three independent servers.

Every test here starts its own servers, because it kills, pauses or restarts them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Dict, Iterator, List

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_server import RedisServer, RedisServerMissing, start_servers  # noqa: E402

from ringpax.errors import (  # noqa: E402
    LockConnectionError,
    LockError,
    LockNotOwnedError,
    LockTimeoutError,
)
from ringpax.lock import Lease, RedisLock, Redlock  # noqa: E402

SOCKET_TIMEOUT = 0.5
# Redlock's per-server timeout in the tests: generous, so that a loaded machine does not turn a
# slow answer into a missing vote (test_redlock_works_with_one_server_hung sets its own).
SERVER_TIMEOUT = 0.5


def servers_or_fail(count: int) -> List[RedisServer]:
    try:
        return start_servers(count)
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def server() -> Iterator[RedisServer]:
    (srv,) = servers_or_fail(1)
    yield srv
    srv.close()


@pytest.fixture
def trio() -> Iterator[List[RedisServer]]:
    servers = servers_or_fail(3)
    yield servers
    for srv in servers:
        srv.close()


def timed(fn: Any, *args: Any) -> Any:
    """(seconds taken, result or exception)."""
    started = time.monotonic()
    try:
        result: Any = fn(*args)
    except Exception as exc:  # noqa: BLE001 - returned for the caller to check
        result = exc
    return time.monotonic() - started, result


# -- one server --------------------------------------------------------------------------------


def test_dead_server_gives_connection_errors_never_a_false_acquire(server: RedisServer) -> None:
    client = server.client(socket_timeout=SOCKET_TIMEOUT)
    lock = RedisLock("dead", client=client, ttl=5)
    assert lock.acquire()
    server.kill()
    for call in (lock.release, lock.extend, lock.owned, lock.locked):
        took, result = timed(call)
        assert isinstance(result, LockConnectionError), (call, result)
        assert isinstance(result, ConnectionError) and took < SOCKET_TIMEOUT + 0.5
    other = RedisLock("dead", client=client, ttl=5)
    for blocking in (False, True):
        took, result = timed(other.acquire, blocking)
        assert isinstance(result, LockConnectionError), result  # not True, not a hang
        assert took < SOCKET_TIMEOUT + 0.5
    assert other.fencing_token is None
    client.close()


def test_hung_server_answers_within_the_socket_timeout(
    server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", server.url)
    lock = RedisLock("hung", ttl=5, socket_timeout=SOCKET_TIMEOUT)  # the default client
    assert lock.acquire()
    server.pause()  # SIGSTOP: the socket stays open, nothing answers
    try:
        took, result = timed(lock.release)
        assert isinstance(result, LockConnectionError), result
        assert SOCKET_TIMEOUT * 0.8 < took < SOCKET_TIMEOUT * 2.5
        other = RedisLock("hung", ttl=5, socket_timeout=SOCKET_TIMEOUT)
        took, result = timed(other.acquire, True, 10)
        assert isinstance(result, LockConnectionError), result
        assert took < SOCKET_TIMEOUT * 2.5
    finally:
        server.resume()
    # The first release's outcome was unknown, so the hold was kept: retrying works.
    lock.release()


def test_restarted_server_mid_hold(server: RedisServer) -> None:
    client = server.client(socket_timeout=SOCKET_TIMEOUT)
    lock = RedisLock("restart", client=client, ttl=30)
    assert lock.acquire()
    server.restart()  # no persistence: the lock (and the loaded scripts) are gone
    took, result = timed(lock.release)
    assert isinstance(result, LockNotOwnedError), result
    assert took < SOCKET_TIMEOUT + 0.5
    assert lock.acquire(blocking=False)  # scripts are reloaded transparently
    assert lock.owned()
    lock.release()
    client.close()


def test_waiter_blocked_when_the_server_dies_gets_an_error(server: RedisServer) -> None:
    client = server.client(socket_timeout=SOCKET_TIMEOUT)
    holder = RedisLock("blocked", client=client, ttl=30)
    waiter = RedisLock("blocked", client=client, ttl=30)
    holder.acquire()
    outcome: Dict[str, Any] = {}

    def wait() -> None:
        outcome["took"], outcome["result"] = timed(waiter.acquire, True, 30)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)
    server.kill()
    t.join(5)
    assert not t.is_alive(), "the waiter hung"
    assert isinstance(outcome["result"], LockConnectionError), outcome
    assert outcome["took"] < 0.3 + SOCKET_TIMEOUT + 1.0
    client.close()


def test_auto_renew_signals_loss_after_a_server_restart(server: RedisServer) -> None:
    client = server.client(socket_timeout=SOCKET_TIMEOUT)
    lost: List[Lease] = []
    lock = RedisLock(
        "renew-restart", client=client, ttl=0.6, auto_renew=True, on_lost=lost.append
    )
    assert lock.acquire()
    token = lock.fencing_token
    server.restart()
    assert lock.lost.wait(2.0), "loss not signalled"
    deadline = time.monotonic() + 1
    while not lost and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [lease.fencing_token for lease in lost] == [token]
    with pytest.raises(LockNotOwnedError):
        lock.release()
    client.close()


def test_auto_renew_treats_an_unreachable_server_as_loss_after_the_ttl(
    server: RedisServer,
) -> None:
    client = server.client(socket_timeout=0.2)
    lock = RedisLock("renew-down", client=client, ttl=0.6, auto_renew=True)
    assert lock.acquire()
    server.kill()
    started = time.monotonic()
    assert lock.lost.wait(3.0)
    # Renewals failed with connection errors; it gave up once the TTL had surely run out.
    assert 0.3 < time.monotonic() - started < 2.0
    client.close()


# -- Redlock -----------------------------------------------------------------------------------


def test_redlock_on_three_servers(trio: List[RedisServer]) -> None:
    lock = Redlock([s.url for s in trio], "red", ttl=5, server_timeout=SERVER_TIMEOUT)
    rival = Redlock([s.url for s in trio], "red", ttl=5, server_timeout=SERVER_TIMEOUT)
    assert lock.acquire()
    assert 4.0 < lock.validity <= 5 and lock.owned()
    key = lock.key
    assert all(s.client().exists(key) for s in trio)
    assert rival.acquire(blocking=False) is False
    assert rival.acquire(timeout=0.3) is False
    lock.extend(8)
    assert all(7000 < s.client().pttl(key) <= 8000 for s in trio)
    with pytest.raises(LockError, match="not reentrant"):
        lock.acquire()
    lock.release()
    assert not any(s.client().exists(key) for s in trio)
    with pytest.raises(LockNotOwnedError):
        lock.release()
    with rival:
        assert rival.owned()
    lock.close()
    assert lock.acquire(blocking=False)  # close() only stopped the worker threads
    lock.release()
    lock.close()
    rival.close()


def test_redlock_works_with_one_server_down(trio: List[RedisServer]) -> None:
    trio[1].kill()
    lock = Redlock([s.url for s in trio], "red1", ttl=5, server_timeout=SERVER_TIMEOUT)
    rival = Redlock([s.url for s in trio], "red1", ttl=5, server_timeout=SERVER_TIMEOUT)
    assert lock.acquire(timeout=2)
    assert lock.validity > 4
    assert rival.acquire(blocking=False) is False
    lock.release()
    assert rival.acquire(blocking=False) is True
    rival.release()
    lock.close()
    rival.close()


def test_redlock_works_with_one_server_hung(trio: List[RedisServer]) -> None:
    lock = Redlock([s.url for s in trio], "red-hung", ttl=5, server_timeout=0.2)
    trio[2].pause()
    try:
        took, result = timed(lock.acquire, True, 2)
        assert result is True and took < 1.0  # the hung server costs one server_timeout
        lock.release()
    finally:
        trio[2].resume()
    lock.close()


def test_redlock_fails_cleanly_with_two_servers_down(trio: List[RedisServer]) -> None:
    trio[0].kill()
    trio[2].kill()
    lock = Redlock([s.url for s in trio], "red2", ttl=5, server_timeout=SERVER_TIMEOUT)
    for call in (lambda: lock.acquire(blocking=False), lambda: lock.acquire(timeout=1)):
        took, result = timed(call)
        assert isinstance(result, LockConnectionError), result
        assert took < 1.0
    assert not lock.owned() and lock.validity == 0.0
    assert trio[1].client().exists(lock.key) == 0  # the minority hold was undone
    with pytest.raises(LockConnectionError):
        with lock:
            pass
    lock.close()


def test_redlock_context_manager_timeout(trio: List[RedisServer]) -> None:
    holder = Redlock([s.url for s in trio], "red-cm", ttl=5, server_timeout=SERVER_TIMEOUT)
    waiter = Redlock(
        [s.url for s in trio], "red-cm", ttl=5, blocking_timeout=0.3, server_timeout=SERVER_TIMEOUT
    )
    assert holder.acquire()
    ran = []
    with pytest.raises(LockTimeoutError):
        with waiter:
            ran.append(1)
    assert not ran
    holder.release()
    holder.close()
    waiter.close()


def test_redlock_expired_hold_cannot_release(trio: List[RedisServer]) -> None:
    lock = Redlock([s.url for s in trio], "red-exp", ttl=0.2, server_timeout=SERVER_TIMEOUT)
    rival = Redlock([s.url for s in trio], "red-exp", ttl=5, server_timeout=SERVER_TIMEOUT)
    assert lock.acquire()
    time.sleep(0.3)
    assert not lock.owned()
    assert rival.acquire(blocking=False)
    with pytest.raises(LockNotOwnedError):
        lock.release()
    assert all(s.client().exists(rival.key) for s in trio)  # the rival's hold is untouched
    rival.release()
    lock.close()
    rival.close()
