"""Training replicates (``--seeds K``): each arm is K lineages, replicate 0 is the
single-seed experiment, the attack seeds are shared, the rounds pool the replicates, and
"nothing to add", a failing trainer and a kill are each a replicate's own."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from harness.experiments.rounds.augment import replicate_seed, round_seed
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.experiment import (
    ExperimentConfig,
    ExperimentData,
    resume_experiment,
    start_experiment,
)
from harness.experiments.rounds.experiment_log import EXPERIMENT_LOG, LOG_NAME, TrainEntry
from harness.experiments.rounds.experiment_state import ExperimentState, Step
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import read_log
from harness.suite import parse_suite
from tests.harness.experiments.rounds import planted
from tests.harness.experiments.rounds.test_experiment import KillingTrainer

pytestmark = pytest.mark.slow

ARMS = ("findings", "clean", "synthetic")
CONFIG = ExperimentConfig(
    rounds=1,
    arms=",".join(ARMS),
    heldout_families=planted.HELDOUT,
    epochs=1,
    batch_pairs=8,
    learning_rate=1e-3,
    round_pairs=16,
    prompts=2,
    eval_prompts=2,
    seeds=2,
    calibrate=False,  # the suite's budgets: the log's entries are asserted step by step
)
QUIET: dict[str, Any] = {"progress": "quiet", "echo": lambda _: None}


def run(rm: Path, out: Path, config: ExperimentConfig = CONFIG, **kwargs: Any):
    suite = planted.SUITE.replace("budget = 30", "budget = 12").replace("budget = 20", "budget = 8")
    return start_experiment(
        rm,
        parse_suite(suite, origin="planted", base_dir=None),
        ExperimentData(train=planted.train_pairs(), evaluation=planted.eval_pairs()),
        out,
        config=config,
        **QUIET,
        **kwargs,
    )


def state_of(folder: Path) -> ExperimentState:
    return ExperimentState.from_entries(
        read_log(folder / LOG_NAME, strict=True, format=EXPERIMENT_LOG).entries
    )


@pytest.fixture(scope="module")
def experiments(planted_rm, tmp_path_factory) -> dict[int, tuple[Path, Any]]:
    """The same experiment with one and with two training seeds."""
    root = tmp_path_factory.mktemp("replicates")
    return {
        k: (root / f"k{k}", run(planted_rm, root / f"k{k}", dataclasses.replace(CONFIG, seeds=k)))
        for k in (1, 2)
    }


def test_each_replicate_is_a_lineage_of_its_own_with_shared_attack_seeds(experiments):
    out, _ = experiments[2]
    state = state_of(out)
    for arm in ARMS:
        for k in (0, 1):
            lineage = out / arm / f"seed-{k}"
            assert (lineage / "findings.db").is_file()
            assert (lineage / "round-1" / "run" / RUN_LOG_NAME).is_file()
            assert state.rounds[Step(arm, 1, k)].run == f"{arm}/seed-{k}/round-1/run"
    # the power check came after round 0 and before anything was trained
    types = [e.type for e in read_log(out / LOG_NAME, format=EXPERIMENT_LOG).entries]
    assert types[:4] == ["init", "split", "round", "power"] and state.power is not None
    # findings added what its own round 0 found; synthetic matched it, replicate by replicate
    for k in (0, 1):
        assert state.augments[Step("findings", 1, k)].pairs > 0
        assert state.augments[Step("synthetic", 1, k)].pairs == (
            state.augments[Step("findings", 1, k)].pairs
        )
    # the training seed: one per replicate, the same for every arm; replicate 0's as ever
    seeds = {
        (arm, k): state.trains[Step(arm, 1, k)].config["seed"]
        for arm in ARMS
        for k in (0, 1)
        if Step(arm, 1, k) in state.trains
    }
    assert {seeds[(a, 0)] for a in ARMS if (a, 0) in seeds} == {round_seed(0, 1, "train")}
    assert {seeds[(a, 1)] for a in ARMS if (a, 1) in seeds} == {replicate_seed(0, 1, "train", 1)}
    assert replicate_seed(0, 1, "train", 1) != round_seed(0, 1, "train")
    # one attack seed for the round, whatever the arm and replicate: only checkpoints differ
    attack = round_seed(0, 1, "attack") % 2**31
    for arm in ARMS:
        for k in (0, 1):
            init = read_log(out / arm / f"seed-{k}" / "round-1" / "run" / RUN_LOG_NAME).init
            assert init is not None and f"seed = {attack}\n" in init.suite.text


def test_replicate_0_is_the_single_seed_experiment_and_rounds_pool_the_replicates(experiments):
    (one, single), (two, double) = experiments[1], experiments[2]
    a, b = state_of(one), state_of(two)
    for arm in ARMS:
        step = Step(arm, 1)
        assert a.augments[step].data_hash == b.augments[step].data_hash
        if step in a.trains:
            x, y = a.trains[step], b.trains[step]
            assert (x.data_hash, x.steps, x.final_loss) == (y.data_hash, y.steps, y.final_loss)
        assert a.rounds[step].clean == b.rounds[step].clean
    by_step = {(s.arm, s.round): s for s in double.summaries}
    for s in single.summaries:
        pooled = by_step[(s.arm, s.round)]
        if s.round == 0:
            assert pooled.outcomes == s.outcomes and not pooled.outcomes.replicates
            continue
        assert pooled.outcomes.replicates[0] == s.outcomes  # replicate 0: the K=1 numbers
        assert len(pooled.outcomes.replicates) == 2 and pooled.seeds == (0, 1)
        parts = pooled.outcomes.replicates
        for metric in ("fresh_trained", "fresh_heldout", "replay", "replay_initial", "chance"):
            got = getattr(pooled.outcomes, metric)
            assert got == Counts.pooled([getattr(p, metric) for p in parts]), metric
        assert pooled.outcomes.new_exploits == sum(p.new_exploits for p in parts)
        assert not s.outcomes.replicates and s.seeds == (0,)
    # round 1's replay holds only round 0's exploits (the store copies hold nothing else yet)
    for s in double.summaries:
        for part in s.outcomes.seeds():
            assert part.replay_initial == part.replay


def test_a_kill_in_the_second_replicates_training_resumes_to_the_same_numbers(
    experiments, planted_rm, tmp_path
):
    expected_folder, expected = experiments[2]

    class KillSecondSeed(KillingTrainer):
        def _run(self, job):  # type: ignore[no-untyped-def]
            if "seed-1" not in str(job.staging):
                return super(KillingTrainer, self)._run(job)
            return super()._run(job)

    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        run(planted_rm, out, trainer=KillSecondSeed())
    state = state_of(out)
    assert Step("findings", 1, 0) in state.rounds and Step("findings", 1, 1) not in state.trains
    result = resume_experiment(out, **QUIET)
    assert [s.outcomes for s in result.summaries] == [s.outcomes for s in expected.summaries]
    got, want = state_of(out), state_of(expected_folder)
    assert {k: t.data_hash for k, t in got.trains.items()} == {
        k: t.data_hash for k, t in want.trains.items()
    }
    entries = read_log(out / LOG_NAME, format=EXPERIMENT_LOG).entries
    assert sum(isinstance(e, TrainEntry) for e in entries) == len(want.trains)


def test_nothing_to_add_and_a_failing_trainer_are_a_replicates_own(
    planted_rm, tmp_path, monkeypatch
):
    from harness.experiments.rounds import arm_round
    from harness.experiments.rounds.augment import clean_augmentation

    found = arm_round.findings_augmentation

    def nothing_in_seed_1(store, *, round, **kwargs):
        if "seed-1" in str(store.path):
            pairs, summary = clean_augmentation(round=round)
            return pairs, dataclasses.replace(summary, arm="findings")
        return found(store, round=round, **kwargs)

    monkeypatch.setattr(arm_round, "findings_augmentation", nothing_in_seed_1)
    out = tmp_path / "nothing"
    run(planted_rm, out)
    state = state_of(out)
    for arm in ARMS:
        assert Step(arm, 1, 1) in state.nothing and Step(arm, 1, 1) not in state.trains
        assert not state.rounds[Step(arm, 1, 1)].retrained
    assert Step("clean", 1, 0) in state.trains  # replicate 0 retrained as usual

    monkeypatch.setattr(arm_round, "findings_augmentation", found)
    out = tmp_path / "failing"
    hook = "tests.harness.experiments.rounds.hooks:fail_findings_seed_1"
    result = run(planted_rm, out, dataclasses.replace(CONFIG, rounds=2), trainer_spec=hook)
    state = state_of(out)
    assert set(state.errors) == {("findings", 1), ("synthetic", 1)}
    assert state.errors[("findings", 1)].stage == "train"
    assert state.errors[("synthetic", 1)].round == 2  # no findings round 2 to match
    assert state.errors[("synthetic", 1)].stage == "augment"
    measured = {Step(arm, r, k) for arm in ARMS for r in (1, 2) for k in (0, 1)}
    assert set(state.rounds) - {Step(None, 0)} == measured - {
        Step("findings", 1, 1),
        Step("findings", 2, 1),
        Step("synthetic", 2, 1),
    }
    assert result.seeds == 2 and len(result.stopped) == 2
    rounds = {(s.arm, s.round): s for s in result.summaries}
    assert rounds[("findings", 1)].seeds == (0,)  # replicate 1 stopped: replicate 0 alone
    assert rounds[("synthetic", 2)].seeds == (0,) and rounds[("clean", 2)].seeds == (0, 1)


# ------------------------------------------------------------------ the report
def test_the_report_pools_the_replicates_and_shows_each_ones_runs_and_training(
    experiments, tmp_path
):
    import json

    from reports.rounds import build_experiment_report

    out, result = experiments[2]
    report = build_experiment_report(out, out=tmp_path / "report")
    view = report.view
    assert view.seeds == 2 and view.complete
    rounds = {(r.arm, r.round): r for r in view.rounds}
    pooled = {(s.arm, s.round): s for s in result.summaries}
    for key, r in rounds.items():
        assert r.summary.outcomes == pooled[key].outcomes  # the verdict's records
        assert [p.replicate for p in r.replicates] == ([0] if key[1] == 0 else [0, 1])
    summary = json.loads(report.paths["summary"].read_text())
    assert summary["experiment"]["seeds"] == 2
    (findings_1,) = [r for r in summary["rounds"] if (r["arm"], r["round"]) == ("findings", 1)]
    runs = [p["run"] for p in findings_1["replicates"]]
    assert runs == ["findings/seed-0/round-1/run", "findings/seed-1/round-1/run"]
    markdown = report.paths["markdown"].read_text()
    assert "findings seed 1" in markdown  # a training row per replicate


def test_an_experiment_of_log_version_2_is_reported_with_its_paths_as_logged_not_resumed(
    experiments, tmp_path, rmh, one_line_error
):
    """The single-seed experiment rewritten as a 2.x folder: no seed-0 level, no
    replicate fields, no power entry. Its report holds the same numbers."""
    import json
    import shutil

    from reports.rounds.view import experiment_view

    source, single = experiments[1]
    old = tmp_path / "old"
    shutil.copytree(source, old, ignore=shutil.ignore_patterns("checkpoint"))
    for arm in ARMS:
        (old / arm / "seed-0").rename(old / f"{arm}-lineage")
        (old / arm).rmdir()
        (old / f"{arm}-lineage").rename(old / arm)
    lines = []
    for line in (old / LOG_NAME).read_text().splitlines():
        entry = json.loads(line.replace("/seed-0/", "/"))
        if entry["type"] == "power":
            continue
        entry.pop("replicate", None)
        entry.pop("evaluation_available", None)
        if entry["type"] == "init":
            entry["log_version"] = "2.0"
            for key in ("seeds", "delta", "effect_size", "require_power", "calibrate",
                        "calibration_cap", "eval_prompts", "synthetic_kinds"):  # fmt: skip
                entry["config"].pop(key, None)
        lines.append(json.dumps(entry))
    (old / LOG_NAME).write_text("\n".join(lines) + "\n")
    view = experiment_view(old)
    assert view.complete and view.seeds == 1
    assert [r.summary.outcomes for r in view.rounds] == [s.outcomes for s in single.summaries]
    assert view.of_arm("clean")[1].entry.run == "clean/round-1/run"
    code, _, err = rmh("rounds", "--resume", "--out", str(old), "--quiet")
    one_line_error(code, err, "was started by an older rm-harness (experiment log 2.0")
