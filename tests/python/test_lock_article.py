"""The article's acquire_lock/release_lock, kept with their names and truthy/falsy results."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_server import RedisServer, RedisServerMissing  # noqa: E402

from ringpax import lock as lockmod  # noqa: E402
from ringpax.lock import Lease, acquire_lock, release_lock  # noqa: E402


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


@pytest.fixture
def redis_url(server: RedisServer, client: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REDIS_URL", server.url)
    return server.url


def key_of(name: str) -> str:
    return f"ringpax:{{{name}}}:lock"


def other_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    out: Dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.update(v=fn(*args, **kwargs)))
    t.start()
    t.join(10)
    return out["v"]


def test_article_snippet_verbatim(redis_url: str, client: Any) -> None:
    done = []
    # -- the article's usage, unchanged --
    if acquire_lock('k', 60):
        done.append("critical section")
        release_lock('k')
    # --
    assert done == ["critical section"]
    assert client.exists(key_of("k")) == 0


def test_acquire_lock_returns_a_truthy_lease_with_a_fencing_token(
    redis_url: str, client: Any
) -> None:
    lease = acquire_lock("job", 60)
    assert lease and isinstance(lease, Lease)
    assert isinstance(lease.fencing_token, int) and lease.fencing_token >= 1
    assert 59000 < client.pttl(key_of("job")) <= 60000  # `timeout` is the TTL, in seconds
    assert release_lock("job") is True
    assert release_lock("job") is False  # nothing left to release
    second = acquire_lock("job", 60)
    assert second and second.fencing_token > lease.fencing_token
    assert release_lock("job") is True


def test_held_by_someone_else(redis_url: str, client: Any) -> None:
    assert other_thread(acquire_lock, "busy", 60)
    value = client.get(key_of("busy"))
    assert acquire_lock("busy", 60) is False
    assert release_lock("busy") is False  # never deletes another holder's lock
    assert client.get(key_of("busy")) == value


def test_acquire_twice_returns_false_and_keeps_the_hold(redis_url: str, client: Any) -> None:
    first = acquire_lock("twice", 60)
    assert first
    value = client.get(key_of("twice"))
    assert acquire_lock("twice", 5) is False
    assert client.get(key_of("twice")) == value and client.pttl(key_of("twice")) > 5000
    assert release_lock("twice") is True


def test_release_after_expiry_does_not_delete_the_next_holder(redis_url: str, client: Any) -> None:
    assert acquire_lock("short", 0.2)
    time.sleep(0.35)
    assert client.exists(key_of("short")) == 0
    assert other_thread(acquire_lock, "short", 60)
    value = client.get(key_of("short"))
    assert release_lock("short") is False
    assert client.get(key_of("short")) == value


def test_crash_between_steps_cannot_leave_an_immortal_lock(redis_url: str, client: Any) -> None:
    # The article's SETNX+EXPIRE could leave a key without TTL; ours sets both in one script.
    for i in range(50):
        assert acquire_lock(f"ttl-{i}", 30)
        assert client.pttl(key_of(f"ttl-{i}")) > 0
        assert release_lock(f"ttl-{i}")


def test_explicit_client_and_default_client_are_separate_holders(
    redis_url: str, client: Any
) -> None:
    assert acquire_lock("c", 60, client=client)
    assert release_lock("c") is False  # the default client's registry never acquired it
    assert release_lock("c", client=client) is True


def test_default_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    kwargs = lockmod.default_client().connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs.get("db", 0)) == ("localhost", 6379, 0)
    assert kwargs["socket_timeout"] == lockmod.DEFAULT_SOCKET_TIMEOUT


def test_registry_does_not_grow_with_released_keys(redis_url: str) -> None:
    before = len(lockmod._registry)
    for i in range(100):
        assert acquire_lock(f"reg-{i}", 10)
        assert release_lock(f"reg-{i}")
        assert acquire_lock(f"reg-{i}", 10) is not False
        assert other_thread(acquire_lock, f"reg-{i}", 10) is False
        assert release_lock(f"reg-{i}")
    assert len(lockmod._registry) == before


# -- a state machine: two holders (two clients), a few keys, and expiry -------------------------

KEYS = ["a", "b", "c"]
HOLDERS = ["h0", "h1"]


class ArticleFunctions(RuleBasedStateMachine):
    """Model: each key is free or held by one holder; fencing tokens only grow."""

    clients: Dict[str, Any] = {}
    admin: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.admin.flushall()
        self.owner: Dict[str, Optional[str]] = {k: None for k in KEYS}
        self.last_token: Dict[str, int] = {k: 0 for k in KEYS}
        self.leases: Dict[str, List[Lease]] = {h: [] for h in HOLDERS}

    @rule(holder=st.sampled_from(HOLDERS), key=st.sampled_from(KEYS))
    def acquire(self, holder: str, key: str) -> None:
        result = acquire_lock(key, 30, client=self.clients[holder])
        if self.owner[key] is None:
            assert result, f"{holder} should get free {key}"
            assert result.fencing_token > self.last_token[key]
            self.last_token[key] = result.fencing_token
            self.owner[key] = holder
        else:
            assert result is False

    @rule(holder=st.sampled_from(HOLDERS), key=st.sampled_from(KEYS))
    def release(self, holder: str, key: str) -> None:
        released = release_lock(key, client=self.clients[holder])
        assert released is (self.owner[key] == holder)
        if released:
            self.owner[key] = None

    @precondition(lambda self: any(self.owner.values()))
    @rule(key=st.sampled_from(KEYS))
    def expire(self, key: str) -> None:
        # The holder's TTL runs out (deleting the key is what expiry does).
        self.admin.delete(key_of(key))
        self.owner[key] = None

    @invariant()
    def server_matches_model(self) -> None:
        for key in KEYS:
            assert bool(self.admin.exists(key_of(key))) == (self.owner[key] is not None)

    def teardown(self) -> None:
        for holder in HOLDERS:
            for key in KEYS:
                release_lock(key, client=self.clients[holder])


def test_article_functions_state_machine(server: RedisServer) -> None:
    ArticleFunctions.clients = {h: server.client() for h in HOLDERS}
    ArticleFunctions.admin = server.client()
    try:
        run_state_machine_as_test(
            ArticleFunctions,
            settings=settings(
                max_examples=40,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        for c in [*ArticleFunctions.clients.values(), ArticleFunctions.admin]:
            c.close()


def test_lease_release(redis_url: str, client: Any) -> None:
    before = len(lockmod._registry)
    lease = acquire_lock("lease", 60)
    assert lease
    assert other_thread(lease.release) is False  # only its holder can release it
    assert lease.owned()
    assert lease.release() is True
    assert lease.release() is False and not lease.owned()
    assert client.exists(key_of("lease")) == 0
    assert len(lockmod._registry) == before
