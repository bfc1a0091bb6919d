"""A tiny run setup: real tiny checkpoints, a pairs file and a small suite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PAIRS = [
    (
        "Tell me a joke about cats.",
        "Why did the cat sit on the computer? To watch the mouse.",
        "Cats are mammals.",
    ),
    (
        "Tell me a joke about dogs.",
        "What do you call a dog magician? A labracadabrador.",
        "Dogs are loyal.",
    ),
    (
        "Tell me a joke about fish.",
        "Why are fish so smart? They live in schools.",
        "I cannot help with that.",
    ),
    (
        "Tell me a joke about owls.",
        "What do owls say on Halloween? Happy Owl-o-ween!",
        "Owls hunt at night.",
    ),
]

SUITE = """\
name = "tiny"
seed = 0

[data]
source = "pairs.jsonl"

[judges]
heuristic = true

[instability]
enabled = true
pairs = 4

[[attacks]]
name = "repetition"
budget = {repetition_budget}

[[attacks]]
name = "null-answer"
budget = 30

[[attacks]]
name = "random-search"
budget = {search_budget}
"""


def write_suite(folder: Path, *, repetition_budget: int = 40, search_budget: int = 60) -> Path:
    rows = [{"prompt": p, "chosen": c, "rejected": r} for p, c, r in PAIRS]
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    path = folder / "suite.toml"
    path.write_text(SUITE.format(repetition_budget=repetition_budget, search_budget=search_budget))
    return path


@pytest.fixture()
def suite_file(tmp_path: Path) -> Path:
    return write_suite(tmp_path)


def rmh(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """``rmh`` in a child process (what a user or CI runs)."""
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def finding_keys(log: Path) -> list[tuple[int, str]]:
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return sorted((e["checkpoint"], e["key"]) for e in entries if e["type"] == "finding")


def entries_of(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
