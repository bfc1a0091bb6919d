"""``rmh sweep`` through the command line: an RL run's steps, the gold kinds, and every
kind of bad input (exit 2, one line). Rule-based RMs keep these in seconds."""

from __future__ import annotations

import json
import math

import pytest

from harness.experiments.sweep.nonsense import judge_samples
from harness.experiments.sweep.result import read_sweep
from tests.harness.experiments.sweep.rewards import PREFIX, proxy_reward
from tests.harness.experiments.sweep.samples_data import sample_rows, write_rows
from tests.harness.experiments.sweep.sweeps import sweep_args


@pytest.fixture
def samples(tmp_path):
    return write_rows(tmp_path / "samples.jsonl", sample_rows(per_prompt=8))


def test_an_rl_runs_steps_with_logprobs(rmh, tmp_path):
    first = write_rows(tmp_path / "step-0.jsonl", sample_rows(per_prompt=8, logprobs=True))
    later = write_rows(tmp_path / "step-50.jsonl", sample_rows(per_prompt=8, seed=3, logprobs=True))
    out = tmp_path / "rl"
    code, stdout, err = rmh(*sweep_args([first, later], out, "--no-trajectories"))
    assert code == 0, err
    assert "RL steps 0..50 (2): gold peaks at step" in stdout
    record = read_sweep(out)
    assert record.samples.bon_step == 0 and record.samples.used_prompts == 4
    steps = record.steps
    assert steps is not None and steps.kl_available and [p.step for p in steps.steps] == [0, 50]
    # seed 3's policy logprobs lie further above the reference's (sample_rows): more KL
    assert steps.steps[1].kl.estimate > steps.steps[0].kl.estimate > 0
    assert record.trajectories is None and set(record.plots) == {"bon", "steps"}
    assert (out / "steps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_human_gold_scores_and_an_ensemble(rmh, samples, tmp_path):
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    human = write_rows(
        tmp_path / "human.jsonl",
        [{**r, "score": len(set(r["response"].split()))} for r in rows],
    )
    args = sweep_args([samples], tmp_path / "human")
    args[args.index("--gold") : args.index("--gold") + 2] = ["--gold-scores", str(human)]
    code, _, err = rmh(*args)
    assert code == 0, err
    record = read_sweep(tmp_path / "human")
    assert record.gold.kind == "scores" and record.trajectories is None  # off by default
    assert record.gold.scores_sha256 and "human.jsonl" in record.gold.label()

    out = tmp_path / "ensemble"
    extra = ("--gold", f"{PREFIX}:second_gold_reward", "--gold-combine", "min")
    code, _, err = rmh(*sweep_args([samples], out, "--no-trajectories", *extra))
    assert code == 0, err
    gold = read_sweep(out).gold
    assert gold.kind == "ensemble" and gold.combine == "min" and len(gold.members) == 2
    # the second member is the first on a 100x scale: standardized, they agree exactly
    assert gold.spreads[1] == pytest.approx(100 * gold.spreads[0])


def test_prompts_with_one_sample_are_skipped_and_counted(rmh, tmp_path):
    rows = [*sample_rows(per_prompt=8), {"prompt": "alone", "response": "only one"}]
    out = tmp_path / "out"
    code, stdout, err = rmh(*sweep_args([write_rows(tmp_path / "s.jsonl", rows)], out))
    assert code == 0, err
    assert "best-of-n on 4 of 5 prompts" in stdout and "1 prompts skipped" in stdout
    assert read_sweep(out).samples.skipped_fewer_than_2 == 1


def _non_nonsense_by_prompt(samples):
    """Per prompt, the sampled rows the heuristic judge does not call nonsense, in order."""
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    bad, _ = judge_samples([r["response"] for r in rows])
    fine: dict[str, list[str]] = {}
    for row, is_bad in zip(rows, bad, strict=True):
        if not is_bad:
            fine.setdefault(row["prompt"], []).append(row["response"])
    return fine


def test_trajectories_start_from_a_random_non_nonsense_sample_by_default(rmh, samples, tmp_path):
    """Neither RM chooses the default reference: the same picks under the gold and the
    gold upside down; the output says how the references were chosen."""
    fine = _non_nonsense_by_prompt(samples)
    out = tmp_path / "out"
    code, stdout, err = rmh(*sweep_args([samples], out))
    assert code == 0, err
    assert "trajectory references, random: per prompt, a seeded random sample" in stdout
    record = read_sweep(out)
    assert record.config["trajectory_reference"] == "random"
    trajectories = record.trajectories
    assert trajectories.reference_rule == "random" and "seeded random" in trajectories.references
    references = {p.prompt: p.reference for p in trajectories.paths}
    assert len(references) == 2 and all(r in fine[p] for p, r in references.items())

    upside_down = tmp_path / "upside-down"
    args = sweep_args([samples], upside_down)
    args[args.index("--gold") + 1] = f"{PREFIX}:reversed_gold_reward"
    code, _, err = rmh(*args)
    assert code == 0, err
    assert {p.prompt: p.reference for p in read_sweep(upside_down).trajectories.paths} == references


def test_trajectories_can_start_from_the_proxys_favourite(rmh, samples, tmp_path):
    fine = _non_nonsense_by_prompt(samples)
    out = tmp_path / "out"
    code, stdout, err = rmh(*sweep_args([samples], out, "--trajectory-reference", "proxy-best"))
    assert code == 0, err
    assert "trajectory references, proxy-best: per prompt, the sample the proxy" in stdout
    trajectories = read_sweep(out).trajectories
    assert trajectories.reference_rule == "proxy-best" and trajectories.paths
    for path in trajectories.paths:
        candidates = fine[path.prompt]
        scores = proxy_reward([path.prompt] * len(candidates), candidates)
        assert path.reference == candidates[scores.index(max(scores))]  # the earlier row


def test_a_prompt_the_proxy_ties_is_skipped_from_best_of_n_and_counted(rmh, tmp_path):
    tied = [{"prompt": "Say it again.", "response": "The same answer."}] * 8
    rows = [*sample_rows(per_prompt=8), *tied]
    out = tmp_path / "out"
    code, stdout, err = rmh(*sweep_args([write_rows(tmp_path / "s.jsonl", rows)], out))
    assert code == 0, err
    first = stdout.splitlines()[0]
    assert "best-of-n on 4 of 5 prompts" in first
    assert "; 1 prompts skipped (1 where the proxy scores every sample the same)" in first
    record = read_sweep(out)
    assert record.samples.skipped_tied_proxy == 1 and record.samples.used_prompts == 4
    assert "Say it again." not in {p.prompt for p in record.trajectories.paths}


def _row(**fields):
    return {"prompt": "Tell me a joke.", "response": "A joke.", **fields}


BAD_FILES = {
    "every prompt has one sample": (
        [{"prompt": f"p{i}", "response": "r"} for i in range(3)],
        "no prompt has 2 or more samples (3 prompts, 3 with a single sample skipped)",
    ),
    "not JSONL": ('{"prompt": "p", "response": "r"}\nthis is not json\n', ":2: malformed JSON"),
    "a JSON array": ("[1, 2]\n", "expected a JSON object"),
    "no response field": ([{"prompt": "p"}], "missing field 'response'"),
    "no prompt field": ([{"response": "r"}], "missing field 'prompt'"),
    "a NaN logprob": (
        '{"prompt": "p", "response": "r", "policy_logprob": NaN, "ref_logprob": -1}\n',
        "'policy_logprob' is nan; logprobs must be finite",
    ),
    "an infinite logprob": (
        [_row(policy_logprob=-1.0, ref_logprob=-math.inf)],
        "'ref_logprob' is -inf; logprobs must be finite",
    ),
    "a logprob too large for a float": (
        '{"prompt": "p", "response": "r", "policy_logprob": 1'
        + "0" * 400
        + ', "ref_logprob": 1}\n',
        "'policy_logprob' is inf; logprobs must be finite",
    ),
    "an empty file": ("", "is empty"),
    "one proxy score for every sample": (
        [{"prompt": f"p{i}", "response": "The same answer."} for i in range(3) for _ in range(4)],
        "the proxy gives every sample the same score (0.3); best-of-n has nothing to choose by",
    ),
    "one proxy score within each prompt": (
        [{"prompt": f"p{i}", "response": "yes " * (i + 1)} for i in range(3) for _ in range(4)],
        "the proxy gives all the samples of a prompt one score, on each of the 3 prompts; "
        "best-of-n has nothing to choose by on any of them",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_samples_files(rmh, one_line_error, tmp_path, case):
    content, fragment = BAD_FILES[case]
    path = tmp_path / "bad.jsonl"
    if isinstance(content, str):
        path.write_text(content)
    else:
        write_rows(path, content)
    code, _, err = rmh(*sweep_args([path], tmp_path / "out"))
    one_line_error(code, err, fragment)
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_gold_scores_that_miss_a_row_name_the_first_missing(rmh, one_line_error, samples, tmp_path):
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    scores = [{**r, "score": 1.0} for i, r in enumerate(rows) if i != 5]
    human = write_rows(tmp_path / "human.jsonl", scores)
    args = sweep_args([samples], tmp_path / "out")
    args[args.index("--gold") : args.index("--gold") + 2] = ["--gold-scores", str(human)]
    code, _, err = rmh(*args)
    one_line_error(code, err, f"proxy and gold do not cover the same rows: {samples}:6")


def test_non_finite_gold_scores_and_proxy_scores(rmh, one_line_error, samples, tmp_path):
    human = tmp_path / "human.jsonl"
    human.write_text('{"prompt": "p", "response": "r", "score": Infinity}\n')
    args = sweep_args([samples], tmp_path / "out")
    args[args.index("--gold") : args.index("--gold") + 2] = ["--gold-scores", str(human)]
    code, _, err = rmh(*args)
    one_line_error(code, err, "'score' is inf; gold scores must be finite")

    args = sweep_args([samples], tmp_path / "out2")
    args[args.index("--proxy") + 1] = f"{PREFIX}:nan_reward"
    code, _, err = rmh(*args)
    one_line_error(code, err, "reward model returned nan")
    assert not (tmp_path / "out2").exists()  # found while scoring: nothing written


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda a: [*a, "--gold", f"{PREFIX}:gold_reward"], "given twice"),
        (
            lambda a: [x if x != f"{PREFIX}:gold_reward" else f"{PREFIX}:proxy_reward" for x in a],
            "is the proxy",
        ),
        (lambda a: [*a, "--demo"], "--demo brings its own samples"),
        (lambda a: a[:1] + a[3:], "give --samples"),
        (lambda a: [*a, "--trajectory-attacks", "random-search,nonsuch"], "nonsuch"),
        (lambda a: [*a, "--n-max", "64"], "no prompt has 64 samples (--n-max), the most is 8"),
    ],
    ids=[
        "duplicate gold",
        "gold is proxy",
        "demo and samples",
        "no samples",
        "bad attack",
        "n-max",
    ],
)
def test_bad_arguments(rmh, one_line_error, samples, tmp_path, change, fragment):
    code, _, err = rmh(*change(sweep_args([samples], tmp_path / "out")))
    one_line_error(code, err, fragment)


def test_trajectories_need_a_gold_rm(rmh, one_line_error, samples, tmp_path):
    args = sweep_args([samples], tmp_path / "out", "--trajectories")
    args[args.index("--gold") : args.index("--gold") + 2] = ["--gold-scores", str(samples)]
    code, _, err = rmh(*args)
    one_line_error(code, err, "--trajectories needs a gold RM")


def test_an_existing_folder_that_is_no_sweep_is_not_overwritten(
    rmh, one_line_error, samples, tmp_path
):
    out = tmp_path / "run"
    out.mkdir()
    (out / "log.jsonl").write_text("{}\n")
    code, _, err = rmh(*sweep_args([samples], out))
    one_line_error(code, err, "is not a sweep folder")
    assert (out / "log.jsonl").read_text() == "{}\n"


def test_trajectories_start_from_the_given_references(rmh, one_line_error, samples, tmp_path):
    from harness.testing import TINY_PAIRS

    pairs = write_rows(
        tmp_path / "pairs.jsonl",
        [{"prompt": p, "chosen": c, "rejected": r} for p, c, r in TINY_PAIRS],
    )
    out = tmp_path / "out"
    code, stdout, err = rmh(*sweep_args([samples], out, "--references", str(pairs)))
    assert code == 0, err
    trajectories = read_sweep(out).trajectories
    chosen = {p: c for p, c, _ in TINY_PAIRS}
    assert trajectories.paths and "pairs.jsonl" in trajectories.references
    assert all(path.reference == chosen[path.prompt] for path in trajectories.paths)
    assert trajectories.reference_rule == "file"
    assert f"trajectory references, file: the chosen responses of {pairs}" in stdout

    broken = write_rows(tmp_path / "broken.jsonl", [{"prompt": "p", "chosen": "c"}])
    code, _, err = rmh(*sweep_args([samples], tmp_path / "out2", "--references", str(broken)))
    one_line_error(code, err, "missing field 'rejected'")
    assert not (tmp_path / "out2").exists()
