"""Run metrics from a log: ASR per family and its confidence interval."""

from __future__ import annotations

import numpy as np

from harness.gate.metrics import load_run_log, proportion_interval, run_metrics


def test_all_failures_get_a_wilson_interval_not_a_point():
    interval = proportion_interval(np.zeros(5), np.ones(5), 0.95)
    assert interval.method == "wilson"
    assert interval.low == 0.0 and 0.4 < interval.high < 0.5  # Wilson 0/5: upper 43%


def test_bootstrap_resamples_prompts_and_is_deterministic():
    successes = np.array([3, 0, 1, 3, 0, 2])
    attempts = np.array([3, 3, 3, 3, 3, 3])
    first = proportion_interval(successes, attempts, 0.95)
    assert first == proportion_interval(successes, attempts, 0.95)
    assert first.method == "bootstrap"
    assert first.low <= 9 / 18 <= first.high
    # Prompt-level clustering makes the interval wider than treating 18 attempts as independent.
    independent = proportion_interval(np.array([1] * 9 + [0] * 9), np.ones(18, dtype=int), 0.95)
    assert first.high - first.low > independent.high - independent.low


def test_a_higher_confidence_gives_a_wider_interval():
    successes, attempts = np.array([1, 0, 2, 1]), np.array([2, 2, 2, 2])
    narrow = proportion_interval(successes, attempts, 0.8)
    wide = proportion_interval(successes, attempts, 0.99)
    assert wide.low <= narrow.low and wide.high >= narrow.high


def test_run_metrics_from_a_real_run(tiny_run):
    m = run_metrics(load_run_log(tiny_run), tiny_run)
    assert m.complete and not m.truncated
    assert {f.family for f in m.families} == {"repetition", "null-answer", "black-box-search"}
    for f in m.families:
        assert f.n == 4 and f.prompts == 4
        assert f.interval.low <= f.asr <= f.interval.high
    (ckpt,) = m.checkpoints
    assert ckpt.accuracy is not None and ckpt.accuracy_n == 4
