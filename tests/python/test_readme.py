"""The README's Python examples run as written."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _blocks() -> list[str]:
    spec = importlib.util.spec_from_file_location("readme_blocks", ROOT / "tests" / "readme_blocks.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.blocks((ROOT / "README.md").read_text(encoding="utf-8"), "python")


@pytest.mark.parametrize("index", range(len(_blocks())))
def test_readme_python_block(index: int) -> None:
    exec(compile(_blocks()[index], f"README.md python block {index}", "exec"), {})
