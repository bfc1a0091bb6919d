"""Whole runs against a served reward model: faults that pass leave no trace in the
results, an outage stops the run and a resume finishes it as if nothing happened, a
white-box attack is skipped where there are no gradients, and the API key leaves no
trace anywhere.

The served model is a tiny real checkpoint behind the ``rmh serve`` app (uvicorn in a
thread, on a free port); the tiny suite runs in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from harness.models import HttpOptions, LoadOptions, load_reward_model
from harness.runlog import (
    AttemptEntry,
    CleanEntry,
    CompletionEntry,
    ErrorEntry,
    FindingEntry,
    read_log,
)
from harness.runlog.entries import SkippedAttack
from harness.runlog.metrics import Skip, run_metrics
from harness.runner import RunOptions, start_run
from harness.serving.app import build_app
from harness.store import FindingStore
from harness.suite import resolve_suite
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
            store = RunOptions(store=str(tmp_path / f"{name}.db"))
            summary = run_suite(
                [server.url], suite, tmp_path / name, options=options, run_options=store
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


def test_a_probe_moved_by_serving_noise_across_a_rounding_is_the_same_model_on_resume(
    checkpoints, write_suite, run_suite, tmp_path
):
    """Scores that move by far less than a model swap, but across the rounding of the
    probe's hash (as a bf16 server's can), do not stop a resume; the swap above does."""
    import math

    from harness.models import CallableRewardModel
    from harness.models.http.identity import PROBE_PAIRS, rounded
    from harness.runner import resume_run
    from harness.scoring import Scorer

    model = load_reward_model(checkpoints["bert"])
    prompts, responses = (list(x) for x in zip(*PROBE_PAIRS, strict=True))
    probe = Scorer(model).score(prompts, responses)
    first = float(probe[0])
    step = 10.0 ** (math.floor(math.log10(abs(first))) - 2)  # the 3rd significant digit
    delta = (math.floor(first / step) + 0.5) * step - first + step / 100  # just past a .5
    assert rounded(probe) != rounded(probe + delta) and 0 < delta < step

    def noisy(p: list[str], r: list[str]) -> list[float]:
        return [float(s) + delta for s in Scorer(model).score(p, r)]

    suite = write_suite(tmp_path)
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
        app.state.served.model = CallableRewardModel(noisy, name="noisy")
        summary = resume_run(out, progress="quiet", echo=lambda _: None)
    assert summary.errors == 0 and summary.attempts > 0
    logged = read_log(out / "log.jsonl").init.checkpoints[0]
    assert logged["probe_scores"] == pytest.approx(probe.tolist())


#: gcg (white-box) at a CPU-test size, appended to the tiny suite.
GCG = """
[[attacks]]
name = "gcg"
budget = 16
params = { length = 4, topk = 8, batch = 4 }
"""
NO_GRADIENTS = "white-box, the model gives no gradients"


def on_checkpoint(folder: Path, checkpoint: int) -> dict:
    """One checkpoint's findings and attempts, units named without the checkpoint (scores
    apart: a local and a served model agree to float32 noise)."""
    log = read_log(folder / "log.jsonl")
    mine = [e for e in log.of_type(FindingEntry) if e.checkpoint == checkpoint]
    findings = sorted((e.unit.split("/", 1)[1], e.text, e.score) for e in mine)
    return {
        "findings": [f[:2] for f in findings],
        "scores": [f[2] for f in findings],
        "attempts": sorted(
            (e.unit.split("/", 1)[1], e.queries, e.findings)
            for e in log.attack_attempts()
            if e.checkpoint == checkpoint
        ),
    }


def test_a_white_box_attack_is_skipped_on_the_served_model_only_and_changes_nothing_else(
    checkpoints, write_suite, tmp_path
):
    """A run of a local checkpoint and a served one, with gcg in the suite: gcg runs on the
    local one, is skipped on the served one (said, logged, reported, not an attempt), and
    the served model's findings are those of a local run of the other attacks."""
    local_dir, mixed_dir = tmp_path / "local", tmp_path / "mixed"
    local_dir.mkdir()
    mixed_dir.mkdir()
    black_box = resolve_suite(str(write_suite(local_dir)))
    suite_file = write_suite(mixed_dir)
    suite_file.write_text(suite_file.read_text() + GCG)
    start_run(
        [str(checkpoints["bert"])],
        black_box,
        local_dir / "run",
        progress="quiet",
        echo=lambda _: None,
    )
    said: list[str] = []
    with ServerThread(build_app(load_reward_model(checkpoints["bert"]), name="bert")) as server:
        summary = start_run(
            [str(checkpoints["llama"]), server.url],
            resolve_suite(str(suite_file)),
            mixed_dir / "run",
            progress="quiet",
            echo=said.append,
        )
    log = read_log(mixed_dir / "run" / "log.jsonl")
    skip = SkippedAttack(attack_id="gcg", attack="gcg", checkpoint=1, reason=NO_GRADIENTS)
    assert log.init.skipped_attacks == (skip,)
    assert [line for line in said if "skipping" in line] == [
        f"skipping gcg on {server.url}: {NO_GRADIENTS}"
    ]
    gcg = [a for a in log.attack_attempts() if a.attack == "gcg"]
    assert {a.checkpoint for a in gcg} == {0} and len(gcg) == 4 and not any(a.error for a in gcg)
    assert log.of_type(CompletionEntry)[0].units == 4 * 4 + 3 * 4  # no gcg units on the server
    assert summary.errors == 0
    metrics = run_metrics(log, mixed_dir / "run")
    assert metrics.skipped == [Skip("gcg", 1, NO_GRADIENTS)]
    assert {f.family for f in metrics.families if f.checkpoint == 0} >= {"gradient"}
    assert "gradient" not in {f.family for f in metrics.families if f.checkpoint == 1}

    served, local = on_checkpoint(mixed_dir / "run", 1), on_checkpoint(local_dir / "run", 0)
    assert served["findings"] == local["findings"] and local["findings"]
    assert served["scores"] == pytest.approx(local["scores"], rel=1e-5, abs=1e-6)
    assert served["attempts"] == local["attempts"]


def test_an_endpoint_down_mid_run_stops_it_and_a_resume_finishes_as_if_it_never_was(
    checkpoints, write_suite, rmh, one_line_error, tmp_path
):
    """503 from mid-search on, past the retries: the run stops (exit 2, one line naming
    the endpoint) with its findings so far stored; back up, ``--resume`` finishes it, and
    it found and spent exactly what an uninterrupted run did."""
    suite = write_suite(tmp_path)
    app = build_app(load_reward_model(checkpoints["bert"]), name="bert")
    fast = ("--retries", "1", "--backoff", "0.01", "--quiet")

    def run(url: str, name: str) -> tuple[int, str, str]:
        return rmh(
            "run", url, "--suite", str(suite), "--out", str(tmp_path / name),
            "--store", str(tmp_path / f"{name}.db"), *fast,
        )  # fmt: skip

    counted = FaultInjector(app)
    with ServerThread(counted) as server:
        counted.server = server
        code, _, err = run(server.url, "clean")
        assert code == 0, err
    outage = {"from": len(counted.seen) * 2 // 3}  # a score request well into the attacks
    faults = FaultInjector(app, schedule=lambda k: "503" if k >= outage["from"] else None)
    out = tmp_path / "faulty"
    with ServerThread(faults) as server:
        faults.server = server
        code, _, err = run(server.url, "faulty")
        one_line_error(code, err, f"the reward model at {server.url}/score answered POST with 503")
        assert "after 2 attempts" in err and f"rmh run --resume {out}" in err
        stopped = read_log(out / "log.jsonl")
        with FindingStore.open(tmp_path / "faulty.db") as store:
            stored = {row.finding.key for row in store.findings(kind=None)}
        outage["from"] = 10**9  # the server is back
        code, _, err = rmh("run", "--resume", str(out), "--quiet")
        assert code == 0, err
    clean = record(tmp_path / "clean")
    done = stopped.attack_attempts()
    assert 0 < len(done) < len(clean["attempts"]) - 1  # stopped mid-search ...
    assert stopped.completion is None and not stopped.of_type(ErrorEntry)  # ... not errored
    found = stopped.of_type(FindingEntry)
    assert found and {f.key for f in found} <= stored  # what it found so far is kept
    assert record(out) == clean
