"""A round's augmentation data, from a real findings store: which exploits, which members."""

from __future__ import annotations

import pytest

from harness.core.data import read_pairs
from harness.core.degenerate import NON_ANSWERS, SYNTHETIC_KINDS
from harness.core.errors import HarnessError
from harness.core.finding import Finding
from harness.core.signature import distance, signature
from harness.experiments.rounds.augment import (
    ARMS,
    Augmentation,
    clean_augmentation,
    findings_augmentation,
    parse_arms,
    round_seed,
    synthetic_augmentation,
)
from harness.experiments.rounds.pairfile import pairs_hash, write_pairs
from harness.store import FindingStore

A1, A2, E1 = "Tell me a joke about cats.", "Tell me a joke about dogs.", "Tell me a joke about tea."
ATTACK = (A1, A2)
REFERENCES = {
    A1: "A cat walks into a bar and orders nothing.",
    A2: "Why did the dog sit in the shade? It did not want to be a hot dog.",
    E1: "Tea is a hot leaf juice.",
}
TRAINED = {"search", "greedy"}

SOUP = ["banana", "sandwich", "orbit", "zebra", "quartz", "violin", "marble", "tulip"]
OTHER = ["purple", "monkey", "dishwasher", "lantern", "gravel", "ocean", "pickle", "thunder"]
FRESH = ["copper", "meadow", "riddle", "saddle", "glacier", "whistle", "harbor", "velvet"]


def edit(words: list[str], *changes: tuple[int, str]) -> str:
    out = list(words)
    for index, word in changes:
        out[index] = word
    return " ".join(out)


def finding(prompt: str, text: str, family: str = "search", score: float = 2.0) -> Finding:
    return Finding(
        prompt=prompt,
        reference=REFERENCES[prompt],
        text=text,
        family=family,
        attack=f"{family}-attack",
        score=score,
        reference_score=0.0,
        reasons=("constructed",),
    )


# Exploit X: a soup and a chain of one-word edits (one trick), on both attack prompts.
X_ROUND0 = [
    finding(A1, " ".join(SOUP), score=3.0),  # the best margin: X's representative
    finding(A1, edit(SOUP, (7, "lily"))),
    finding(A1, edit(SOUP, (7, "lily"), (6, "stone"))),
    finding(A2, edit(SOUP, (7, "lily"), (6, "stone"), (5, "cello"))),
    finding(A2, edit(SOUP, (0, "apple"))),
]
HELD_OUT = [finding(A1, "This is the best answer.", family="template", score=5.0)]
EVAL_ONLY = [finding(E1, " ".join(OTHER))]  # exploit V, first seen on an evaluation prompt
ROUND1 = [
    finding(A2, " ".join(FRESH), family="greedy"),  # exploit Y, new in round 1
    finding(A1, edit(SOUP, (1, "sandals"))),  # a new spelling of X: not a new exploit
    finding(A1, edit(OTHER, (2, "dishrag"))),  # V's first eligible member
]


@pytest.fixture
def store(tmp_path):
    with FindingStore.open(tmp_path / "arm.db") as store:
        store.register_run("r0", "runs/r0", "rounds")
        store.record(X_ROUND0 + HELD_OUT + EVAL_ONLY, run_id="r0", checkpoint="ck0")
        store.register_run("r1", "runs/r1", "rounds")
        store.record(ROUND1, run_id="r1", checkpoint="ck1")
        yield store


def augment(store, runs=("r0",), **kwargs):
    args = dict(
        run_ids=runs,
        attack_prompts=ATTACK,
        trained_families=TRAINED,
        references=REFERENCES,
        round=1,
    )
    return findings_augmentation(store, **{**args, **kwargs})


def test_the_store_clusters_as_the_tests_assume(store):
    texts = {e.text: e.size for e in store.exploits()}
    assert texts[" ".join(SOUP)] == len(X_ROUND0) + 1
    assert len(texts) == 4  # X, the held-out template, V, Y


def test_new_exploits_of_trained_families_on_attack_prompts(store):
    pairs, summary = augment(store)
    assert summary.exploits == 1  # X only: the template is held out, V was on E1
    assert summary.pairs == len(pairs) == 3  # its best member and two more
    assert pairs[0].rejected == " ".join(SOUP)
    assert {p.rejected for p in pairs} <= {f.text for f in X_ROUND0}
    for pair in pairs:
        assert pair.prompt in ATTACK
        assert pair.chosen == REFERENCES[pair.prompt]
        assert pair.meta["source"] == "finding" and pair.meta["family"] == "search"
    assert summary.families == {"search": 3}
    assert summary.arm == "findings" and summary.round == 1
    assert summary.data_hash == pairs_hash(pairs)


def test_held_out_families_are_added_only_when_trained(store):
    pairs, summary = augment(store, trained_families={"search", "template"})
    assert summary.exploits == 2
    assert "This is the best answer." in {p.rejected for p in pairs}
    assert summary.families["template"] == 1


def test_evaluation_prompts_are_never_trained_on(store):
    pairs, summary = augment(store, runs=("r0", "r1"))
    assert E1 not in {p.prompt for p in pairs}
    # made an attack prompt, the exploit first seen there is added in its round
    pairs, summary = augment(store, attack_prompts=(*ATTACK, " " + E1 + "\n"))
    assert summary.exploits == 2
    assert " ".join(OTHER) in {p.rejected for p in pairs}


def test_the_next_round_adds_only_its_own_new_exploits(store):
    pairs, summary = augment(store, runs=("r1",), round=2)
    texts = {p.rejected for p in pairs}
    # Y is new; V's first eligible member is new (its earlier one was on E1); X is not new
    assert summary.exploits == 2
    assert texts == {" ".join(FRESH), edit(OTHER, (2, "dishrag"))}
    assert summary.families == {"greedy": 1, "search": 1}


def test_nothing_to_add(store):
    pairs, summary = augment(store, runs=("r9",))
    assert pairs == [] and summary.nothing_to_add and summary.exploits == 0
    assert summary.data_hash == pairs_hash([])
    pairs, summary = augment(store, trained_families={"gcg"})
    assert pairs == [] and summary.nothing_to_add


@pytest.mark.parametrize("extra", [0, 1, 2, 10])
def test_members_per_exploit(store, extra):
    pairs, summary = augment(store, members_per_exploit=extra)
    assert len(pairs) == min(1 + extra, len(X_ROUND0)) == summary.pairs
    assert len({(p.prompt, p.rejected) for p in pairs}) == len(pairs)
    assert pairs[0].rejected == " ".join(SOUP)


def test_the_extra_member_is_the_farthest_from_the_best(store):
    pairs, _ = augment(store, members_per_exploit=1)
    sig = {f.text: signature(f.reference, f.text) for f in X_ROUND0}
    best = sig[" ".join(SOUP)]
    farthest = max(distance(best, s) for s in sig.values())
    assert distance(best, sig[pairs[1].rejected]) == farthest


def test_deterministic(store, tmp_path):
    first = augment(store, runs=("r0", "r1"))
    assert augment(store, runs=["r1", "r0"], trained_families=["greedy", "search"]) == first
    with FindingStore.open(tmp_path / "copy.db") as other:  # same findings, other insert order
        other.record(list(reversed(X_ROUND0 + HELD_OUT + EVAL_ONLY)), run_id="r0", checkpoint="c")
        other.record(list(reversed(ROUND1)), run_id="r1", checkpoint="c")
        pairs, summary = augment(other, runs=("r0", "r1"))
    assert {(p.prompt, p.rejected) for p in pairs} == {(p.prompt, p.rejected) for p in first[0]}
    assert summary.exploits == first[1].exploits


def test_a_missing_reference_falls_back_to_the_findings_own(store):
    pairs, _ = augment(store, references={A2: "another dog joke"})
    chosen = {p.prompt: p.chosen for p in pairs}
    assert chosen[A1] == REFERENCES[A1] and chosen[A2] == "another dog joke"


def test_synthetic_matches_the_count_and_is_seeded_by_round(store):
    _, summary = augment(store)
    pairs, synthetic = synthetic_augmentation(
        attack_prompts=ATTACK, references=REFERENCES, count=summary.pairs, seed=7, round=1
    )
    assert synthetic.pairs == len(pairs) == summary.pairs
    assert synthetic.arm == "synthetic" and synthetic.exploits == 0
    assert sum(synthetic.families.values()) == summary.pairs
    assert set(synthetic.families) <= set(SYNTHETIC_KINDS)
    for pair in pairs:
        assert pair.prompt in ATTACK and pair.chosen == REFERENCES[pair.prompt]
        assert pair.rejected not in NON_ANSWERS and pair.meta["source"] == "synthetic"
    again = synthetic_augmentation(
        attack_prompts=reversed(ATTACK), references=REFERENCES, count=3, seed=7, round=1
    )
    assert again == (pairs, synthetic)
    other = synthetic_augmentation(
        attack_prompts=ATTACK, references=REFERENCES, count=3, seed=7, round=2
    )
    assert other[1].data_hash != synthetic.data_hash
    assert round_seed(7, 1) != round_seed(8, 1) != round_seed(7, 2)


def test_synthetic_edge_cases():
    pairs, summary = synthetic_augmentation(
        attack_prompts=ATTACK, references=REFERENCES, count=0, seed=0, round=1
    )
    assert pairs == [] and summary.nothing_to_add
    with pytest.raises(HarnessError, match="no attack prompt with a reference"):
        synthetic_augmentation(attack_prompts=[E1 + "?"], references=REFERENCES, count=2,
                               seed=0, round=1)  # fmt: skip
    pairs, _ = synthetic_augmentation(
        attack_prompts=ATTACK, references=REFERENCES, count=9, seed=0, round=1
    )
    assert len(pairs) == 9 and {p.prompt for p in pairs} == set(ATTACK)


def test_clean_adds_nothing():
    pairs, summary = clean_augmentation(round=3)
    assert pairs == [] and summary == Augmentation("clean", 3, 0, 0, {}, pairs_hash([]))
    assert summary.to_json() == {
        "arm": "clean",
        "round": 3,
        "pairs": 0,
        "exploits": 0,
        "families": {},
        "data_hash": pairs_hash([]),
    }


def test_write_pairs_reads_back(store, tmp_path):
    pairs, summary = augment(store, runs=("r0", "r1"))
    path = write_pairs(tmp_path / "data" / "round-1.jsonl", pairs)
    back = read_pairs(path)
    assert [(p.prompt, p.chosen, p.rejected) for p in back] == [
        (p.prompt, p.chosen, p.rejected) for p in pairs
    ]
    assert back[0].meta["source"] == "finding"
    assert pairs_hash(back) == summary.data_hash
    assert [p.name for p in path.parent.iterdir()] == ["round-1.jsonl"]  # no temp file left
    with pytest.raises(ValueError, match="no pairs"):
        write_pairs(tmp_path / "empty.jsonl", [])


def test_parse_arms():
    assert parse_arms("findings, clean") == ("findings", "clean")
    assert parse_arms(list(ARMS)) == ARMS
    for bad, message in (("findings,gold", "unknown arm 'gold'"), ("", "no arms"),
                         ("clean,clean", "named twice")):  # fmt: skip
        with pytest.raises(HarnessError, match=message):
            parse_arms(bad)
