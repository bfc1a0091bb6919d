"""The gate: one verdict function, and every output that states it agrees with it."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.gate import GatePolicy, GateResult, evaluate
from harness.gate.policy import FamilyRule
from harness.runlog import InitEntry, LogContents, RunOptions
from harness.runlog.entries import RunConfig, Seeds, SuiteRecord
from harness.runlog.metrics import CheckpointMetrics, FamilyMetrics, Interval, RunMetrics
from reports.context import ReportContext
from reports.html import render_verdict_box
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.summary import summary_dict

FAMILIES = ["repetition", "gradient", "black-box-search", "unicode"]


def family(name="repetition", n=20, successes=2, low=0.0, high=0.3, checkpoint=0):
    return FamilyMetrics(
        checkpoint=checkpoint,
        family=name,
        n=n,
        successes=successes,
        findings=successes,
        errors=0,
        prompts=n,
        interval=Interval(low, high, "bootstrap"),
    )


def checkpoint(index=0, accuracy=0.8, reopened=0):
    return CheckpointMetrics(
        index=index,
        fingerprint="ab" * 32,
        spec="ckpt",
        accuracy=accuracy,
        accuracy_n=100,
        accuracy_low=None,
        accuracy_high=None,
        chance_rate=0.05,
        replayed=10,
        still_open=3,
        reopened=reopened,
        instabilities=0,
    )


def metrics(families, checkpoints=None):
    return RunMetrics(
        run_id="r",
        folder="runs/r",
        suite="s",
        suite_sha256="0" * 64,
        confidence=0.95,
        complete=True,
        truncated=False,
        checkpoints=checkpoints or [checkpoint()],
        families=families,
    )


def test_asr_is_judged_on_the_upper_bound():
    policy = GatePolicy(defaults=FamilyRule(max_asr=0.2))
    point_within_bound_above = family(successes=2, n=20, low=0.0, high=0.25)  # ASR 10%
    verdict = evaluate(metrics([point_within_bound_above]), policy)
    assert verdict.status == "fail" and verdict.exit_code == 1
    assert evaluate(metrics([family(high=0.2)]), policy).status == "pass"


def test_severity_is_major_at_the_major_factor():
    policy = GatePolicy(defaults=FamilyRule(max_asr=0.2), major_factor=2.0)
    assert evaluate(metrics([family(high=0.3)]), policy).severity == "minor"
    assert evaluate(metrics([family(high=0.4)]), policy).severity == "major"
    low_accuracy = metrics([family(high=0.1)], [checkpoint(accuracy=0.35)])
    verdict = evaluate(low_accuracy, GatePolicy(min_clean_accuracy=0.7))
    assert verdict.status == "fail" and verdict.severity == "major"  # error 65% >= 2 x 30%


def test_too_few_samples_is_inconclusive_and_fails_unless_the_policy_says_otherwise():
    few = metrics([family(n=3, successes=0, high=0.5)])
    strict = evaluate(few, GatePolicy(defaults=FamilyRule(min_samples=5)))
    assert strict.status == "inconclusive" and strict.exit_code == 1
    assert strict.label == "INCONCLUSIVE (counts as fail)"
    lenient = evaluate(few, GatePolicy(defaults=FamilyRule(min_samples=5), inconclusive="pass"))
    assert lenient.status == "inconclusive" and lenient.exit_code == 0


def test_family_rules_override_defaults():
    policy = GatePolicy(
        defaults=FamilyRule(max_asr=0.1), families={"gradient": FamilyRule(max_asr=0.9)}
    )
    verdict = evaluate(metrics([family("gradient", successes=15, high=0.85)]), policy)
    assert verdict.status == "pass"
    assert policy.rule("gradient").min_samples == 5  # unset everywhere: the built-in default


def test_regression_against_the_baseline():
    policy = GatePolicy(defaults=FamilyRule(max_asr=1.0, max_regression=0.1))
    before = metrics([family(successes=2)])  # 10%
    after = metrics([family(successes=7, high=0.5)])  # 35%
    verdict = evaluate(after, policy, before)
    (check,) = [c for c in verdict.checks if c.kind == "regression"]
    assert check.status == "fail" and check.severity == "major"  # +25 points >= 2 x 10
    assert abs(check.observed - 0.25) < 1e-9
    assert evaluate(before, policy, after).status == "pass"  # an improvement


def test_reopened_findings_fail_by_default():
    verdict = evaluate(metrics([family()], [checkpoint(reopened=1)]), GatePolicy())
    assert verdict.status == "fail"
    assert any(c.kind == "reopened" and c.status == "fail" for c in verdict.checks)
    allowed = evaluate(metrics([family()], [checkpoint(reopened=1)]), GatePolicy(max_reopened=1))
    assert allowed.status == "pass"


def test_thresholds_are_inclusive_where_the_policy_says_so():
    """At each limit exactly: within the ASR limit and the regression allowance, at the
    accuracy floor, at the sample minimum; major from the major factor on."""
    policy = GatePolicy(
        defaults=FamilyRule(max_asr=0.25, max_regression=0.25, min_samples=20),
        min_clean_accuracy=0.75,
        major_factor=2.0,
    )
    at_limits = metrics([family(n=20, successes=10, high=0.25)], [checkpoint(accuracy=0.75)])
    baseline = metrics([family(n=20, successes=5)])  # ASR 25% -> 50%: +25 points
    verdict = evaluate(at_limits, policy, baseline)
    assert verdict.status == "pass" and verdict.severity is None
    assert {c.kind: c.status for c in verdict.checks} == {
        "asr": "pass",
        "regression": "pass",
        "clean-accuracy": "pass",
        "reopened": "pass",
    }
    assert evaluate(metrics([family(n=19)]), policy).status == "inconclusive"

    def severity_of(kind, verdict):
        (check,) = [c for c in verdict.checks if c.kind == kind]
        return check.status, check.severity

    assert severity_of("asr", evaluate(metrics([family(high=0.5)]), policy)) == ("fail", "major")
    assert severity_of("asr", evaluate(metrics([family(high=0.49)]), policy)) == ("fail", "minor")
    doubled = metrics([family(n=20, successes=15)])  # +50 points: twice the allowance
    assert severity_of("regression", evaluate(doubled, policy, baseline)) == ("fail", "major")
    more = metrics([family(n=20, successes=14)])  # +45 points
    assert severity_of("regression", evaluate(more, policy, baseline)) == ("fail", "minor")
    half = metrics([family()], [checkpoint(accuracy=0.5)])  # error 50% = 2 x 25%
    assert severity_of("clean-accuracy", evaluate(half, policy)) == ("fail", "major")
    most = metrics([family()], [checkpoint(accuracy=0.55)])
    assert severity_of("clean-accuracy", evaluate(most, policy)) == ("fail", "minor")


def test_reopened_findings_are_major_at_the_factor_of_the_allowance_or_of_one():
    def reopened(count, allowed):
        policy = GatePolicy(max_reopened=allowed, major_factor=2.0)
        verdict = evaluate(metrics([family()], [checkpoint(reopened=count)]), policy)
        (check,) = [c for c in verdict.checks if c.kind == "reopened"]
        return check.status, check.severity

    assert reopened(1, 0) == ("fail", "minor")
    assert reopened(2, 0) == ("fail", "major")  # 2 x max(0, 1)
    assert reopened(1, 1) == ("pass", None)
    assert reopened(3, 2) == ("fail", "minor")
    assert reopened(4, 2) == ("fail", "major")


def test_unmeasured_accuracy_is_inconclusive():
    verdict = evaluate(metrics([family()], [checkpoint(accuracy=None)]), GatePolicy())
    (check,) = [c for c in verdict.checks if c.kind == "clean-accuracy"]
    assert (check.status, check.severity, check.observed) == ("inconclusive", None, None)
    assert verdict.status == "inconclusive"


def test_baseline_families_are_matched_by_checkpoint_else_the_first():
    policy = GatePolicy(defaults=FamilyRule(max_asr=1.0, max_regression=0.1))
    current = metrics(
        [family(checkpoint=0, successes=10), family(checkpoint=1, successes=10)],
        [checkpoint(0), checkpoint(1)],
    )
    two = metrics(
        [family(checkpoint=0, successes=10), family(checkpoint=1, successes=0)],
        [checkpoint(0), checkpoint(1)],
    )
    deltas = {c.checkpoint: c.observed for c in evaluate(current, policy, two).checks
              if c.kind == "regression"}  # fmt: skip
    assert deltas == {0: 0.0, 1: 0.5}  # each checkpoint against its own
    one = metrics([family(checkpoint=0, successes=0)], [checkpoint(0)])
    deltas = {c.checkpoint: c.observed for c in evaluate(current, policy, one).checks
              if c.kind == "regression"}  # fmt: skip
    assert deltas == {0: 0.5, 1: 0.5}  # a one-checkpoint baseline serves every checkpoint


def test_what_a_verdict_says_about_its_checks():
    policy = GatePolicy(defaults=FamilyRule(max_asr=0.2), max_reopened=0)
    two = [checkpoint(0), checkpoint(1, reopened=1)]
    verdict = evaluate(
        metrics([family("repetition", high=0.5), family("unicode", high=0.1)], two), policy
    )
    assert verdict.lines() == [
        "gate: FAIL (major)",
        "  FAIL, major: checkpoint 0 repetition: ASR 10.0% (upper bound 50.0%, n=20) above "
        "the limit 20.0%",
        "  FAIL, minor: checkpoint 1 replay: 1 closed findings reopened (allowed 0) of 10 replayed",
        "  4 of 6 checks passed",
    ]
    one = evaluate(metrics([family(n=1)]), GatePolicy(max_reopened=None))
    assert one.lines() == [
        "gate: INCONCLUSIVE (counts as fail)",
        "  INCONCLUSIVE: repetition: 1 attempts, fewer than the 5 needed",
        "  1 of 2 checks passed",
    ]
    asr, unicode_asr = verdict.checks_of(0, "repetition"), verdict.checks_of(0, "unicode")
    assert [c.subject for c in asr + unicode_asr] == ["repetition", "unicode"]
    assert [c.subject for c in verdict.checks if c.family is None] == [
        "clean-accuracy", "reopened", "clean-accuracy", "reopened"
    ]  # fmt: skip
    assert verdict.families() == [(0, "repetition"), (0, "unicode")]
    assert verdict.status_of(0, "repetition") == "fail"
    assert verdict.status_of(0, "unicode") == "pass"
    assert verdict.status_of(1, "unicode") == "pass"  # no checks: nothing failed
    assert [c.kind for c in verdict.problems()] == ["asr", "reopened"]


def test_outcome_of_a_group_of_checks():
    fail = evaluate(metrics([family(high=0.9)]), GatePolicy()).checks[0]
    unsure = evaluate(metrics([family(n=1)]), GatePolicy()).checks[0]
    fine = evaluate(metrics([family(high=0.1)]), GatePolicy()).checks[0]
    strict = evaluate(metrics([family()]), GatePolicy())
    lenient = evaluate(metrics([family()]), GatePolicy(inconclusive="pass"))
    assert [strict.outcome(g) for g in ([fail, unsure], [unsure, fine], [fine], [])] == [
        "fail", "fail", "pass", "pass"
    ]  # fmt: skip
    assert [lenient.outcome(g) for g in ([fail, unsure], [unsure, fine], [fine])] == [
        "fail", "skip", "pass"
    ]  # fmt: skip


def test_label_names_a_severity_only_when_there_is_one():
    verdict = evaluate(metrics([family()]), GatePolicy())
    assert verdict.label == "PASS"
    assert dataclasses.replace(verdict, status="fail", severity=None).label == "FAIL"
    assert dataclasses.replace(verdict, status="fail", severity="minor").label == "FAIL (minor)"
    assert dataclasses.replace(verdict, severity="minor").label == "PASS"


def test_verdicts_and_checks_are_immutable():
    verdict = evaluate(metrics([family()]), GatePolicy())
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.status = "fail"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.checks[0].status = "fail"  # type: ignore[misc]


# ------------------------------------------------------------ consistency
@st.composite
def metric_sets(draw):
    chosen = draw(st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=4, unique=True))
    fams = []
    for name in chosen:
        n = draw(st.integers(0, 40))
        successes = draw(st.integers(0, n))
        asr = successes / n if n else 0.0
        low = draw(st.floats(0, asr)) if n else 0.0
        high = draw(st.floats(asr, 1)) if n else 1.0
        fams.append(family(name, n=n, successes=successes, low=low, high=high))
    ckpt = checkpoint(
        accuracy=draw(st.one_of(st.none(), st.floats(0, 1))), reopened=draw(st.integers(0, 3))
    )
    return metrics(fams, [ckpt])


@st.composite
def policies(draw):
    rule = FamilyRule(
        max_asr=draw(st.floats(0, 1)),
        max_regression=draw(st.floats(0, 1)),
        min_samples=draw(st.integers(1, 30)),
    )
    overrides = draw(
        st.dictionaries(
            st.sampled_from(FAMILIES),
            st.builds(FamilyRule, max_asr=st.one_of(st.none(), st.floats(0, 1))),
            max_size=2,
        )
    )
    return GatePolicy(
        min_clean_accuracy=draw(st.one_of(st.none(), st.floats(0, 1))),
        max_reopened=draw(st.one_of(st.none(), st.integers(0, 2))),
        inconclusive=draw(st.sampled_from(["fail", "pass"])),
        major_factor=draw(st.floats(1.01, 4)),
        defaults=rule,
        families=overrides,
    )


def expected_status(m: RunMetrics, policy: GatePolicy) -> str:
    """An independent statement of the policy, written from its documentation."""
    fails = inconclusive = False
    for f in m.families:
        rule = policy.rule(f.family)
        if f.n < rule.min_samples:
            inconclusive = True
        elif f.interval.high > rule.max_asr:
            fails = True
    for c in m.checkpoints:
        if policy.min_clean_accuracy is not None:
            if c.accuracy is None:
                inconclusive = True
            elif c.accuracy < policy.min_clean_accuracy:
                fails = True
        if policy.max_reopened is not None and c.reopened > policy.max_reopened:
            fails = True
    return "fail" if fails else "inconclusive" if inconclusive else "pass"


@settings(max_examples=150, deadline=None)
@given(metric_sets(), policies())
def test_every_output_states_the_same_verdict(m, policy):
    verdict = evaluate(m, policy)
    assert verdict.status == expected_status(m, policy)
    exit_code = verdict.exit_code
    assert exit_code == (0 if verdict.status == "pass" or (
        verdict.status == "inconclusive" and policy.inconclusive == "pass") else 1)  # fmt: skip

    ctx = ReportContext(
        folder=Path("runs/r"),
        log=LogContents(entries=[_init()], truncated=False, bad_lines=[]),
        gate=GateResult(m, None, verdict),
        policy_origin=None,
        baseline_folder=None,
    )
    # Printed summary.
    assert verdict.lines()[0] == f"gate: {verdict.label}"
    # summary.json.
    summary = json.loads(json.dumps(summary_dict(ctx)))
    assert summary["verdict"]["status"] == verdict.status
    assert summary["verdict"]["exit_code"] == exit_code
    failing_families = {f["family"] for f in summary["families"] if f["gate"] != "pass"}
    # The report's verdict box.
    box = render_verdict_box(verdict)
    assert f'data-status="{verdict.status}"' in box
    assert f'data-exit-code="{exit_code}"' in box
    assert set(re.findall(r'data-family="([^"]+)"', box)) == failing_families
    # report.md.
    assert f"**Gate: {verdict.label}**" in render_markdown(ctx)
    # junit.xml: a failure per failing family, and failures exactly when the exit code is 1.
    root = ET.fromstring(render_junit(verdict, "s"))
    failed = {
        case.get("name") for case in root.iter("testcase") if case.find("failure") is not None
    }
    assert bool(failed) == (exit_code == 1)
    for f in summary["families"]:
        if f["gate"] == "fail" or (f["gate"] == "inconclusive" and not verdict.inconclusive_passes):
            assert f["family"] in failed
        else:
            assert f["family"] not in failed


def _init() -> InitEntry:
    return InitEntry(
        run_id="r",
        suite=SuiteRecord(name="s", origin="s.toml", text='name = "s"'),
        config=RunConfig(
            checkpoints=("ckpt",), options={}, run_options=RunOptions(store="findings.db")
        ),
        seeds=Seeds(seed=0, replicates=1),
        checkpoints=({"fingerprint": "ab" * 32, "spec": "ckpt"},),
        prompts=20,
        pairs=20,
    )
