"""Every damaged checkpoint file ends in a one-line error in ``rmh info``, ``score`` and ``run``.

Each file of a good tiny checkpoint is damaged in a fresh copy in every way that
``harness.testing_damage`` knows (cut short at several points, emptied, noise, JSON of
the wrong shape, UTF-16, Latin-1, deleted, unreadable, a directory, BOM and CRLF), and
each verb must then exit 2 with one stderr line naming the file, or succeed where the
file is not needed (the fast tokenizer ignores ``vocab.txt``, transformers 5 ignores
``special_tokens_map.json``; damage to those loads, so ``run``, a whole run each time,
gets three kinds of them). ``config.json`` and the weights are always needed. A
checkpoint JSON file with a byte-order mark is an error, not accepted: transformers and
tokenizers cannot read one, so neither could any other tool. Property tests add
generated cut points, noise and JSON shapes. A damaged file is never changed by a verb.
Permissions mean nothing to root, so the ``unreadable`` kind is skipped there.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import transformers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import testing_damage as damage

TRANSFORMERS_MAJOR = int(transformers.__version__.split(".")[0])

#: The files ``build_tiny_checkpoint(arch="bert")`` writes (checked below). Transformers 5
#: no longer writes the slow tokenizer's ``vocab.txt`` and ``special_tokens_map.json``.
FILES = tuple(
    sorted(
        ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
        + (("special_tokens_map.json", "vocab.txt") if TRANSFORMERS_MAJOR < 5 else ())
    )
)
BINARY = {"model.safetensors"}
NEEDED = {"config.json", "model.safetensors"}  # no damage to these may load
VERBS = ("info", "score", "run")
#: Files this (fast) tokenizer never reads: damage to them loads, so each ``rmh run`` is a
#: whole run; ``run`` gets three kinds of them (``info`` and ``score`` get every kind).
IGNORED = {"special_tokens_map.json", "vocab.txt"}
RUN_KINDS_OF_IGNORED = {"truncate-half", "random-bytes", "deleted"}

SUITE = """\
name = "damage"

[data]
source = "pairs.jsonl"

[[attacks]]
name = "null-answer"
budget = 2
"""
PAIR = '{"prompt": "Tell me a joke.", "chosen": "Why? Because.", "rejected": "No."}\n'

VARIANTS = [
    (name, kind, verb)
    for name in FILES
    for kind in damage.KINDS
    for verb in VERBS
    if (name not in BINARY or kind not in damage.TEXT_ONLY)
    and (verb != "run" or name not in IGNORED or kind in RUN_KINDS_OF_IGNORED)
]

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-pair data file and a one-attack suite: a whole run takes well under a second."""
    folder = tmp_path_factory.mktemp("damage-inputs")
    (folder / "pairs.jsonl").write_text(PAIR)
    (folder / "suite.toml").write_text(SUITE)
    return folder


def _argv(verb: str, checkpoint: Path, inputs: Path, work: Path) -> list[str]:
    if verb == "info":
        return ["info", str(checkpoint)]
    if verb == "score":
        return ["score", str(checkpoint), "--data", str(inputs / "pairs.jsonl")]
    return [
        "run",
        str(checkpoint),
        "--suite",
        str(inputs / "suite.toml"),
        "--out",
        str(work / "run"),
        "--store",
        str(work / "findings.db"),
        "--quiet",
    ]


def _expect(name: str, original: bytes, target: Path) -> str:
    """A needed file must fail unless its damage left the same JSON (a cut final newline)."""
    if name not in NEEDED:
        return "either"
    if not target.is_file():
        return "error"
    now = target.read_bytes()
    if name == "config.json":
        try:
            return "ok" if json.loads(now.decode("utf-8")) == json.loads(original) else "error"
        except ValueError:
            return "error"
    return "ok" if now == original else "error"


def _check(rmh, verb, checkpoint, inputs, work, name, original) -> str:
    target = checkpoint / name
    expect = _expect(name, original, target)
    before = target.read_bytes() if target.is_file() else None
    was_dir = target.is_dir()
    code, _out, err = rmh(*_argv(verb, checkpoint, inputs, work))
    outcome = damage.check_outcome(code, err, name, expect)
    if outcome == "error":  # the damaged file is left exactly as it was
        assert target.is_dir() if was_dir else damage.unchanged(before, target)
    return outcome


def test_the_variants_cover_every_file_of_the_tiny_checkpoint(checkpoints):
    assert tuple(sorted(p.name for p in checkpoints["bert"].iterdir())) == FILES
    assert {damage.is_text(checkpoints["bert"] / n) for n in BINARY} == {False}


@pytest.mark.parametrize(("name", "kind", "verb"), VARIANTS, ids=[":".join(v) for v in VARIANTS])
def test_damaged_checkpoint_file(rmh, checkpoints, inputs, tmp_path, verb, name, kind):
    if kind == "unreadable" and not damage.permissions_apply():
        pytest.skip("permissions do not apply to root")
    checkpoint = damage.copy_to_damage(checkpoints["bert"], tmp_path / "ckpt", name)
    original = (checkpoint / name).read_bytes()
    damage.apply(checkpoint / name, kind)
    try:
        _check(rmh, verb, checkpoint, inputs, tmp_path, name, original)
    finally:
        damage.restore_permissions(checkpoint / name)


def test_messages_say_what_is_wrong(rmh, checkpoints, tmp_path):
    cases = {
        ("model.safetensors", "truncate-half"): "is cut short (",
        ("config.json", "truncate-half"): "config.json is cut short",
        ("config.json", "wrong-shape-json"): "holds a JSON list, not an object",
        ("tokenizer.json", "utf-16"): "is UTF-16 text; save it as UTF-8",
        ("model.safetensors", "directory"): "is a directory",
        ("model.safetensors", "deleted"): "has no weights (model.safetensors",
    }
    for index, ((name, kind), fragment) in enumerate(cases.items()):
        checkpoint = damage.copy_to_damage(checkpoints["bert"], tmp_path / str(index), name)
        damage.apply(checkpoint / name, kind)
        code, _out, err = rmh("info", str(checkpoint))
        assert code == 2 and fragment in err, err


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(set(FILES) - {"vocab.txt", "special_tokens_map.json"})),
    how=st.sampled_from(["truncate", "noise", "json"]),
    verb=st.sampled_from(VERBS),
    data=st.data(),
)
def test_generated_damage_to_a_checkpoint(
    rmh, checkpoints, inputs, tmp_path, name, how, verb, data
):
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        checkpoint = damage.copy_to_damage(checkpoints["bert"], Path(work) / "ckpt", name)
        target = checkpoint / name
        original = target.read_bytes()
        if how == "truncate":
            damage.truncate(target, data.draw(st.integers(0, target.stat().st_size - 1), "at"))
        elif how == "noise":
            damage.random_bytes(target, data.draw(st.binary(max_size=64), "noise"))
        else:
            damage.wrong_shape_json(target, data.draw(JSON_VALUES, "value"))
        _check(rmh, verb, checkpoint, inputs, Path(work), name, original)


PICKLE_KINDS = [kind for kind in damage.KINDS if kind not in damage.TEXT_ONLY]


@pytest.mark.parametrize("kind", PICKLE_KINDS)
def test_damaged_pickle_weights(rmh, checkpoints, tmp_path, kind):
    """``--allow-pickle`` weights: the loader explains a failure from the archive itself."""
    if kind == "unreadable" and not damage.permissions_apply():
        pytest.skip("permissions do not apply to root")
    name = "pytorch_model.bin"
    checkpoint = damage.copy_to_damage(checkpoints["bert_pickle"], tmp_path / "ckpt", name)
    damage.apply(checkpoint / name, kind)
    try:
        code, _out, err = rmh("info", str(checkpoint), "--allow-pickle")
        # a deleted pickle leaves no weights: the message names the safetensors it wants
        expected = "model.safetensors" if kind == "deleted" else name
        damage.check_outcome(code, err, expected, "error")
    finally:
        damage.restore_permissions(checkpoint / name)
