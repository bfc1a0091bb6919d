"""Every damaged data file, suite and gate policy ends in a one-line error, or is accepted.

The user's input files are damaged in every way ``harness.testing_damage`` knows, and
every verb that reads them must exit 2 with one stderr line naming the file, no
traceback; a file that is still usable (a UTF-8 byte-order mark with CRLF line ends, a
missing final newline, an empty policy that means the defaults) must be accepted. Files
and verbs: ``pairs.jsonl`` (``rmh score``, and ``rmh run`` through a suite),
``responses.jsonl`` (``rmh score``), ``suite.toml`` (``rmh run``, ``rmh suites show``),
``gate.toml`` (``rmh gate``). Property tests add generated cut points, bytes, text and
rows. A damaged file is never changed by a verb.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import testing_damage as damage

PAIRS = "".join(
    json.dumps({"prompt": f"Tell me a joke about {animal}.", "chosen": joke, "rejected": "No."})
    + "\n"
    for animal, joke in (("cats", "Cats? Purr-fect."), ("dogs", "Dogs? Ruff day."))
)
RESPONSES = "".join(
    json.dumps({"prompt": "Tell me a joke.", "response": text}) + "\n" for text in ("Ha.", "")
)
SUITE = """\
name = "damage"   # one cheap attack: a whole run takes well under a second

[data]
source = "pairs.jsonl"

[[attacks]]
name = "null-answer"
budget = 2
"""
POLICY = """\
confidence = 0.9
min_clean_accuracy = 0.0
inconclusive = "pass"

[defaults]
max_asr = 1.0
min_samples = 1
"""
#: Each input file and the verbs that read it.
READERS = {
    "pairs.jsonl": ("score", "run"),
    "responses.jsonl": ("score",),
    "suite.toml": ("run", "show"),
    "gate.toml": ("gate",),
}
VARIANTS = [
    (name, kind, verb) for name, verbs in READERS.items() for kind in damage.KINDS for verb in verbs
]
ROW_VALUES = st.none() | st.booleans() | st.integers() | st.text(max_size=6)
ROWS = st.lists(
    st.dictionaries(st.sampled_from(["prompt", "chosen", "rejected", "response", "x"]), ROW_VALUES)
    | st.lists(ROW_VALUES, max_size=2)
    | ROW_VALUES,
    max_size=3,
)


@pytest.fixture(scope="module")
def inputs(checkpoints, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Good inputs, and a finished run of the suite for the gate to judge."""
    from harness.cli import main

    folder = tmp_path_factory.mktemp("damage-inputs")
    (folder / "pairs.jsonl").write_text(PAIRS)
    (folder / "responses.jsonl").write_text(RESPONSES)
    (folder / "suite.toml").write_text(SUITE)
    (folder / "gate.toml").write_text(POLICY)
    argv = ["run", str(checkpoints["bert"]), "--suite", str(folder / "suite.toml")]
    assert main([*argv, "--out", str(folder / "run"), "--quiet"]) == 0
    return folder


def _call(rmh, verb: str, folder: Path, name: str, checkpoint: Path) -> tuple[int, str]:
    target = str(folder / name)
    if verb == "score":
        code, _out, err = rmh("score", str(checkpoint), "--data", target)
    elif verb == "run":
        suite = folder / "suite.toml"
        code, _out, err = rmh(
            "run", str(checkpoint), "--suite", str(suite), "--out", str(folder / "out"), "--quiet"
        )
    elif verb == "show":
        code, _out, err = rmh("suites", "show", target)
    else:
        code, out, err = rmh("gate", str(folder / "run"), "--policy", target)
        if code == 1 and not err.strip() and out.startswith("gate: "):
            code = 0  # a verdict (fail) is a success for the policy file
    return code, err


def _expect(name: str, kind: str) -> str:
    if kind in damage.USABLE or (name == "gate.toml" and kind == "empty"):
        return "ok"  # an empty policy means the built-in defaults
    if kind in ("truncate-half", "truncate-last"):
        return "either"  # may still hold whole rows or keys
    return "error"


def _check(rmh, verb, folder, name, checkpoint, expect) -> str:
    target = folder / name
    before = target.read_bytes() if target.is_file() else None
    was_dir = target.is_dir()
    code, err = _call(rmh, verb, folder, name, checkpoint)
    outcome = damage.check_outcome(code, err, name, expect)
    if outcome == "error":
        assert target.is_dir() if was_dir else damage.unchanged(before, target)
    return outcome


def _copy(inputs: Path, target: Path) -> Path:
    return shutil.copytree(inputs, target, ignore=shutil.ignore_patterns("out", "findings.db*"))


@pytest.mark.parametrize(("name", "kind", "verb"), VARIANTS, ids=[":".join(v) for v in VARIANTS])
def test_damaged_input_file(rmh, checkpoints, inputs, tmp_path, name, kind, verb):
    if kind == "unreadable" and not damage.permissions_apply():
        pytest.skip("permissions do not apply to root")
    folder = _copy(inputs, tmp_path / "in")
    damage.apply(folder / name, kind)
    try:
        _check(rmh, verb, folder, name, checkpoints["bert"], _expect(name, kind))
    finally:
        damage.restore_permissions(folder / name)


def test_a_bom_and_crlf_change_nothing(rmh, checkpoints, inputs, tmp_path):
    """The known example: a JSONL file with a BOM and CRLF line ends scores the same."""
    folder = _copy(inputs, tmp_path / "in")
    code, plain, _err = rmh(
        "score", str(checkpoints["bert"]), "--data", str(folder / "pairs.jsonl")
    )
    damage.add_bom_crlf(folder / "pairs.jsonl")
    code_bom, bom, err = rmh(
        "score", str(checkpoints["bert"]), "--data", str(folder / "pairs.jsonl")
    )
    assert code == code_bom == 0 and plain == bom and not err


def test_utf16_data_says_so(rmh, checkpoints, inputs, tmp_path):
    folder = _copy(inputs, tmp_path / "in")
    damage.reencode(folder / "pairs.jsonl", "utf-16")
    code, _out, err = rmh("score", str(checkpoints["bert"]), "--data", str(folder / "pairs.jsonl"))
    assert code == 2 and "is UTF-16 text; re-save the file as UTF-8" in err


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(READERS)),
    how=st.sampled_from(["truncate", "noise", "text", "rows"]),
    data=st.data(),
)
def test_generated_damage_to_an_input(rmh, checkpoints, inputs, tmp_path, name, how, data):
    verb = data.draw(st.sampled_from(READERS[name]), "verb")
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        folder = _copy(inputs, Path(work) / "in")
        target = folder / name
        if how == "truncate":
            damage.truncate(target, data.draw(st.integers(0, target.stat().st_size - 1), "at"))
        elif how == "noise":
            damage.random_bytes(target, data.draw(st.binary(max_size=64), "noise"))
        elif how == "text":
            target.write_text(data.draw(st.text(max_size=40), "text"), encoding="utf-8")
        else:
            rows = data.draw(ROWS, "rows")
            target.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        _check(rmh, verb, folder, name, checkpoints["bert"], "either")
