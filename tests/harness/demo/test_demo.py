"""The demo job end to end, and the bundled data it trains on."""

from __future__ import annotations

import collections
import os
import subprocess
import sys

import pytest

from harness.demo.build import heldout_pairs, train_pairs

DEGENERATE_MARKERS = ("the the the", "10/10", "\u200b")


def test_bundled_data_is_split_by_joke_and_plausible():
    train, heldout = train_pairs(), heldout_pairs()
    assert len(train) > 1000 and len(heldout) > 150
    assert not {p.chosen for p in train} & {p.chosen for p in heldout}
    kinds = collections.Counter(p.meta["kind"] for p in train)
    assert set(kinds) >= {
        "fact",
        "refusal",
        "off_topic",
        "cut_punchline",
        "swapped_punchline",
        "explanation",
        "wrong_topic",
        "mangled",
        "spliced",
    }
    for pair in train + heldout:
        assert pair.chosen != pair.rejected
        assert not any(marker in pair.rejected for marker in DEGENERATE_MARKERS)


def test_demo_data_script_reproduces_the_committed_files(tmp_path):
    """The committed JSONL is exactly what the generator writes (no hand edits)."""
    import importlib.util
    import json
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "scripts" / "make_demo_data.py"
    spec = importlib.util.spec_from_file_location("make_demo_data", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    train, heldout = module.build()
    assert [json.dumps(r, ensure_ascii=False) for r in train] == [
        json.dumps(
            {"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected, **p.meta},
            ensure_ascii=False,
        )
        for p in train_pairs()
    ]
    assert len(heldout) == len(heldout_pairs())


@pytest.mark.slow
def test_rmh_demo_builds_loads_and_evaluates(tmp_path):
    """`rmh demo` from nothing: trains, saves safetensors, reloads, prints both figures.

    A second run reuses the cached checkpoint instead of training again.
    """
    env = {**os.environ, "RMH_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "harness.cli", "demo", "--quiet"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    assert first.returncode == 0, first.stderr
    assert "built demo reward model" in first.stdout
    accuracy = _percent(first.stdout, "held-out pairwise accuracy:")
    chance = _percent(first.stdout, "chance rate")
    assert accuracy >= 75.0, first.stdout
    assert chance <= 10.0, first.stdout
    (checkpoint,) = tmp_path.glob("demo-rm-*")
    assert (checkpoint / "model.safetensors").is_file()
    assert not list(checkpoint.glob("*.bin"))
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0 and "reused cached demo reward model" in second.stdout
    assert _percent(second.stdout, "held-out pairwise accuracy:") == accuracy


def _percent(text: str, label: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(label))
    return float(line.split(":", 1)[1].split("%")[0])
