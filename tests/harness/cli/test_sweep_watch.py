"""``rmh sweep --watch``: a watch folder written by a real ``Watcher.observe`` (a planted
run whose gold falls, so the watcher stops) becomes a sweep folder without any model; its
RL numbers are the watch log's, and ``rmh report`` shows the stop. Bad input: one line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from harness.experiments.sweep.result import read_sweep
from harness.experiments.watch.log import EvaluationEntry, StopEntry, read_watch
from tests.harness.experiments.sweep.rewards import PREFIX
from tests.harness.experiments.sweep.watches import make_watch


@pytest.fixture(scope="module")
def watch(tmp_path_factory):
    return make_watch(tmp_path_factory.mktemp("watch") / "watch")


def _sweep(rmh, watch, out, *extra):
    return rmh("sweep", "--watch", str(watch), "--out", str(out), "--resamples", "200", *extra)


def test_a_watch_becomes_a_sweep_with_the_watchs_numbers(rmh, watch, tmp_path):
    out = tmp_path / "sweep"
    code, stdout, err = _sweep(rmh, watch, out)
    assert code == 0, err
    lines = stdout.splitlines()
    assert (
        lines[0] == "samples: 72 rows in 3 file(s); best-of-n on 6 of 6 prompts (step 0), n up to 4"
    )
    assert "RL steps 0..3 (3): gold peaks at step 2" in stdout
    assert "watch: stopped at step 3, reason peaked; the decision: stop: gold has peaked" in stdout
    assert (
        "watch: best step 2 by gold (the checkpoint to keep); 1 failed evaluation(s), at " in stdout
    )

    record = read_sweep(out)
    contents = read_watch(watch)
    evaluations = contents.of_type(EvaluationEntry)
    (stop,) = contents.of_type(StopEntry)
    assert record.trajectories is None and record.config["trajectories"] is False
    assert record.samples.bon_step == 0 and record.samples.n_max == 4
    assert record.proxy.spec.startswith("watch-proxy") and record.gold.kind == "watch"
    assert record.nonsense.judge == "heuristic"
    # per step: proxy, gold, nonsense share and KL are the means of the log's per-prompt values
    steps = record.steps
    assert [p.step for p in steps.steps] == [e.step for e in evaluations] == [0, 2, 3]
    for point, entry in zip(steps.steps, evaluations, strict=True):
        assert (point.rows, point.prompts) == (entry.rows, len(entry.prompts))
        assert point.proxy.estimate == pytest.approx(np.mean(entry.proxy), rel=1e-12)
        assert point.gold.estimate == pytest.approx(np.mean(entry.gold), rel=1e-12)
        assert point.nonsense.estimate == pytest.approx(np.mean(entry.bad), abs=1e-12)
        assert point.kl.estimate == pytest.approx(np.mean(entry.kl), rel=1e-9, abs=1e-12)
        for e in (point.proxy, point.gold, point.kl):  # intervals around the estimates
            assert e.low <= e.estimate <= e.high
    assert steps.kl_available and steps.gold_peak_step == stop.decision.best_step == 2
    watch_record = record.watch
    assert watch_record.stop_step == stop.step == 3 and watch_record.stop_reason == "peaked"
    assert watch_record.stop_message == stop.decision.message
    assert [s.message for s in watch_record.evaluations] == [
        e.decision.message for e in evaluations
    ]
    assert watch_record.failed_steps == (1,) and watch_record.best_step == 2
    assert set(record.plots) == {"bon", "steps"}

    code, out_lines, err = rmh("report", str(out))
    assert code == 0, err
    assert "watch: stopped at step 3, reason peaked" in out_lines
    html = (out / "report.html").read_text()
    assert 'id="watch-stop" data-stop-step="3" data-reason="peaked"' in html
    assert 'id="watch-best" data-best-step="2"' in html
    assert "stopped at step 3, reason peaked; the decision: stop: gold has peaked" in html
    markdown = (out / "report.md").read_text()
    assert "**Watch: stopped at step 3, reason peaked; the decision\\: stop\\: gold has peaked" in (
        markdown
    )
    assert "| 3 | 6 | stop\\: peaked |" in markdown


def _copy(watch, tmp_path):
    return shutil.copytree(watch, tmp_path / "copy")


def _damage_log(folder):
    """A line in the middle of the log that is not JSON (a cut last line is tolerated)."""
    path = folder / "watch.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "{not json\n", *lines[2:]]))
    return folder


def _only_failures(tmp_path):
    from harness.experiments.watch import WatchConfig, Watcher

    watcher = Watcher(
        tmp_path / "failed",
        gold=f"{PREFIX}:fragile_gold_reward",
        config=WatchConfig(every=1),
        echo=lambda line: None,
    )
    watcher.observe(0, ["p", "p"], ["BOOM", "fine words"], [1.0, 2.0])
    watcher.close()
    return tmp_path / "failed"


def _drop_row(folder):
    path = folder / "samples" / "step-000003.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    return folder


def _missing(folder):
    (folder / "samples" / "step-000002.jsonl").unlink()
    return folder


BAD_FOLDERS = {
    "not a watch folder": (lambda w, t: t, "is not a watch folder (no watch.jsonl)"),
    "a damaged log": (lambda w, t: _damage_log(_copy(w, t)), "line 3: not JSON"),
    "no evaluations": (lambda w, t: _only_failures(t), "has no evaluations (1 failed)"),
    "a missing samples file": (lambda w, t: _missing(_copy(w, t)), "which is missing"),
    "a row count that differs": (
        lambda w, t: _drop_row(_copy(w, t)),
        "has 23 rows, but the watch log's evaluation of step 3 recorded 24",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FOLDERS))
def test_a_bad_watch_folder_is_one_line(rmh, one_line_error, watch, tmp_path, case):
    make, fragment = BAD_FOLDERS[case]
    out = tmp_path / "out"
    code, _, err = _sweep(rmh, make(watch, tmp_path), out)
    one_line_error(code, err, fragment)
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--samples", "s.jsonl"), "--watch brings its own samples, proxy, gold and verdicts; "),
        (("--proxy", f"{PREFIX}:proxy_reward"), "drop --proxy"),
        (("--gold", f"{PREFIX}:gold_reward"), "drop --gold"),
        (("--gold-scores", "human.jsonl"), "drop --gold-scores"),
        (("--demo",), "drop --demo"),
        (("--trajectories",), "--trajectories needs a gold RM"),
    ],
    ids=["samples", "proxy", "gold", "gold-scores", "demo", "trajectories"],
)
def test_options_a_watch_replaces_are_refused(
    rmh, one_line_error, watch, tmp_path, extra, fragment
):
    out = tmp_path / "out"
    code, _, err = _sweep(rmh, watch, out, *extra)
    one_line_error(code, err, fragment)
    assert not out.exists()


def test_the_watch_needs_an_out_folder(rmh, one_line_error, watch):
    code, _, err = rmh("sweep", "--watch", str(watch))
    one_line_error(code, err, "give --out SWEEP_FOLDER")
    assert json.loads((watch / "watch.jsonl").read_text().splitlines()[0])["type"] == "init"
