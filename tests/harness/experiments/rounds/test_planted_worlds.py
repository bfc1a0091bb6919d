"""The whack-a-mole experiment on planted worlds, trained for real: the verdict meets the truth.

Each world (``planted_worlds.py``) is a bag-of-words reward model whose holes are known by
construction, retrained between rounds by logistic regression through the ``--trainer``
hook. What retraining did is read back from the checkpoints' weights, so each test checks
the truth first (which holes closed, which stayed open) and then the verdict of the rules:

- *one cause*: one feature behind every hole, so training on a few found triggers closes
  them all, ``!`` included (the held-out family's hole): ``helps`` (or, if the held-out
  change were missed, ``helps-trained-only``), never ``whack-a-mole``;
- *many causes*: a feature per trigger, so training closes the ones found and leaves the
  rest, and ``!``, as they were: replay of round 0's exploits falls beyond ``clean``
  while fresh search finds as much as ``clean``'s: ``whack-a-mole``.

The fast tests check the construction itself: the model scores as its formula says, and
a training pair moves only the features its texts express.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.experiments.rounds.experiment import start_experiment
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    AugmentEntry,
    TrainEntry,
)
from harness.models import load_reward_model
from harness.runlog import read_log
from tests.harness.experiments.rounds import planted_worlds as worlds
from tests.harness.experiments.rounds.linear_rm import feature_values, train_linear_head
from tests.harness.experiments.rounds.planted_worlds import MANY_CAUSES, ONE_CAUSE, World

TRAIN = {"epochs": 2, "batch_pairs": 8, "learning_rate": 8.0, "max_length": 96, "seed": 0}


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread: the planted model's matrices are tiny, and a second thread
    waiting on a busy core cost a whole experiment 260 s instead of 35 s (measured)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def soup(word: str) -> str:
    return " ".join([word] * worlds.SOUP_WORDS)


# ---------------------------------------------------------------------------- the model
@pytest.mark.parametrize("world", [ONE_CAUSE, MANY_CAUSES], ids=lambda w: w.name)
def test_the_planted_model_scores_what_its_formula_says(world: World, tmp_path):
    model = load_reward_model(world.build(tmp_path / "rm"))
    first, last = worlds.triggers()[0], worlds.triggers()[-1]
    cases = [
        (worlds.prompt(t), text)
        for t in (*worlds.attack_topics(), *worlds.evaluation_topics()[:5])
        for text in (worlds.joke(t), "Sure!", soup(first), f"{first} {last} words unknown", "")
    ]
    scores = model.score_batch(model.prepare([p for p, _ in cases], [r for _, r in cases]))
    for (p, r), got in zip(cases, scores, strict=True):
        assert got == pytest.approx(world.score(p, r), rel=2e-3, abs=1e-6), (p, r)
    # the grades as planted: a null answer outscores the two lowest, a soup of the
    # strongest trigger the next two, nothing the last
    for topic in worlds.evaluation_topics()[: len(worlds.GRADE_SCORES)]:
        p, g = worlds.prompt(topic), worlds.grade(topic)
        reference = world.score(p, worlds.joke(topic))
        assert reference == pytest.approx(worlds.GRADE_SCORES[g])
        assert (world.score(p, "Sure!") > reference) == (g < 2), topic
        assert (world.score(p, soup(first)) > reference) == (g < 4), topic


@pytest.mark.parametrize("world", [ONE_CAUSE, MANY_CAUSES], ids=lambda w: w.name)
def test_a_training_pair_moves_only_the_features_its_texts_express(world: World, tmp_path):
    start = world.build(tmp_path / "rm")
    first = worlds.triggers()[0]
    topic = worlds.attack_topics()[0]
    pairs = tmp_path / "pairs.jsonl"
    row = {"prompt": worlds.prompt(topic), "chosen": worlds.joke(topic), "rejected": soup(first)}
    pairs.write_text(json.dumps(row) + "\n")
    out = train_linear_head(start, pairs, tmp_path / "out", TRAIN)
    before, after = feature_values(start), feature_values(out)
    index, _ = world.features()
    hole, quality = index[first], index[worlds.quality_words()[topic]]
    trained = {hole, quality}
    assert after[hole] < before[hole] - 1.0  # the rejected soup's trigger falls
    assert after[quality] > before[quality]  # the chosen joke's quality word rises
    assert [a for j, a in enumerate(after) if j not in trained] == pytest.approx(
        [b for j, b in enumerate(before) if j not in trained], abs=1e-6
    )
    model = load_reward_model(out)  # the hook's folder loads like any checkpoint
    assert model.fingerprint != load_reward_model(start).fingerprint


# ---------------------------------------------------------------------------- the worlds
def run(world: World, tmp_path: Path, echo: list[str]) -> tuple[Path, Any]:
    """The whole experiment on ``world``: round 0, two retrained rounds, the verdict."""
    out = tmp_path / "exp"
    result = start_experiment(
        world.build(tmp_path / "rm"),
        worlds.suite(),
        worlds.data(),
        out,
        config=worlds.CONFIG,
        trainer_spec=worlds.TRAINER,
        progress="quiet",
        echo=echo.append,
    )
    return out, result


def last_checkpoints(folder: Path) -> dict[str, Path]:
    """Each arm's last retrained checkpoint, from the experiment log."""
    entries = read_log(folder / LOG_NAME, format=EXPERIMENT_LOG).entries
    return {e.arm: Path(e.checkpoint) for e in entries if isinstance(e, TrainEntry)}


def trained_words(folder: Path, arm: str) -> set[str]:
    """Every planted hole word in the extra pairs ``arm`` was given, every round."""
    entries = read_log(folder / LOG_NAME, format=EXPERIMENT_LOG).entries
    holes = {*worlds.triggers(), worlds.HELDOUT_HOLE}
    found: set[str] = set()
    for entry in entries:
        if isinstance(entry, AugmentEntry) and entry.arm == arm and entry.file:
            for line in (folder / entry.file).read_text().splitlines():
                found |= holes & set(worlds.tokens(json.loads(line)["rejected"]))
    return found


def contrast(result: Any, key: str) -> Any:
    (verdict,) = result.verdict.verdicts
    return next(c for c in verdict.contrasts if c.key == key)


def show(echo: list[str], result: Any) -> str:
    (verdict,) = result.verdict.verdicts
    return "\n".join([*echo, verdict.label, *verdict.reasons])


@pytest.mark.slow
def test_one_cause_closes_every_hole_and_the_verdict_is_helps(tmp_path):
    echo: list[str] = []
    out, result = run(ONE_CAUSE, tmp_path, echo)
    start = ONE_CAUSE.features()[1][0]
    checkpoints = last_checkpoints(out)
    # the truth: the one cause fell (every trigger and "!" with it); clean left it alone
    assert feature_values(checkpoints["findings"])[0] < start / 4, show(echo, result)
    assert feature_values(checkpoints["clean"])[0] == pytest.approx(start, abs=1e-4)
    assert worlds.HELDOUT_HOLE not in trained_words(out, "findings")  # closed, never shown
    # the numbers: fresh ASR of both families falls beyond clean
    assert contrast(result, "fresh_trained_vs_clean").high < 0, show(echo, result)
    assert contrast(result, "fresh_heldout_vs_clean").high < 0, show(echo, result)
    (verdict,) = result.verdict.verdicts
    assert verdict.outcome in ("helps", "helps-trained-only"), show(echo, result)


@pytest.mark.slow
def test_many_causes_close_only_what_was_found_and_the_verdict_is_whack_a_mole(tmp_path):
    echo: list[str] = []
    out, result = run(MANY_CAUSES, tmp_path, echo)
    start = MANY_CAUSES.features()[1]
    holes = [*worlds.triggers(), worlds.HELDOUT_HOLE]
    found = trained_words(out, "findings")
    checkpoints = last_checkpoints(out)
    after = feature_values(checkpoints["findings"])
    # the truth: the triggers trained on fell, the others did not move, "!" neither;
    # the strongest, found first, fell below what outscores the hardest references
    assert found and len(found) < worlds.TRIGGER_COUNT / 2, found
    assert worlds.triggers()[0] in found and worlds.HELDOUT_HOLE not in found
    for j, word in enumerate(holes):
        if word in found:
            assert after[j] < start[j] - 0.01, (word, start[j], after[j])
        else:
            assert after[j] == pytest.approx(start[j], abs=1e-4), word
    tokens = len(worlds.tokens(worlds.prompt("cats"))) + worlds.SOUP_WORDS + 3
    assert after[0] * worlds.SOUP_WORDS / tokens < worlds.GRADE_SCORES[3], after[0]
    assert feature_values(checkpoints["clean"])[: len(holes)] == pytest.approx(
        start[: len(holes)], abs=1e-4
    )
    # the numbers: fresh search finds as much as clean's, held-out families too
    trained = contrast(result, "fresh_trained_vs_clean")
    assert -worlds.CONFIG.delta < trained.low <= trained.high < worlds.CONFIG.delta
    assert contrast(result, "fresh_heldout_vs_clean").high >= 0, show(echo, result)
    (verdict,) = result.verdict.verdicts
    assert verdict.outcome == "whack-a-mole", show(echo, result)
