"""Private ``redis-server`` processes for the lock tests and benchmarks.

Each :class:`RedisServer` runs its own ``redis-server`` on a free loopback port, with
persistence off (``--save "" --appendonly no``) and its working directory in a fresh temporary
directory, so tests never touch a Redis the developer runs for something else. A server can be
stopped, killed, paused (SIGSTOP, to play a server that stops answering) and restarted on the same
port, which is what the failure tests need.

A missing ``redis-server`` is an error, not a skip: :func:`redis_server_path` raises
:class:`RedisServerMissing` with the command that installs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any, List, Optional

INSTALL_HINT = (
    "redis-server is not on PATH; the lock tests need a real Redis server. "
    "Install it with `apt-get install -y redis-server` (Debian/Ubuntu) and run the tests again."
)


class RedisServerMissing(RuntimeError):
    """``redis-server`` is not installed (or not on ``PATH``)."""


class RedisServerError(RuntimeError):
    """A private ``redis-server`` did not start (the message carries its log)."""


def redis_server_path() -> str:
    """The path of ``redis-server``; raises :class:`RedisServerMissing` when there is none."""
    path = os.environ.get("RINGPAX_REDIS_SERVER") or shutil.which("redis-server")
    if not path:
        raise RedisServerMissing(INSTALL_HINT)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One private ``redis-server`` on 127.0.0.1.

    >>> srv = RedisServer().start()
    >>> client = srv.client()
    >>> srv.stop()
    """

    def __init__(self, port: Optional[int] = None, extra_args: Optional[List[str]] = None) -> None:
        self._auto_port = port is None
        self._started_once = False
        self.port = port or free_port()
        self.extra_args = list(extra_args or [])
        self.dir = tempfile.mkdtemp(prefix="ringpax-redis-")
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self._paused = False

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> str:
        return os.path.join(self.dir, "redis.log")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 10.0) -> "RedisServer":
        """Start the server (on the same port as before, if it ran already) and wait for PING."""
        if self.running():
            return self
        for attempt in range(3):
            try:
                self._start_once(timeout)
                self._started_once = True
                return self
            except RedisServerError:
                # A port picked by free_port() can be taken by someone else before we bind it.
                if not self._auto_port or self._started_once or attempt == 2:
                    raise
                self.port = free_port()
        return self

    def _start_once(self, timeout: float) -> None:
        args = [
            redis_server_path(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self.dir,
            "--logfile", self.log_path,
            "--daemonize", "no",
            *self.extra_args,
        ]
        deadline = time.monotonic() + timeout
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.proc = None
                raise RedisServerError(
                    f"redis-server on port {self.port} exited at start: {err}{self._log_tail()}"
                )
            if _ping(self.port):
                return
            time.sleep(0.01)
        self.kill()
        raise RedisServerError(
            f"redis-server on port {self.port} did not answer PING in {timeout} s{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "\nlog:\n" + "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def _reap(self, sig: int, timeout: float) -> None:
        proc = self.proc
        if proc is None:
            return
        if self._paused:
            try:
                proc.send_signal(signal.SIGCONT)
            except ProcessLookupError:
                pass
            self._paused = False
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            except ProcessLookupError:
                pass
        if proc.stderr:
            proc.stderr.close()
        self.proc = None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server (SIGTERM; it keeps nothing, persistence is off)."""
        self._reap(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would."""
        self._reap(signal.SIGKILL, 5.0)

    def restart(self) -> "RedisServer":
        """Kill and start again on the same port: every key (and loaded script) is gone."""
        self.kill()
        return self.start()

    def pause(self) -> None:
        """SIGSTOP the server: it keeps its sockets open but answers nothing."""
        if self.proc is not None and not self._paused:
            self.proc.send_signal(signal.SIGSTOP)
            self._paused = True

    def resume(self) -> None:
        if self.proc is not None and self._paused:
            self.proc.send_signal(signal.SIGCONT)
            self._paused = False

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- clients -------------------------------------------------------------------------------

    def client(self, socket_timeout: Optional[float] = 2.0, **kwargs: Any) -> Any:
        """A redis-py client of this server (no automatic retries, bounded socket timeouts)."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        kwargs.setdefault("socket_connect_timeout", socket_timeout)
        kwargs.setdefault("retry", Retry(NoBackoff(), 0))
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=socket_timeout, **kwargs)

    def __repr__(self) -> str:
        state = "running" if self.running() else "stopped"
        return f"RedisServer(port={self.port}, {state})"


def start_servers(count: int = 1) -> List[RedisServer]:
    """Start ``count`` private servers (raising :class:`RedisServerMissing` without redis-server);
    on a failure the ones already started are closed."""
    servers: List[RedisServer] = []
    try:
        for _ in range(count):
            servers.append(RedisServer().start())
    except BaseException:
        for srv in servers:
            srv.close()
        raise
    return servers
