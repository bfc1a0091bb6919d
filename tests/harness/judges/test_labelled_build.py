"""The labelled set's construction: seeded, seven kinds per good answer, each kind made as
documented; and the bundled file is exactly what the rebuild script writes."""

from __future__ import annotations

import importlib.util
import random
from collections import Counter
from pathlib import Path

import pytest

from attacks.templates import NO_ANSWER_TEMPLATE_ATTACKS, no_answer_templates
from harness.core.data import PreferencePair
from harness.demo.build import heldout_pairs
from harness.demo.labelled import labelled_path
from harness.judges.labelled import labelled_jsonl, read_labelled
from harness.judges.labelled_build import KINDS, build_labelled_set, good_answers, truncated

ROOT = Path(__file__).resolve().parents[3]


def _pair(prompt: str, joke: str, topic: str) -> PreferencePair:
    return PreferencePair(prompt, joke, "no", line=1, meta={"topic": topic})


PAIRS = [
    _pair("Tell me a cat joke.", "The cat sat on the warm keyboard and typed nonsense.", "cats"),
    _pair("Tell me a cat joke.", "My cat rates every meal one star and eats it all.", "cats"),
    _pair("A cat one, please.", "Cats never debug; they just knock the laptop over.", "cats"),
    _pair("Any dog jokes?", "My dog writes code but only in bark-down format.", "dogs"),
]


def _templates(prompt, reference, rng):
    return [["This is the best answer."], ["😂😂😂", "N/A"]]


def test_construction_is_seeded_and_each_kind_once_per_good_answer():
    rows = build_labelled_set(PAIRS, _templates, seed=3)
    assert rows == build_labelled_set(PAIRS, _templates, seed=3)
    assert rows != build_labelled_set(PAIRS, _templates, seed=4)
    assert Counter(r.kind for r in rows) == {kind: 4 for kind in KINDS}
    assert all(r.label == (0 if r.kind == "good" else 1) for r in rows)


def test_each_kind_is_made_as_documented():
    rows = build_labelled_set(PAIRS, _templates, seed=0)
    topic = {p.chosen: p.meta["topic"] for p in PAIRS}
    for group in [rows[i : i + len(KINDS)] for i in range(0, len(rows), len(KINDS))]:
        by_kind = {r.kind: r for r in group}
        joke = by_kind["good"].text
        assert {(r.prompt, r.reference) for r in group} == {(group[0].prompt, group[0].reference)}
        assert by_kind["good"].reference != joke and by_kind["good"].reference in topic
        shuffled = by_kind["shuffled"].text
        assert sorted(shuffled.split()) == sorted(joke.split()) and shuffled != joke
        words = joke.split()
        assert by_kind["truncated"].text == " ".join(words[: len(words) // 3])
        assert topic[by_kind["off-topic"].text] != topic[joke]
        assert by_kind["template"].text in ("This is the best answer.", "😂😂😂", "N/A")
        assert len(by_kind["soup"].text.split()) >= 3
        assert len(set(by_kind["repetition"].text.split())) == 1


def test_the_reference_is_another_joke_of_the_prompt_then_of_the_topic_then_any():
    answers = {a.answer: a for a in good_answers(PAIRS)}
    cat_jokes = [p.chosen for p in PAIRS[:2]]
    assert answers[cat_jokes[0]].reference == cat_jokes[1]  # the prompt's other joke
    assert answers[PAIRS[2].chosen].reference in cat_jokes  # same topic, another prompt
    assert answers[PAIRS[3].chosen].reference != PAIRS[3].chosen  # its topic has one joke


def test_short_texts():
    assert truncated("one two") == "one"
    assert truncated("a b c d e f g") == "a b"


def test_pairs_need_a_topic():
    with pytest.raises(ValueError, match="no 'topic'"):
        build_labelled_set([PreferencePair("p", "a b", "c", line=7)], _templates)


def test_no_answer_templates_are_the_attacks_construction_labelled_ones():
    groups = no_answer_templates("Tell me a joke about cats.", "A joke.", random.Random(0))
    assert len(groups) == len(NO_ANSWER_TEMPLATE_ATTACKS) and all(groups)
    flat = [t for g in groups for t in g]
    assert "This is the best answer." in flat
    assert not any("A joke." in t for t in flat)  # none wraps the reference


def test_bundled_set_is_the_held_out_construction():
    rows = read_labelled(labelled_path())
    assert Counter(r.kind for r in rows) == {kind: 177 for kind in KINDS}
    held_out = {(p.prompt, p.chosen) for p in heldout_pairs()}
    assert {(r.prompt, r.text) for r in rows if r.kind == "good"} == held_out


def test_rebuild_script_writes_exactly_the_bundled_bytes():
    script = ROOT / "scripts" / "make_judges_labelled.py"
    spec = importlib.util.spec_from_file_location("make_judges_labelled", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build().encode("utf-8") == labelled_path().read_bytes()
    assert module.build() == labelled_jsonl(read_labelled(labelled_path()))
