"""``--executor ray``: the arms' attack stages on a real local Ray cluster, as runs do.

The experiment passes its executor to every round's run; on a 2-CPU local cluster the
findings of every round and arm are the ones a local experiment finds, and each run's log
says it ran on Ray.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.experiments.rounds.experiment import (
    ExperimentConfig,
    ExperimentData,
    start_experiment,
)
from harness.runlog import LOG_NAME as RUN_LOG_NAME
from harness.runlog import FindingEntry, read_log
from harness.runner import ExecutorOptions
from harness.suite import parse_suite
from tests.harness.experiments.rounds import planted

pytest.importorskip("ray")
# One local Ray cluster at a time: under pytest-xdist these tests share one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]

CONFIG = ExperimentConfig(
    rounds=1,
    arms="findings,clean",
    heldout_families=planted.HELDOUT,
    epochs=1,
    batch_pairs=8,
    learning_rate=1e-3,
    round_pairs=16,
    prompts=2,
    eval_prompts=2,
    seeds=1,
)


def experiment(rm: Path, out: Path, executor: ExecutorOptions) -> dict[str, list]:
    suite = planted.SUITE.replace("budget = 30", "budget = 12").replace("budget = 20", "budget = 8")
    start_experiment(
        rm,
        parse_suite(suite, origin="planted", base_dir=None),
        ExperimentData(train=planted.train_pairs(), evaluation=planted.eval_pairs()),
        out,
        config=CONFIG,
        executor=executor,
        progress="quiet",
        echo=lambda _: None,
    )
    runs = {}
    for log in sorted(out.rglob(RUN_LOG_NAME)):
        contents = read_log(log)
        assert contents.init is not None
        findings = sorted(
            (f.prompt, f.family, f.text, round(f.margin, 4)) for f in contents.of_type(FindingEntry)
        )
        runs[str(log.parent.relative_to(out))] = [contents.init.executor, findings]
    return runs


def test_ray_executor_runs_every_round_and_arm_as_local_does(planted_rm, tmp_path):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = experiment(planted_rm, tmp_path / "ray", ExecutorOptions("ray", workers=2))
    finally:
        ray.shutdown()
    local = experiment(planted_rm, tmp_path / "local", ExecutorOptions())
    assert (
        sorted(on_ray)
        == sorted(local)
        == ["clean/seed-0/round-1/run", "findings/seed-0/round-1/run", "round-0"]
    )
    assert {executor for executor, _ in on_ray.values()} == {"ray"}
    assert any(findings for _, findings in on_ray.values())
    assert {k: f for k, (_, f) in on_ray.items()} == {k: f for k, (_, f) in local.items()}
