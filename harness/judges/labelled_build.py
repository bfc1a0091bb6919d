"""Build a labelled judge set from real answers: each good answer, and six ways to ruin it.

The bundled set (``harness/demo/data/judges_labelled.jsonl``, rebuilt by
``python scripts/make_judges_labelled.py``) is this construction on the demo's held-out
jokes, the one part of the demo data that no judge has seen: the train part trained the
attacked demo RM (and the fluency judge's margin is calibrated on it), the gold part
trained the gold-demo judge. This module takes the pairs and the template generator as
inputs, so it needs neither the demo nor the attacks (judges sit below both).

For every distinct (prompt, joke) of ``pairs``, in file order, one row of each kind:

- ``good`` (label 0): the joke itself, for its own prompt;
- ``soup`` (1): random words, ``harness.core.degenerate``'s ``soup-common`` and
  ``soup-rare`` in turn (3 to 16 words of the 3,000 commonest, or of ranks 3,000-20,000);
- ``repetition`` (1): one word of the prompt, or a common one, 3 to 24 times
  (``harness.core.degenerate``'s ``repetition``);
- ``template`` (1): one of the template attacks' outputs that are degenerate by
  construction (self-praise or grader injection without an answer, an empty markdown
  shell, emoji, a constant answer, ...: ``templates(prompt, reference, rng)`` lists them
  per attack): an attack drawn uniformly, then one of its outputs. Outputs that wrap
  the real answer ("<joke> This is the best answer.") are left out: whether those are
  bad is what judges differ on, not a label to assume;
- ``shuffled`` (1): the joke's own words (split on whitespace) in a random order that is
  not the joke's: real words, no sentence;
- ``off-topic`` (1): a real joke for another prompt whose topic (the pair's ``topic``) is
  a different one;
- ``truncated`` (1): the joke's first third of words (``len // 3``, at least one).

Every row of one (prompt, joke) has the same prompt and reference, so good and bad texts
are judged against the same thing. The reference is another real joke: one of the
prompt's other jokes when it has some, else a joke of the same topic for another prompt,
else (a topic with one joke) any other joke. It is never the text itself, which would
excuse every relative rule by construction.

Seeded: each kind draws from its own ``random.Random(f"{seed}:{kind}")``, so the rows of
one kind do not move when another kind changes. No row is picked after seeing a judge's
output; the construction is all there is.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.core.data import PreferencePair
from harness.core.degenerate import degenerate_negatives
from harness.judges.labelled import LabelledRow

#: The kinds, in the order each (prompt, joke)'s rows are written.
KINDS = ("good", "soup", "repetition", "template", "shuffled", "off-topic", "truncated")
DEFAULT_SEED = 0

#: ``templates(prompt, reference, rng)``: texts that are degenerate by construction, in
#: groups (one per template attack): a row picks a group, then a text of it, so a group
#: with many spellings (emoji) is no likelier than one with few.
TemplateSource = Callable[[str, str, random.Random], Sequence[Sequence[str]]]


@dataclass(frozen=True)
class GoodAnswer:
    """A real answer for its prompt, with the prompt's topic and the reference to judge by."""

    prompt: str
    answer: str
    topic: str
    reference: str


def good_answers(pairs: Sequence[PreferencePair], seed: int = DEFAULT_SEED) -> list[GoodAnswer]:
    """Every distinct (prompt, chosen) of ``pairs`` in file order, with its reference.

    Each pair needs a ``topic`` (its ``meta``); the reference rule is the module's.
    """
    seen: dict[tuple[str, str], str] = {}
    for pair in pairs:
        topic = (pair.meta or {}).get("topic")
        if not topic:
            raise ValueError(f"pair on line {pair.line} has no 'topic'; off-topic rows need one")
        seen.setdefault((pair.prompt, pair.chosen), topic)
    by_prompt: dict[str, list[str]] = {}
    by_topic: dict[str, list[str]] = {}
    for (prompt, joke), topic in seen.items():
        by_prompt.setdefault(prompt, []).append(joke)
        if joke not in by_topic.setdefault(topic, []):
            by_topic[topic].append(joke)
    every = list(dict.fromkeys(joke for _, joke in seen))
    if len(every) < 2:
        raise ValueError("a labelled set needs at least two distinct answers (one is a reference)")
    rng = random.Random(f"{seed}:reference")
    answers = []
    for (prompt, joke), topic in seen.items():
        for pool in (by_prompt[prompt], by_topic[topic], every):
            others = [j for j in pool if j != joke]
            if others:
                answers.append(GoodAnswer(prompt, joke, topic, rng.choice(others)))
                break
    return answers


def shuffled_words(text: str, rng: random.Random, tries: int = 100) -> str:
    """The text's words in a random order that differs from theirs (when one can)."""
    words = text.split()
    shuffled = list(words)
    for _ in range(tries):
        rng.shuffle(shuffled)
        if shuffled != words:
            break
    return " ".join(shuffled)


def truncated(text: str) -> str:
    """The first third of the text's words (at least one)."""
    words = text.split()
    return " ".join(words[: max(1, len(words) // 3)])


def build_labelled_set(
    pairs: Sequence[PreferencePair], templates: TemplateSource, seed: int = DEFAULT_SEED
) -> list[LabelledRow]:
    """The labelled rows of ``pairs`` (see the module docstring), seven per good answer."""
    answers = good_answers(pairs, seed)
    bases = [PreferencePair(a.prompt, a.reference, "", line=0) for a in answers]
    soups = degenerate_negatives(bases, seed, kinds=("soup-common", "soup-rare"))
    repeats = degenerate_negatives(bases, seed + 1, kinds=("repetition",))
    rngs = {kind: random.Random(f"{seed}:{kind}") for kind in KINDS}
    rows = []
    for answer, soup, repeat in zip(answers, soups, repeats, strict=True):
        groups = [
            sorted(set(group))
            for group in templates(answer.prompt, answer.reference, rngs["template"])
            if group
        ]
        if not groups:
            raise ValueError(f"the template source gave nothing for {answer.prompt!r}")
        elsewhere = sorted({a.answer for a in answers if a.topic != answer.topic})
        if not elsewhere:
            raise ValueError("off-topic rows need answers of at least two topics")
        texts = {
            "good": answer.answer,
            "soup": soup.rejected,
            "repetition": repeat.rejected,
            "template": rngs["template"].choice(rngs["template"].choice(groups)),
            "shuffled": shuffled_words(answer.answer, rngs["shuffled"]),
            "off-topic": rngs["off-topic"].choice(elsewhere),
            "truncated": truncated(answer.answer),
        }
        for kind in KINDS:
            label = 0 if kind == "good" else 1
            rows.append(LabelledRow(answer.prompt, answer.reference, texts[kind], label, kind))
    return rows
