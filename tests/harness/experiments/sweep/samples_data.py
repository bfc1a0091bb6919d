"""Samples files for the sweep's tests: real joke text, perturbed, and degenerate text.

Per prompt of ``harness.testing.TINY_PAIRS``: its chosen joke, its rejected flat answer,
bundled jokes, meaning-preserving perturbations of them and degenerate responses (soups,
repetition), drawn with a seed, so the heuristic judge has real nonsense to call.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from harness.core.data import PreferencePair
from harness.core.degenerate import degenerate_negatives
from harness.core.perturb import PERTURBATIONS
from harness.demo.jokes import all_joke_texts
from harness.testing import TINY_PAIRS


def responses(prompt_index: int, count: int, seed: int) -> list[str]:
    """``count`` responses to one tiny prompt: a quarter each real, flat, perturbed, degenerate."""
    rng = random.Random(f"{seed}:{prompt_index}")
    prompt, chosen, rejected = TINY_PAIRS[prompt_index]
    jokes = all_joke_texts()
    pairs = [PreferencePair(prompt, chosen, rejected, 0)] * 4
    degenerate = [p.rejected for p in degenerate_negatives(pairs, seed=seed + prompt_index)]
    perturb = list(PERTURBATIONS.values())
    out = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            out.append(rng.choice([chosen, *rng.sample(jokes, 3)]))
        elif kind == 1:
            out.append(rejected)
        elif kind == 2:
            out.append(rng.choice(perturb)(rng.choice([chosen, rejected]), rng))
        elif i % 8 == 3:
            out.append(rng.choice(degenerate))
        else:  # nonsense the heuristic judge sees: repetition, or no real words
            word = rng.choice(chosen.split())
            junk = " ".join("".join(rng.choices("qxzvkjw", k=6)) for _ in range(8))
            out.append(rng.choice([" ".join([word] * 12), junk]))
    rng.shuffle(out)
    return out


def sample_rows(
    *, prompts: int = 4, per_prompt: int = 16, seed: int = 0, logprobs: bool = False
) -> list[dict]:
    rows = []
    rng = random.Random(seed)
    for index in range(prompts):
        for response in responses(index, per_prompt, seed):
            row: dict = {"prompt": TINY_PAIRS[index][0], "response": response}
            if logprobs:
                ref = -rng.uniform(20, 60)
                row.update(policy_logprob=ref + rng.uniform(0, 2 + seed), ref_logprob=ref)
            rows.append(row)
    return rows


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_samples(path: Path, **kw) -> Path:
    return write_rows(path, sample_rows(**kw))
