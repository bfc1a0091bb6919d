"""A served reward model on Ray actors: each actor rebuilds the HTTP model from the run's
spec and reads the API key from its own environment; the findings are the local run's."""

from __future__ import annotations

import pytest

from harness.models import HttpOptions, LoadOptions, load_reward_model
from harness.runlog import FindingEntry, InitEntry, read_log
from harness.runner import ExecutorOptions
from harness.serving.app import build_app
from tests.harness.models.http.servers import ServerThread

pytest.importorskip("ray")
# One local Ray cluster at a time: under pytest-xdist these tests share one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]


def test_ray_actors_share_one_served_model(
    checkpoints, run_suite, suite_file, tmp_path, monkeypatch
):
    import ray

    key = "ray-canary-5e0c"
    monkeypatch.setenv("RM_RAY_KEY", key)  # before ray.init: the actors inherit it
    options = LoadOptions(http=HttpOptions(api_key_env="RM_RAY_KEY", backoff=0.05))
    app = build_app(load_reward_model(checkpoints["bert"]), name="bert", api_key=key)
    with ServerThread(app) as server:
        local = run_suite([server.url], suite_file, tmp_path / "local" / "run", options=options)
        served_before = app.state.served.requests
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            on_ray = run_suite(
                [server.url],
                suite_file,
                tmp_path / "ray" / "run",
                options=options,
                executor=ExecutorOptions("ray", workers=2),
            )
        finally:
            ray.shutdown()
        served_for_ray = app.state.served.requests - served_before

    def findings(name: str) -> list:
        log = read_log(tmp_path / name / "run" / "log.jsonl")
        return sorted((e.unit, e.key, e.score) for e in log.of_type(FindingEntry))

    assert findings("ray") and findings("ray") == findings("local")
    assert on_ray.findings_by_family == local.findings_by_family
    init = read_log(tmp_path / "ray" / "run" / "log.jsonl").init
    assert isinstance(init, InitEntry) and init.executor == "ray"
    assert served_for_ray > 0  # the actors scored through the server
    for name in ("local", "ray"):
        for path in (tmp_path / name).rglob("*"):
            assert not path.is_file() or key.encode() not in path.read_bytes()
