"""Run folders to report on: copies of the real tiny run, one with hostile findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.runlog import LOG_NAME

# Attacker-controlled text that must stay inert in every rendering.
# Highest margin first: the report's top findings show the first five as finding text,
# and every finding carries all of them as judge reasons.
PAYLOADS = [
    "| col | injected |\n|---|---|\n# Heading\n```\ncode\n```\n`tick` [link](javascript:x)",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "</textarea><svg onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '=HYPERLINK("http://evil")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "zero\u200bwidth\u202ebidi",
]


@pytest.fixture()
def copy_run(tiny_run, tmp_path):
    """A private copy of the tiny run, with a function to rewrite its log entries."""

    def make(name: str = "copy") -> Path:
        target = tmp_path / name
        shutil.copytree(tiny_run, target)
        return target

    return make


def rewrite_log(folder: Path, edit) -> None:
    """Apply ``edit(entry) -> entry | list[entry] | None`` to every log entry."""
    path = folder / LOG_NAME
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        result = edit(json.loads(line))
        for entry in result if isinstance(result, list) else [result] if result else []:
            out.append(json.dumps(entry, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


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
        for i, payload in enumerate(PAYLOADS):
            findings.append(
                {
                    "type": "finding",
                    "time": entry["time"],
                    "checkpoint": entry["checkpoint"],
                    "fingerprint": "f" * 64,
                    "unit": entry["unit"],
                    "finding_id": 10_000 + i,
                    "key": f"k{i}",
                    "attack_id": entry["attack"],
                    "reference": payload,
                    "prompt": payload,
                    "text": payload,
                    "score": 21.0 - i,
                    "reference_score": 1.0,
                    "margin": 20.0 - i,
                    "attack": entry["attack_name"],
                    "family": entry["family"],
                    "seed": 0,
                    "queries_at_find": 3,
                    "seeded": False,
                    "reasons": [f"heuristic: {p}" for p in PAYLOADS],
                }
            )
        return [*findings, entry | {"findings": max(entry["findings"], 1)}]

    rewrite_log(folder, edit)
    return folder
