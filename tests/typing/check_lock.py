"""Type-checked with `mypy --strict` by `make test`: the public API as users write it."""

from __future__ import annotations

import threading
from typing import Literal, Optional, Union

import redis

from ringpax.errors import LockError, LockNotOwnedError, LockTimeoutError
from ringpax.lock import Lease, RedisLock, Redlock, acquire_lock, default_client, release_lock

lease: Union[Lease, Literal[False]] = acquire_lock("k", 60)
if lease:
    token: int = lease.fencing_token
    still: bool = lease.owned()
    done: bool = lease.release()
released: bool = release_lock("k")
client: redis.Redis = default_client(socket_timeout=2.0)


def on_lost(lost: Lease) -> None:
    print(lost.name, lost.fencing_token)


lock = RedisLock("reports", client=client, ttl=30, blocking_timeout=10.0, auto_renew=True,
                 on_lost=on_lost, socket_timeout=5.0)
got: bool = lock.acquire(blocking=True, timeout=1.5)
maybe: Optional[Lease] = lock.acquire_lease(blocking=False)
fence: Optional[int] = lock.fencing_token
lock.extend(60)
lock.extend()
flags: tuple[bool, bool] = (lock.owned(), lock.locked())
event: threading.Event = lock.lost
try:
    lock.release()
except LockNotOwnedError as e:
    base: LockError = e
with lock as held:
    same: RedisLock = held

red = Redlock(["redis://127.0.0.1:7001", client], "reports", ttl=10.0, server_timeout=0.05)
try:
    with red:
        left: float = red.validity
except LockTimeoutError as t:
    timeout_error: TimeoutError = t
red.close()
