"""``rmh sample`` killed at every one of its durable steps leaves no samples file, or the
previous one, or the whole new one, never part of a file; sampling again writes the same
bytes (``tests.harness.crashpoints``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.testing import build_tiny_causal_lm
from tests.harness.crashpoints import Verbs, step_labels

pytestmark = pytest.mark.slow


def test_sample_killed_at_every_durable_step_leaves_no_part_of_a_file(tmp_path):
    rmh = Verbs(tmp_path)
    policy = build_tiny_causal_lm(tmp_path / "policy", chat_template=True)
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("Tell me a joke.\nWhy is the sky blue?\n")

    def sample(folder: Path, **kw: object):
        return rmh("sample", "--policy", str(policy), "--prompts", str(prompts), "--n", "3",
                   "--out", str(folder / "samples.jsonl"), "--max-new-tokens", "5",
                   "--quiet", **kw)  # fmt: skip

    whole = tmp_path / "whole"
    steps = tmp_path / "steps.txt"
    assert sample(whole, steps=steps).code == 0
    labels = step_labels(steps)
    assert labels == ["renamed samples.jsonl into place"]
    expected = (whole / "samples.jsonl").read_bytes()

    for previous in (None, b'{"prompt": "p", "response": "an older file"}\n'):
        for n in range(1, len(labels) + 1):
            folder = tmp_path / f"crash-{n}-{previous is not None}"
            folder.mkdir()
            if previous is not None:
                (folder / "samples.jsonl").write_bytes(previous)
            assert sample(folder, crash_at=n).crashed
            assert (folder / "samples.jsonl").read_bytes() == expected  # placed whole
            assert [p.name for p in folder.iterdir()] == ["samples.jsonl"]  # no temporary
            assert sample(folder).code == 0
            assert (folder / "samples.jsonl").read_bytes() == expected
