"""Budget calibration on the planted reward model: logged before round 0, used by every
round's suite, kept on resume, recomputed from its seed after a kill; and off with
``--no-calibrate``, which runs the suite's budgets exactly as before."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.experiments.rounds import calibrate, experiment
from harness.experiments.rounds.augment import round_seed
from harness.experiments.rounds.budget_ladder import FamilyBudget, Rung
from harness.experiments.rounds.calibrate import calibrate_budgets, calibration_seed
from harness.experiments.rounds.experiment import (
    ExperimentConfig,
    ExperimentData,
    resume_experiment,
    start_experiment,
)
from harness.experiments.rounds.experiment_log import EXPERIMENT_LOG, LOG_NAME, CalibrationEntry
from harness.experiments.rounds.experiment_state import ZERO, ExperimentState
from harness.experiments.rounds.roundsuite import round_suite
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import AttemptEntry, read_log
from harness.runner.worker import Worker
from harness.suite import parse_suite
from tests.harness.experiments.rounds import planted
from tests.harness.experiments.rounds.test_experiment import Kill, killing, numbers, state_of

#: A finding must beat the reference by 3 points: the planted model's love of repetition
#: then clears it on nearly every attack prompt at the suite's budget, above the band,
#: and calibration has something to do.
SUITE = planted.SUITE.replace("seed = 0\n", "seed = 0\nmargin = 3.0\n", 1)
CONFIG = ExperimentConfig(
    rounds=1,
    arms="findings,clean",
    heldout_families=planted.HELDOUT,
    epochs=1,
    batch_pairs=8,
    learning_rate=1e-3,
    round_pairs=16,
    freeze_embeddings=False,
    seeds=1,
)
QUIET: dict[str, Any] = {"progress": "quiet", "echo": lambda _: None}


def suite():
    return parse_suite(SUITE, origin="planted", base_dir=None)


def data() -> ExperimentData:
    return ExperimentData(train=planted.train_pairs(), evaluation=planted.eval_pairs())


def without_times(entry: CalibrationEntry) -> CalibrationEntry:
    return dataclasses.replace(entry, time="", seconds=0.0)


def attacked_budgets(folder: Path) -> dict[str, dict[str, set[int]]]:
    """Per run folder: the budgets its suite gives each attack and its attempts spent."""
    budgets = {}
    for log in sorted(folder.rglob(RUN_LOG_NAME)):
        contents = read_log(log)
        assert contents.init is not None
        ran = parse_suite(contents.init.suite.text, origin="run", base_dir=None)
        found: dict[str, set[int]] = {a.id: {a.budget} for a in ran.config.attacks}
        for attempt in contents.of_type(AttemptEntry):
            found[attempt.attack_id].add(attempt.budget)
        budgets[str(log.parent.relative_to(folder))] = found
    return budgets


@pytest.fixture(scope="module")
def whole(planted_rm, tmp_path_factory) -> tuple[Path, Any, list[str]]:
    """One calibrated experiment, never killed: its folder, result and screen lines."""
    out = tmp_path_factory.mktemp("calibrated") / "exp"
    lines: list[str] = []
    result = start_experiment(
        planted_rm, suite(), data(), out, config=CONFIG, progress="quiet", echo=lines.append
    )
    return out, result, lines


@pytest.mark.slow
def test_calibration_is_logged_before_round_0_and_every_round_runs_its_budgets(whole):
    out, _, lines = whole
    entries = read_log(out / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    assert [e.type for e in entries][:4] == ["init", "split", "calibration", "round"]
    entry = state_of(out).calibration
    assert entry is not None and entry.prompts == len(planted.ATTACK_TOPICS) == 8
    assert entry.seed == calibration_seed(0) != round_seed(0, 0, "attack") % 2**31
    (family,) = entry.families  # the trained family only; the held-out one is not tried
    assert family.family == "repetition" and list(entry.budgets) == ["repetition"]
    assert family.rungs[0].multiple == 1 and family.rungs[0].budgets == {"repetition": 30}
    assert all(r.attempts == 8 for r in family.rungs)  # one attempt per attack prompt
    assert entry.queries == family.queries == sum(r.queries for r in family.rungs) > 0
    assert entry.budgets == family.budgets != {"repetition": 30}, (
        "with margin 3 the planted model should sit above the band at the suite's budget",
        family.line(),
    )
    assert family.line() in lines and family.line().startswith("calibration, repetition:")
    # every round's suite, round 0's and each arm's, and every attempt: the kept budget
    # for the trained family, the suite's for the held-out one
    expected = {"repetition": {entry.budgets["repetition"]}, "null-answer": {20}}
    assert attacked_budgets(out) == dict.fromkeys(
        ("clean/seed-0/round-1/run", "findings/seed-0/round-1/run", "round-0"), expected
    )


@pytest.mark.slow
def test_a_kill_mid_calibration_recomputes_it_and_a_resume_keeps_the_logged_budgets(
    whole, planted_rm, tmp_path, monkeypatch
):
    expected_folder, expected_result, _ = whole
    expected = state_of(expected_folder).calibration
    assert expected is not None
    out = tmp_path / "killed"
    units = Worker.run_unit
    monkeypatch.setattr(Worker, "run_unit", killing(3, units))  # in the first rung
    with pytest.raises(Kill):
        start_experiment(planted_rm, suite(), data(), out, config=CONFIG, **QUIET)
    monkeypatch.setattr(Worker, "run_unit", units)
    assert state_of(out).calibration is None
    round_zero = experiment.measure_round
    monkeypatch.setattr(experiment, "measure_round", killing(1, round_zero))
    with pytest.raises(Kill):  # calibrated again from its seed, then killed in round 0
        resume_experiment(out, **QUIET)
    logged = state_of(out).calibration
    assert logged is not None and without_times(logged) == without_times(expected)

    def never(*_: Any) -> None:
        raise AssertionError("a resume must read the calibration from the log")

    monkeypatch.setattr(experiment, "measure_round", round_zero)
    monkeypatch.setattr(calibrate, "_calibration", never)
    result = resume_experiment(out, **QUIET)
    entries = read_log(out / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    assert sum(isinstance(e, CalibrationEntry) for e in entries) == 1
    assert attacked_budgets(out) == attacked_budgets(expected_folder)
    assert numbers(out, result) == numbers(expected_folder, expected_result)


@pytest.mark.slow
def test_no_calibrate_runs_the_suites_budgets_as_before(rmh, planted_rm, tmp_path, monkeypatch):
    paths = planted.write_inputs(tmp_path / "inputs")
    paths["suite"].write_text(SUITE)
    out = tmp_path / "exp"
    monkeypatch.setattr(experiment, "arm_round", killing(1, experiment.arm_round))
    code, _, err = rmh(
        "rounds", str(planted_rm), "--train", str(paths["train"]), "--eval", str(paths["eval"]),
        "--suite", str(paths["suite"]), "--out", str(out), "--heldout-families",
        planted.HELDOUT, "--rounds", "1", "--arms", "findings,clean", "--seeds", "1",
        "--no-calibrate", "--quiet",
    )  # fmt: skip
    assert code == 130, err  # stopped after round 0
    state = state_of(out)
    assert state.init is not None and state.init.config["calibrate"] is False
    assert state.calibration is None and ZERO in state.rounds
    run = read_log(out / "round-0" / RUN_LOG_NAME).init
    assert run is not None
    before = round_suite(  # the round-0 suite as the experiment built it before calibration
        parse_suite(SUITE, origin=str(paths["suite"]), base_dir=paths["suite"].parent),
        source=out / "data" / "prompts.jsonl",
        seed=round_seed(0, 0, "attack") % 2**31,
        label="round 0",
    )
    assert run.suite.text == before.text


def test_the_command_line_switches_calibration_off_and_caps_it(rmh):
    code, stdout, _ = rmh("rounds", "--help")
    assert code == 0 and "--no-calibrate" in stdout and "--calibration-cap" in stdout


# ------------------------------------------------------------------ when it runs
def _journal(config: ExperimentConfig, state: ExperimentState) -> SimpleNamespace:
    said: list[str] = []
    return SimpleNamespace(config=config, state=state, echo=said.append, said=said)


def test_nothing_is_calibrated_when_it_is_off_or_round_0_ran_without_it(monkeypatch):
    def never(*_: Any) -> None:
        raise AssertionError("calibrated")

    monkeypatch.setattr(calibrate, "_calibration", never)
    off = _journal(ExperimentConfig(calibrate=False), ExperimentState())
    calibrate_budgets(off)  # type: ignore[arg-type]
    state = ExperimentState()
    state.rounds[ZERO] = object()  # type: ignore[assignment]
    ran = _journal(ExperimentConfig(), state)
    calibrate_budgets(ran)  # type: ignore[arg-type]
    assert off.said == ran.said == []


def test_a_logged_calibration_is_echoed_not_recomputed(monkeypatch):
    def never(*_: Any) -> None:
        raise AssertionError("calibrated")

    monkeypatch.setattr(calibrate, "_calibration", never)
    rung = Rung(multiple=1.0, budgets={"a": 10}, successes=1, attempts=2, queries=20)
    family = FamilyBudget(
        family="f", rungs=(rung,), multiple=1.0, budgets={"a": 10}, reached=True, queries=20
    )
    entry = CalibrationEntry(
        seed=1, prompts=2, low=0.3, high=0.7, cap=8, families=(family,),
        budgets={"a": 10}, queries=20,
    )  # fmt: skip
    state = ExperimentState()
    state.observe(entry)
    journal = _journal(ExperimentConfig(), state)
    calibrate_budgets(journal)  # type: ignore[arg-type]
    assert journal.said == [family.line()]
