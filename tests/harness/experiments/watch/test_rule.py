"""The stop rule (docs/watch.md): stops on a fall and on rising nonsense, not on a rise,
not on too little, the same way twice; and on simulated runs, as bench_watch measured."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from harness.core.errors import HarnessError
from harness.experiments.watch import rule
from harness.experiments.watch.rule import (
    NONSENSE,
    PEAKED,
    Evaluation,
    StopRule,
    _slope_weights,
    decide,
)

PROMPTS = 16


def evaluation(step: int, gold_mean: float, bad: float = 0.0, seed: int = 0) -> Evaluation:
    """16 prompts: gold around ``gold_mean`` (SD 0.1), every prompt's bad share ``bad``."""
    rng = np.random.default_rng(seed + step)
    return Evaluation(
        step=step,
        gold=gold_mean + rng.normal(0.0, 0.1, PROMPTS),
        bad=np.full(PROMPTS, bad),
    )


def run(means: list[float], bads: list[float] | None = None) -> list[Evaluation]:
    bads = bads or [0.0] * len(means)
    return [evaluation(10 * i, m, b) for i, (m, b) in enumerate(zip(means, bads, strict=True))]


@pytest.mark.parametrize("steps", [(0, 10, 20, 30, 40), (0, 10, 30, 40, 70), (5, 6, 9, 20)])
def test_slope_weights_give_the_least_squares_slope_times_the_span(steps):
    x = np.array(steps, dtype=float)
    line = 3.0 - 0.7 * x
    assert _slope_weights(steps) @ line == pytest.approx(-0.7 * (x[-1] - x[0]), rel=1e-12)
    noisy = np.random.default_rng(1).normal(size=len(steps))
    slope = np.polyfit(x, noisy, 1)[0]
    assert _slope_weights(steps) @ noisy == pytest.approx(slope * (x[-1] - x[0]), rel=1e-10)


def test_a_clear_fall_stops_as_peaked_with_its_numbers():
    evaluations = run([5.0, 4.0, 3.0, 2.0, 1.0])
    decision = decide(evaluations, StopRule())
    means = np.array([e.gold.mean() for e in evaluations])
    assert decision.stop and decision.reason == PEAKED and decision.evaluated
    assert decision.step == 40
    assert decision.peak.steps == (0, 10, 20, 30, 40)
    assert decision.peak.change == pytest.approx(np.polyfit(np.arange(5), means, 1)[0] * 4)
    assert decision.peak.change == pytest.approx(-4.0, abs=0.2)
    assert decision.peak.change < decision.peak.high < 0.0
    assert decision.best_step == 0 and decision.best_gold == pytest.approx(means[0])
    assert decision.nonsense.rise == 0.0 and decision.nonsense.low == 0.0
    assert decision.message.startswith("stop: gold has peaked")


def test_a_clear_rise_does_not_stop():
    decision = decide(run([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), StopRule())
    assert not decision.stop and decision.reason is None
    assert decision.peak.steps == (10, 20, 30, 40, 50)
    assert decision.peak.change > 0.0 and decision.peak.high > decision.peak.change
    assert decision.best_step == 50
    assert decision.message.startswith("continue")


def test_nonsense_above_the_margin_stops_as_nonsense():
    decision = decide(run([1.0, 2.0, 3.0], [0.0, 0.1, 0.5]), StopRule())
    assert decision.stop and decision.reason == NONSENSE
    assert decision.peak is None  # 3 evaluations: the peak test waits
    n = decision.nonsense
    assert (n.first_step, n.first, n.current, n.margin) == (0, 0.0, 0.5, 0.05)
    assert n.rise == pytest.approx(0.5) and n.low == pytest.approx(0.5)


def test_a_rise_of_bad_within_the_margin_does_not_stop():
    decision = decide(run([1.0, 2.0, 3.0], [0.0, 0.0, 0.03]), StopRule())
    assert not decision.stop
    assert decision.nonsense.low == pytest.approx(0.03)
    # Exactly at the margin is not above it (0.25: exact in binary, the bound exactly 0.25).
    at_margin = decide(run([1.0, 2.0], [0.0, 0.25]), StopRule(margin=0.25))
    assert at_margin.nonsense.low == 0.25 and not at_margin.stop


def test_a_noisy_rise_of_bad_is_bounded_below_its_estimate():
    first = Evaluation(step=0, gold=np.zeros(PROMPTS), bad=np.zeros(PROMPTS))
    rng = np.random.default_rng(3)
    now = Evaluation(step=10, gold=np.ones(PROMPTS), bad=rng.binomial(4, 0.2, PROMPTS) / 4)
    decision = decide([first, now], StopRule())
    assert decision.nonsense.low < decision.nonsense.rise == pytest.approx(now.bad.mean())


def test_fewer_than_window_evaluations_cannot_stop_as_peaked():
    falling = run([5.0, 4.0, 3.0, 2.0, 1.0])
    for k in range(1, 5):
        decision = decide(falling[:k], StopRule())
        assert decision.peak is None and not decision.stop
        assert "peak test waits for 5 evaluations" in decision.message
    assert decide(falling, StopRule()).reason == PEAKED
    assert decide(falling[:3], StopRule(window=3)).reason == PEAKED


def test_evaluations_with_fewer_than_two_prompts_are_skipped():
    falling = run([5.0, 4.0, 3.0, 2.0, 1.0])
    lone = Evaluation(step=25, gold=np.array([100.0]), bad=np.array([1.0]))
    inside = [*falling[:3], lone, *falling[3:]]
    decision = decide(inside, StopRule())
    assert decision.reason == PEAKED
    assert decision.peak.steps == (0, 10, 20, 30, 40)
    # A one-prompt evaluation last decides nothing, whatever came before.
    decision = decide([*falling, lone], StopRule())
    assert decision.step == 25 and not decision.stop
    assert decision.peak is None and decision.nonsense is None
    # A one-prompt first evaluation is not the nonsense test's baseline.
    first = Evaluation(step=0, gold=np.array([0.0]), bad=np.array([0.0]))
    rest = [evaluation(10, 1.0, 0.5), evaluation(20, 2.0, 0.5)]
    decision = decide([first, *rest], StopRule())
    assert decision.nonsense.first_step == 10 and decision.nonsense.rise == 0.0
    assert not decision.stop


def test_best_step_is_the_argmax_of_the_gold_means():
    evaluations = run([1.0, 3.0, 2.0, 2.5, 0.5, 2.9])
    decision = decide(evaluations, StopRule())
    assert decision.best_step == 10
    assert decision.best_gold == pytest.approx(evaluations[1].gold.mean())
    assert decide(evaluations[:1], StopRule()).best_step == 0


def test_the_best_clean_step_skips_steps_whose_bad_share_rose_past_the_margin():
    # gold keeps rising while the judged-bad share climbs: a gold fooled by nonsense
    shares = [0.02, 0.04, 0.07, 0.5, 0.6]
    evaluations = [evaluation(10 * i, float(i), bad) for i, bad in enumerate(shares)]
    decision = decide(evaluations, StopRule())
    assert decision.best_step == 40
    # 0.04 - 0.02 is within the 5-point margin, 0.07 - 0.02 (exactly 0.05) is not above it
    assert decision.best_clean_step == 20
    assert decision.best_clean_gold == pytest.approx(evaluations[2].gold.mean())
    assert "best step within the judged-bad margin 20" in decision.message
    # when the share never rises, the two are the same step and the message says it once
    steady = decide([evaluation(10 * i, float(i)) for i in range(3)], StopRule())
    assert steady.best_clean_step == steady.best_step == 20
    assert "within the judged-bad margin" not in steady.message


def test_the_same_seed_gives_the_same_decision():
    rng = np.random.default_rng(7)
    evaluations = [
        Evaluation(10 * i, rng.normal(0.0, 1.0, PROMPTS), rng.binomial(4, 0.1, PROMPTS) / 4)
        for i in range(6)
    ]
    first = decide(evaluations, StopRule(), seed=3)
    assert decide(evaluations, StopRule(), seed=3) == first
    other = decide(evaluations, StopRule(), seed=4)
    assert other.peak.high != first.peak.high  # the seed is the bootstrap's
    assert other.peak.change == first.peak.change  # the estimate is not resampled


def test_no_evaluations_is_an_error():
    with pytest.raises(HarnessError, match="at least one evaluation"):
        decide([], StopRule())


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"window": 1}, "window"),
        ({"window": 2.5}, "window"),
        ({"window": True}, "window"),
        ({"window": "5"}, "window"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 0.5}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"margin": -0.01}, "margin"),
        ({"margin": 1.0}, "margin"),
        ({"resamples": 99}, "resamples"),
    ],
)
def test_bad_rule_parameters_are_refused_at_construction(params, says):
    with pytest.raises(HarnessError, match=says):
        StopRule(**params)


def test_the_smallest_good_parameters_are_accepted():
    assert StopRule(window=2, alpha=0.001, margin=0.0, resamples=100).window == 2


# ------------------------------------------------------------------ simulated runs
@pytest.fixture
def memoized_counts(monkeypatch):
    """The bootstrap counts are a pure function of (prompts, resamples, seed); computing
    each once keeps 200 simulated runs to seconds without changing any decision."""
    monkeypatch.setattr(rule, "resample_counts", functools.lru_cache(rule.resample_counts))


def simulate(gold: np.ndarray, rng: np.random.Generator) -> int | None:
    """The evaluation a run stops at (bench_watch's run: 16 prompts, SD 1 per prompt, 4
    completions, bad rate 3%), deciding after every evaluation as the watcher does."""
    noisy = gold[:, None] + rng.normal(0.0, 1.0, (len(gold), PROMPTS))
    bad = rng.binomial(4, 0.03, (len(gold), PROMPTS)) / 4
    seen = []
    for e in range(len(gold)):
        seen.append(Evaluation(step=10 * e, gold=noisy[e], bad=bad[e]))
        if decide(seen, StopRule(), seed=0).stop:
            return e
    return None


def test_simulated_runs_rarely_stop_while_gold_rises_and_stop_soon_after_a_peak(
    memoized_counts,
):
    """At 1 sigma_m per evaluation (sigma_m = 1 / sqrt(16)), bench_watch measured: rising,
    0 of 500 runs stopped ([0%, 0.7%]); peaked at 2 sigma_m, 500 of 500 stopped within W
    ([99.3%, 100%]). Bounds here with margin: at a true 2% false-stop rate, 6 or more of
    100 has probability 1.5%; at a true 90% power, fewer than 80 of 100 has 0.08%."""
    sigma_m = 1.0 / np.sqrt(PROMPTS)
    rng = np.random.default_rng(11)
    rising = sigma_m * np.arange(30, dtype=float)
    false_stops = sum(simulate(rising, rng) is not None for _ in range(100))
    assert false_stops <= 5
    within = 0
    for _ in range(100):
        peak = int(rng.integers(8, 21))
        e = np.arange(30)
        stop = simulate(2 * sigma_m * (peak - np.abs(e - peak)), rng)
        within += stop is not None and peak < stop <= peak + 5
    assert within >= 80
