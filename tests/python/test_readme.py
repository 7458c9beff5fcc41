"""The README's Python examples run as written."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from typing import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _blocks() -> list[str]:
    spec = importlib.util.spec_from_file_location("readme_blocks", ROOT / "tests" / "readme_blocks.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.blocks((ROOT / "README.md").read_text(encoding="utf-8"), "python")


sys.path.insert(0, str(ROOT / "tests" / "python"))
from redis_server import RedisServer, RedisServerMissing  # noqa: E402


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """The lock examples talk to Redis at REDIS_URL: give them a private server."""
    try:
        server = RedisServer().start()
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server.url
    server.close()


@pytest.mark.parametrize("index", range(len(_blocks())))
def test_readme_python_block(index: int, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    exec(compile(_blocks()[index], f"README.md python block {index}", "exec"), {})
