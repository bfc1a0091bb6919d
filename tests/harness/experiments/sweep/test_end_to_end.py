"""The whole sweep on tiny real Hugging Face reward models: ``rmh sweep`` (an RL run's two
steps with logprobs, trajectories), ``rmh report`` and ``rmh gate`` on its folder."""

from __future__ import annotations

import json

import pytest

from harness.experiments.sweep.result import read_sweep
from harness.models import load_reward_model
from harness.testing import build_tiny_checkpoint
from tests.harness.experiments.sweep.samples_data import sample_rows, write_rows

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_sweep_report_and_gate_on_tiny_checkpoints(rmh, checkpoints, tmp_path):
    proxy = checkpoints["bert"]
    gold = build_tiny_checkpoint(tmp_path / "gold", seed=1)
    steps = [
        write_rows(tmp_path / "step-0.jsonl", sample_rows(per_prompt=16, logprobs=True)),
        write_rows(tmp_path / "step-10.jsonl", sample_rows(per_prompt=16, seed=1, logprobs=True)),
    ]
    out = tmp_path / "sweep"
    code, stdout, err = rmh(
        "sweep",
        "--samples",
        *map(str, steps),
        "--proxy",
        str(proxy),
        "--gold",
        str(gold),
        "--out",
        str(out),
        "--resamples",
        "300",
        "--trajectory-prompts",
        "2",
        "--trajectory-budget",
        "64",
        "--quiet",
    )
    assert code == 0, err
    assert "upper bound" in stdout and "2401.01879" in stdout
    assert "RL steps 0..10 (2)" in stdout and "trajectories, all:" in stdout

    record = read_sweep(out)
    raw = json.loads((out / "sweep.json").read_text())
    assert raw["kind"] == "sweep" and raw["schema_version"] == 3
    assert record.proxy.fingerprint == load_reward_model(proxy).fingerprint
    assert record.gold.members[0].fingerprint == load_reward_model(gold).fingerprint
    assert record.seed == 0 and record.config["trajectory_budget"] == 64
    assert {"torch", "transformers", "numpy"} <= set(record.versions)
    assert [c.n for c in record.curves] == [1, 2, 4, 8, 16]
    assert record.fit is not None and record.fit.points == 4
    assert record.samples.bon_step == 0 and len(record.samples.files) == 2
    assert record.steps is not None and record.steps.kl_available
    paths = record.trajectories.paths
    assert len(paths) == 8 and {p.attack for p in paths} == {
        "random-search",
        "greedy-coordinate",
        "beam",
        "genetic",
    }
    assert all(p.points[0].text == p.reference and p.queries <= 64 for p in paths)
    for name in ("bon", "trajectory", "steps"):
        assert (out / record.plots[name]).read_bytes()[:8] == PNG

    policy = tmp_path / "gate.toml"
    policy.write_text("min_best_of_n = 2\n")
    code, stdout, err = rmh("report", str(out), "--policy", str(policy))
    assert code == 0, err
    page = (out / "report.html").read_text()
    assert 'id="sweep"' in page and 'id="verdict"' in page
    assert (out / "report.md").read_text().startswith("## Overoptimization sweep")
    code, stdout, _ = rmh("gate", str(out), "--policy", str(policy))
    assert code in (0, 1) and "best-of-n: n*" in stdout
    assert code == (0 if "gate: PASS" in stdout else 1)
