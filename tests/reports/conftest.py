"""Run folders to report on: copies of the real tiny run, one with hostile findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.runlog import LOG_NAME
from harness.testing import HOSTILE_TEXTS


@pytest.fixture()
def copy_run(tiny_run, tmp_path):
    """A private copy of the tiny run, with a function to rewrite its log entries."""

    def make(name: str = "copy") -> Path:
        target = tmp_path / name
        shutil.copytree(tiny_run, target)
        return target

    return make


def _rewrite_log(folder: Path, edit) -> None:
    """Apply ``edit(entry) -> entry | list[entry] | None`` to every log entry."""
    path = folder / LOG_NAME
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        result = edit(json.loads(line))
        for entry in result if isinstance(result, list) else [result] if result else []:
            out.append(json.dumps(entry, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.fixture()
def rewrite_log():
    """``rewrite_log(folder, edit)`` applies ``edit(entry) -> entry | list | None`` to a log."""
    return _rewrite_log


@pytest.fixture()
def hostile_run(copy_run) -> Path:
    """The tiny run, with one finding per payload in its log (text, prompt and reasons)."""
    folder = copy_run("hostile")
    injected = False

    def edit(entry):
        nonlocal injected
        if injected or entry["type"] != "attempt" or entry.get("family") != "repetition":
            return entry
        injected = True
        findings = []
        # Highest margin first: the report's top findings show the first five as finding
        # text, and every finding carries all of them as judge reasons.
        for i, payload in enumerate(HOSTILE_TEXTS):
            findings.append(
                {
                    "type": "finding",
                    "time": entry["time"],
                    "checkpoint": entry["checkpoint"],
                    "fingerprint": "f" * 64,
                    "unit": entry["unit"],
                    "finding_id": 10_000 + i,
                    "key": f"k{i}",
                    "attack_id": entry["attack_id"],
                    "reference": "A plain answer to the prompt.",
                    "prompt": payload,
                    "text": payload,
                    "score": 21.0 - i,
                    "reference_score": 1.0,
                    "margin": 20.0 - i,
                    "attack": entry["attack"],
                    "family": entry["family"],
                    "seed": 0,
                    "queries_at_find": 3,
                    "seeded": False,
                    "reasons": [f"heuristic: {p}" for p in HOSTILE_TEXTS],
                }
            )
        return [*findings, entry | {"findings": max(entry["findings"], 1)}]

    _rewrite_log(folder, edit)
    return folder
