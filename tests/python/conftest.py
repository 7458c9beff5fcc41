"""Shared pytest setup. The suite runs against the *installed* ringpax (make test installs the
wheel into .venv), never against the source tree."""

from __future__ import annotations

import pathlib

import ringpax

REPO = pathlib.Path(__file__).resolve().parents[2]


def pytest_report_header(config: object) -> str:
    return f"ringpax {ringpax.__version__} from {pathlib.Path(ringpax.__file__).parent}"


def pytest_sessionstart(session: object) -> None:
    where = pathlib.Path(ringpax.__file__).resolve()
    if REPO / "python" in where.parents:
        raise RuntimeError(
            f"tests must run against the installed package, but ringpax was imported from {where}"
        )
