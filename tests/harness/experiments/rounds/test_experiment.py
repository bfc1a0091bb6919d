"""The whack-a-mole orchestrator on a tiny reward model with a planted, patchable hole."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.core.data import read_pairs
from harness.experiments.rounds.builtin_trainer import BuiltinTrainer
from harness.experiments.rounds.experiment import (
    ExperimentConfig,
    ExperimentData,
    resume_experiment,
    start_experiment,
)
from harness.experiments.rounds.experiment_log import (
    EXPERIMENT_LOG,
    LOG_NAME,
    ErrorEntry,
    RoundEntry,
    TrainEntry,
)
from harness.experiments.rounds.experiment_state import ZERO, ExperimentState, Step
from harness.experiments.rounds.split import prompt_key
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import FindingEntry, ReplayEntry, read_log
from harness.runner.worker import Worker
from harness.suite import parse_suite
from tests.harness.experiments.rounds import planted

pytestmark = pytest.mark.slow

CONFIG = ExperimentConfig(
    rounds=1,
    arms="findings,clean",
    heldout_families=planted.HELDOUT,
    epochs=3,
    batch_pairs=8,
    learning_rate=1e-3,
    round_pairs=96,
    freeze_embeddings=False,
    seeds=1,
    calibrate=False,  # the suite's budgets: the kills below count the rounds' attempts
)
QUIET: dict[str, Any] = {"progress": "quiet", "echo": lambda _: None}


def suite():
    return parse_suite(planted.SUITE, origin="planted", base_dir=None)


def data() -> ExperimentData:
    return ExperimentData(train=planted.train_pairs(), evaluation=planted.eval_pairs())


def state_of(folder: Path) -> ExperimentState:
    return ExperimentState.from_entries(
        read_log(folder / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    )


def repetition_replay(folder: Path, entry: RoundEntry) -> float:
    """Share of earlier repetition exploits still open on evaluation prompts."""
    evaluation = {prompt_key(p) for p in planted.eval_pairs() for p in [p.prompt]}
    replays = [
        e
        for e in read_log(folder / entry.run / RUN_LOG_NAME).of_type(ReplayEntry)
        if e.phase == "before" and e.family == "repetition" and prompt_key(e.prompt) in evaluation
    ]
    assert replays, "round 0 found repetition exploits on evaluation prompts to replay"
    return sum(e.open for e in replays) / len(replays)


def assert_nothing_trained_on_evaluation_prompts_or_heldout_findings(folder: Path) -> None:
    """Every pair file a retraining read: attack prompts only, no held-out family's finding."""
    evaluation = {prompt_key(p.prompt) for p in planted.eval_pairs()}
    heldout = set(planted.HELDOUT.split(","))
    found = {"trained": set(), "held out": set()}
    for log in folder.rglob(RUN_LOG_NAME):
        for f in read_log(log).of_type(FindingEntry):
            found["held out" if f.family in heldout else "trained"].add(f.text)
    assert found["held out"], "the held-out family found something to keep out"
    files = sorted(folder.glob("*/seed-*/round-*/train.jsonl"))
    assert files
    rejected = set()
    for path in files:
        pairs = read_pairs(path)
        assert not [p.prompt for p in pairs if prompt_key(p.prompt) in evaluation], path
        rejected |= {p.rejected for p in pairs}
    assert rejected & found["trained"], "the trained families' findings were trained on"
    assert not rejected & (found["held out"] - found["trained"])


def test_one_findings_round_patches_the_planted_hole_and_clean_does_not(planted_rm, tmp_path):
    out = tmp_path / "exp"
    result = start_experiment(planted_rm, suite(), data(), out, config=CONFIG, **QUIET)
    state = state_of(out)
    findings, clean = state.rounds[Step("findings", 1)], state.rounds[Step("clean", 1)]
    assert state.augments[Step("findings", 1)].pairs > 0  # the findings were trained on
    assert state.augments[Step("clean", 1)].pairs == 0
    fell, kept = repetition_replay(out, findings), repetition_replay(out, clean)
    assert fell <= 0.5 and kept >= 0.8, (fell, kept)
    # the same numbers through the outcomes the verdict reads (every family, eval prompts)
    replay = {(s.arm, s.round): s.outcomes.replay.rate for s in result.summaries}
    assert replay[("findings", 0)] == replay[("clean", 0)] == 1.0  # by construction
    assert replay[("findings", 1)] < replay[("clean", 1)] - 0.3
    # equal training: the same number of pairs and steps for both arms
    steps = {arm: state.trains[Step(arm, 1)].steps for arm in ("findings", "clean")}
    assert steps["findings"] == steps["clean"] == 3 * 96 // 8
    assert_nothing_trained_on_evaluation_prompts_or_heldout_findings(out)
    # One retrained round: only rule 1 can decide (harmful); otherwise inconclusive.
    verdict = result.verdict.verdicts[0]
    assert verdict.outcome in ("harmful", "inconclusive")
    assert verdict.outcome == "harmful" or "1 retrained round" in verdict.reasons[0]


def test_a_failing_trainer_stops_only_its_arm(planted_rm, tmp_path):
    out = tmp_path / "exp"
    config = dataclasses.replace(CONFIG, rounds=2)
    start_experiment(
        planted_rm,
        suite(),
        data(),
        out,
        config=config,
        trainer_spec="tests.harness.experiments.rounds.hooks:fail_findings",
        **QUIET,
    )
    state = state_of(out)
    error = state.errors[("findings", 0)]
    assert isinstance(error, ErrorEntry) and error.stage == "train" and error.round == 1
    assert "planted failure" in error.message and error.checkpoint == str(planted_rm)
    assert "\n" not in error.message
    assert Step("findings", 1) not in state.rounds and Step("findings", 2) not in state.augments
    assert {Step("clean", 1), Step("clean", 2)} <= set(state.rounds)
    assert not (out / "findings" / "seed-0" / "round-1" / "checkpoint").exists()
    assert state.verdict is not None


# ---------------------------------------------------------------------------- resume
class Kill(KeyboardInterrupt):
    """What a kill looks like to the code in flight (nothing catches it)."""


def killing(calls: int, original: Callable[..., Any]) -> Callable[..., Any]:
    """``original``, but the ``calls``-th call raises ``Kill``."""
    count = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        if count == calls:
            raise Kill
        return original(*args, **kwargs)

    return wrapper


class KillingTrainer(BuiltinTrainer):
    """The built-in trainer, killed when its first training has written the checkpoint
    into its staging folder but before the trainer placed it: the worst moment."""

    def _run(self, job):  # type: ignore[no-untyped-def]
        super()._run(job)
        assert (job.staging / "model.safetensors").is_file()
        raise Kill


def numbers(folder: Path, result) -> tuple[Any, ...]:
    """Everything the experiment computed, without times and ids."""
    verdict = result.verdict.to_json()
    verdict.pop("time")
    verdict.pop("wall_seconds")
    trains = {k: (t.steps, t.final_loss, t.data_hash) for k, t in state_of(folder).trains.items()}
    return [s.outcomes for s in result.summaries], verdict, trains


def test_resume_after_three_kills_gives_the_numbers_of_an_unkilled_experiment(
    planted_rm, tmp_path, monkeypatch
):
    config = dataclasses.replace(CONFIG, rounds=2)
    whole = tmp_path / "whole"
    expected = numbers(
        whole, start_experiment(planted_rm, suite(), data(), whole, config=config, **QUIET)
    )

    out = tmp_path / "killed"
    units = Worker.run_unit
    monkeypatch.setattr(Worker, "run_unit", killing(5, units))  # 1: in round 0's attacks
    with pytest.raises(Kill):
        start_experiment(planted_rm, suite(), data(), out, config=config, **QUIET)
    monkeypatch.setattr(Worker, "run_unit", units)
    assert ZERO not in state_of(out).rounds
    with pytest.raises(Kill):  # 2: in the middle of the first retraining
        resume_experiment(out, trainer=KillingTrainer(), **QUIET)
    state = state_of(out)
    assert ZERO in state.rounds and not state.trains
    assert not (out / "findings" / "seed-0" / "round-1" / "checkpoint").exists()
    # 3: in round 2's run of the findings arm (32 units per run: round 1 used 64)
    monkeypatch.setattr(Worker, "run_unit", killing(69, units))
    with pytest.raises(Kill):
        resume_experiment(out, **QUIET)
    monkeypatch.setattr(Worker, "run_unit", units)
    state = state_of(out)
    assert Step("findings", 2) in state.trains and Step("findings", 2) not in state.rounds
    result = resume_experiment(out, **QUIET)
    assert numbers(out, result) == expected
    entries = read_log(out / LOG_NAME, format=EXPERIMENT_LOG).entries
    assert sum(isinstance(e, TrainEntry) for e in entries) == 4  # nothing trained twice in the log


def test_nothing_to_add_carries_every_arms_checkpoint_over_and_trains_nothing(
    planted_rm, tmp_path, monkeypatch
):
    from harness.experiments.rounds import arm_round
    from harness.experiments.rounds.augment import clean_augmentation

    def found_nothing(store, *, round, **_):  # the findings arm's runs found no new exploit
        pairs, summary = clean_augmentation(round=round)
        return pairs, dataclasses.replace(summary, arm="findings")

    monkeypatch.setattr(arm_round, "findings_augmentation", found_nothing)
    out = tmp_path / "exp"
    config = dataclasses.replace(CONFIG, arms="findings,clean,synthetic")
    result = start_experiment(planted_rm, suite(), data(), out, config=config, **QUIET)
    state = state_of(out)
    # synthetic matches findings' count (none), and clean does not train either, so that
    # every arm has had the same number of training steps
    for arm in ("findings", "clean", "synthetic"):
        assert state.nothing[Step(arm, 1)].checkpoint == str(planted_rm)
        train_file = out / arm / "seed-0" / "round-1" / "train.jsonl"
        assert Step(arm, 1) not in state.trains and not train_file.exists()
        measured = state.rounds[Step(arm, 1)]  # the round's suite still ran, on the old checkpoint
        assert not measured.retrained and measured.checkpoint == str(planted_rm)
    assert not state.trains
    assert "no arm retrains" in state.nothing[Step("clean", 1)].message
    assert not result.verdict.verdicts[0].contrasts  # no retrained round: nothing to compare
