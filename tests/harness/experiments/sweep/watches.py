"""Watch folders for the sweep's tests, written by a real ``Watcher.observe`` on rule-based
RMs (``rewards.py``: the gold likes about a dozen distinct words and falls beyond).

The planted run: 6 prompts, 4 completions each (as GRPO samples them), evaluated at every
step, the stop rule's window 2. Step 0's completions are short real sentences, step 2's
about a dozen distinct words (gold's peak), step 3's long repetitions that the heuristic
judge calls bad (gold falls: the watcher stops there, best step 2). At step 1 the gold
fails (a text it cannot score), so the log holds a failed evaluation. Logprobs make a KL
that grows with the step. A hostile text leads the first judged-bad completions.
"""

from __future__ import annotations

import random
from pathlib import Path

from harness.experiments.watch import StopRule, WatchConfig, Watcher
from harness.testing import HOSTILE_TEXTS
from tests.harness.experiments.sweep.rewards import PREFIX, proxy_reward

GOLD = f"{PREFIX}:fragile_gold_reward"
PROMPTS = tuple(f"Tell me a joke about {w}." for w in ("cats", "dogs", "rain", "tea", "maps", "ow"))
PER_PROMPT = 4
#: Real words (the heuristic judge passes short sentences of them).
SENTENCE = (
    "the cat sat on a warm mat while my old dog ran after some blue kite near our quiet green "
    "park under tall trees by evening light"
)
WORDS = tuple(SENTENCE.split())
HOSTILE = HOSTILE_TEXTS[1]  # <script>...: must stay text in every report


def completion(
    step: int, prompt: int, index: int, rng: random.Random, hostile: tuple[str, ...] = (HOSTILE,)
) -> str:
    """One planted completion (module doc); ``hostile`` texts lead the first prompt's
    judged-bad completions."""
    if step == 1 and prompt == 0 and index == 0:
        return "BOOM"  # the gold cannot score it: step 1's evaluation fails
    if step >= 3:
        head = f"{hostile[index]} " if prompt == 0 and index < len(hostile) else ""
        return head + " ".join(["funny"] * (24 + index + prompt))
    length = {0: 3, 1: 6, 2: 10}[step] + index + rng.randrange(2)
    start = rng.randrange(len(WORDS) - length)
    return " ".join(WORDS[start : start + length])


def step_rows(
    step: int, seed: int = 0, hostile: tuple[str, ...] = (HOSTILE,)
) -> tuple[list[str], list[str], list[float], list]:
    """(prompts, completions, proxy rewards, logprobs) of one planted step."""
    rng = random.Random(f"{seed}:{step}")
    prompts, completions, logprobs = [], [], []
    for p, prompt in enumerate(PROMPTS):
        for j in range(PER_PROMPT):
            prompts.append(prompt)
            completions.append(completion(step, p, j, rng, hostile))
            ref = -rng.uniform(20, 40)
            logprobs.append((ref + step * rng.uniform(0.5, 1.5), ref))
    return prompts, completions, proxy_reward(prompts, completions), logprobs


def make_watch(
    folder: Path, *, steps: int = 5, seed: int = 0, hostile: tuple[str, ...] = (HOSTILE,)
) -> Path:
    """The planted run (module doc), observed step by step; returns the watch folder."""
    watcher = Watcher(
        folder,
        gold=GOLD,
        config=WatchConfig(
            every=1, sample_prompts=len(PROMPTS), seed=seed, rule=StopRule(window=2, resamples=400)
        ),
        trainer={"framework": "planted test run"},
        echo=lambda line: None,
    )
    try:
        for step in range(steps):
            prompts, completions, proxy, logprobs = step_rows(step, seed, hostile)
            watcher.observe(step, prompts, completions, proxy, logprobs=logprobs)
    finally:
        watcher.close()
    return folder
