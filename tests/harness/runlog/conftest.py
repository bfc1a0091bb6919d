"""Entries for the run-log tests, and log lines in the shape logs had before versions."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.runlog import InitEntry, RunOptions
from harness.runlog.entries import RunConfig, Seeds, SuiteRecord

#: A run log written before log versions (log version 1.0): no ``log_version``, and
#: ``attempt`` lines with ``attack`` (the suite id) and ``attack_name`` (registry name).
_OLD_SHAPE_LINES = [
    {"type": "init", "time": "2026-01-01T00:00:00.000+00:00", "run_id": "old-1",
     "suite": {"name": "tiny", "origin": "tiny.toml", "text": "name = 'tiny'"},
     "config": {"checkpoints": ["/m"], "options": {}, "batch_size": 64, "store": "/f.db",
                "store_timeout": 30.0, "suite_origin": "tiny.toml", "suite_dir": None,
                "judges": [{"name": "heuristic", "params": {}}]},
     "seeds": {"seed": 0, "replicates": 1},
     "checkpoints": [{"fingerprint": "f0", "spec": "/m", "device": "cpu"}],
     "prompts": 1, "pairs": 1, "margin": 0.0, "judges": [{"name": "heuristic", "params": {}}],
     "replay_horizon": 0, "executor": "local", "versions": {"python": "3.11.7"},
     "started_at": "2026-01-01T00:00:00+00:00"},
    {"type": "attempt", "time": "2026-01-01T00:00:01.000+00:00", "unit": "0/instability",
     "checkpoint": 0, "attack": "instability", "family": "instability", "pairs": 4,
     "queries": 52, "findings": 0, "seconds": 0.3},
    {"type": "finding", "time": "2026-01-01T00:00:02.000+00:00", "checkpoint": 0,
     "fingerprint": "f0", "unit": "0/loud/0/0", "finding_id": 3, "key": "k3",
     "attack_id": "loud", "reference": "a joke", "prompt": "Tell me a joke.",
     "text": "funny funny funny", "score": 2.0, "reference_score": 0.5, "margin": 1.5,
     "attack": "repetition", "family": "repetition", "seed": 11, "queries_at_find": 4,
     "seeded": False, "reasons": ["heuristic: repetitive"]},
    {"type": "attempt", "time": "2026-01-01T00:00:03.000+00:00", "unit": "0/loud/0/0",
     "checkpoint": 0, "attack": "loud", "attack_name": "repetition", "family": "repetition",
     "replicate": 0, "prompt_index": 0, "prompt": "Tell me a joke.", "seed": 11, "budget": 40,
     "queries": 40, "evaluated": 39, "reference_score": 0.5, "best_score": 2.0,
     "best_margin": 1.5, "findings": 1, "searched_findings": 1, "first_finding_queries": 4,
     "seconds": 0.2, "error": False},
]  # fmt: skip


@pytest.fixture()
def old_shape_lines() -> list[dict]:
    """The lines of a run log written before log versions (a fresh copy per test)."""
    return copy.deepcopy(_OLD_SHAPE_LINES)


def _write_lines(path: Path, lines: list[object]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture()
def write_lines() -> Callable[[Path, list[object]], Path]:
    """``write_lines(path, lines)``: each object as one JSON line; returns ``path``."""
    return _write_lines


@pytest.fixture()
def init_entry() -> Callable[..., InitEntry]:
    """``init_entry(**changes)``: a one-checkpoint ``init`` entry (fingerprint ``f0``)."""

    def make(**changes: object) -> InitEntry:
        fields: dict = dict(
            run_id="r",
            suite=SuiteRecord(name="tiny", origin="tiny.toml", text='name = "tiny"'),
            config=RunConfig(
                checkpoints=("m",), options={}, run_options=RunOptions(store="findings.db")
            ),
            seeds=Seeds(seed=0, replicates=1),
            checkpoints=({"fingerprint": "f0", "spec": "m"},),
            prompts=1,
            pairs=1,
        )
        return InitEntry(**(fields | changes))

    return make
