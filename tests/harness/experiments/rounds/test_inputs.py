"""The checks before anything is written: settings, synthetic kinds against held-out
families (the demo's included), and the attempts a run makes per prompt."""

from __future__ import annotations

import dataclasses

import pytest

from harness.cli.rounds import DEMO_SYNTHETIC_KINDS
from harness.core.errors import HarnessError
from harness.experiments.rounds.augment import parse_kinds
from harness.experiments.rounds.config import ExperimentConfig
from harness.experiments.rounds.inputs import (
    attempts_per_prompt,
    check_settings,
    check_synthetic_kinds,
    split_families,
)
from harness.suite import parse_suite, resolve_suite
from tests.harness.experiments.rounds import planted


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"seeds": 0}, "--seeds must be at least 1"),
        ({"delta": 0.0}, "--delta must lie strictly between 0 and 0.5"),
        ({"delta": 0.5}, "--delta must lie strictly between 0 and 0.5"),
        ({"effect_size": 0.0}, "--effect-size must lie strictly between 0 and 1"),
        ({"effect_size": 1.0}, "--effect-size must lie strictly between 0 and 1"),
    ],
)
def test_settings_out_of_range(change, fragment):
    with pytest.raises(HarnessError, match=fragment):
        check_settings(dataclasses.replace(ExperimentConfig(), **change))
    check_settings(ExperimentConfig())  # the defaults hold


def test_synthetic_kinds_parse_and_refuse_a_heldout_familys_nonsense():
    assert parse_kinds(None) == ("soup-common", "soup-rare", "repetition", "padding")
    assert parse_kinds(" padding, soup-rare ") == ("padding", "soup-rare")
    for bad, fragment in (("glitter", "unknown synthetic kind 'glitter'"),
                          (",", "no synthetic kinds"),
                          ("padding,padding", "named twice")):  # fmt: skip
        with pytest.raises(HarnessError, match=fragment):
            parse_kinds(bad)
    with pytest.raises(HarnessError, match="kind 'non-answer' makes the nonsense of held-out "
                       "family 'self-praise'"):  # fmt: skip
        check_synthetic_kinds(parse_kinds("soup-common,non-answer"), ("self-praise",))
    check_synthetic_kinds(parse_kinds(None), ("null-answer", "self-praise"))


def test_the_demo_does_not_refuse_itself():
    """The rounds suite holds its template families out, repetition among them: the
    default kinds would train the synthetic arm on it; the demo's kinds leave it out."""
    _, heldout = split_families(resolve_suite("rounds"), None)
    assert "repetition" in heldout
    with pytest.raises(HarnessError, match="kind 'repetition'"):
        check_synthetic_kinds(parse_kinds(None), heldout)
    check_synthetic_kinds(parse_kinds(DEMO_SYNTHETIC_KINDS), heldout)


def test_attempts_per_prompt_count_the_attacks_of_the_families_and_the_replicates():
    suite = parse_suite(planted.SUITE, origin="planted", base_dir=None)
    assert attempts_per_prompt(suite, ("repetition",)) == 1
    assert attempts_per_prompt(suite, ("repetition", "null-answer")) == 2
    twice = parse_suite(planted.SUITE.replace("seed = 0", "seed = 0\nreplicates = 3"),
                        origin="planted", base_dir=None)  # fmt: skip
    assert attempts_per_prompt(twice, ("repetition",)) == 3
    rounds = resolve_suite("rounds")
    trained, _ = split_families(rounds, None)
    assert attempts_per_prompt(rounds, trained) == 3  # random search, greedy, gcg


class Stop(Exception):
    """Raised where round 0 would start: the folder and its split are written by then."""


@pytest.mark.parametrize("eval_prompts", [None, 3])
def test_evaluation_prompts_are_every_eligible_one_unless_capped(
    checkpoints, tmp_path, monkeypatch, eval_prompts
):
    from harness.experiments.rounds import experiment
    from harness.experiments.rounds.experiment_log import EXPERIMENT_LOG, LOG_NAME, SplitEntry
    from harness.experiments.rounds.inputs import distinct_prompts, sample_prompts
    from harness.runlog import read_log

    def stop(*args, **kwargs):
        raise Stop

    monkeypatch.setattr(experiment, "measure_round", stop)
    config = ExperimentConfig(
        heldout_families=planted.HELDOUT, prompts=2, eval_prompts=eval_prompts, seed=4
    )
    data = experiment.ExperimentData(train=planted.train_pairs(), evaluation=planted.eval_pairs())
    suite = parse_suite(planted.SUITE, origin="planted", base_dir=None)
    with pytest.raises(Stop):
        experiment.start_experiment(
            checkpoints["bert"], suite, data, tmp_path / "exp", config=config,
            progress="quiet", echo=lambda _: None,
        )  # fmt: skip
    log = read_log(tmp_path / "exp" / LOG_NAME, format=EXPERIMENT_LOG)
    (split,) = log.of_type(SplitEntry)
    eligible = distinct_prompts(planted.eval_pairs())
    assert len(split.attack) == 2 and split.evaluation_available == len(eligible) == 8
    # the cap draws the sample the attack prompts' cap drew for both before it existed
    assert list(split.evaluation) == sample_prompts(eligible, eval_prompts, 4)
    assert len(split.evaluation) == (eval_prompts or 8)
    assert split.evaluation_pairs == 3 * len(split.evaluation)
