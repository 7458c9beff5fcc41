"""The twemproxy harness itself, checked against a pure-Python model of twemproxy's ketama.

No ringpax code is used here: the model below is written from twemproxy's algorithm, and every
test that starts the real ``nutcracker`` asserts that model and proxy agree key for key. A missing
``nutcracker``/``memcached`` fails these tests with the ``apt-get install`` command; nothing skips.

What the model encodes, and where it was checked (twitter/twemproxy sources; the Debian binary is
0.5.0, whose ``ketama_update`` was also read in ``objdump -d /usr/sbin/nutcracker``):

* Points per server -- ``src/hashkit/nc_ketama.c`` ``ketama_update``::

      pct = (float)server->weight / (float)total_weight;
      pointer_per_server = (uint32_t)((floorf((float)(pct * KETAMA_POINTS_PER_SERVER / 4
                                      * (float)nlive_server + 0.0000000001))) * 4);

  all in 32-bit float (the binary: ``divss``, ``mulss 160.0``, ``mulss 0.25``, ``mulss n``,
  ``cvtss2sd``, ``addsd 1e-10``, ``cvtsd2ss``, floor, ``mulss 4.0``). The ``+ 1e-10`` is added in
  double and rounded back to float, where it vanishes: it does *not* rescue a product that float
  rounding left just under an integer. With 5 servers of weights 1, 5, 8, 7, 4 (total 25) the
  exact shares are 8, 40, 64, 56, 32 digests, but float gives 7.9999995, 40, 63.999996, 56,
  31.999998, so weights 1, 8 and 4 lose a digest (4 points) each;
  ``test_float_math_costs_points`` pins that and the proxy agrees (and disagrees with exact math).
  ``auto_eject_hosts: false`` makes every configured server live, so nlive_server = all servers.
* 4 points per digest, md5 of ``"NAME-i"`` for i = 0 .. pointer_per_server/4 - 1 (``snprintf(host,
  KETAMA_MAX_HOSTLEN, "%.*s-%u", name, pointer_index - 1)`` with ``pointer_index`` from 1);
  point x of a digest is ``ketama_hash(host, hostlen, x)``: the little-endian u32 of digest bytes
  4x..4x+3. 0.5.0 has ``KETAMA_MAX_HOSTLEN`` = 273 (``mov $0x111`` before ``__snprintf_chk``) and
  clamps hostlen to 272 (``cmp $0x110``, log "Unexpectedly forced to truncate a hostname in
  ketama pool"); the pre-0.5.0 nc_ketama.c (twitter/twemproxy@6bf4b18 as stored in the search
  index) has 86 and no clamp (a buffer over-read for long names). The model keeps the first 272
  bytes; the "long-names" node set has a 300-character name to exercise it.
* Which NAME: ``src/nc_conf.c`` ``conf_add_server`` -- the name after the last space when given,
  else ``"host:port"`` (``"host"`` alone for port 11211). The weight is used either way.
* Key hash for ``hash: md5``: ``src/hashkit/nc_md5.c`` ``hash_md5`` = little-endian u32 of
  ``md5(key)[0:4]``, of the whole key (no ``hash_tag`` configured; ``src/nc_server.c``
  ``server_pool_idx`` -> ``server_pool_hash``, which returns 0 for a one-server pool).
* Dispatch: ``ketama_dispatch`` is a lower-bound binary search -- the first point with
  ``value >= hash`` -- wrapping to the first point past the end.
  ``test_key_hash_equal_to_a_point_goes_to_that_point`` uses a key (found by brute force) whose
  hash *equals* a point, so ``>=`` versus ``>`` is actually exercised.
* Server order and ties. The continuum is sorted with ``qsort`` + ``ketama_item_cmp``, by value
  only, so equal points (two servers' digests sharing a u32) are ordered by how the sort treats
  them. glibc's qsort (2.36 in Debian 12) is a merge sort when it can allocate its scratch
  buffer (a continuum is a few KiB), i.e. stable, so equal points stay in
  generation order = *server array* order, and the lower bound lands on the first. But the server
  array is NOT config order: ``conf_validate_server`` (``src/nc_conf.c``) calls
  ``array_sort(&cp->server, conf_server_name_cmp)`` to find duplicate names, and the sorted array
  is what the pool uses. ``string_compare`` (``src/nc_string.c``) orders by length first, then
  ``strncmp``. So a key on a tied point goes to the server whose ketama name is shorter, or, at
  equal length, byte-wise smaller -- whatever order the config lists them in.
  DISCREPANCY FOUND AND RESOLVED: the first version of the tie test expected the server listed
  first in the config and failed (tie of "tie-184"/"tie-434": "tie-184" won in both orders); the
  name sort above is why. ``test_tied_point_goes_to_shorter_then_smaller_name`` now checks 9
  constructed ties (including ones where length-first and byte order disagree). Reliance on a
  stable continuum sort remains: a libc whose qsort is not stable (musl's smoothsort) could break
  ties differently. Outside ties, server order plays no part in placement.

Measured here: 100,000 keys through the proxy in about 1.2 s (``test_100k_keys_runtime`` prints
it); the whole module runs in about 10 s.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import os
import random
import struct
import sys
import time
from collections import Counter
from typing import Dict, List, Optional, Sequence, Set, Tuple

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twemproxy_harness import (  # noqa: E402
    INSTALL_HINT,
    Twemproxy,
    TwemproxyError,
    TwemproxyMissing,
    memcached_path,
    nutcracker_path,
    validate_key,
)

Servers = List[Tuple[str, int]]

# -- the reference model ----------------------------------------------------------------------

KETAMA_POINTS_PER_SERVER = 160
POINTS_PER_DIGEST = 4
HOSTLEN_LIMIT = 272  # 0.5.0: KETAMA_MAX_HOSTLEN 273 minus the NUL, hostlen clamped to it


def f32(x: float) -> float:
    """Round to the nearest IEEE single (what each SSE float operation does)."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def points_for(weight: int, total_weight: int, nlive: int) -> int:
    """pointer_per_server of ketama_update, in float32 like the C code.

    A float*float product or quotient is exact or correctly rounded in double, and rounding that
    to float gives the single-precision result, so doing each step in Python floats and then
    f32() reproduces the C arithmetic bit for bit.
    """
    pct = f32(f32(float(weight)) / f32(float(total_weight)))
    x = f32(pct * float(KETAMA_POINTS_PER_SERVER))
    x = f32(x / 4.0)
    x = f32(x * f32(float(nlive)))
    x = f32(x + 0.0000000001)  # added in double, then (float): a no-op for x >= ~1e-2
    return int(f32(float(math.floor(x)) * 4.0))


def points_exact(weight: int, total_weight: int, nlive: int) -> int:
    """What the formula gives in exact arithmetic (for contrast; twemproxy does not do this)."""
    return (weight * KETAMA_POINTS_PER_SERVER // 4 * nlive // total_weight) * 4


def ketama_points(name: str, count: int, hostlen_limit: Optional[int] = HOSTLEN_LIMIT) -> List[int]:
    """The ``count`` continuum values of a server whose ketama string is ``name``."""
    out: List[int] = []
    for i in range(count // POINTS_PER_DIGEST):
        host = f"{name}-{i}".encode("ascii")[:hostlen_limit]
        d = hashlib.md5(host).digest()
        out.extend(int.from_bytes(d[4 * x : 4 * x + 4], "little") for x in range(POINTS_PER_DIGEST))
    return out


def server_order(strings: Sequence[str]) -> List[int]:
    """Indices of ``strings`` in twemproxy's server order.

    ``conf_validate_server`` (src/nc_conf.c) runs ``array_sort(&cp->server,
    conf_server_name_cmp)`` to find duplicate names, and that sorted array is the pool's server
    array. ``string_compare`` (src/nc_string.c) orders by length first, then ``strncmp``.
    """
    return sorted(range(len(strings)), key=lambda i: (len(strings[i]), strings[i].encode("ascii")))


class Continuum:
    """twemproxy's ketama continuum for ``[(ketama string, weight), ...]`` (any order).

    ``owners`` are indices into the list as given. ``exact=True`` (points counted in exact
    arithmetic, not float32) and ``hostlen_limit=None`` (no 272-byte cut) are wrong on purpose:
    they show that the proxy tests can tell the difference.
    """

    def __init__(
        self,
        servers: Sequence[Tuple[str, int]],
        exact: bool = False,
        hostlen_limit: Optional[int] = HOSTLEN_LIMIT,
    ) -> None:
        total = sum(w for _, w in servers)
        n = len(servers)
        entries: List[Tuple[int, int]] = []
        self.counts: List[int] = [0] * n
        for index in server_order([name for name, _ in servers]):
            name, weight = servers[index]
            count = (points_exact if exact else points_for)(weight, total, n)
            self.counts[index] = count
            entries.extend((value, index) for value in ketama_points(name, count, hostlen_limit))
        # qsort by value only; glibc's merge sort is stable, so equal values stay in server order.
        entries.sort(key=lambda e: e[0])
        self.values = [v for v, _ in entries]
        self.owners = [i for _, i in entries]
        self.single = n == 1

    def index_of(self, key: bytes) -> int:
        if self.single:  # server_pool_idx: one server, no hashing
            return 0
        h = key_hash_md5(key)
        i = bisect.bisect_left(self.values, h)  # first point >= hash
        if i == len(self.values):
            i = 0  # wrap
        return self.owners[i]


def key_hash_md5(key: bytes) -> int:
    """hash_md5 in src/hashkit/nc_md5.c: little-endian u32 of the first 4 digest bytes."""
    return int.from_bytes(hashlib.md5(key).digest()[:4], "little")


def reference_placements(
    servers: Servers,
    keys: Sequence[bytes],
    ketama_names: Optional[Dict[str, str]] = None,
    exact: bool = False,
    hostlen_limit: Optional[int] = HOSTLEN_LIMIT,
) -> List[str]:
    names = [n for n, _ in servers]
    strings = ketama_names or {n: n for n in names}
    c = Continuum([(strings[n], w) for n, w in servers], exact=exact, hostlen_limit=hostlen_limit)
    return [names[c.index_of(k)] for k in keys]


# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture
def binaries() -> None:
    """Fail (never skip) with the install command when the real binaries are missing."""
    try:
        nutcracker_path()
        memcached_path()
    except TwemproxyMissing as e:
        pytest.fail(str(e), pytrace=False)


def random_keys(n: int, seed: int) -> List[bytes]:
    """Valid memcached keys: mostly short, some up to 250 bytes, some with bytes >= 0x80."""
    rng = random.Random(seed)
    printable = bytes(range(0x21, 0x7F))
    high = bytes(range(0x80, 0x100))
    keys: Set[bytes] = set()
    while len(keys) < n:
        r = rng.random()
        length = rng.randint(1, 24) if r < 0.85 else rng.randint(25, 250)
        alphabet = printable + high if rng.random() < 0.05 else printable
        keys.add(bytes(rng.choice(alphabet) for _ in range(length)))
    out = sorted(keys)
    rng.shuffle(out)
    return out


def assert_agrees(servers: Servers, keys: List[bytes], got: List[str],
                  ketama_names: Optional[Dict[str, str]] = None) -> None:
    want = reference_placements(servers, keys, ketama_names)
    bad = [(k, g, w) for k, g, w in zip(keys, got, want) if g != w]
    assert not bad, (
        f"{len(bad)} of {len(keys)} keys placed differently by nutcracker and the model "
        f"(key, proxy, model): {bad[:10]}"
    )


NODE_SETS: Dict[str, Servers] = {
    "weights-1-2-3": [("alpha", 1), ("beta", 2), ("gamma", 3)],
    # host:port-looking names, as people write them: ':' and '.' are part of the hashed name.
    "12-equal": [(f"cache-{i:02d}.example.net:11211", 1) for i in range(12)],
    "11-mixed-weights": [
        (f"mc{i}", w) for i, w in enumerate([1, 2, 3, 5, 8, 1, 1, 4, 2, 7, 3])
    ],
    # float32 rounding gives the weight-1 server 28 points, not 32 (see the module docstring).
    "float-trap-1-5-8-7-4": [("s1", 1), ("s5", 5), ("s8", 8), ("s7", 7), ("s4", 4)],
    # 200 chars: beyond pre-0.5.0 KETAMA_MAX_HOSTLEN (86). 300 chars: "NAME-i" is cut to 272
    # bytes, so every digest of that server is md5(NAME[:272]): 4 distinct points, repeated.
    "long-names": [("a" * 200, 2), ("b" * 300, 1), ("short", 1)],
}


# -- the model on its own (no processes) -----------------------------------------------------


def test_model_point_counts() -> None:
    assert Continuum([("a", 1), ("b", 1), ("c", 1)]).counts == [160, 160, 160]
    assert Continuum(NODE_SETS["weights-1-2-3"]).counts == [80, 160, 240]
    assert Continuum([("x", 1)]).counts == [160]
    # 11 servers with weight 1: f32(1/11)*160/4*11 = 40.000004 -> 160 each.
    assert Continuum([(str(i), 1) for i in range(11)]).counts == [160] * 11
    assert hashlib.md5(b"").hexdigest().startswith("d41d8cd9")
    assert key_hash_md5(b"") == 0xD98C1DD4  # bytes d4 1d 8c d9, little-endian


def test_float_math_costs_points() -> None:
    servers = NODE_SETS["float-trap-1-5-8-7-4"]
    total = sum(w for _, w in servers)
    exact = [points_exact(w, total, len(servers)) for _, w in servers]
    model = Continuum(servers).counts
    assert exact == [32, 160, 256, 224, 128]
    assert model == [28, 160, 252, 224, 124]  # weights 1, 8 and 4 lose a digest to float rounding
    # The "+ 0.0000000001" does not help: it is lost when the double sum is rounded to float.
    pct = f32(1.0 / 25.0)
    x = f32(f32(f32(pct * 160.0) / 4.0) * 5.0)
    assert x < 8.0 and f32(x + 1e-10) == x


def test_model_dispatch_wraps_and_takes_lower_bound() -> None:
    c = Continuum([("a", 1), ("b", 1)])
    top, bottom = c.values[-1], c.values[0]
    for key in random_keys(3000, 7):
        h = key_hash_md5(key)
        i = c.index_of(key)
        if h > top:
            assert i == c.owners[0]
        elif h <= bottom:
            assert i == c.owners[0]
    assert c.values == sorted(c.values)


# -- the harness against the real proxy ------------------------------------------------------


def test_binaries_installed() -> None:
    try:
        assert os.access(nutcracker_path(), os.X_OK)
        assert os.access(memcached_path(), os.X_OK)
    except TwemproxyMissing as e:
        pytest.fail(f"{e}", pytrace=False)
    assert "apt-get install -y nutcracker memcached" in INSTALL_HINT


@pytest.mark.parametrize("label", sorted(NODE_SETS))
def test_proxy_matches_model(binaries: None, label: str) -> None:
    servers = NODE_SETS[label]
    keys = random_keys(20_000, seed=sum(label.encode()))
    with Twemproxy(servers) as tw:
        got = tw.placements(keys)
    assert_agrees(servers, keys, got)
    counts = Counter(got)
    assert set(counts) == {n for n, _ in servers}, counts
    if len({w for _, w in servers}) > 1:
        # The weight counts with named servers, notes/recommendation.md notwithstanding.
        equal = reference_placements([(n, 1) for n, _ in servers], keys)
        assert sum(a != b for a, b in zip(got, equal)) > len(keys) // 20
    if label.startswith("float-trap"):
        # Exact arithmetic would give s1/s8/s4 one more digest each; the proxy did not.
        exact = reference_placements(servers, keys, exact=True)
        assert sum(a != b for a, b in zip(got, exact)) > 20
    if label == "long-names":
        # All 30 digests of the 300-character name are md5(NAME[:272]): 4 distinct points.
        assert len(set(ketama_points("b" * 300, 120))) == 4
        uncut = reference_placements(servers, keys, hostlen_limit=None)
        assert sum(a != b for a, b in zip(got, uncut)) > len(keys) // 20


def test_unnamed_servers_hash_host_port_not_weight(binaries: None) -> None:
    servers: Servers = [("one", 1), ("two", 1), ("three", 2), ("four", 1)]
    keys = random_keys(20_000, seed=11)
    with Twemproxy(servers, named=False) as tw:
        assert all(f":{tw.backend_ports[n]}:" in tw.config_text for n, _ in servers)
        assert " one" not in tw.config_text
        names = tw.ketama_names
        assert names == {n: f"127.0.0.1:{tw.backend_ports[n]}" for n, _ in servers}
        got = tw.placements(keys)
        readme_reading = {n: f"127.0.0.1:{tw.backend_ports[n]}:{w}" for n, w in servers}
    assert_agrees(servers, keys, got, names)
    # README: "pool ... use 'host:port:weight' for consistent hashing" -- not what the code does.
    differ = reference_placements(servers, keys, readme_reading)
    assert sum(a != b for a, b in zip(got, differ)) > len(keys) // 2


def _find_ties(limit: int) -> List[Tuple[str, str, int]]:
    """Pairs of names ``t<i>`` whose 2-server continua (160 points each) share a point value."""
    owner: Dict[int, str] = {}
    ties: List[Tuple[str, str, int]] = []
    for i in range(limit):
        name = f"t{i}"
        for v in set(ketama_points(name, 160)):
            other = owner.setdefault(v, name)
            if other != name:
                ties.append((other, name, v))
    return ties


def _keys_on_point(c: Continuum, value: int, n: int) -> List[bytes]:
    """``n`` keys whose lower bound on the continuum ``c`` is ``value``."""
    keys: List[bytes] = []
    j = 0
    while len(keys) < n:
        key = b"tiekey-%d" % j
        j += 1
        i = bisect.bisect_left(c.values, key_hash_md5(key))
        if c.values[i % len(c.values)] == value:
            keys.append(key)
    return keys


def test_tied_point_goes_to_shorter_then_smaller_name(binaries: None) -> None:
    """Equal points: the server first in twemproxy's name order wins, whatever the config order.

    The first version of this test assumed config order (a stable qsort of the continuum) and
    failed: conf_validate_server had already sorted the server array by name. Each tie below is
    configured with the name-order *loser* listed first, so config order would fail every case;
    the "cross" ties have a shorter name that sorts *after* the longer one byte-wise ("t919" >
    "t1742"), so plain byte order would fail those. 9 distinct continua all agreeing also makes
    an accidental agreement of an unstable continuum sort (about 2**-9) implausible.
    """
    ties = _find_ties(2500)
    same_len = [t for t in ties if len(t[0]) == len(t[1])][:6]
    cross = [
        t for t in ties
        if len(t[0]) != len(t[1]) and min(t[:2], key=len) > max(t[:2], key=len)
    ][:3]
    assert len(same_len) == 6 and len(cross) == 3, ties
    for a, b, tied in same_len + cross:
        winner, loser = sorted((a, b), key=lambda s: (len(s), s))
        servers: Servers = [(loser, 1), (winner, 1)]
        c = Continuum(servers)
        keys = _keys_on_point(c, tied, 20)
        assert set(reference_placements(servers, keys)) == {winner}
        with Twemproxy(servers) as tw:
            got = tw.placements(keys)
        assert got == [winner] * len(keys), (servers, tied, Counter(got))


# Found once by brute force (about 4e7 md5s): md5(key)[0:4] equals a point of the
# "weights-1-2-3" continuum whose successor point belongs to another server.
EXACT_HIT_KEY = b"eq-39304971"


def test_key_hash_equal_to_a_point_goes_to_that_point(binaries: None) -> None:
    """``ketama_dispatch`` is a lower bound (first point >= hash), not an upper bound (> hash)."""
    servers = NODE_SETS["weights-1-2-3"]
    c = Continuum(servers)
    h = key_hash_md5(EXACT_HIT_KEY)
    i = bisect.bisect_left(c.values, h)
    assert c.values[i] == h and c.values[i + 1] != h
    at, after = servers[c.owners[i]][0], servers[c.owners[i + 1]][0]
    assert at != after
    with Twemproxy(servers) as tw:
        assert tw.placements([EXACT_HIT_KEY]) == [at]


def test_single_server_takes_everything(binaries: None) -> None:
    keys = random_keys(2000, seed=3)
    with Twemproxy([("only", 7)]) as tw:
        assert tw.placements(keys) == ["only"] * len(keys)


def test_repeated_calls_and_duplicates(binaries: None) -> None:
    servers: Servers = [("p", 1), ("q", 1), ("r", 1)]
    first = random_keys(5000, seed=21)
    second = random_keys(5000, seed=22)
    with Twemproxy(servers) as tw:
        a = tw.placements(first)
        b = tw.placements(second + second[:100])  # earlier keys are flushed; dups are fine
        assert tw.placements([]) == []
    assert_agrees(servers, first, a)
    assert_agrees(servers, second + second[:100], b)


def test_100k_keys_runtime(binaries: None, capsys: pytest.CaptureFixture[str]) -> None:
    servers = NODE_SETS["11-mixed-weights"]
    keys = [b"user:%d:profile" % i for i in range(100_000)]
    with Twemproxy(servers) as tw:
        t0 = time.perf_counter()
        got = tw.placements(keys)
        elapsed = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n[twemproxy harness] 100,000 keys placed in {elapsed:.2f} s")
    assert_agrees(servers, keys, got)
    assert elapsed < 30, f"100k keys took {elapsed:.1f} s"


@pytest.mark.parametrize(
    "key",
    [b"", b"a b", b"tab\there", b"nl\n", b"cr\r", b"nul\x00", b"del\x7f", b"x" * 251, "str"],
)
def test_invalid_keys_raise_value_error(key: object) -> None:
    with pytest.raises(ValueError):
        validate_key(key)


def test_valid_key_edges() -> None:
    assert validate_key(b"x" * 250) == b"x" * 250
    assert validate_key(b"\x80\xff!~") == b"\x80\xff!~"


def test_invalid_keys_rejected_before_touching_the_proxy(binaries: None) -> None:
    with Twemproxy([("a", 1), ("b", 1)]) as tw:
        with pytest.raises(ValueError):
            tw.placements([b"fine", b"not fine"])
        assert tw.placements([b"fine"]) in (["a"], ["b"])


@pytest.mark.parametrize(
    "servers",
    [
        [],
        [("a", 1), ("a", 2)],
        [("has space", 1)],
        [("", 1)],
        [("tab\t", 1)],
        [("caf\u00e9", 1)],
        [("a", 0)],
        [("a", -1)],
        [("a", True)],
        [("n" * 513, 1)],
    ],
)
def test_invalid_servers_raise_value_error(servers: Servers) -> None:
    with pytest.raises(ValueError):
        Twemproxy(servers)


def test_invalid_hash_or_distribution() -> None:
    with pytest.raises(ValueError):
        Twemproxy([("a", 1)], hash="sha1")
    with pytest.raises(ValueError):
        Twemproxy([("a", 1)], distribution="jump")


def test_yaml_special_characters_in_names(binaries: None) -> None:
    servers: Servers = [('we"ird#name:1', 1), ("back\\slash", 2), ("-dash", 1), ("{brace}", 1)]
    keys = random_keys(5000, seed=5)
    with Twemproxy(servers) as tw:
        got = tw.placements(keys)
    assert_agrees(servers, keys, got)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False


def test_everything_is_cleaned_up_on_exit_and_on_error(binaries: None) -> None:
    with Twemproxy([("a", 1), ("b", 2)]) as tw:
        pids, workdir = tw.pids, tw.workdir
        assert len(pids) == 3 and all(_alive(p) for p in pids)
        assert workdir is not None and os.path.isdir(workdir)
    assert not any(_alive(p) for p in pids)
    assert not os.path.exists(workdir)
    with pytest.raises(TwemproxyError):
        tw.placements([b"k"])

    with pytest.raises(RuntimeError, match="boom"):
        with Twemproxy([("a", 1)]) as tw2:
            pids, workdir = tw2.pids, tw2.workdir
            raise RuntimeError("boom")
    assert not any(_alive(p) for p in pids)
    assert workdir is not None and not os.path.exists(workdir)


def test_failed_start_leaves_nothing(binaries: None, monkeypatch: pytest.MonkeyPatch) -> None:
    tw = Twemproxy([("a", 1), ("b", 1)])
    started: List[int] = []

    def broken_nutcracker(binary: str) -> object:
        started.extend(tw.pids)
        raise TwemproxyError("nutcracker would not start")

    monkeypatch.setattr(tw, "_start_nutcracker", broken_nutcracker)
    with pytest.raises(TwemproxyError):
        tw.start()
    assert len(started) == 2
    assert not any(_alive(p) for p in started)
    assert tw.workdir is not None and not os.path.exists(tw.workdir)


def test_missing_binary_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGPAX_NUTCRACKER", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(TwemproxyMissing, match="apt-get install -y nutcracker memcached"):
        nutcracker_path()
