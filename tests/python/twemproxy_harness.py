"""A real twemproxy (``nutcracker``) in front of real ``memcached`` servers: where do keys go?

ringpax's ``compat="ketama"`` placement must agree key-for-key with twemproxy's
``distribution: ketama``. This module is the oracle: :class:`Twemproxy` starts one private
``memcached`` per named server and one ``nutcracker`` in front of them, everything on free
127.0.0.1 ports with its files in a fresh temporary directory, and
:meth:`Twemproxy.placements` stores keys *through the proxy* and then asks every ``memcached``
*directly* which of them it holds, so the answer is what the real proxy did, not a model of it.

    with Twemproxy([("alpha", 1), ("beta", 2), ("gamma", 3)]) as tw:
        owners = tw.placements([b"user:1", b"user:2"])   # e.g. ["gamma", "alpha"]

Servers are ``(name, weight)``. The config line of each is ``"127.0.0.1:PORT:WEIGHT NAME"``, so
ketama hashes the NAME and the (random) port plays no part in placement. What twemproxy hashes
(checked in its source, twitter/twemproxy ``src/nc_conf.c`` ``conf_add_server`` and
``src/hashkit/nc_ketama.c`` ``ketama_update``, and in the disassembly of Debian's
``/usr/sbin/nutcracker`` 0.5.0):

* ``conf_add_server`` parses ``"host:port:weight [name]"`` from the end: the name is what follows
  the *last* space, then weight and port are split off at the last two ``:``. The weight is parsed
  and used in both forms (``notes/recommendation.md`` says the weight is ignored when a name is
  given; the source and the real proxy say otherwise -- the tests check it).
* With a name, ``server->name`` is exactly that name. Without one it is ``"host:port"`` -- or just
  ``"host"`` when the port is 11211 (``CONF_DEFAULT_KETAMA_PORT``, for libmemcached compatibility)
  -- and *not* ``"host:port:weight"`` as the README's prose says. ``Twemproxy(..., named=False)``
  writes unnamed lines so that form can be checked too; :attr:`Twemproxy.ketama_names` gives the
  string ketama hashes for each server either way.
* ``ketama_update`` hashes ``snprintf("%.*s-%u", name, i)`` for i = 0, 1, ... In 0.5.0 the buffer
  is ``KETAMA_MAX_HOSTLEN`` = 273 bytes and the length is clamped to 272 (older releases: 86 bytes,
  unclamped), so only the first 272 bytes of ``"NAME-i"`` count; names here may be up to 512
  characters so that edge can be tested.
* The pool's server array is sorted by that name (``conf_validate_server`` sorts it to find
  duplicates; ``string_compare`` is length first, then bytes), so config order does not matter,
  not even for ties between equal points (the tests construct some).

A missing ``nutcracker`` or ``memcached`` is an error (:class:`TwemproxyMissing`, naming
``apt-get install nutcracker memcached``), never a skip. Standard library only.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from types import TracebackType
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Type

__all__ = [
    "INSTALL_HINT",
    "MAX_KEY_LENGTH",
    "Twemproxy",
    "TwemproxyError",
    "TwemproxyMissing",
    "memcached_path",
    "nutcracker_path",
    "validate_key",
]

INSTALL_HINT = (
    "the twemproxy compatibility tests need the real `nutcracker` (twemproxy) and `memcached` "
    "binaries; install them with `apt-get install -y nutcracker memcached` (Debian/Ubuntu; "
    "nutcracker lives in /usr/sbin) and run the tests again"
)

#: memcached's (and twemproxy's MEMCACHE_MAX_KEY_LENGTH) limit on a key, in bytes.
MAX_KEY_LENGTH = 250
#: Longest server name accepted (twemproxy 0.5.0 hashes at most 272 bytes of "NAME-i").
MAX_NAME_LENGTH = 512
#: Keys per pipelined round trip.
BATCH = 1000
#: memcached multi-get: keys per ``get`` command (keeps the command line a few KiB long).
GET_KEYS_PER_COMMAND = 100

_HASHES = frozenset(
    # HASH_CODEC in src/hashkit/nc_hashkit.h
    "one_at_a_time md5 crc16 crc32 crc32a fnv1_64 fnv1a_64 fnv1_32 fnv1a_32 hsieh murmur "
    "jenkins".split()
)
_DISTRIBUTIONS = frozenset({"ketama", "modula", "random"})  # DIST_CODEC in nc_hashkit.h
_NAME_RE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space: the name follows the last space
_BAD_KEY_BYTES = re.compile(rb"[\x00-\x20\x7f]")
_DEFAULT_KETAMA_PORT = 11211  # CONF_DEFAULT_KETAMA_PORT in src/nc_conf.h
_HOST = "127.0.0.1"


class TwemproxyError(RuntimeError):
    """Something in the private twemproxy/memcached setup failed (the message says what)."""


class TwemproxyMissing(TwemproxyError):
    """``nutcracker`` or ``memcached`` is not installed."""


def _binary(env: str, name: str, extra_dirs: Iterable[str] = ()) -> str:
    path = os.environ.get(env) or shutil.which(name)
    if not path:
        for d in extra_dirs:
            candidate = os.path.join(d, name)
            if os.access(candidate, os.X_OK):
                path = candidate
                break
    if not path:
        raise TwemproxyMissing(f"`{name}` was not found. {INSTALL_HINT}")
    return path


def nutcracker_path() -> str:
    """Path of ``nutcracker`` ($RINGPAX_NUTCRACKER, PATH, /usr/sbin, /usr/local/sbin)."""
    return _binary("RINGPAX_NUTCRACKER", "nutcracker", ("/usr/sbin", "/usr/local/sbin"))


def memcached_path() -> str:
    """Path of ``memcached`` ($RINGPAX_MEMCACHED, PATH, /usr/bin, /usr/local/bin)."""
    return _binary("RINGPAX_MEMCACHED", "memcached", ("/usr/bin", "/usr/local/bin"))


def validate_key(key: object) -> bytes:
    """Return ``key`` if it is a valid memcached text-protocol key, else raise ``ValueError``."""
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise ValueError(f"keys must be bytes, not {type(key).__name__}: {key!r}")
    k = bytes(key)
    if not k:
        raise ValueError("empty key")
    if len(k) > MAX_KEY_LENGTH:
        raise ValueError(
            f"key of {len(k)} bytes is longer than memcached's {MAX_KEY_LENGTH}: {k[:40]!r}..."
        )
    if _BAD_KEY_BYTES.search(k):
        raise ValueError(f"key contains a space or a control character: {k!r}")
    return k


def _free_port(avoid: Iterable[int] = ()) -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (and not one of ``avoid``)."""
    avoid = set(avoid)
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((_HOST, 0))
            port = int(s.getsockname()[1])
        if port not in avoid:
            return port


def _stop_process(proc: "subprocess.Popen[bytes]") -> None:
    """SIGKILL and reap. Nothing these processes hold is worth a graceful shutdown (memcached
    takes about a second to exit on SIGTERM)."""
    if proc.poll() is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def _cleanup(procs: List["subprocess.Popen[bytes]"], workdir: str) -> None:
    """Stop every process we started and remove the work directory (idempotent)."""
    for proc in procs:  # signal all first, then reap: no serial waits
        if proc.poll() is None:
            try:
                proc.kill()
            except OSError:
                pass
    while procs:
        proc = procs.pop()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not take 10 s
            pass
    shutil.rmtree(workdir, ignore_errors=True)


class _Conn:
    """A blocking TCP connection with a receive buffer, for pipelined memcached text commands."""

    def __init__(self, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((_HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.buf = bytearray()
        self.pos = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "_Conn":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 20)  # raises socket.timeout rather than hanging
        if not chunk:
            raise TwemproxyError("connection closed by the server")
        self.buf += chunk

    def readline(self) -> bytes:
        """One CRLF-terminated line, without the CRLF."""
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = bytes(self.buf[self.pos : end])
                self.pos = end + 2
                return line
            self._fill()

    def readexact(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n:
            self._fill()
        data = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return data


class Twemproxy:
    """Real ``nutcracker`` + one real ``memcached`` per server, as a context manager.

    ``servers`` is a list of ``(name, weight)``; names must be unique, 1-512 printable ASCII
    characters without spaces; weights are positive integers. ``hash`` and ``distribution`` go
    into the pool's config unchanged (``md5``/``fnv1a_64``/..., ``ketama``/``modula``/``random``).
    ``auto_eject_hosts`` is always ``false``, so the continuum never changes while the proxy runs.
    ``named=False`` writes ``"127.0.0.1:PORT:WEIGHT"`` lines without the name (ketama then hashes
    ``"127.0.0.1:PORT"``; see :attr:`ketama_names`).

    Entering starts everything and waits until the proxy answers a request; leaving (also on an
    exception, and at interpreter exit for an instance that was never closed) stops every process
    and removes the temporary directory.
    """

    def __init__(
        self,
        servers: Sequence[Tuple[str, int]],
        hash: str = "md5",
        distribution: str = "ketama",
        *,
        named: bool = True,
        timeout: float = 10.0,
    ) -> None:
        if not servers:
            raise ValueError("at least one server is needed")
        seen: Dict[str, int] = {}
        clean: List[Tuple[str, int]] = []
        for entry in servers:
            name, weight = entry
            if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
                raise ValueError(f"server name must be printable ASCII without spaces: {name!r}")
            if len(name) > MAX_NAME_LENGTH:
                raise ValueError(f"server name longer than {MAX_NAME_LENGTH}: {name[:40]!r}...")
            if isinstance(weight, bool) or not isinstance(weight, int):
                raise ValueError(f"weight of {name!r} must be an int, not {weight!r}")
            if not 1 <= weight <= 2**31 - 1:
                raise ValueError(f"weight of {name!r} must be in [1, 2**31 - 1], not {weight}")
            if name in seen:
                raise ValueError(f"duplicate server name {name!r}")
            seen[name] = weight
            clean.append((name, weight))
        if sum(w for _, w in clean) >= 2**32:
            raise ValueError("total weight must fit twemproxy's uint32_t total_weight")
        if hash not in _HASHES:
            raise ValueError(f"unknown twemproxy hash {hash!r}; one of {sorted(_HASHES)}")
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"unknown twemproxy distribution {distribution!r}; one of {sorted(_DISTRIBUTIONS)}"
            )
        self.servers: List[Tuple[str, int]] = clean
        self.hash = hash
        self.distribution = distribution
        self.named = named
        self.timeout = timeout
        self.port = 0
        self.stats_port = 0
        self.backend_ports: Dict[str, int] = {}
        self.config_text = ""
        self.workdir: Optional[str] = None
        self._procs: List["subprocess.Popen[bytes]"] = []
        self._backends: Dict[str, "subprocess.Popen[bytes]"] = {}
        self._proxy: Optional["subprocess.Popen[bytes]"] = None
        self._finalizer: Optional[
            weakref.finalize[[List[subprocess.Popen[bytes]], str], Twemproxy]
        ] = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> "Twemproxy":
        self.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def start(self) -> "Twemproxy":
        """Start the memcached servers and nutcracker (idempotent while running)."""
        if self._proxy is not None:
            return self
        nutcracker = nutcracker_path()
        memcached = memcached_path()
        self.backend_ports = {}
        self._backends = {}
        self.workdir = tempfile.mkdtemp(prefix="ringpax-twemproxy-")
        # Registered before the first process starts, so an exception anywhere below -- or an
        # instance that is never closed -- still leaves no process and no directory behind.
        self._finalizer = weakref.finalize(self, _cleanup, self._procs, self.workdir)
        try:
            for name, _ in self.servers:
                port, proc = self._start_memcached(memcached, name)
                self.backend_ports[name] = port
                self._backends[name] = proc
            self._proxy = self._start_nutcracker(nutcracker)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every process and remove the temporary directory (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()  # runs _cleanup once
        self._proxy = None
        self._backends = {}

    @property
    def pids(self) -> List[int]:
        """PIDs of the processes currently owned (memcached servers first, nutcracker last)."""
        return [p.pid for p in self._procs]

    def _spawn(self, args: List[str], log_name: str) -> "subprocess.Popen[bytes]":
        assert self.workdir is not None
        with open(os.path.join(self.workdir, log_name), "ab") as log:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,  # a Ctrl-C in the terminal goes to us, not to them
            )
        self._procs.append(proc)
        return proc

    def _log(self, log_name: str) -> str:
        assert self.workdir is not None
        try:
            with open(os.path.join(self.workdir, log_name), "rb") as f:
                return f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _forget(self, proc: "subprocess.Popen[bytes]") -> None:
        _stop_process(proc)
        if proc in self._procs:
            self._procs.remove(proc)

    def _start_memcached(self, binary: str, name: str) -> Tuple[int, "subprocess.Popen[bytes]"]:
        index = len(self._backends)
        log_name = f"memcached-{index}.log"
        last = ""
        for _attempt in range(5):
            port = _free_port(avoid=self.backend_ports.values())
            args = [binary, "-l", _HOST, "-p", str(port), "-U", "0", "-m", "64", "-t", "2",
                    "-c", "256"]
            if os.geteuid() == 0:
                args += ["-u", "root"]  # memcached refuses to run as root without -u
            proc = self._spawn(args, log_name)
            if self._wait_memcached(proc, port):
                return port, proc
            self._forget(proc)  # most likely someone took the port between bind and listen
            last = self._log(log_name)
        raise TwemproxyError(f"memcached for server {name!r} did not start; its log:\n{last}")

    def _wait_memcached(self, proc: "subprocess.Popen[bytes]", port: int) -> bool:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with _Conn(port, 1.0) as c:
                    c.send(b"version\r\n")
                    if c.readline().startswith(b"VERSION "):
                        return True
            except (OSError, TwemproxyError):
                pass
            time.sleep(0.02)
        return False

    def _write_config(self) -> str:
        assert self.workdir is not None
        lines = [
            "ringpax:",
            f"  listen: {_HOST}:{self.port}",
            f"  hash: {self.hash}",
            f"  distribution: {self.distribution}",
            "  auto_eject_hosts: false",
            "  timeout: 5000",
            "  servers:",
        ]
        for name, weight in self.servers:
            entry = f"{_HOST}:{self.backend_ports[name]}:{weight}"
            if self.named:
                entry += f" {name}"
            quoted = entry.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'    - "{quoted}"')  # YAML double-quoted: '#', ':' etc. stay literal
        self.config_text = "\n".join(lines) + "\n"
        path = os.path.join(self.workdir, "nutcracker.yml")
        with open(path, "w", encoding="ascii") as f:
            f.write(self.config_text)
        return path

    def _start_nutcracker(self, binary: str) -> "subprocess.Popen[bytes]":
        last = ""
        for _attempt in range(5):
            taken = set(self.backend_ports.values())
            self.port = _free_port(avoid=taken)
            self.stats_port = _free_port(avoid=taken | {self.port})
            conf = self._write_config()
            check = subprocess.run(
                [binary, "-t", "-c", conf], stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=self.timeout,
            )
            if check.returncode != 0:
                out = check.stdout.decode("utf-8", "replace")
                raise TwemproxyError(f"nutcracker rejected the config:\n{self.config_text}\n{out}")
            # -s/-a: the stats port defaults to 0.0.0.0:22222, which two proxies cannot share.
            args = [binary, "-c", conf, "-s", str(self.stats_port), "-a", _HOST,
                    "-o", os.path.join(self.workdir or ".", "nutcracker.log")]
            proc = self._spawn(args, "nutcracker.out")
            if self._wait_proxy(proc):
                return proc
            self._forget(proc)
            last = self._log("nutcracker.log") + self._log("nutcracker.out")
        raise TwemproxyError(f"nutcracker did not start; its log:\n{last}")

    def _wait_proxy(self, proc: "subprocess.Popen[bytes]") -> bool:
        """Wait until a ``get`` through the proxy is answered (so a backend round trip works)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with _Conn(self.port, 2.0) as c:
                    c.send(b"get ringpax:probe\r\n")
                    if c.readline() == b"END":
                        return True
            except (OSError, TwemproxyError):
                pass
            time.sleep(0.02)
        return False

    # -- the oracle ----------------------------------------------------------------------------

    @property
    def ketama_names(self) -> Dict[str, str]:
        """The string twemproxy's ketama hashes (as ``"STRING-i"``) for each server name.

        Named lines hash the name. Unnamed lines hash ``"127.0.0.1:PORT"``, or ``"127.0.0.1"``
        when PORT is 11211 (``conf_add_server`` in src/nc_conf.c).
        """
        if self.named:
            return {name: name for name, _ in self.servers}
        out = {}
        for name, _ in self.servers:
            port = self.backend_ports[name]
            out[name] = _HOST if port == _DEFAULT_KETAMA_PORT else f"{_HOST}:{port}"
        return out

    def _require_running(self) -> None:
        if self._proxy is None:
            raise TwemproxyError("the proxy is not running; use `with Twemproxy(...) as tw:`")
        dead = [p.args for p in self._procs if p.poll() is not None]
        if dead:
            log = self._log("nutcracker.log")
            raise TwemproxyError(f"processes died: {dead}; nutcracker log:\n{log}")

    def placements(self, keys: Sequence[bytes]) -> List[str]:
        """The server NAME that the real proxy stores each key on, in the order of ``keys``.

        Every backend is emptied (``flush_all``), every key is ``set`` through nutcracker with a
        value unique to this call, then each memcached is asked directly (pipelined multi-``get``)
        which keys it holds. Raises :class:`TwemproxyError` if a key ends up on no backend or on
        several, and ``ValueError`` for a key memcached cannot take (empty, > 250 bytes, a space or
        a control character). Duplicate keys are allowed (they get the same answer).
        """
        self._require_running()
        valid = [validate_key(k) for k in keys]
        unique = list(dict.fromkeys(valid))
        token = secrets.token_hex(4).encode()  # 8 bytes: tells this call's values from stale ones
        for port in self.backend_ports.values():
            with _Conn(port, self.timeout) as c:
                c.send(b"flush_all\r\n")
                if c.readline() != b"OK":
                    raise TwemproxyError(f"flush_all failed on 127.0.0.1:{port}")
        self._set_through_proxy(unique, token)
        where: Dict[bytes, List[str]] = {}
        for name, port in self.backend_ports.items():
            for k in self._held_by(port, unique, token):
                where.setdefault(k, []).append(name)
        missing = [k for k in unique if k not in where]
        several = {k: v for k, v in where.items() if len(v) > 1}
        if missing or several:
            raise TwemproxyError(
                f"{len(missing)} keys on no backend (first: {missing[:5]!r}), {len(several)} on "
                f"several (first: {list(several.items())[:5]!r}); memcached evictions: "
                f"{self._evictions()}"
            )
        return [where[k][0] for k in valid]

    def _set_through_proxy(self, keys: List[bytes], token: bytes) -> None:
        tail = b" 0 0 %d\r\n%s\r\n" % (len(token), token)
        with _Conn(self.port, self.timeout) as c:
            for start in range(0, len(keys), BATCH):
                batch = keys[start : start + BATCH]
                c.send(b"".join(b"set " + k + tail for k in batch))
                for k in batch:
                    reply = c.readline()
                    if reply != b"STORED":
                        raise TwemproxyError(f"set {k!r} through nutcracker answered {reply!r}")

    def _held_by(self, port: int, keys: List[bytes], token: bytes) -> List[bytes]:
        """The keys (of ``keys``) that memcached on ``port`` holds with value ``token``."""
        held: List[bytes] = []
        with _Conn(port, self.timeout) as c:
            for start in range(0, len(keys), BATCH):
                batch = keys[start : start + BATCH]
                commands = [
                    b"get " + b" ".join(batch[i : i + GET_KEYS_PER_COMMAND]) + b"\r\n"
                    for i in range(0, len(batch), GET_KEYS_PER_COMMAND)
                ]
                c.send(b"".join(commands))
                ends = 0
                while ends < len(commands):
                    line = c.readline()
                    if line == b"END":
                        ends += 1
                        continue
                    parts = line.split(b" ")
                    if len(parts) < 4 or parts[0] != b"VALUE":
                        raise TwemproxyError(f"memcached on 127.0.0.1:{port} answered {line!r}")
                    value = c.readexact(int(parts[3]) + 2)[:-2]
                    if value == token:
                        held.append(parts[1])
        return held

    def _evictions(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for name, port in self.backend_ports.items():
            try:
                with _Conn(port, self.timeout) as c:
                    c.send(b"stats\r\n")
                    while True:
                        line = c.readline()
                        if line == b"END":
                            break
                        if line.startswith(b"STAT evictions "):
                            out[name] = int(line.split()[2])
            except (OSError, TwemproxyError):
                out[name] = -1
        return out
