"""The planted reward model, built once per session (a tiny BERT that loves repetition)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.experiments.rounds.planted import planted_checkpoint


@pytest.fixture(scope="session")
def planted_rm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted_checkpoint(tmp_path_factory.mktemp("planted") / "rm")
