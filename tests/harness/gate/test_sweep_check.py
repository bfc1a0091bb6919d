"""The gate on a sweep folder: ``min_best_of_n`` judged on the lower bound of n*,
``max_overoptimization_gap`` on the upper bound of gamma."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.experiments.sweep.result import (
    SWEEP_FILE,
    Estimate,
    Overoptimization,
    read_sweep,
    sweep_json,
)
from harness.gate import parse_policy
from harness.gate.sweep_check import evaluate_sweep
from tests.harness.experiments.sweep.sweeps import make_sweep


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    return read_sweep(make_sweep(tmp_path_factory.mktemp("gate-sweep")))


def with_n_star(record, estimate, low, high, peak="within"):
    """The record with its fit's n* replaced (the sweep above samples n up to 16)."""
    fit = dataclasses.replace(
        record.fit, n_star=Estimate(estimate=estimate, low=low, high=high), peak=peak
    )
    return dataclasses.replace(record, fit=fit)


def one_check(record, key, value, kind, policy):
    """(status, severity, passed) of the one check a policy setting ``key`` makes."""
    verdict = evaluate_sweep(record, parse_policy(f"{key} = {value}").model_copy(update=policy))
    (check,) = verdict.checks
    assert check.kind == kind
    return check.status, check.severity, verdict.passed


def status(record, minimum, **policy):
    return one_check(record, "min_best_of_n", minimum, "best-of-n", policy)


def test_the_lower_bound_decides(record):
    assert record.n_max == 16
    assert status(with_n_star(record, 12.0, 9.0, 15.0), 8) == ("pass", None, True)
    assert status(with_n_star(record, 12.0, 9.0, 15.0), 10) == ("fail", "minor", False)
    assert status(with_n_star(record, 12.0, 3.0, 15.0), 8) == ("fail", "major", False)
    # no peak in any resample: the lower bound is unbounded
    assert status(with_n_star(record, None, None, None, "none"), 16) == ("pass", None, True)
    # gold falls from n = 1: n* = 1 fails any minimum above 1
    assert status(with_n_star(record, 1.0, 1.0, 1.0, "start"), 2) == ("fail", "major", False)


def test_beyond_the_sampled_n_is_inconclusive(record):
    beyond = with_n_star(record, 80.0, 30.0, None, "beyond")
    assert status(beyond, 64) == ("inconclusive", None, False)
    assert status(beyond, 64, inconclusive="pass")[2] is True
    assert status(beyond, 16) == ("pass", None, True)  # 30 >= 16, and 16 was sampled
    # a lower bound inside the sampled n, below a minimum beyond it: a plausible early peak
    assert status(with_n_star(record, 80.0, 10.0, None, "beyond"), 64)[0] == "fail"


def test_no_fit_is_inconclusive(record):
    assert status(dataclasses.replace(record, fit=None), 4)[0] == "inconclusive"


def _folder(tmp_path: Path, record) -> Path:
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / SWEEP_FILE).write_text(sweep_json(record))
    return folder


def test_rmh_gate_on_a_sweep_folder(rmh, one_line_error, record, tmp_path):
    folder = _folder(tmp_path, with_n_star(record, 12.0, 9.0, 15.0))
    policy = tmp_path / "gate.toml"
    policy.write_text("min_best_of_n = 8\n")
    code, out, _ = rmh("gate", str(folder), "--policy", str(policy))
    assert code == 0 and "gate: PASS" in out and "at or above the minimum 8" in out
    policy.write_text("min_best_of_n = 16\n")
    code, out, _ = rmh("gate", str(folder), "--policy", str(policy))
    assert code == 1 and "FAIL" in out and "below the minimum 16" in out
    code, _, err = rmh("gate", str(folder))  # the default policy sets no minimum
    one_line_error(code, err, "sets neither min_best_of_n nor max_overoptimization_gap")
    code, _, err = rmh("gate", str(folder), "--policy", str(policy), "--baseline", str(folder))
    one_line_error(code, err, "is a sweep folder")


def test_the_example_policy_leaves_the_minimum_unset():
    example = (Path(__file__).resolve().parents[3] / "gate.toml").read_text(encoding="utf-8")
    assert "# min_best_of_n = 16" in example
    assert "# max_overoptimization_gap = 0.5" in example
    assert parse_policy(example).min_best_of_n is None
    assert parse_policy(example).max_overoptimization_gap is None
    assert parse_policy("min_best_of_n = 16").min_best_of_n == 16


def with_gamma(record, estimate, low, high, state="measured"):
    over = Overoptimization(
        gamma=Estimate(estimate=estimate, low=low, high=high),
        state=state,
        d_max=1.5,
        proxy_alpha=Estimate(estimate=1.0, low=0.9, high=1.1),
        proxy_beta=Estimate(estimate=0.1, low=0.0, high=0.2),
        note="",
    )
    return dataclasses.replace(record, overoptimization=over)


def gamma_status(record, maximum, **policy):
    return one_check(record, "max_overoptimization_gap", maximum, "overoptimization-gap", policy)


def test_gamma_is_judged_on_its_upper_bound(record):
    assert record.overoptimization is not None  # the sweep measured it
    assert gamma_status(with_gamma(record, 0.2, 0.1, 0.3), 0.3) == ("pass", None, True)
    assert gamma_status(with_gamma(record, 0.2, 0.1, 0.35), 0.3) == ("fail", "minor", False)
    assert gamma_status(with_gamma(record, 0.5, 0.3, 0.7), 0.3) == ("fail", "major", False)
    unbounded = with_gamma(record, None, None, None, "gold-gains-nothing")
    assert gamma_status(unbounded, 1.0) == ("fail", "major", False)
    # a finite gamma whose upper bound is unbounded: a major fail that says which
    open_ended = with_gamma(record, 0.31, 0.05, None)
    assert gamma_status(open_ended, 1.0) == ("fail", "major", False)
    (check,) = evaluate_sweep(open_ended, parse_policy("max_overoptimization_gap = 1.0")).checks
    assert "gamma 0.310, upper bound unbounded" in check.message
    no_fit = dataclasses.replace(record, fit=None, overoptimization=None)
    assert gamma_status(no_fit, 0.5)[0] == "inconclusive"


def test_both_sweep_checks_when_the_policy_sets_both(record):
    policy = parse_policy("min_best_of_n = 8\nmax_overoptimization_gap = 0.3")
    verdict = evaluate_sweep(
        with_gamma(with_n_star(record, 12.0, 9.0, 15.0), 0.5, 0.3, 0.7), policy
    )
    assert [c.kind for c in verdict.checks] == ["best-of-n", "overoptimization-gap"]
    assert [c.status for c in verdict.checks] == ["pass", "fail"] and not verdict.passed


@pytest.mark.parametrize("value", ["-0.1", "1.5"])
def test_a_gap_outside_zero_to_one_is_a_one_line_error(
    rmh, one_line_error, record, tmp_path, value
):
    folder = _folder(tmp_path, record)
    policy = tmp_path / "gate.toml"
    policy.write_text(f"max_overoptimization_gap = {value}\n")
    code, _, err = rmh("gate", str(folder), "--policy", str(policy))
    one_line_error(code, err, "max_overoptimization_gap")
    assert code == 2
