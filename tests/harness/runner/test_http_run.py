"""Whole runs against a served reward model: faults that pass leave no trace in the
results, and the API key leaves no trace anywhere.

The served model is a tiny real checkpoint behind the ``rmh serve`` app (uvicorn in a
thread, on a free port); the tiny suite runs in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.models import HttpOptions, LoadOptions, load_reward_model
from harness.runlog import AttemptEntry, CleanEntry, FindingEntry, read_log
from harness.serving.app import build_app
from tests.harness.models.http.servers import FaultInjector, ServerThread

pytestmark = pytest.mark.slow

#: A transient fault every few requests: each kind the client must ride out.
TRANSIENT = ("503", "reset", "429:0", "503", "slow:1.0")


def transient(k: int) -> str | None:
    return TRANSIENT[(k // 4) % len(TRANSIENT)] if k % 4 == 1 else None


def record(folder: Path) -> dict:
    """What a run found and spent, unit by unit (scores exactly: same server, same batches)."""
    log = read_log(folder / "log.jsonl")
    return {
        "findings": sorted(
            (e.unit, e.attack_id, e.text, e.score, e.reference_score)
            for e in log.of_type(FindingEntry)
        ),
        "attempts": sorted(
            (e.unit, e.queries, e.findings, e.best_score, e.error)
            for e in log.of_type(AttemptEntry)
        ),
        "clean": [(e.queries, e.accuracy.correct) for e in log.of_type(CleanEntry)],
    }


def test_a_run_survives_transient_faults_with_the_findings_and_budgets_of_a_clean_run(
    checkpoints, write_suite, run_suite, tmp_path
):
    model = load_reward_model(checkpoints["bert"])
    suite = write_suite(tmp_path)
    options = LoadOptions(http=HttpOptions(backoff=0.01, timeout=0.5, retries=6))
    app = build_app(model, name="bert")
    results = {}
    for name, schedule in (("clean", None), ("faulty", transient)):
        faults = FaultInjector(app, schedule=schedule)
        with ServerThread(faults) as server:
            faults.server = server
            summary = run_suite(
                [server.url], suite, tmp_path / name, options=options, store=tmp_path / f"{name}.db"
            )
        results[name] = (record(tmp_path / name), faults.faults())
    (clean, clean_seen), (faulty, faulty_seen) = results["clean"], results["faulty"]
    assert set(clean_seen) == {"ok"}
    assert set(faulty_seen) == {"ok", *TRANSIENT}  # every kind of fault was met ...
    assert faulty == clean  # ... and left no trace in what the run found or spent
    assert clean["findings"] and summary.errors == 0


def test_the_api_key_never_reaches_the_log_the_report_info_or_an_error(
    checkpoints, write_suite, rmh, tmp_path, monkeypatch
):
    canary = "canary-3b1d2f0e8a"
    monkeypatch.setenv("RM_CANARY", canary)
    monkeypatch.setenv("RM_WRONG", "not-" + canary)
    model = load_reward_model(checkpoints["bert"])
    suite = write_suite(tmp_path)
    app = build_app(model, name="bert", api_key=canary)
    with ServerThread(app) as server:
        url = server.url
        code, info, err = rmh("info", url, "--api-key-env", "RM_CANARY")
        assert code == 0, err
        out = tmp_path / "runs" / "served"
        code, ran, err = rmh(
            "run",
            url,
            "--suite",
            str(suite),
            "--out",
            str(out),
            "--api-key-env",
            "RM_CANARY",
            "--quiet",
        )
        assert code == 0, err
        code, reported, err_report = rmh("report", str(out))
        assert code in (0, 1), err_report  # 1: the gate's verdict, not an error
        _, _, refused = rmh("info", url, "--api-key-env", "RM_WRONG", "--retries", "0")
        # a server that echoes the key it was sent into its error body
        faults = FaultInjector(app, script=["401"])
        with ServerThread(faults) as echoing:
            faults.server = echoing
            _, _, echoed = rmh(
                "info",
                f"{echoing.url}/score",
                "--protocol",
                "template",
                "--api-key-env",
                "RM_CANARY",
            )
    assert "401" in refused and "401" in echoed and "***" in echoed
    written = [p for p in out.parent.rglob("*") if p.is_file()]
    assert any(p.name == "log.jsonl" for p in written)
    assert any(p.suffix == ".html" for p in written)
    for path in written:
        assert canary.encode() not in path.read_bytes(), path
    for text in (info, ran, err, reported, err_report, refused, echoed):
        assert canary not in text
    assert "RM_CANARY" in (out / "log.jsonl").read_text()  # the name is kept, for a resume


def test_a_server_that_swapped_its_model_is_refused_on_resume(
    checkpoints, write_suite, run_suite, tmp_path
):
    from harness.core.errors import HarnessError
    from harness.runner import resume_run

    model, other = (load_reward_model(checkpoints[n]) for n in ("bert", "bert_two_label"))
    suite = write_suite(tmp_path)
    # No /info fingerprint: the template protocol identifies the server by the probe.
    options = LoadOptions(
        http=HttpOptions(protocol="template", request_template='{"pairs": "$pairs"}')
    )
    app = build_app(model, name="bert")
    faults = FaultInjector(app, script=["ok", "401"])  # the probe, then the clean stage fails
    out = tmp_path / "run"
    with ServerThread(faults) as server:
        faults.server = server
        with pytest.raises(HarnessError, match="401"):
            run_suite([f"{server.url}/score"], suite, out, options=options)
        app.state.served.model = other  # the silent swap
        with pytest.raises(HarnessError, match="changed since the run started"):
            resume_run(out, progress="quiet", echo=lambda _: None)
        app.state.served.model = model  # the model the run began with
        summary = resume_run(out, progress="quiet", echo=lambda _: None)
    assert summary.errors == 0 and summary.attempts > 0
    assert read_log(out / "log.jsonl").init.checkpoints[0]["probe_scores"]
