"""Reading samples files: steps, logprobs, and the prompts best-of-n can use."""

from __future__ import annotations

import numpy as np
import pytest

from harness.core.errors import DataError, HarnessError
from harness.experiments.sweep.samples import read_samples, select_prompts, skip_tied_proxy
from tests.harness.experiments.sweep.samples_data import sample_rows, write_rows


def test_one_file_is_one_step_and_keeps_its_logprobs(tmp_path):
    path = write_rows(tmp_path / "samples.jsonl", sample_rows(per_prompt=8, logprobs=True))
    read = read_samples([path])
    assert read.steps == [None] and len(read.samples) == 32 and read.has_logprobs
    first = read.samples[0]
    assert first.kl == pytest.approx(first.policy_logprob - first.ref_logprob)
    assert first.where == f"{path}:1"
    assert read.files[0].rows == 32 and len(read.files[0].sha256) == 64


def test_steps_come_from_the_rows_or_the_file_names(tmp_path):
    a = write_rows(tmp_path / "step-100.jsonl", sample_rows(per_prompt=4))
    b = write_rows(tmp_path / "run_step_20.jsonl", sample_rows(per_prompt=4, seed=1))
    rows = [{**r, "step": 7} for r in sample_rows(per_prompt=4, seed=2)]
    c = write_rows(tmp_path / "other.jsonl", rows)
    read = read_samples([a, b, c])
    assert read.steps == [7, 20, 100]
    assert {s.step for s in read.at(20)} == {20} and len(read.at(100)) == 16


def test_several_files_without_steps_are_refused(tmp_path):
    a = write_rows(tmp_path / "a.jsonl", sample_rows(per_prompt=2))
    b = write_rows(tmp_path / "b.jsonl", sample_rows(per_prompt=2))
    with pytest.raises(DataError, match="no step"):
        read_samples([a, b])


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ({"prompt": "p", "response": "r", "step": "3"}, "must be an integer"),
        ({"prompt": "p", "response": "r", "policy_logprob": "x", "ref_logprob": 1}, "a number"),
        ({"prompt": "p", "response": 3}, "must be a string"),
    ],
)
def test_bad_rows_name_the_line(tmp_path, row, fragment):
    path = write_rows(tmp_path / "s.jsonl", [{"prompt": "p", "response": "ok"}, row])
    with pytest.raises(DataError, match=fragment) as info:
        read_samples([path])
    assert f"{path}:2" in str(info.value)


def test_logprobs_on_some_rows_only_are_refused(tmp_path):
    rows = [{"prompt": "p", "response": "a", "policy_logprob": -1.0, "ref_logprob": -2.0}]
    path = write_rows(tmp_path / "s.jsonl", [*rows, {"prompt": "p", "response": "b"}])
    with pytest.raises(DataError, match=r"s.jsonl:2: 'policy_logprob' differs from line 1"):
        read_samples([path])


def test_policy_logprobs_alone_give_no_kl(tmp_path):
    """What ``rmh sample`` writes without ``--ref``: accepted, and no KL."""
    rows = [{"prompt": "p", "response": str(i), "policy_logprob": -1.0 - i} for i in range(3)]
    read = read_samples([write_rows(tmp_path / "s.jsonl", rows)])
    assert not read.has_logprobs and read.samples[0].kl is None


def test_prompts_with_too_few_samples_are_skipped_and_counted(tmp_path):
    rows = [{"prompt": "one", "response": "x"}] + [
        {"prompt": f"p{i}", "response": f"r{j}"} for i, k in ((1, 3), (2, 5)) for j in range(k)
    ]
    samples = read_samples([write_rows(tmp_path / "s.jsonl", rows)]).samples
    chosen = select_prompts(samples, None)
    assert chosen.prompts == ("p1", "p2") and chosen.n_max == 3 and chosen.fewer_than_2 == 1
    bigger = select_prompts(samples, 4)
    assert bigger.prompts == ("p2",) and bigger.fewer_than_n_max == 1 and bigger.n_max == 4
    with pytest.raises(HarnessError, match="the most is 5"):
        select_prompts(samples, 6)
    lonely = read_samples([write_rows(tmp_path / "t.jsonl", rows[:1])]).samples
    with pytest.raises(HarnessError, match="no prompt has 2 or more samples"):
        select_prompts(lonely, None)


def _three_prompts(tmp_path):
    """Prompts p1, p2, p3 with 3, 5 and 4 samples, selected for best-of-n."""
    sizes = ((1, 3), (2, 5), (3, 4))
    rows = [{"prompt": f"p{i}", "response": f"r{j}"} for i, k in sizes for j in range(k)]
    return select_prompts(read_samples([write_rows(tmp_path / "s.jsonl", rows)]).samples, None)


def test_prompts_the_proxy_ties_are_skipped_and_counted(tmp_path):
    """A prompt whose samples the proxy scores all the same gives best-of-n nothing to
    choose by: skipped and counted, and the largest n follows the prompts kept."""
    chosen = _three_prompts(tmp_path)
    indices = [tuple(r) for r in chosen.rows]
    proxy = np.array([7.0] * 3 + [1.0, 2.0, 2.0, 3.0, 1.0] + [4.0] * 4)  # p1 and p3 tied
    kept, kept_rows = skip_tied_proxy(chosen, indices, proxy, None)
    assert kept.prompts == ("p2",) and kept_rows == [indices[1]] and kept.rows == (indices[1],)
    assert (kept.tied_proxy, kept.skipped, kept.n_max, kept.total) == (2, 2, 5, 3)
    given, _ = skip_tied_proxy(chosen, indices, proxy, 3)
    assert given.n_max == 3  # an --n-max given stays
    untied = proxy + np.arange(len(proxy)) / 100
    assert skip_tied_proxy(chosen, indices, untied, None) == (chosen, indices)


@pytest.mark.parametrize(
    ("proxy", "fragment"),
    [
        ([2.5] * 12, r"^the proxy gives every sample the same score \(2.5\); best-of-n has"),
        (
            [1.0] * 3 + [2.0] * 5 + [3.0] * 4,
            r"^the proxy gives all the samples of a prompt one score, on each of the 3 prompts",
        ),
    ],
)
def test_every_prompt_tied_is_one_line(tmp_path, proxy, fragment):
    chosen = _three_prompts(tmp_path)
    with pytest.raises(HarnessError, match=fragment) as info:
        skip_tied_proxy(chosen, [tuple(r) for r in chosen.rows], np.array(proxy), None)
    assert "\n" not in str(info.value)
