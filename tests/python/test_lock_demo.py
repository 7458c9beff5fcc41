"""The lock section of `make demo` (ringpax._demo_lock.run)."""

from __future__ import annotations

import re
import shutil
from typing import List

import pytest

from ringpax import _demo_lock


def test_demo_runs_against_a_private_server() -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not on PATH: apt-get install -y redis-server", pytrace=False)
    lines: List[str] = []
    _demo_lock.run(print_fn=lines.append)
    text = "\n".join(lines)
    tokens = [int(t) for t in re.findall(r"holds the lock with fencing token (\d+)", text)]
    assert len(tokens) == 8 and tokens == sorted(tokens) and len(set(tokens)) == 8
    assert "tokens strictly increasing: True" in text
    assert "rejected by the storage" in text and "LockNotOwnedError" in text
    assert "fencing_token=1)" in text and "-> False" in text


def test_demo_without_redis_server_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_demo_lock.shutil, "which", lambda name: None)
    lines: List[str] = []
    _demo_lock.run(print_fn=lines.append)
    assert len(lines) == 1 and "apt-get install -y redis-server" in lines[0]
