"""A watch folder as a sweep's inputs: the rows, scores and verdicts the watcher recorded,
and its decisions, read back exactly; a damaged folder is one line."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from harness.core.errors import HarnessError
from harness.experiments.sweep.pipeline import SweepConfig, run_sweep
from harness.experiments.sweep.result import SWEEP_FILE, read_sweep, sweep_json
from harness.experiments.sweep.sweep_lines import best_text
from harness.experiments.sweep.watch_inputs import WATCH_PROXY, watch_inputs
from harness.experiments.watch.log import EvaluationEntry, StopEntry, read_watch
from tests.harness.experiments.sweep.watches import GOLD, HOSTILE, make_watch


@pytest.fixture(scope="module")
def watch(tmp_path_factory):
    return make_watch(tmp_path_factory.mktemp("watch") / "watch")


def _entries(folder):
    contents = read_watch(folder)
    return contents.of_type(EvaluationEntry), contents.of_type(StopEntry)


def test_the_rows_and_what_was_recorded_with_them(watch):
    inputs = watch_inputs(watch)
    evaluations, _ = _entries(watch)
    assert [f.path.name for f in inputs.samples.files] == [
        "step-000000.jsonl",
        "step-000002.jsonl",
        "step-000003.jsonl",
    ]
    assert inputs.samples.steps == [0, 2, 3]
    rows = [
        json.loads(line)
        for e in evaluations
        for line in (watch / e.samples_file).read_text().splitlines()
    ]
    recorded = inputs.recorded
    assert recorded.proxy.tolist() == [r["proxy"] for r in rows]
    assert recorded.gold.tolist() == [r["gold"] for r in rows]
    assert recorded.bad.tolist() == [r["bad"] for r in rows]
    assert recorded.reasons == tuple(tuple(r["reasons"]) for r in rows)
    assert recorded.judge == "heuristic" and "any of them" in recorded.note
    # the look-up tables answer for every sampled row, and cannot score new text
    prompts = [s.prompt for s in inputs.samples.samples]
    responses = [s.response for s in inputs.samples.samples]
    first = {}
    for p, r, v in zip(prompts, responses, recorded.gold, strict=True):
        first.setdefault((p, r), v)
    assert inputs.gold.scorer.score(prompts, responses).tolist() == [
        first[(p, r)] for p, r in zip(prompts, responses, strict=True)
    ]
    assert not inputs.gold.scores_new_text
    assert inputs.proxy.model.fingerprint.startswith(f"{WATCH_PROXY}-")
    assert inputs.gold.record.kind == "watch" and inputs.gold.record.members[0].spec == GOLD
    assert inputs.gold.record.label() == GOLD


def test_the_watch_summary_is_what_the_log_decided(watch):
    summary = watch_inputs(watch).watch
    evaluations, stops = _entries(watch)
    (stop,) = stops
    assert [s.step for s in summary.evaluations] == [e.step for e in evaluations] == [0, 2, 3]
    for step, entry in zip(summary.evaluations, evaluations, strict=True):
        d = entry.decision
        assert (step.stop, step.reason, step.best_step, step.message) == (
            d.stop,
            d.reason,
            d.best_step,
            d.message,
        )
        assert step.prompts == len(entry.prompts) == 6 and step.rows == entry.rows == 24
        assert (step.peak is None) == (d.peak is None)
        if d.peak is not None:
            assert step.peak.to_json() == d.peak.to_json()
            assert step.nonsense.to_json() == d.nonsense.to_json()
    assert (summary.failures, summary.failed_steps) == (1, (1,))
    assert (summary.stop_step, summary.stop_reason) == (3, "peaked") == (stop.step, "peaked")
    assert summary.stop_message == stop.decision.message and summary.best_step == 2
    assert summary.rule == {"window": 2, "alpha": 0.025, "margin": 0.05, "resamples": 400}
    assert summary.config["every"] == 1 and summary.judges == ("heuristic",)
    assert summary.bad_examples_step == 3 and summary.bad_examples[0].startswith(HOSTILE)
    assert summary.bad_examples == evaluations[-1].first_bad


def sweep_of(watch, out):
    """The sweep of ``watch`` written to ``out`` (200 resamples, no trajectories)."""
    return run_sweep(
        watch_inputs(watch),
        out,
        config=SweepConfig(resamples=200),
        trajectories=False,
        echo=lambda line: None,
    )


def test_a_watch_sweep_reads_back_and_an_older_sweep_has_no_watch(watch, tmp_path):
    record = sweep_of(watch, tmp_path / "sweep")
    again = read_sweep(tmp_path / "sweep")
    assert again == record and again.watch is not None and again.schema_version == 3
    assert again.nonsense.judge == "heuristic"
    # a steps' nonsense share is the recorded verdicts' (the sweep judged nothing itself)
    evaluations, _ = _entries(watch)
    assert [p.nonsense.estimate for p in again.steps.steps] == pytest.approx(
        [float(np.mean(e.bad)) for e in evaluations]
    )
    data = json.loads(sweep_json(record))
    del data["watch"]
    data["schema_version"] = 2
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / SWEEP_FILE).write_text(json.dumps(data))
    old = read_sweep(tmp_path / "old")
    assert old.watch is None and old.schema_version == 2 and old.steps == record.steps


def _copy(watch, tmp_path):
    return shutil.copytree(watch, tmp_path / "copy")


def _edit_log(folder, edit):
    path = folder / "watch.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(e) + "\n" for e in edit(lines)))


def _drop_row(folder):
    path = folder / "samples" / "step-000002.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))


def _outside(lines):
    for entry in lines:
        if entry["type"] == "evaluation" and entry["step"] == 2:
            entry["samples_file"] = "../elsewhere.jsonl"
    return lines


def _no_field(folder):
    path = folder / "samples" / "step-000000.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    del rows[3]["gold"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


DAMAGE = {
    "missing samples file": (
        lambda f: (f / "samples" / "step-000002.jsonl").unlink(),
        "step-000002.jsonl, which is missing",
    ),
    "a row fewer": (_drop_row, "has 23 rows, but the watch log's evaluation of step 2 recorded 24"),
    "a file outside": (lambda f: _edit_log(f, _outside), "outside the watch folder"),
    "no gold recorded": (_no_field, "step-000000.jsonl:4: missing field 'gold'"),
    "only failures": (
        lambda f: _edit_log(f, lambda ls: [e for e in ls if e["type"] in ("init", "failure")]),
        "has no evaluations (1 failed); nothing to sweep",
    ),
    "no init": (
        lambda f: _edit_log(f, lambda ls: [e for e in ls if e["type"] != "init"]),
        "has no init entry",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_watch_folder_is_one_line(watch, tmp_path, case):
    damage, fragment = DAMAGE[case]
    folder = _copy(watch, tmp_path)
    damage(folder)
    with pytest.raises(HarnessError, match=None) as caught:
        watch_inputs(folder)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_a_folder_that_is_no_watch(tmp_path):
    with pytest.raises(HarnessError, match="is not a watch folder"):
        watch_inputs(tmp_path)


def test_the_steps_plot_marks_the_best_and_the_stop_step(watch, tmp_path):
    from harness.experiments.sweep.plots import steps_figure

    record = sweep_of(watch, tmp_path / "sweep")

    def vertical_lines(record):
        (ax,) = steps_figure(record.steps, record).axes
        xs = [p.kl.estimate**0.5 for p in record.steps.steps]  # sqrt(KL): the x axis
        found = {}
        for line in ax.get_lines():
            x = line.get_xdata()
            if len(x) == 2 and x[0] == x[1]:  # axvline
                found[line.get_label()] = xs.index(pytest.approx(float(x[0])))
        return found

    assert vertical_lines(record) == {"best step 2 (keep)": 1, "stop at step 3 (peaked)": 2}
    assert vertical_lines(dataclasses.replace(record, watch=None)) == {"gold peak": 1}


def test_the_best_step_within_the_bad_margin_is_named_when_gold_prefers_a_later_one(watch):
    summary = watch_inputs(watch).watch
    assert summary.best_clean_step == summary.best_step  # the planted run's shares stay low
    assert best_text(summary).endswith("(the checkpoint to keep)")
    fooled = dataclasses.replace(
        summary, best_step=3, best_clean_step=1, best_clean_checkpoint="out/watch-best-clean"
    )
    text = best_text(fooled)
    assert text.startswith("best step 3 by gold")
    assert "stayed within the margin: 1, saved as out/watch-best-clean" in text
    older = dataclasses.replace(summary, best_clean_step=None)  # a log from before 1.1
    assert "checkpoint to keep" not in best_text(older)
