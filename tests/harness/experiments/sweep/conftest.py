"""A small real sweep folder, shared by the sweep's tests (made once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.experiments.sweep.sweeps import make_sweep


@pytest.fixture(scope="session")
def cli_sweep(tmp_path_factory) -> Path:
    return make_sweep(tmp_path_factory.mktemp("sweep"))
