"""Redis locks with fencing tokens, the article's ``acquire_lock``/``release_lock``, and Redlock.

The article's lock (``SETNX`` then ``EXPIRE`` to acquire, ``DEL`` to release) has two bugs: a
crash between the two commands leaves a lock that never expires, and ``DEL`` removes whoever's
lock is there. This module keeps the article's two functions and makes them correct, on top of
:class:`RedisLock`:

* **Acquire** is one atomic Lua script: if the key is free it takes the next value of a
  per-name counter (``INCR``) and sets the key to ``<random 20-byte token>:<counter>`` with a TTL
  (``SET ... PX``), in the same step. A lock never exists without a TTL. The counter value is
  the *fencing token*: it strictly increases with every successful acquisition of that name, by
  anyone, so a storage service can reject writes carrying an older token than one it has seen
  (Kleppmann, "How to do distributed locking", 2016). One round trip (``EVALSHA``).
* **Release** is compare-and-delete in one script: it deletes the key only if it still holds our
  token, else it deletes nothing and :class:`~ringpax.errors.LockNotOwnedError` is raised. When
  an acquirer has flagged that it waits, the release also hands the lock over: it pushes a
  ticket on a per-name wake list, and for 50 ms only an attempt carrying that ticket may take
  the lock. Blocked acquirers wait on that list with ``BLPOP`` (Redis serves the oldest waiter
  first, so the lock passes in arrival order) instead of polling, with a bounded, jittered
  timeout that also never exceeds the holder's remaining TTL (for holders that crash without
  releasing).
* **Extend** is compare-and-``PEXPIRE``, failing the same way. ``auto_renew=True`` starts a
  watchdog thread that renews at a third of the TTL; when a renewal finds the lock gone it stops,
  sets :attr:`RedisLock.lost` and calls ``on_lost``.

Ownership is kept **per holder**: the asyncio task that called :meth:`RedisLock.acquire`, or
outside a running task, the thread. One :class:`RedisLock` object may be shared by threads and
tasks; each sees only its own hold, so one can never release, extend or report another's (a
child task does not inherit its parent's hold, and a forked child process holds nothing).
Code run through ``asyncio.to_thread``/executors is its worker thread, not the calling task.
Locks are not reentrant: a holder that acquires again gets ``False`` (non-blocking) or a
:class:`~ringpax.errors.LockError` (blocking, which would otherwise wait for itself).

The keys of lock ``NAME`` are ``ringpax:{NAME}:lock``, ``ringpax:{NAME}:fence`` (the counter,
kept forever, without TTL), and the short-lived ``ringpax:{NAME}:waiters``,
``ringpax:{NAME}:wake`` and ``ringpax:{NAME}:handoff``. Fencing tokens are monotonic as long as
the Redis server keeps its data: a server restarted without persistence (or a failover to a
replica that had not received the last ``INCR``) starts the counter again. Requires Redis >= 6.0
(fractional ``BLPOP`` timeouts); redis-py >= 5.

:class:`Redlock` is the multi-server algorithm from the Redis documentation; read its docstring
for what it does and does not guarantee: it issues no fencing tokens.

Every Redis failure surfaces as a :class:`~ringpax.errors.LockError` subclass: connection loss
and socket timeouts as :class:`~ringpax.errors.LockConnectionError`, anything else the server
answers with as :class:`~ringpax.errors.LockError`. None of them ever reports a lock as held
when it was not acquired.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math
import os
import random
import sys
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as _wait_futures
from types import TracebackType
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Literal,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
    cast,
)

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as _RedisConnectionError
from redis.exceptions import NoScriptError as _RedisNoScriptError
from redis.exceptions import RedisError as _RedisError
from redis.exceptions import ResponseError as _RedisResponseError
from redis.exceptions import TimeoutError as _RedisTimeoutError
from redis.retry import Retry

from ringpax.errors import (
    InvalidArgumentError,
    LockConnectionError,
    LockError,
    LockNotOwnedError,
    LockTimeoutError,
)

__all__ = [
    "DEFAULT_REDIS_URL",
    "Lease",
    "RedisLock",
    "Redlock",
    "acquire_lock",
    "default_client",
    "release_lock",
]

#: Used by :func:`default_client` when the ``REDIS_URL`` environment variable is not set.
DEFAULT_REDIS_URL = "redis://localhost:6379/0"

#: Socket (and connect) timeout, in seconds, of the clients ringpax creates itself.
DEFAULT_SOCKET_TIMEOUT = 5.0

# Longest single wait of a blocked acquirer before it tries again even without a wake-up.
_MAX_WAIT = 1.0
# How long an unconsumed wake-up stays on the wake list (covers a waiter that failed its attempt
# just before the release and has not reached BLPOP yet).
_WAKE_TTL_MS = 1000
# How long a release reserves the lock for the waiter it woke (FIFO hand-off). Long enough for a
# woken process to be scheduled and send its attempt; the most a waiter that died after being
# woken can cost the others.
_HANDOFF_MS = 50
_TOKEN_BYTES = 20

_log = logging.getLogger("ringpax.lock")

OnLost = Callable[["Lease"], object]

# -- Lua scripts ---------------------------------------------------------------------------------

# KEYS: lock, fence counter, waiters flag, hand-off.
# ARGV: token, ttl ms, value this holder already has ("" if none), waiters-flag ttl ms ("0": none),
# hand-off ticket this caller was woken with ("" if none).
# Returns the fence (an integer) when acquired, also when the key already carries this very token
# (a client-side retry of an attempt whose reply was lost); {2, pttl} when the caller already
# holds the lock under an earlier acquisition; {0, pttl} when someone else holds it, or when a
# release has just handed it to a woken waiter (pttl is then what is left of that hand-off). A
# blocking attempt that fails flags that someone waits, so that the next release wakes it. The
# counter is only incremented by successful acquisitions: the tokens of a name are 1, 2, 3, ...
_ACQUIRE_LUA = """
local v = redis.call('GET', KEYS[1])
if not v then
  local turn = redis.call('GET', KEYS[4])
  if not turn or turn == ARGV[5] then
    if turn then
      redis.call('DEL', KEYS[4])
    end
    local fence = redis.call('INCR', KEYS[2])
    redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
    return fence
  end
  if ARGV[4] ~= '0' then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
  end
  return {0, redis.call('PTTL', KEYS[4])}
end
local prefix = ARGV[1] .. ':'
if string.sub(v, 1, #prefix) == prefix then
  return tonumber(string.sub(v, #prefix + 1))
end
local pttl = redis.call('PTTL', KEYS[1])
if ARGV[3] ~= '' and v == ARGV[3] then
  return {2, pttl}
end
if ARGV[4] ~= '0' then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
end
return {0, pttl}
"""

# KEYS: lock, wake list, waiters flag, hand-off. ARGV: value, wake ttl ms, ticket, hand-off ms.
# Compare-and-delete. Then, only if a blocked acquirer flagged itself, hand the lock over: for
# the next hand-off ms only an attempt carrying `ticket` may take it, and exactly one element,
# the ticket, is left on the wake list, where BLPOP gives it to the longest-waiting client.
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
  redis.call('DEL', KEYS[2])
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
"""

# KEYS: lock. ARGV: value, ttl ms. Compare-and-extend.
_EXTEND_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# Redlock, per server. KEYS: lock. ARGV: token, ttl ms. Idempotent for a retried attempt.
_REDLOCK_ACQUIRE_LUA = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return 1
end
return 0
"""

# Redlock, per server. KEYS: lock. ARGV: token. Compare-and-delete.
_REDLOCK_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class _Script:
    __slots__ = ("source", "sha")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()


_ACQUIRE = _Script(_ACQUIRE_LUA)
_RELEASE = _Script(_RELEASE_LUA)
_EXTEND = _Script(_EXTEND_LUA)
_REDLOCK_ACQUIRE = _Script(_REDLOCK_ACQUIRE_LUA)
_REDLOCK_RELEASE = _Script(_REDLOCK_RELEASE_LUA)


Call = Callable[..., Any]


def _sender(client: redis.Redis) -> Call:
    """A function that sends one command with ``client`` and returns the raw reply.

    For a client on a plain (or blocking) connection pool it takes a pooled connection and uses
    its ``send_command``/``read_response`` directly: the same wire traffic as
    ``execute_command``, minus the per-command retry, observability and response-callback
    layers, which cost about as much client CPU as the lock's own work. ringpax decides itself
    what to retry; replies are used raw either way. Other clients (single-connection clients,
    client-side caching, other pool types) go through ``execute_command``.
    """
    generic: Call = cast(Any, client).execute_command
    pool: Any = getattr(client, "connection_pool", None)
    if (
        getattr(client, "connection", None) is not None
        or type(pool) not in (redis.ConnectionPool, redis.BlockingConnectionPool)
        or getattr(pool, "cache", None) is not None
    ):
        return generic
    try:
        param = inspect.signature(pool.get_connection).parameters.get("command_name")
    except (TypeError, ValueError):
        return generic
    # redis-py < 5.3 requires a command name; later versions warn when one is passed.
    needs_name = param is not None and param.default is inspect.Parameter.empty

    def send(*args: Any) -> Any:
        conn = pool.get_connection(args[0]) if needs_name else pool.get_connection()
        try:
            conn.send_command(*args)
            reply = conn.read_response()
        except _RedisResponseError:
            pool.release(conn)  # the error reply was read whole: the connection is clean
            raise
        except BaseException:
            conn.disconnect()  # a reply may be half read: never reuse this socket
            pool.release(conn)
            raise
        pool.release(conn)
        return reply

    return send


def _run_script(send: Call, script: _Script, keys: Tuple[str, ...], *args: Any) -> Any:
    """EVALSHA, loading the script with EVAL when the server does not know it (e.g. after a
    restart). Raises the redis-py exception; callers translate it."""
    try:
        return send("EVALSHA", script.sha, len(keys), *keys, *args)
    except _RedisNoScriptError:
        return send("EVAL", script.source, len(keys), *keys, *args)


def _translate(exc: _RedisError, what: str) -> LockError:
    if isinstance(exc, (_RedisConnectionError, _RedisTimeoutError)):
        return LockConnectionError(f"{what}: Redis unreachable or not answering: {exc}")
    return LockError(f"{what}: Redis answered {type(exc).__name__}: {exc}")


# -- argument checks -----------------------------------------------------------------------------


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if not value:
        raise InvalidArgumentError(f"{what} must be a non-empty string")
    return value


def _check_seconds(value: object, what: str, *, zero_ok: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if math.isnan(seconds) or math.isinf(seconds):
        raise InvalidArgumentError(f"{what} must be finite, got {value!r}")
    if seconds < 0 or (seconds == 0 and not zero_ok):
        bound = ">= 0" if zero_ok else "> 0"
        raise InvalidArgumentError(f"{what} must be {bound}, got {value!r}")
    return seconds


def _check_optional_seconds(value: object, what: str, *, zero_ok: bool) -> Optional[float]:
    return None if value is None else _check_seconds(value, what, zero_ok=zero_ok)


def _check_ttl(value: object, what: str) -> Tuple[float, int]:
    ttl = _check_seconds(value, what, zero_ok=False)
    ms = int(round(ttl * 1000))
    if ms < 1:
        raise InvalidArgumentError(f"{what} must be at least 0.001 s (1 ms), got {value!r}")
    return ttl, ms


def _check_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be a bool, not {type(value).__name__}")
    return value


# -- clients -------------------------------------------------------------------------------------

_clients_mutex = threading.Lock()
_default_clients: Dict[Tuple[str, Optional[float]], redis.Redis] = {}


def _make_client(url: str, socket_timeout: Optional[float]) -> redis.Redis:
    # No automatic retries: the lock decides what to retry; a socket timeout is reported as a
    # LockConnectionError after one timeout, not after several.
    return redis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 0),
    )


def default_client(socket_timeout: Optional[float] = DEFAULT_SOCKET_TIMEOUT) -> redis.Redis:
    """The client used when none is given: ``REDIS_URL`` (default :data:`DEFAULT_REDIS_URL`).

    One client (and connection pool) per URL and timeout, shared by the process; redis-py's
    pools are fork-safe. ``socket_timeout`` (seconds, ``None`` for none) bounds every command.
    """
    timeout = _check_optional_seconds(socket_timeout, "socket_timeout", zero_ok=False)
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    with _clients_mutex:
        client = _default_clients.get((url, timeout))
        if client is None:
            client = _make_client(url, timeout)
            _default_clients[(url, timeout)] = client
        return client


def _check_client(client: object, socket_timeout: Optional[float]) -> redis.Redis:
    if client is None:
        return default_client(socket_timeout)
    if not isinstance(client, redis.Redis):
        raise TypeError(
            f"client must be a redis.Redis (redis-py) instance, not {type(client).__name__}"
        )
    return client


def _client_socket_timeout(client: redis.Redis) -> Optional[float]:
    try:
        value = client.connection_pool.connection_kwargs.get("socket_timeout")
    except AttributeError:
        return None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


# -- holders -------------------------------------------------------------------------------------


def _current_owner() -> object:
    """The holder identity of the caller: its asyncio task if one is running, else its thread."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        loop = asyncio._get_running_loop()  # None outside a loop; cheaper than catching
        if loop is not None:
            task = asyncio.current_task(loop)
            if task is not None:
                return task
    return threading.current_thread()


def _owner_alive(owner: object) -> bool:
    if isinstance(owner, threading.Thread):
        return owner.is_alive()
    done = getattr(owner, "done", None)
    return not (callable(done) and done())


def _describe(owner: object) -> str:
    if isinstance(owner, threading.Thread):
        return f"thread {owner.name!r}"
    get_name = getattr(owner, "get_name", None)
    return f"task {get_name()!r}" if callable(get_name) else repr(owner)


class _Hold:
    """One successful acquisition by one holder."""

    __slots__ = (
        "value",
        "token",
        "fence",
        "ttl",
        "ttl_ms",
        "pid",
        "owner",
        "valid_until",
        "released",
        "stop",
        "watchdog",
        "lost",
    )

    def __init__(
        self,
        token: str,
        value: str,
        fence: Optional[int],
        ttl: float,
        ttl_ms: int,
        owner: object,
        valid_until: float,
    ) -> None:
        self.token = token
        self.value = value
        self.fence = fence
        self.ttl = ttl
        self.ttl_ms = ttl_ms
        self.pid = os.getpid()
        self.owner: "weakref.ref[Any]" = weakref.ref(owner)
        self.valid_until = valid_until
        self.released = False
        # Created only for auto-renewed holds (an Event costs more than a round trip's parsing).
        self.stop: Optional[threading.Event] = None
        self.watchdog: Optional[threading.Thread] = None
        self.lost = False

    def end(self) -> None:
        """Mark released/abandoned and stop its watchdog, if any."""
        self.released = True
        if self.stop is not None:
            self.stop.set()


class _HolderTable:
    """Per-holder bookkeeping shared by RedisLock and Redlock."""

    def __init__(self) -> None:
        self._holds_mutex = threading.Lock()
        self._holds: "weakref.WeakKeyDictionary[Any, _Hold]" = weakref.WeakKeyDictionary()

    def _hold_of(self, owner: object) -> Optional[_Hold]:
        with self._holds_mutex:
            hold = self._holds.get(owner)
        if hold is not None and hold.pid != os.getpid():
            return None  # inherited through fork(): the parent's hold, not ours
        return hold

    def _set_hold(self, owner: object, hold: _Hold) -> None:
        with self._holds_mutex:
            self._holds[owner] = hold

    def _drop_hold(self, owner: object, hold: _Hold) -> None:
        hold.end()
        with self._holds_mutex:
            if self._holds.get(owner) is hold:
                del self._holds[owner]

    def _has_holds(self) -> bool:
        pid = os.getpid()
        with self._holds_mutex:
            return any(h.pid == pid for h in self._holds.values())


# -- RedisLock -----------------------------------------------------------------------------------


class Lease:
    """One successful acquisition: truthy, with the :attr:`fencing_token` it was issued.

    Returned by :func:`acquire_lock` (and :meth:`RedisLock.acquire_lease`). Pass
    :attr:`fencing_token` along with every write the lock protects, and have the storage reject a
    token lower than the highest it has seen.
    """

    __slots__ = ("lock", "fencing_token", "_hold")

    def __init__(self, lock: "RedisLock", hold: _Hold) -> None:
        self.lock = lock
        self._hold = hold
        #: Strictly increasing per lock name across all acquisitions (see the module docs).
        self.fencing_token: int = hold.fence if hold.fence is not None else 0

    @property
    def name(self) -> str:
        return self.lock.name

    @property
    def ttl(self) -> float:
        """The TTL, in seconds, the lock was acquired (or last extended) with."""
        return self._hold.ttl

    @property
    def lost(self) -> bool:
        """True once the auto-renew watchdog found this hold gone."""
        return self._hold.lost

    def owned(self) -> bool:
        """Whether this hold is still the lock on the server (one round trip)."""
        return self.lock._hold_of(_current_owner()) is self._hold and self.lock.owned()

    def release(self) -> bool:
        """Release this hold: ``True`` if it was released, ``False`` if it was not held anymore.

        Only the thread or task that acquired it can release it (``False`` for anyone else).
        """
        if self.lock._hold_of(_current_owner()) is not self._hold:
            return False
        try:
            self.lock.release()
        except LockNotOwnedError:
            return False
        finally:
            _registry_prune(self.lock.client, self.lock.name)
        return True

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"Lease(name={self.name!r}, fencing_token={self.fencing_token})"


class RedisLock(_HolderTable):
    """A lock on one Redis server, with fencing tokens.

    :param name: non-empty lock name (keys ``ringpax:{name}:lock|fence|waiters|wake|handoff``).
    :param client: a ``redis.Redis`` client; ``None`` uses :func:`default_client`
        (``REDIS_URL``, or ``redis://localhost:6379/0``) with ``socket_timeout``.
    :param ttl: seconds the lock lives unless released, extended or renewed (> 0, >= 1 ms).
    :param blocking_timeout: seconds a blocking :meth:`acquire` without ``timeout`` and the
        ``with`` statement wait; ``None`` waits forever.
    :param auto_renew: renew at a third of ``ttl`` from a watchdog thread while the holder lives.
    :param on_lost: called (from the watchdog thread) with the :class:`Lease` when renewal finds
        the lock lost; :attr:`lost` is set first.
    :param socket_timeout: socket and connect timeout of the default client, in seconds (ignored
        when ``client`` is given: that client's own socket timeout applies; its retry policy is
        not used, see :func:`_sender`). A server that stops answering surfaces as
        :class:`~ringpax.errors.LockConnectionError` within it.

    Ownership is per holder (asyncio task, else thread); see the module documentation.
    """

    def __init__(
        self,
        name: str,
        *,
        client: Optional[redis.Redis] = None,
        ttl: float = 30.0,
        blocking_timeout: Optional[float] = None,
        auto_renew: bool = False,
        on_lost: Optional[OnLost] = None,
        socket_timeout: Optional[float] = DEFAULT_SOCKET_TIMEOUT,
    ) -> None:
        super().__init__()
        self.name: str = _check_name(name, "name")
        self.ttl, self._ttl_ms = _check_ttl(ttl, "ttl")
        self.blocking_timeout: Optional[float] = _check_optional_seconds(
            blocking_timeout, "blocking_timeout", zero_ok=True
        )
        self.auto_renew: bool = _check_bool(auto_renew, "auto_renew")
        if on_lost is not None and not callable(on_lost):
            raise TypeError(f"on_lost must be callable, not {type(on_lost).__name__}")
        self.on_lost: Optional[OnLost] = on_lost
        timeout = _check_optional_seconds(socket_timeout, "socket_timeout", zero_ok=False)
        self.client: redis.Redis = _check_client(client, timeout)
        self._send = _sender(self.client)
        self.key = f"ringpax:{{{name}}}:lock"
        self.fence_key = f"ringpax:{{{name}}}:fence"
        self.wake_key = f"ringpax:{{{name}}}:wake"
        self.waiters_key = f"ringpax:{{{name}}}:waiters"
        self.handoff_key = f"ringpax:{{{name}}}:handoff"
        #: Set when the auto-renew watchdog finds the lock lost; cleared by the next acquisition.
        self.lost = threading.Event()
        client_timeout = _client_socket_timeout(self.client)
        # A BLPOP must end (server side) well before the client's socket timeout fires.
        self._max_wait = _MAX_WAIT if client_timeout is None else min(_MAX_WAIT, client_timeout / 2)
        # Blocked acquirers keep this flag alive across their waits; releases wake only if set.
        self._waiters_flag_ms = int(self._max_wait * 1000) + 500

    # -- acquisition ---------------------------------------------------------------------------

    def acquire(self, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire the lock for the calling thread/task; ``True`` on success.

        ``blocking=False`` makes one attempt. Blocking waits up to ``timeout`` seconds (``None``:
        :attr:`blocking_timeout`, whose ``None`` means forever) and returns ``False`` when it runs
        out. Waiting is woken by releases, never by polling. Raises
        :class:`~ringpax.errors.LockError` for a blocking acquire by a holder that already holds
        the lock (it is not reentrant) and :class:`~ringpax.errors.LockConnectionError` when Redis
        cannot be reached.
        """
        return self._acquire(blocking, timeout, self.ttl, self._ttl_ms) is not None

    def acquire_lease(
        self, blocking: bool = True, timeout: Optional[float] = None
    ) -> Optional[Lease]:
        """Like :meth:`acquire`, but returns the :class:`Lease` (or ``None``)."""
        hold = self._acquire(blocking, timeout, self.ttl, self._ttl_ms)
        return None if hold is None else Lease(self, hold)

    def _acquire(
        self, blocking: bool, timeout: Optional[float], ttl: float, ttl_ms: int
    ) -> Optional[_Hold]:
        _check_bool(blocking, "blocking")
        if not blocking and timeout is not None:
            raise InvalidArgumentError("timeout cannot be given for a non-blocking acquire")
        wait_for = _check_optional_seconds(timeout, "timeout", zero_ok=True)
        if wait_for is None:
            wait_for = self.blocking_timeout
        owner = _current_owner()
        previous = self._hold_of(owner)
        token = os.urandom(_TOKEN_BYTES).hex()
        deadline = None if wait_for is None else time.monotonic() + wait_for
        mine = previous.value if previous is not None else ""
        flag_ms = self._waiters_flag_ms if blocking else 0
        keys = (self.key, self.fence_key, self.waiters_key, self.handoff_key)
        ticket = ""
        while True:
            started = time.monotonic()
            try:
                reply = _run_script(
                    self._send, _ACQUIRE, keys, token, ttl_ms, mine, flag_ms, ticket
                )
            except _RedisError as exc:
                raise _translate(exc, f"acquire of lock {self.name!r}") from exc
            if isinstance(reply, int):
                fence = reply
                hold = _Hold(
                    token, f"{token}:{fence}", fence, ttl, ttl_ms, owner, started + ttl
                )
                if previous is not None:  # an earlier hold of ours that expired
                    self._drop_hold(owner, previous)
                self._set_hold(owner, hold)
                self.lost.clear()
                if self.auto_renew:
                    self._start_watchdog(hold)
                return hold
            status, holder_pttl = int(reply[0]), int(reply[1])
            if status == 2:
                if not blocking:
                    return None
                raise LockError(
                    f"lock {self.name!r} is already held by this {_describe(owner)}; "
                    "RedisLock is not reentrant"
                )
            if not blocking:
                return None
            remaining = math.inf if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return None
            # Even when the time is up, a ticket we were just woken with gets its attempt.
            ticket = self._wait(holder_pttl, remaining)

    def _wait(self, holder_pttl_ms: int, remaining: float) -> str:
        """Wait for a release (wake list) or the holder's expiry, bounded and jittered.

        Returns the hand-off ticket of the release that woke us ("" when none did).
        """
        if holder_pttl_ms == -2:  # the key vanished between GET and PTTL: try again now
            return ""
        cap = self._max_wait * random.uniform(0.5, 1.0)
        if holder_pttl_ms >= 0:
            # Wake just after the holder's TTL (or a hand-off to someone else) runs out, if no
            # release wakes us before.
            wait = holder_pttl_ms / 1000.0 + random.uniform(0.001, 0.01)
        else:  # a key without TTL (not ours): only a release or the cap ends the wait
            wait = cap
        wait = min(wait, cap, remaining)
        if wait < 0.005:
            time.sleep(max(wait, 0.0))
            return ""
        try:
            popped = self._send("BLPOP", self.wake_key, f"{wait:.3f}")
        except _RedisError as exc:
            raise _translate(exc, f"wait for lock {self.name!r}") from exc
        if not popped:
            return ""
        ticket = popped[1]
        return ticket.decode("ascii", "replace") if isinstance(ticket, bytes) else str(ticket)

    # -- release / extend ----------------------------------------------------------------------

    def release(self) -> None:
        """Release the calling holder's hold (compare-and-delete in one step).

        Raises :class:`~ringpax.errors.LockNotOwnedError`, deleting nothing, when the caller
        holds nothing or its hold expired (and maybe passed to someone else).
        """
        owner = _current_owner()
        hold = self._hold_of(owner)
        if hold is None:
            raise LockNotOwnedError(
                f"lock {self.name!r} is not held by this {_describe(owner)}; nothing released"
            )
        hold.end()  # stop renewing first, so the watchdog does not report our own release
        try:
            deleted = _run_script(
                self._send,
                _RELEASE,
                (self.key, self.wake_key, self.waiters_key, self.handoff_key),
                hold.value,
                _WAKE_TTL_MS,
                os.urandom(8).hex(),
                _HANDOFF_MS,
            )
        except _RedisError as exc:
            # Unknown outcome; the hold stays so release() can be retried, and with renewal
            # stopped it expires on its own within its TTL.
            raise _translate(exc, f"release of lock {self.name!r}") from exc
        self._drop_hold(owner, hold)
        if int(deleted) != 1:
            raise LockNotOwnedError(
                f"lock {self.name!r} (fencing token {hold.fence}) is no longer owned: it expired"
                " or was taken over; nothing was deleted"
            )

    def extend(self, ttl: Optional[float] = None) -> None:
        """Reset the remaining TTL of the caller's hold to ``ttl`` seconds (default: the TTL it
        was acquired with), compare-and-extend in one step.

        Raises :class:`~ringpax.errors.LockNotOwnedError`, changing nothing, when not owned.
        """
        checked = None if ttl is None else _check_ttl(ttl, "ttl")  # bad values fail first
        owner = _current_owner()
        hold = self._hold_of(owner)
        if hold is None:
            raise LockNotOwnedError(
                f"lock {self.name!r} is not held by this {_describe(owner)}; nothing extended"
            )
        new_ttl, new_ms = checked if checked is not None else (hold.ttl, hold.ttl_ms)
        started = time.monotonic()
        try:
            ok = _run_script(self._send, _EXTEND, (self.key,), hold.value, new_ms)
        except _RedisError as exc:
            raise _translate(exc, f"extend of lock {self.name!r}") from exc
        if int(ok) != 1:
            self._drop_hold(owner, hold)
            raise LockNotOwnedError(
                f"lock {self.name!r} (fencing token {hold.fence}) is no longer owned: it expired"
                " or was taken over; nothing was extended"
            )
        hold.ttl, hold.ttl_ms, hold.valid_until = new_ttl, new_ms, started + new_ttl

    # -- state ---------------------------------------------------------------------------------

    @property
    def fencing_token(self) -> Optional[int]:
        """The fencing token of the calling holder's current hold, ``None`` if it holds none."""
        hold = self._hold_of(_current_owner())
        return None if hold is None else hold.fence

    def owned(self) -> bool:
        """Whether the caller's hold is still the lock on the server (one round trip)."""
        hold = self._hold_of(_current_owner())
        if hold is None:
            return False
        try:
            value = self._send("GET", self.key)
        except _RedisError as exc:
            raise _translate(exc, f"owned() of lock {self.name!r}") from exc
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return bool(value == hold.value)

    def locked(self) -> bool:
        """Whether anyone holds the lock right now (one round trip)."""
        try:
            return bool(self._send("EXISTS", self.key))
        except _RedisError as exc:
            raise _translate(exc, f"locked() of lock {self.name!r}") from exc

    # -- auto-renew ----------------------------------------------------------------------------

    def _start_watchdog(self, hold: _Hold) -> None:
        hold.stop = threading.Event()
        thread = threading.Thread(
            target=_watchdog_main,
            args=(weakref.ref(self), hold),
            name=f"ringpax-lock-renew:{self.name}",
            daemon=True,
        )
        hold.watchdog = thread
        thread.start()

    def _renew(self, hold: _Hold) -> bool:
        try:
            ok = _run_script(self._send, _EXTEND, (self.key,), hold.value, hold.ttl_ms)
        except _RedisError as exc:
            raise _translate(exc, f"renewal of lock {self.name!r}") from exc
        return int(ok) == 1

    def _signal_lost(self, hold: _Hold) -> None:
        hold.lost = True
        self.lost.set()
        if self.on_lost is not None:
            try:
                self.on_lost(Lease(self, hold))
            except Exception:  # a callback's failure must not kill silently; log it
                _log.exception("on_lost callback of lock %r raised", self.name)

    # -- context manager -----------------------------------------------------------------------

    def __enter__(self) -> "RedisLock":
        if not self.acquire(True, self.blocking_timeout):
            raise LockTimeoutError(
                f"lock {self.name!r} not acquired within {self.blocking_timeout} s"
            )
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"RedisLock(name={self.name!r}, ttl={self.ttl}, auto_renew={self.auto_renew})"


def _watchdog_step(lock_ref: "weakref.ref[RedisLock]", hold: _Hold) -> bool:
    """One renewal; False when the watchdog should end."""
    lock = lock_ref()
    if lock is None:
        return False
    owner = hold.owner()
    if owner is None or not _owner_alive(owner):
        return False  # the holder is gone: stop renewing, let the TTL free the lock
    started = time.monotonic()
    try:
        renewed = lock._renew(hold)
    except LockConnectionError:
        if time.monotonic() < hold.valid_until:
            return True  # try again at the next tick, while the hold may still be valid
        renewed = False  # could not renew within the TTL: it has expired by now
    except LockError:
        _log.exception("renewal of lock %r failed", lock.name)
        renewed = False
    if renewed:
        hold.valid_until = started + hold.ttl
        return True
    if not hold.released:  # not a concurrent release: the lock is really lost
        lock._signal_lost(hold)
    return False


def _watchdog_main(lock_ref: "weakref.ref[RedisLock]", hold: _Hold) -> None:
    stop = hold.stop
    assert stop is not None
    while not stop.wait(hold.ttl / 3.0):
        if not _watchdog_step(lock_ref, hold):
            return


# -- the article's functions ---------------------------------------------------------------------

_registry_mutex = threading.Lock()
_registry: Dict[Tuple[int, str], RedisLock] = {}


def _registry_lock(client: redis.Redis, name: str, create: bool) -> Optional[RedisLock]:
    with _registry_mutex:
        lock = _registry.get((id(client), name))
        if lock is None and create:
            lock = RedisLock(name, client=client)
            _registry[(id(client), name)] = lock
        return lock


def _registry_prune(client: redis.Redis, name: str) -> None:
    with _registry_mutex:
        lock = _registry.get((id(client), name))
        if lock is not None and not lock._has_holds():
            del _registry[(id(client), name)]


def acquire_lock(
    lock_key: str, timeout: float = 60, *, client: Optional[redis.Redis] = None
) -> Union[Lease, Literal[False]]:
    """The article's ``acquire_lock``, made safe: one attempt, never waits.

    Sets ``lock_key`` with a TTL of ``timeout`` seconds in one atomic step and returns a truthy
    :class:`Lease` (with its ``fencing_token``), or ``False`` if the lock is held, including by
    this very thread/task (no reentrancy; the existing hold is kept). ``client`` defaults to
    :func:`default_client` (``REDIS_URL``).
    """
    name = _check_name(lock_key, "lock_key")
    ttl, ttl_ms = _check_ttl(timeout, "timeout")
    redis_client = _check_client(client, DEFAULT_SOCKET_TIMEOUT)
    lock = _registry_lock(redis_client, name, create=True)
    assert lock is not None
    hold = lock._acquire(False, None, ttl, ttl_ms)
    if hold is None:
        _registry_prune(redis_client, name)
        return False
    return Lease(lock, hold)


def release_lock(lock_key: str, *, client: Optional[redis.Redis] = None) -> bool:
    """The article's ``release_lock``, made safe: releases only what this thread/task acquired.

    Returns ``True`` if this caller's hold of ``lock_key`` (taken by :func:`acquire_lock` with the
    same ``client``) was released, ``False`` if it held none or its hold had expired; another
    holder's lock is never deleted. Raises :class:`~ringpax.errors.LockConnectionError` when
    Redis cannot be reached.
    """
    name = _check_name(lock_key, "lock_key")
    redis_client = _check_client(client, DEFAULT_SOCKET_TIMEOUT)
    lock = _registry_lock(redis_client, name, create=False)
    if lock is None:
        return False
    try:
        lock.release()
        released = True
    except LockNotOwnedError:
        released = False
    _registry_prune(redis_client, name)
    return released


# -- Redlock -------------------------------------------------------------------------------------


class Redlock(_HolderTable):
    """The multi-server lock algorithm ("Redlock") from the Redis distributed-lock documentation.

    ``clients`` are N *independent* Redis servers (not replicas of each other): ``redis.Redis``
    instances or URLs (a URL gets a client whose socket timeout is ``server_timeout``). To
    acquire, the same random token is set with ``SET NX PX ttl`` on all servers in parallel, each
    attempt bounded by ``server_timeout``. The lock is held only when a majority
    (``N // 2 + 1``) accepted it and the remaining validity, ``ttl - elapsed - drift`` with
    ``drift = ttl * clock_drift_factor + 2 ms``, is positive. Otherwise it is released on every
    server (compare-and-delete) and, for a blocking acquire, retried after a jittered delay.

    What it guarantees: while :attr:`validity` is positive, and *if* the servers' and clients'
    clocks advance at about the same rate (bounded drift, no jumps) and a server does not lose
    its keys within a TTL of a crash (persistence, or restarting only after a TTL), no other
    Redlock holder holds the same name. It tolerates a minority of servers down.

    What it does not guarantee: it issues **no fencing tokens**. A holder paused (GC, swap,
    network delay) past its validity can still act after someone else acquired the lock, and
    nothing stops its late writes; counters on independent servers are not monotonic across
    acquisitions, so none is exposed. Clock jumps or a server restarted without its data can
    break mutual exclusion. When correctness (not only efficiency) depends on the lock, use a
    single-server :class:`RedisLock` and pass its :attr:`RedisLock.fencing_token` to the storage
    (see docs/lock.md).

    A majority of servers unreachable raises :class:`~ringpax.errors.LockConnectionError`;
    contention makes :meth:`acquire` return ``False`` once its time is up.
    """

    def __init__(
        self,
        clients: Sequence[Union[redis.Redis, str]],
        name: str,
        ttl: float = 30.0,
        *,
        blocking_timeout: Optional[float] = None,
        server_timeout: float = 0.1,
        retry_delay: float = 0.2,
        clock_drift_factor: float = 0.01,
    ) -> None:
        super().__init__()
        self.name: str = _check_name(name, "name")
        self.ttl, self._ttl_ms = _check_ttl(ttl, "ttl")
        self.blocking_timeout: Optional[float] = _check_optional_seconds(
            blocking_timeout, "blocking_timeout", zero_ok=True
        )
        self.server_timeout = _check_seconds(server_timeout, "server_timeout", zero_ok=False)
        self.retry_delay = _check_seconds(retry_delay, "retry_delay", zero_ok=True)
        self.clock_drift_factor = _check_seconds(
            clock_drift_factor, "clock_drift_factor", zero_ok=True
        )
        if self.clock_drift_factor >= 1:
            raise InvalidArgumentError(
                f"clock_drift_factor must be < 1, got {clock_drift_factor!r}"
            )
        if isinstance(clients, (str, bytes)) or not isinstance(clients, Sequence):
            raise TypeError("clients must be a sequence of redis.Redis clients or URLs")
        if not clients:
            raise InvalidArgumentError("clients must name at least one Redis server")
        resolved: List[redis.Redis] = []
        for i, c in enumerate(clients):
            if isinstance(c, str):
                if not c:
                    raise InvalidArgumentError(f"clients[{i}] is an empty URL")
                resolved.append(_make_client(c, self.server_timeout))
            elif isinstance(c, redis.Redis):
                resolved.append(c)
            else:
                raise TypeError(
                    f"clients[{i}] must be a redis.Redis client or a URL, not {type(c).__name__}"
                )
        if len({id(c) for c in resolved}) != len(resolved):
            raise InvalidArgumentError("clients must be distinct (one per independent server)")
        self.clients: Tuple[redis.Redis, ...] = tuple(resolved)
        self.quorum = len(resolved) // 2 + 1
        self.key = f"ringpax:{{{name}}}:lock"
        self._executors: Optional[List[ThreadPoolExecutor]] = None
        self._executors_mutex = threading.Lock()

    # -- fan-out -------------------------------------------------------------------------------

    def _pool(self) -> List[ThreadPoolExecutor]:
        # One worker thread per server: a server that hangs delays only its own queue.
        with self._executors_mutex:
            if self._executors is None:
                self._executors = [
                    ThreadPoolExecutor(1, thread_name_prefix=f"ringpax-redlock-{i}")
                    for i in range(len(self.clients))
                ]
                weakref.finalize(self, _shutdown_executors, self._executors)
            return self._executors

    def _fan_out(
        self, script: _Script, *args: Any
    ) -> Tuple[List[Optional[int]], List[str]]:
        """Run ``script`` on every server in parallel, waiting at most ``server_timeout``.

        Returns per-server integer results (``None`` for a server that failed or did not answer
        in time) and descriptions of those failures.
        """
        futures: List[Future[Any]] = [
            ex.submit(_run_script, cast(Any, c).execute_command, script, (self.key,), *args)
            for ex, c in zip(self._pool(), self.clients)
        ]
        _wait_futures(futures, timeout=self.server_timeout)
        results: List[Optional[int]] = []
        problems: List[str] = []
        for i, fut in enumerate(futures):
            if not fut.done():
                results.append(None)
                problems.append(f"server {i}: no answer within {self.server_timeout} s")
                continue
            exc = fut.exception()
            if exc is not None:
                results.append(None)
                problems.append(f"server {i}: {type(exc).__name__}: {exc}")
                continue
            results.append(int(fut.result()))
        return results, problems

    def _drift(self, ttl: float) -> float:
        return ttl * self.clock_drift_factor + 0.002

    # -- acquisition ---------------------------------------------------------------------------

    def acquire(self, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire on a majority of servers; ``True`` on success (see the class docs).

        Blocking retries, after jittered delays of about ``retry_delay``, for up to ``timeout``
        seconds (``None``: :attr:`blocking_timeout`; ``None`` again: forever). Raises
        :class:`~ringpax.errors.LockConnectionError` when a majority of the servers cannot be
        reached, and :class:`~ringpax.errors.LockError` for a blocking re-acquire by a holder.
        """
        _check_bool(blocking, "blocking")
        if not blocking and timeout is not None:
            raise InvalidArgumentError("timeout cannot be given for a non-blocking acquire")
        wait_for = _check_optional_seconds(timeout, "timeout", zero_ok=True)
        if wait_for is None:
            wait_for = self.blocking_timeout
        owner = _current_owner()
        previous = self._hold_of(owner)
        if previous is not None and time.monotonic() < previous.valid_until:
            if not blocking:
                return False
            raise LockError(
                f"Redlock {self.name!r} is already held by this {_describe(owner)}; "
                "it is not reentrant"
            )
        deadline = None if wait_for is None else time.monotonic() + wait_for
        while True:
            token = os.urandom(_TOKEN_BYTES).hex()
            started = time.monotonic()
            results, problems = self._fan_out(_REDLOCK_ACQUIRE, token, self._ttl_ms)
            granted = sum(1 for r in results if r == 1)
            validity = self.ttl - (time.monotonic() - started) - self._drift(self.ttl)
            if granted >= self.quorum and validity > 0:
                hold = _Hold(
                    token, token, None, self.ttl, self._ttl_ms, owner, started + validity
                )
                if previous is not None:
                    self._drop_hold(owner, previous)
                self._set_hold(owner, hold)
                return True
            self._fan_out(_REDLOCK_RELEASE, token)  # undo partial holds everywhere
            if len(problems) > len(self.clients) - self.quorum:
                raise LockConnectionError(
                    f"Redlock {self.name!r}: {len(problems)} of {len(self.clients)} servers"
                    f" failed, a majority ({self.quorum}) is unreachable: " + "; ".join(problems)
                )
            if not blocking:
                return False
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return False
            delay = self.retry_delay * random.uniform(0.5, 1.5)
            if deadline is not None:
                delay = min(delay, deadline - now)
            time.sleep(delay)

    def release(self) -> None:
        """Release everywhere (compare-and-delete on every server).

        Raises :class:`~ringpax.errors.LockNotOwnedError` when the caller holds nothing or fewer
        than a majority of servers still had its token (it had expired), and
        :class:`~ringpax.errors.LockConnectionError` when too many servers could not be reached
        to tell. The local hold is dropped in every case; leftovers expire with their TTL.
        """
        owner = _current_owner()
        hold = self._hold_of(owner)
        if hold is None:
            raise LockNotOwnedError(
                f"Redlock {self.name!r} is not held by this {_describe(owner)}; nothing released"
            )
        self._drop_hold(owner, hold)
        results, problems = self._fan_out(_REDLOCK_RELEASE, hold.token)
        released = sum(1 for r in results if r == 1)
        if released >= self.quorum:
            return
        if len(problems) > len(self.clients) - self.quorum:
            raise LockConnectionError(
                f"Redlock {self.name!r}: release confirmed on {released} of"
                f" {len(self.clients)} servers: " + "; ".join(problems)
            )
        raise LockNotOwnedError(
            f"Redlock {self.name!r} was no longer held on a majority of servers"
            f" ({released} of {len(self.clients)} still had it); it had expired"
        )

    def extend(self, ttl: Optional[float] = None) -> None:
        """Reset the TTL on every server to ``ttl`` (default: the lock's ``ttl``).

        Needs a majority and a positive new validity, else the hold is released everywhere and
        :class:`~ringpax.errors.LockNotOwnedError` (or, with a majority unreachable,
        :class:`~ringpax.errors.LockConnectionError`) is raised.
        """
        new_ttl, new_ms = (self.ttl, self._ttl_ms) if ttl is None else _check_ttl(ttl, "ttl")
        owner = _current_owner()
        hold = self._hold_of(owner)
        if hold is None or time.monotonic() >= hold.valid_until:
            if hold is not None:
                self._drop_hold(owner, hold)
                self._fan_out(_REDLOCK_RELEASE, hold.token)
            raise LockNotOwnedError(
                f"Redlock {self.name!r} is not held by this {_describe(owner)}; nothing extended"
            )
        started = time.monotonic()
        results, problems = self._fan_out(_EXTEND, hold.token, new_ms)
        extended = sum(1 for r in results if r == 1)
        validity = new_ttl - (time.monotonic() - started) - self._drift(new_ttl)
        if extended >= self.quorum and validity > 0:
            hold.ttl, hold.ttl_ms, hold.valid_until = new_ttl, new_ms, started + validity
            return
        self._drop_hold(owner, hold)
        self._fan_out(_REDLOCK_RELEASE, hold.token)
        if len(problems) > len(self.clients) - self.quorum:
            raise LockConnectionError(
                f"Redlock {self.name!r}: extend reached only {extended} of"
                f" {len(self.clients)} servers; the hold is dropped: " + "; ".join(problems)
            )
        raise LockNotOwnedError(
            f"Redlock {self.name!r} could not be extended on a majority; the hold is dropped"
        )

    @property
    def validity(self) -> float:
        """Seconds the caller's hold is still guaranteed (0.0 when it holds none)."""
        hold = self._hold_of(_current_owner())
        if hold is None:
            return 0.0
        return max(0.0, hold.valid_until - time.monotonic())

    def owned(self) -> bool:
        """Whether the caller holds the lock with validity left (local clock; no round trip)."""
        return self.validity > 0.0

    def close(self) -> None:
        """Stop the per-server worker threads (a later call starts new ones)."""
        with self._executors_mutex:
            if self._executors is not None:
                _shutdown_executors(self._executors)
                self._executors = None

    def __enter__(self) -> "Redlock":
        if not self.acquire(True, self.blocking_timeout):
            raise LockTimeoutError(
                f"Redlock {self.name!r} not acquired within {self.blocking_timeout} s"
            )
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Redlock(name={self.name!r}, servers={len(self.clients)}, ttl={self.ttl})"


def _shutdown_executors(executors: List[ThreadPoolExecutor]) -> None:
    for ex in executors:
        ex.shutdown(wait=False)
