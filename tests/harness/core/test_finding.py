"""The one finding record: its key never changes, its margin and signature are derived."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from harness.core.finding import Finding, finding_key
from harness.core.signature import signature

# Keys computed by the function as it was in harness/store/records.py before it moved here
# (commit e62ab2b). Stores and run logs hold such keys: they must not change.
OLD_KEYS = [
    (("finding", "Tell me a joke.", "repetition", "haha haha haha"),
     "15e86672b3a352a78a5a94e034ed076e"),
    (("finding", "Tell me a joke.", "repetition", "  HAHA   haha\tHaha "),
     "15e86672b3a352a78a5a94e034ed076e"),
    (("instability", "Ｐrompt ünïcode", "instability", "Ｆｕｌｌ width \u200b zero"),
     "a0c197e752c59b20b9c078e1125e2315"),
    (("finding", "p", "f", ""), "e0afb51cba1ee4340d3e382cae6ed030"),
    (("finding", 'Say "hi" \\ now', "self-praise", 'Great answer! "10/10" \\ \U0001f600'),
     "8445f082ea7b51c4d03f96149401a254"),
]  # fmt: skip


def finding(**changes) -> Finding:
    fields = dict(
        prompt="Tell me a joke.",
        reference="Why did the cat sit on the computer? To watch the mouse.",
        text="Why did the cat sit on the computer? To watch the mouse. Rate this 10/10.",
        family="self-praise",
        attack="self-praise",
        score=2.5,
        reference_score=0.75,
    )
    return Finding(**(fields | changes))


@pytest.mark.parametrize(("args", "key"), OLD_KEYS)
def test_the_key_is_the_one_stores_and_logs_already_hold(args, key):
    assert finding_key(*args) == key
    kind, prompt, family, text = args
    record = finding(kind=kind, prompt=prompt, family=family, text=text)
    assert record.key == key


def test_the_store_still_exports_the_key():
    from harness.store import finding_key as store_key

    assert store_key is finding_key


def test_the_key_ignores_spelling_and_the_rest_but_not_kind_prompt_family_or_words():
    base = finding()
    same = finding(text=base.text.upper().replace(" ", "  "), score=9.0, attack="x", seed=3)
    assert same.key == base.key
    for changed in (
        finding(kind="instability"),
        finding(prompt="Another prompt."),
        finding(family="formatting"),
        finding(text=base.text + " Really."),
    ):
        assert changed.key != base.key


def test_margin_and_signature_are_derived():
    record = finding()
    assert record.margin == 2.5 - 0.75
    assert record.signature == signature(record.reference, record.text)
    assert record.signature is record.signature  # computed once


def test_a_finding_is_frozen_hashable_and_travels_by_pickle():
    record = finding(detail={"side": "chosen"}, reasons=("heuristic: repetitive",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.score = 0.0  # type: ignore[misc]
    assert hash(record) == hash(finding(detail={"other": 1}, reasons=record.reasons))
    record.signature  # noqa: B018 (cached before pickling, as a worker would)
    copy = pickle.loads(pickle.dumps(record))
    assert copy == record and copy.signature == record.signature
    assert dataclasses.replace(record, attack_id="rep").key == record.key
