"""The lock section of ``make demo``: contending workers on a private redis-server.

``run()`` starts its own ``redis-server`` (loopback, a free port, no persistence, a temporary
directory) when one is on ``PATH``, lets a few worker threads contend for one lock, prints who
held it with which fencing token, shows a storage rejecting a stale holder's write, and stops the
server. Without ``redis-server`` it prints how to install it and returns.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

PrintFn = Callable[..., Any]

INSTALL_HINT = (
    "redis-server is not installed, so the lock demo is skipped.\n"
    "  Install it with:  apt-get install -y redis-server   (Debian/Ubuntu)\n"
    "  then run the demo again; it starts its own private server and stops it afterwards."
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _start_server(path: str, workdir: str) -> Tuple["subprocess.Popen[bytes]", int]:
    port = _free_port()
    proc = subprocess.Popen(
        [path, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir, "--logfile", "", "--daemonize", "no"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        if _answers(port):
            return proc, port
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"the demo's redis-server did not start on port {port}")


class _Storage:
    """A toy store that applies a write only if its fencing token is the newest it has seen."""

    def __init__(self) -> None:
        self.highest = 0
        self.value: Optional[str] = None
        self._mutex = threading.Lock()

    def write(self, token: int, value: str) -> bool:
        with self._mutex:
            if token < self.highest:
                return False
            self.highest, self.value = token, value
            return True


def run(print_fn: PrintFn = print) -> None:
    """Run the lock demo, printing through ``print_fn``."""
    path = shutil.which("redis-server")
    if path is None:
        print_fn(INSTALL_HINT)
        return

    import redis

    from ringpax.errors import LockNotOwnedError
    from ringpax.lock import RedisLock, acquire_lock, release_lock

    workdir = tempfile.mkdtemp(prefix="ringpax-demo-redis-")
    proc, port = _start_server(path, workdir)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    out_mutex = threading.Lock()

    def say(line: str) -> None:
        with out_mutex:
            print_fn(line)

    try:
        say(f"private redis-server on 127.0.0.1:{port} (no persistence)")
        lock = RedisLock("demo-report", client=client, ttl=5)  # one object, shared by threads
        storage = _Storage()
        held: List[Tuple[str, int]] = []

        def worker(name: str) -> None:
            for round_no in range(2):
                with lock:  # waits (woken by the previous holder's release), then holds
                    token = lock.fencing_token
                    assert token is not None
                    held.append((name, token))
                    accepted = storage.write(token, f"{name} round {round_no}")
                    say(f"  {name} holds the lock with fencing token {token}"
                        f" (write {'accepted' if accepted else 'rejected'})")
                    time.sleep(0.05)

        say("4 workers contend for lock 'demo-report', twice each:")
        threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(1, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        tokens = [token for _, token in held]
        say(f"  {len(held)} holds, tokens strictly increasing: {tokens == sorted(set(tokens))}")

        say("a stale holder (its 0.2 s TTL ran out while it was paused):")
        stale = RedisLock("demo-report", client=client, ttl=0.2)
        stale.acquire()
        stale_token = stale.fencing_token
        assert stale_token is not None
        time.sleep(0.3)  # paused past its TTL (GC, swap, a slow network)
        fresh = RedisLock("demo-report", client=client, ttl=5)
        fresh_token: List[int] = []

        def take_over() -> None:
            fresh.acquire()
            fresh_token.append(fresh.fencing_token or 0)
            storage.write(fresh_token[0], "fresh holder")

        t = threading.Thread(target=take_over)
        t.start()
        t.join()
        say(f"  meanwhile another holder acquired it with token {fresh_token[0]}")
        accepted = storage.write(stale_token, "stale holder")
        say(f"  stale holder writes with token {stale_token}:"
            f" {'accepted' if accepted else 'rejected by the storage (older token)'}")
        try:
            stale.release()
        except LockNotOwnedError as exc:
            say(f"  stale holder's release: LockNotOwnedError ({exc})")

        say("the article's functions, made safe:")
        lease = acquire_lock("nightly-job", 60, client=client)
        if lease:
            say(f"  acquire_lock('nightly-job', 60) -> {lease!r}")
            say(f"  acquire_lock again from the same thread -> "
                f"{acquire_lock('nightly-job', 60, client=client)!r}")
            say(f"  release_lock('nightly-job') -> {release_lock('nightly-job', client=client)}")
            say(f"  release_lock('nightly-job') again -> "
                f"{release_lock('nightly-job', client=client)}")
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    run()
