"""The watcher (harness/experiments/watch/watcher.py): when it evaluates, what it samples,
writes and decides, how it survives a failing gold or judge, how it resumes, and the
errors bad input gets. Golds are tiny real RMs or planted functions whose scores the
tests know."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from harness.core.errors import HarnessError
from harness.experiments.sweep.samples import read_samples
from harness.experiments.watch import StopRule, WatchConfig, Watcher
from harness.experiments.watch.log import (
    EvaluationEntry,
    FailureEntry,
    InitEntry,
    StopEntry,
    read_watch,
)
from harness.experiments.watch.trl import WatchCallback
from harness.judges import Judge
from harness.judges.base import Judgement
from harness.models import load_reward_model
from harness.models.callable import CallableRewardModel
from harness.runlog.log import RunLog
from harness.testing import build_tiny_checkpoint


def planted(fn, name: str) -> CallableRewardModel:
    """A gold RM around ``fn`` with its own fingerprint (closures share their source)."""
    return CallableRewardModel(fn, name=name, fingerprint=name)


def length_gold(prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
    return [float(len(r)) for r in responses]


class Counting:
    """A gold function that counts its calls and can raise on chosen ones, or fall."""

    def __init__(self, raise_on: Sequence[int] = (), fall: bool = False) -> None:
        self.calls = 0
        self.raise_on = set(raise_on)
        self.fall = fall

    def __call__(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        self.calls += 1
        if self.calls in self.raise_on:
            raise RuntimeError(f"gold server down\n(call {self.calls})")
        if self.fall:
            return [10.0 - self.calls + 0.01 * len(r) for r in responses]
        return [float(len(r)) for r in responses]


def step_rows(step: int, prompts: int = 6, per_prompt: int = 3) -> tuple[list, list, list]:
    """One RL step's rows: ``per_prompt`` completions of each prompt, new text every step
    (the scorer caches repeats), and the proxy rewards."""
    p, c, r = [], [], []
    for i in range(prompts):
        for k in range(per_prompt):
            p.append(f"Tell me a joke about topic {i}.")
            c.append(f"Step {step}: why did topic {i} cross the road? Take {k}{'!' * k}")
            r.append(float(i + k))
    return p, c, r


def make(tmp_path, gold, *, every=1, sample_prompts=4, rule=None, echo=None, **kwargs):
    lines: list[str] = []
    watcher = Watcher(
        tmp_path / "watch",
        gold=gold,
        config=WatchConfig(
            every=every, sample_prompts=sample_prompts, seed=0, rule=rule or StopRule()
        ),
        echo=echo if echo is not None else lines.append,
        **kwargs,
    )
    return watcher, lines


def entries(tmp_path, kind):
    return read_watch(tmp_path / "watch").of_type(kind)


def test_evaluates_only_at_multiples_of_every_and_once_per_step(tmp_path):
    gold = Counting()
    watcher, _ = make(tmp_path, planted(gold, "count"), every=3)
    evaluated = []
    for step in range(8):
        decision = watcher.observe(step, *step_rows(step))
        assert decision.step == step
        if decision.evaluated:
            evaluated.append(step)
    again = watcher.observe(3, *step_rows(3))
    assert evaluated == [0, 3, 6]
    assert not again.evaluated and not again.stop
    assert gold.calls == 3  # steps 0, 3, 6; the repeat of step 3 scored nothing
    assert [e.step for e in entries(tmp_path, EvaluationEntry)] == [0, 3, 6]
    assert watcher.due(9) and not watcher.due(6) and not watcher.due(10)


def test_samples_a_seeded_set_of_prompts_with_every_completion(tmp_path):
    chosen = []
    for name in ("a", "b"):
        watcher, _ = make(tmp_path / name, planted(length_gold, "len"), sample_prompts=4)
        watcher.observe(0, *step_rows(0, prompts=10, per_prompt=3))
        (entry,) = entries(tmp_path / name, EvaluationEntry)
        chosen.append(entry.prompts)
        rows = read_samples([tmp_path / name / "watch" / entry.samples_file]).samples
        assert entry.rows == len(rows) == 12
        assert len(set(entry.prompts)) == 4
        for prompt in entry.prompts:
            assert sum(s.prompt == prompt for s in rows) == 3
    assert chosen[0] == chosen[1]  # same seed, same step: same prompts


def test_fewer_prompts_than_the_sample_are_all_scored(tmp_path):
    watcher, _ = make(tmp_path, planted(length_gold, "len"), sample_prompts=16)
    watcher.observe(0, *step_rows(0, prompts=3, per_prompt=2))
    (entry,) = entries(tmp_path, EvaluationEntry)
    assert entry.rows == 6 and len(entry.prompts) == 3


def test_samples_file_is_written_before_its_entry_and_reads_as_samples(tmp_path, monkeypatch):
    written = RunLog.write
    seen = []

    def checking_write(self, entry):
        if isinstance(entry, EvaluationEntry):
            seen.append((tmp_path / "watch" / entry.samples_file).is_file())
        return written(self, entry)

    monkeypatch.setattr(RunLog, "write", checking_write)
    watcher, _ = make(tmp_path, planted(length_gold, "len"), sample_prompts=2)
    prompts, completions, proxy = step_rows(20, prompts=2, per_prompt=2)
    logprobs = [(-10.0 - i, -11.0 - 2 * i) for i in range(4)]
    watcher.observe(0, *step_rows(0, prompts=2, per_prompt=2))
    watcher.observe(1, prompts, completions, proxy, logprobs=logprobs)
    assert seen == [True, True]
    (no_lp, with_lp) = entries(tmp_path, EvaluationEntry)
    assert with_lp.samples_file == "samples/step-000001.jsonl"
    samples = read_samples([tmp_path / "watch" / with_lp.samples_file]).samples
    assert [s.step for s in samples] == [1] * 4
    assert sorted((s.response, s.policy_logprob, s.ref_logprob) for s in samples) == sorted(
        (c, lp[0], lp[1]) for c, lp in zip(completions, logprobs, strict=True)
    )
    without = read_samples([tmp_path / "watch" / no_lp.samples_file]).samples
    assert all(s.policy_logprob is None and s.ref_logprob is None for s in without)


def test_init_entry_records_config_gold_judges_and_versions(tmp_path):
    path = build_tiny_checkpoint(tmp_path / "gold", "bert", seed=2)
    watcher, _ = make(tmp_path, str(path), every=5, trainer={"framework": "test"})
    watcher.observe(0, *step_rows(0))
    (init,) = entries(tmp_path, InitEntry)
    assert init.config["every"] == 5 and init.config["sample_prompts"] == 4
    assert init.config["rule"] == {"window": 5, "alpha": 0.025, "margin": 0.05, "resamples": 2000}
    assert [g.spec for g in init.gold] == [str(path)]
    assert [g.fingerprint for g in init.gold] == [load_reward_model(str(path)).fingerprint]
    assert init.judges == ("heuristic",)
    assert init.trainer == {"framework": "test"}
    assert "numpy" in init.versions
    (entry,) = entries(tmp_path, EvaluationEntry)
    assert entry.kl is None
    assert all(np.isfinite(entry.gold))


def test_kl_is_the_mean_logprob_difference_per_prompt(tmp_path):
    watcher, _ = make(tmp_path, planted(length_gold, "len"), sample_prompts=3)
    prompts, completions, proxy = step_rows(0, prompts=3, per_prompt=2)
    logprobs = [(-5.0, -5.0 - d) for d in (0.5, 1.5, 0.0, 0.0, -1.0, 3.0)]
    watcher.observe(0, prompts, completions, proxy, logprobs=logprobs)
    (entry,) = entries(tmp_path, EvaluationEntry)
    expected = {
        prompts[2 * i]: np.mean([d for d in ((0.5, 1.5), (0.0, 0.0), (-1.0, 3.0))[i]])
        for i in range(3)
    }
    assert dict(zip(entry.prompts, entry.kl, strict=True)) == pytest.approx(expected)


@pytest.mark.parametrize("combine", ["mean", "min"])
def test_several_golds_are_standardized_on_the_first_evaluation(tmp_path, combine):
    def wordy(prompts, responses):
        return [3.0 * r.count("!") - 0.5 * r.count("1") - 7.0 for r in responses]

    golds = [planted(length_gold, "len"), planted(wordy, "words")]
    watcher, _ = make(tmp_path, golds, sample_prompts=3, gold_combine=combine)
    steps = [step_rows(s, prompts=3, per_prompt=3) for s in (0, 1)]
    for s, rows in enumerate(steps):
        watcher.observe(s, *rows)
    first_texts = steps[0][1]
    scales = [
        (np.mean(f(None, first_texts)), np.std(f(None, first_texts))) for f in (length_gold, wordy)
    ]
    for entry, (prompts, texts, _) in zip(entries(tmp_path, EvaluationEntry), steps, strict=True):
        z = np.array(
            [
                (np.array(f(None, texts)) - c) / s
                for f, (c, s) in zip((length_gold, wordy), scales, strict=True)
            ]
        )
        row_gold = z.mean(axis=0) if combine == "mean" else z.min(axis=0)
        expected = {p: row_gold[[q == p for q in prompts]].mean() for p in set(prompts)}
        assert dict(zip(entry.prompts, entry.gold, strict=True)) == pytest.approx(expected)
    assert entries(tmp_path, InitEntry)[0].gold_combine == combine


def test_a_gold_without_spread_cannot_be_standardized_and_fails(tmp_path):
    def constant(prompts, responses):
        return [1.0] * len(responses)

    golds = [planted(length_gold, "len"), planted(constant, "constant")]
    watcher, _ = make(tmp_path, golds)
    assert watcher.observe(0, *step_rows(0)).failed
    (failure,) = entries(tmp_path, FailureEntry)
    assert "same score" in failure.error


def test_a_failing_gold_is_logged_said_once_and_decides_nothing(tmp_path):
    gold = Counting(raise_on=(2, 3))
    watcher, lines = make(tmp_path, planted(gold, "flaky"), rule=StopRule(window=2))
    decisions = [watcher.observe(step, *step_rows(step)) for step in range(5)]
    assert [d.failed for d in decisions] == [False, True, True, False, False]
    assert all(d.evaluated for d in decisions)
    assert not any(d.stop for d in decisions[1:3])
    assert decisions[1].best_step == 0
    failures = entries(tmp_path, FailureEntry)
    assert [f.step for f in failures] == [1, 2]
    assert all("gold server down (call" in f.error and "\n" not in f.error for f in failures)
    said = [line for line in lines if "evaluation failed" in line]
    assert len(said) == 1 and "training goes on" in said[0]
    # later evaluations still decide, on the successful ones only (steps 0, 3, 4)
    assert decisions[4].peak is not None and decisions[4].peak.steps == (3, 4)
    assert [e.step for e in watcher.evaluations] == [0, 3, 4]


class Raising(Judge):
    """Fails on every call."""

    name = "raising"

    def judge(self, prompt, reference, candidates):
        raise ValueError("judge crashed")


def test_a_failing_judge_is_a_failure_entry(tmp_path):
    watcher, lines = make(tmp_path, planted(length_gold, "len"), judges=[Raising()])
    decision = watcher.observe(0, *step_rows(0))
    assert decision.failed and not decision.stop
    (failure,) = entries(tmp_path, FailureEntry)
    assert failure.error == "ValueError: judge crashed"
    assert not entries(tmp_path, EvaluationEntry)
    assert sum("evaluation failed" in line for line in lines) == 1


class Recording(Judge):
    """Calls nothing bad; remembers the reference it was given for each prompt."""

    name = "recording"

    def __init__(self) -> None:
        self.references: dict[str, str] = {}

    def judge(self, prompt, reference, candidates):
        self.references[prompt] = reference
        return [Judgement(self.name, False, measure=float(len(c))) for c in candidates]


def test_references_reach_a_reference_relative_judge(tmp_path):
    judge = Recording()
    prompts, completions, proxy = step_rows(0, prompts=3, per_prompt=2)
    references = {prompts[0]: "A good joke.", prompts[4]: "Another good joke."}
    watcher, _ = make(tmp_path, planted(length_gold, "len"), judges=[judge], references=references)
    watcher.observe(0, prompts, completions, proxy)
    assert judge.references == {
        prompts[0]: "A good joke.",
        prompts[2]: "",
        prompts[4]: "Another good joke.",
    }
    assert entries(tmp_path, InitEntry)[0].references == 2
    assert entries(tmp_path, InitEntry)[0].judges == ("recording",)
    # a judge's own number is kept per row though it called nothing bad
    (entry,) = entries(tmp_path, EvaluationEntry)
    with (tmp_path / "watch" / entry.samples_file).open(encoding="utf-8") as rows:
        written = [json.loads(line) for line in rows]
    assert [r["measures"] for r in written] == [
        {"recording": float(len(r["response"]))} for r in written
    ]
    assert not any(r["bad"] or r["reasons"] for r in written)


def run_until_stop(tmp_path, gold, checkpoints=None):
    watcher, _ = make(
        tmp_path,
        planted(gold, "falling"),
        rule=StopRule(window=2),
        on_best=(lambda step: f"ckpt-{step}") if checkpoints else None,
    )
    decisions = [watcher.observe(step, *step_rows(step)) for step in range(5)]
    return watcher, decisions


def test_a_stop_is_written_once_and_nothing_after_it_is_evaluated(tmp_path):
    gold = Counting(fall=True)
    watcher, decisions = run_until_stop(tmp_path, gold, checkpoints=True)
    assert [d.stop for d in decisions] == [False, True, False, False, False]
    assert decisions[1].reason == "peaked" and decisions[1].best_step == 0
    assert not any(d.evaluated for d in decisions[2:])
    assert "has stopped" in decisions[3].message
    assert gold.calls == 2
    (stop,) = entries(tmp_path, StopEntry)
    assert stop.step == 1 and stop.decision.reason == "peaked"
    assert stop.best_checkpoint == "ckpt-0"
    assert not watcher.due(10)


def test_resume_rebuilds_evaluations_and_the_stop(tmp_path):
    gold = Counting(fall=True)
    first, _ = run_until_stop(tmp_path, gold, checkpoints=True)
    first.close()
    with pytest.raises(HarnessError, match="already holds a watch log"):
        make(tmp_path, planted(gold, "falling"))
    resumed, _ = make(tmp_path, planted(gold, "falling"), rule=StopRule(window=2), resume=True)
    assert [e.step for e in resumed.evaluations] == [0, 1]
    assert resumed.stopped is not None and resumed.stopped.reason == "peaked"
    assert resumed.best_checkpoint == "ckpt-0"
    assert not resumed.observe(5, *step_rows(5)).evaluated
    assert gold.calls == 2


def test_each_evaluation_names_the_best_checkpoint_saved_so_far(tmp_path):
    saved: list[int] = []

    def save(step: int) -> str:
        saved.append(step)
        return f"ckpt-{step}"

    # gold is the response's length: the step with the most "!" in it is best
    watcher, _ = make(tmp_path, planted(length_gold, "len"), on_best=save)
    for step, marks in enumerate((1, 3, 2)):
        p, c, r = step_rows(step)
        watcher.observe(step, p, [t + "!" * marks for t in c], r)
    named = [e.best_checkpoint for e in entries(tmp_path, EvaluationEntry)]
    # saved when a step sets a new best, before its entry is written; named until beaten
    assert saved == [0, 1]
    assert named == ["ckpt-0", "ckpt-1", "ckpt-1"]
    assert not entries(tmp_path, StopEntry)  # no stop, and the best is still named


def test_the_best_within_the_bad_margin_is_saved_and_named_apart(tmp_path):
    saved: list[tuple[str, int]] = []

    def hook(kind):
        def save(step: int) -> str:
            saved.append((kind, step))
            return f"{kind}-{step}"

        return save

    # gold (the length) rises every step; at step 2 every completion repeats one word,
    # which the heuristic judge calls bad (and the nonsense test stops the run on it)
    watcher, _ = make(
        tmp_path, planted(length_gold, "len"), on_best=hook("best"), on_best_clean=hook("clean")
    )
    for step in range(3):
        p, c, r = step_rows(step)
        c = [t + "!" * step for t in c]
        if step == 2:
            c = [" ".join(["joke"] * 30) for _ in c]
        watcher.observe(step, p, c, r)
    evaluations_ = entries(tmp_path, EvaluationEntry)
    assert [e.decision.best_step for e in evaluations_] == [0, 1, 2]
    assert [e.decision.best_clean_step for e in evaluations_] == [0, 1, 1]
    assert saved == [("best", 0), ("clean", 0), ("best", 1), ("clean", 1), ("best", 2)]
    assert evaluations_[-1].best_checkpoint == "best-2"
    assert evaluations_[-1].best_clean_checkpoint == "clean-1"
    (stop,) = entries(tmp_path, StopEntry)
    assert stop.decision.reason == "nonsense"
    assert (stop.best_checkpoint, stop.best_clean_checkpoint) == ("best-2", "clean-1")


def test_a_non_finite_proxy_is_a_failure_and_leaves_the_state_as_it_was(tmp_path):
    watcher, _ = make(tmp_path, planted(length_gold, "len"))
    watcher.observe(0, *step_rows(0))
    p, c, r = step_rows(1)
    r = [float("nan")] * len(r)
    decision = watcher.observe(1, p, c, r)
    assert decision.failed and not decision.stop
    assert decision.best_step == 0 and decision.best_clean_step == 0  # repeated, not lost
    assert [e.step for e in watcher.evaluations] == [0]
    (failure,) = entries(tmp_path, FailureEntry)
    assert failure.step == 1 and "proxy score" in failure.error
    assert watcher.observe(2, *step_rows(2)).evaluated
    assert [e.step for e in entries(tmp_path, EvaluationEntry)] == [0, 2]


def test_a_non_finite_logprob_loses_the_kl_not_the_evaluation(tmp_path):
    watcher, lines = make(tmp_path, planted(length_gold, "len"))
    p, c, r = step_rows(0)
    logprobs = [(-10.0, -11.0)] * len(p)
    logprobs[3] = (float("-inf"), -11.0)
    decision = watcher.observe(0, p, c, r, logprobs=logprobs)
    assert decision.evaluated and not decision.failed
    (entry,) = entries(tmp_path, EvaluationEntry)
    assert entry.kl is None
    assert any("no KL, a log-probability given is not finite" in line for line in lines)


def test_a_failing_save_names_no_checkpoint_for_its_step(tmp_path):
    def save(step: int) -> str:
        if step == 1:
            raise OSError("disk full")
        return f"ckpt-{step}"

    watcher, lines = make(tmp_path, planted(length_gold, "len"), on_best=save)
    for step in range(2):
        p, c, r = step_rows(step)
        watcher.observe(step, p, [t + "!" * step for t in c], r)
    named = [e.best_checkpoint for e in entries(tmp_path, EvaluationEntry)]
    assert named == ["ckpt-0", None]  # ckpt-0 holds step 0, not the best step 1
    assert any("saving the policy failed (OSError: disk full)" in line for line in lines)


def test_a_resume_with_another_watcher_is_refused(tmp_path):
    first, _ = make(tmp_path, planted(length_gold, "len"), every=2)
    first.observe(0, *step_rows(0))
    first.close()
    with pytest.raises(HarnessError, match="watched with another config"):
        make(tmp_path, planted(length_gold, "len"), every=3, resume=True)
    with pytest.raises(HarnessError, match="watched with another gold"):
        make(tmp_path, planted(length_gold, "other"), every=2, resume=True)


def test_a_resumed_watch_keeps_the_golds_scale(tmp_path):
    def wordy(prompts, responses):
        return [3.0 * r.count("!") - 7.0 for r in responses]

    golds = [planted(length_gold, "len"), planted(wordy, "words")]
    first, _ = make(tmp_path, golds, sample_prompts=3)
    first.observe(0, *step_rows(0, prompts=3))
    scale = first.gold.scale
    first.close()
    assert entries(tmp_path, EvaluationEntry)[0].gold_scale == scale
    resumed, _ = make(tmp_path, golds, sample_prompts=3, resume=True)
    assert resumed.gold.scale == scale  # not re-fitted on the next evaluation's rows
    resumed.observe(1, *step_rows(1, prompts=3))
    assert resumed.gold.scale == scale


def test_resume_continues_the_log(tmp_path):
    gold = Counting()
    first, _ = make(tmp_path, planted(gold, "len"), every=2)
    for step in range(3):
        first.observe(step, *step_rows(step))
    first.close()
    resumed, _ = make(tmp_path, planted(gold, "len"), every=2, resume=True)
    assert not resumed.due(2) and resumed.due(4)
    decision = resumed.observe(4, *step_rows(4))
    assert decision.evaluated and decision.nonsense.first_step == 0
    contents = read_watch(tmp_path / "watch")
    assert len(contents.of_type(InitEntry)) == 1
    assert [e.step for e in contents.of_type(EvaluationEntry)] == [0, 2, 4]


@pytest.mark.parametrize(
    ("config", "match"),
    [
        (dict(every=0), "every must be a positive"),
        (dict(every=-3), "every must be a positive"),
        (dict(every=2.5), "every must be a positive"),
        (dict(every=True), "every must be a positive"),
        (dict(sample_prompts=1), "sample_prompts must be at least 2"),
    ],
)
def test_bad_config_is_refused(config, match):
    with pytest.raises(HarnessError, match=match):
        WatchConfig(**config)


@pytest.mark.parametrize(
    "rule",
    [{"resamples": 2000.0}, {"alpha": "0.05"}, {"margin": None}],
)
def test_a_rule_of_the_wrong_types_is_refused(rule):
    with pytest.raises(HarnessError, match="stop rule"):
        StopRule(**rule)


def test_a_negative_seed_is_refused():
    with pytest.raises(HarnessError, match="seed must be a non-negative integer"):
        WatchConfig(seed=-1)


def test_a_window_of_one_is_refused():
    with pytest.raises(HarnessError, match="window must be an integer of at least 2"):
        StopRule(window=1)


def test_bad_watcher_input_is_refused_at_construction(tmp_path):
    gold = planted(length_gold, "len")
    with pytest.raises(HarnessError) as missing:
        make(tmp_path / "a", str(tmp_path / "no-such-gold"))
    assert "no-such-gold" in str(missing.value) and "\n" not in str(missing.value)
    with pytest.raises(HarnessError, match="no-such-judge"):
        make(tmp_path / "b", gold, judges=["no-such-judge"])
    with pytest.raises(HarnessError, match="gold_combine must be mean or min"):
        make(tmp_path / "c", gold, gold_combine="median")
    with pytest.raises(HarnessError, match="given twice"):
        make(tmp_path / "d", [gold, planted(length_gold, "len")])
    with pytest.raises(HarnessError, match="needs a gold"):
        make(tmp_path / "e", [])


def test_rows_of_different_lengths_are_refused_with_the_lengths(tmp_path):
    watcher, _ = make(tmp_path, planted(length_gold, "len"))
    prompts, completions, proxy = step_rows(0, prompts=2, per_prompt=2)
    with pytest.raises(HarnessError, match="4 prompts, 3 completions, 4 proxy_scores"):
        watcher.observe(0, prompts, completions[:3], proxy)
    with pytest.raises(HarnessError, match="4 prompts, 4 completions, 5 proxy_scores"):
        watcher.observe(0, prompts, completions, [*proxy, 1.0])
    with pytest.raises(HarnessError, match="2 logprobs"):
        watcher.observe(0, prompts, completions, proxy, logprobs=[(0.0, 0.0)] * 2)
    assert watcher.due(0)  # a refused call evaluates nothing


def test_the_trl_callback_without_trl_names_the_extra(tmp_path, monkeypatch):
    """Here, not with the TRL tests: they skip where TRL is not installed."""
    watcher, _ = make(tmp_path, planted(length_gold, "len"))
    monkeypatch.setitem(sys.modules, "trl", None)
    with pytest.raises(HarnessError, match=r"pip install 'rm-harness\[trl\]'"):
        WatchCallback(watcher, proxy=planted(length_gold, "proxy"))


def test_a_watcher_says_what_it_is(tmp_path):
    watcher, _ = make(tmp_path, planted(length_gold, "len"), every=2)
    watcher.observe(0, *step_rows(0))
    assert repr(watcher) == (
        f"Watcher({tmp_path / 'watch'}, every 2 steps, WatchGold({watcher.gold.members[0][0]}; "
        "mean); 1 evaluations, 0 failed)"
    )
