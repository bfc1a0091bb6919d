"""The Ray executor on a real local 2-CPU cluster gives the same findings as local."""

from __future__ import annotations

import pytest

from harness.runlog import InitEntry, read_log
from harness.runner import ExecutorOptions

pytest.importorskip("ray")
# One local Ray cluster at a time: under pytest-xdist these tests share one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]


def test_ray_executor_matches_local(checkpoints, run_suite, suite_file, tmp_path):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ray_summary = run_suite(
            [checkpoints["bert"], checkpoints["llama"]],
            suite_file,
            tmp_path / "ray" / "run",
            executor=ExecutorOptions("ray", workers=2),
        )
    finally:
        ray.shutdown()
    local_summary = run_suite(
        [checkpoints["bert"], checkpoints["llama"]], suite_file, tmp_path / "local" / "run"
    )

    def logged(name: str, kind: str, score: str = "score") -> list:
        entries = read_log(tmp_path / name / "run" / "log.jsonl").entries
        return sorted(
            (e.checkpoint, e.key, round(getattr(e, score), 4)) for e in entries if e.type == kind
        )

    assert logged("ray", "finding") and logged("ray", "finding") == logged("local", "finding")
    instabilities = logged("ray", "instability", "perturbed_score")
    assert instabilities == logged("local", "instability", "perturbed_score")
    assert ray_summary.findings_by_family == local_summary.findings_by_family
    assert ray_summary.transfer.equals(local_summary.transfer)
    init = read_log(tmp_path / "ray" / "run" / "log.jsonl").init
    assert isinstance(init, InitEntry) and init.executor == "ray"
