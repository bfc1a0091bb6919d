"""The sampling policy on tiny real causal LMs: shapes, seeds, logprobs, chat, references."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from harness.core.errors import CheckpointError, DataError, HarnessError, ModelOutputError
from harness.models.causal_lm import CausalLM
from harness.models.sampling import CausalPolicy
from harness.testing import build_tiny_causal_lm

PROMPTS = ["Tell me a joke about bytes.", "Why do programmers like dark mode?", "Hi"]


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("causal-lms")
    return {
        "plain": build_tiny_causal_lm(root / "plain"),
        "chat": build_tiny_causal_lm(root / "chat", chat_template=True),
        "ref": build_tiny_causal_lm(root / "ref", seed=1),
    }


@pytest.fixture(scope="module")
def policy(lms) -> CausalPolicy:
    return CausalPolicy.load(lms["plain"])


def forward_logprob(model: CausalPolicy, prompt_ids: list[int], response_ids) -> float:
    """Sum of log p(response | prompt) by one unpadded forward pass (no cache, no batch)."""
    ids = torch.tensor([list(prompt_ids) + list(response_ids)])
    with torch.inference_mode():
        logits = model.model(input_ids=ids).logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    start = len(prompt_ids)
    return float(sum(logp[start + k - 1, t] for k, t in enumerate(response_ids)))


def test_samples_come_in_prompt_then_sample_order_with_bounded_length(policy):
    samples = policy.sample(PROMPTS, 5, max_new_tokens=6, batch_size=4, seed=0, progress=False)
    assert [(s.prompt_index, s.sample_index) for s in samples] == [
        (j, i) for j in range(3) for i in range(5)
    ]
    for s in samples:
        assert s.prompt == PROMPTS[s.prompt_index]
        assert 1 <= len(s.token_ids) <= 6
        assert s.stopped == (s.token_ids[-1] in policy.stop_ids)
        assert s.stopped or len(s.token_ids) == 6
        assert s.response == policy.decode(s.token_ids)
        assert np.isfinite(s.policy_logprob) and s.policy_logprob < 0
        assert s.ref_logprob is None
        assert set(s.row()) == {"prompt", "response", "policy_logprob", "sample_index"}
    assert len({s.token_ids for s in samples}) > 10  # temperature 1: samples differ


def test_same_seed_gives_the_same_samples_and_another_seed_others(policy):
    def draw(seed: int):
        out = policy.sample(PROMPTS, 4, max_new_tokens=8, batch_size=5, seed=seed, progress=False)
        return [(s.token_ids, s.policy_logprob) for s in out]

    first = draw(3)
    assert draw(3) == first
    assert [t for t, _ in draw(4)] != [t for t, _ in first]


def test_logprobs_equal_a_recomputation_by_a_forward_pass(policy):
    samples = policy.sample(PROMPTS, 3, max_new_tokens=7, batch_size=4, seed=1, progress=False)
    for s in samples:
        expected = forward_logprob(policy, policy.encode_prompt(s.prompt), s.token_ids)
        assert s.policy_logprob == pytest.approx(expected, rel=1e-4, abs=1e-4)
    scored = policy.sequence_logprobs(
        [policy.encode_prompt(s.prompt) for s in samples], [s.token_ids for s in samples]
    )
    assert scored == pytest.approx([s.policy_logprob for s in samples], rel=1e-4, abs=1e-4)


def test_rows_that_stop_leave_the_batch_without_mixing_up_the_others(lms):
    """With half the vocabulary as stop tokens, rows stop at every step and the batch
    shrinks often; every row must still be what it is when drawn alone."""
    policy = CausalPolicy.load(lms["plain"])
    policy.stop_ids = frozenset(range(0, len(policy.tokenizer), 2))
    batched = policy.sample(PROMPTS, 6, max_new_tokens=10, batch_size=18, seed=2, progress=False)
    lengths = {len(s.token_ids) for s in batched}
    assert len(lengths) > 3 and any(s.stopped for s in batched)
    alone = policy.sample(PROMPTS, 6, max_new_tokens=10, batch_size=1, seed=2, progress=False)
    assert [s.token_ids for s in batched] == [s.token_ids for s in alone]
    for s in batched:
        expected = forward_logprob(policy, policy.encode_prompt(s.prompt), s.token_ids)
        assert s.policy_logprob == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_the_chat_template_frames_the_prompt(lms):
    chat = CausalPolicy.load(lms["chat"])
    assert chat.chat
    rendered = chat.tokenizer.apply_chat_template(
        [{"role": "user", "content": PROMPTS[0]}], tokenize=False, add_generation_prompt=True
    )
    assert "<|user|>" in rendered
    ids = chat.encode_prompt(PROMPTS[0])
    assert ids == list(chat.tokenizer(rendered, add_special_tokens=False)["input_ids"])
    assert ids != CausalPolicy.load(lms["plain"]).encode_prompt(PROMPTS[0])
    (s,) = chat.sample(PROMPTS[:1], 1, max_new_tokens=6, seed=0, progress=False)
    assert s.policy_logprob == pytest.approx(forward_logprob(chat, ids, s.token_ids), rel=1e-4)


def test_reference_logprobs_score_the_policy_tokens(lms, policy):
    reference = CausalPolicy.load(lms["ref"])
    samples = policy.sample(
        PROMPTS, 2, max_new_tokens=6, batch_size=3, seed=0, reference=reference, progress=False
    )
    for s in samples:
        expected = forward_logprob(reference, reference.encode_prompt(s.prompt), s.token_ids)
        assert s.ref_logprob == pytest.approx(expected, rel=1e-4, abs=1e-4)
        assert s.ref_logprob != pytest.approx(s.policy_logprob)
        assert "ref_logprob" in s.row()
    own = policy.sample(PROMPTS, 2, max_new_tokens=6, seed=0, reference=policy, progress=False)
    for s in own:  # the policy as its own reference: KL 0
        assert s.ref_logprob == pytest.approx(s.policy_logprob, rel=1e-4, abs=1e-4)


def test_a_reference_needs_only_to_be_a_causal_lm(lms, policy):
    as_policy = CausalPolicy.load(lms["ref"])
    as_lm = CausalLM.load(lms["ref"])
    assert type(as_lm) is CausalLM and repr(as_lm).startswith("CausalLM(")
    kwargs = dict(max_new_tokens=5, batch_size=3, seed=4, progress=False)
    first = policy.sample(PROMPTS, 2, reference=as_policy, **kwargs)
    second = policy.sample(PROMPTS, 2, reference=as_lm, **kwargs)
    assert [s.ref_logprob for s in second] == [s.ref_logprob for s in first]


def test_a_reference_with_another_vocabulary_is_refused(lms, policy, tmp_path):
    from transformers import AutoTokenizer

    other = shutil.copytree(lms["ref"], tmp_path / "other")
    tokenizer = AutoTokenizer.from_pretrained(str(other), local_files_only=True)
    tokenizer.add_tokens(["<extra-token>"])
    tokenizer.save_pretrained(str(other))
    with pytest.raises(CheckpointError, match="another vocabulary"):
        policy.sample(PROMPTS, 1, reference=CausalPolicy.load(other), progress=False)


def test_bad_sampling_arguments_are_refused(policy):
    with pytest.raises(DataError, match="no prompts"):
        policy.sample([], 2, progress=False)
    with pytest.raises(HarnessError, match="n must be at least 1"):
        policy.sample(PROMPTS, 0, progress=False)
    with pytest.raises(HarnessError, match="seed"):
        policy.sample(PROMPTS, 1, seed=-1, progress=False)
    with pytest.raises(DataError, match="exceeds the policy's 256 positions"):
        policy.sample(["word " * 300], 1, max_new_tokens=4, progress=False)


def test_non_finite_logits_are_a_one_line_error(lms):
    broken = CausalPolicy.load(lms["plain"])
    with torch.no_grad():
        broken.model.lm_head.weight[3, 0] = float("nan")
    with pytest.raises(ModelOutputError, match="non-finite"):
        broken.sample(PROMPTS[:1], 2, max_new_tokens=3, progress=False)
