"""``rmh rounds --demo``'s data: evaluation prompts that neither demo RM ever trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.rounds import demo_data
from harness.demo import build
from harness.experiments.rounds.split import check_disjoint, prompt_key


@pytest.fixture
def no_build(monkeypatch, tmp_path):
    """The data alone: the demo checkpoint is not built (its path is all demo_data returns)."""
    monkeypatch.setattr(
        build,
        "build_demo_checkpoint",
        lambda *a, **k: build.DemoBuild(Path(tmp_path / "demo-rm"), False, {}),
    )


def keys(pairs) -> set[str]:
    return {prompt_key(p.prompt) for p in pairs}


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_demo_evaluates_on_prompts_neither_demo_rm_trained_on(no_build, seed):
    _, data = demo_data(seed)
    evaluation, attack = keys(data.evaluation), keys(data.attack or [])
    proxy, gold = keys(build.recipe_pairs(build.DEMO)), keys(build.recipe_pairs(build.GOLD))
    assert evaluation and attack
    assert not evaluation & proxy, "the starting demo RM trained on an evaluation prompt"
    assert not evaluation & gold, "the gold RM trained on an evaluation prompt"
    assert not attack & (proxy | gold)
    check_disjoint(data.train, evaluation, attack)  # what the experiment checks at start


@pytest.mark.parametrize("seed", [0, 3])
def test_every_held_out_prompt_is_eligible_and_the_clean_data_is_the_demo_rms_own(no_build, seed):
    _, data = demo_data(seed)
    heldout = keys(build.heldout_pairs())
    evaluation, attack = keys(data.evaluation), keys(data.attack or [])
    assert evaluation | attack == heldout and not evaluation & attack
    assert len(evaluation) == len(heldout) // 2
    assert data.train == build.train_pairs()
    assert len(data.evaluation) + len(data.attack or []) == len(build.heldout_pairs())
