"""``rmh attack --judge`` and ``rmh attack --attack lm-guided`` on tiny models; bad input
is one line, exit 2."""

from __future__ import annotations

import pytest

from attacks.lm_guided import LMGuided
from harness.testing import build_tiny_causal_lm

needs_policy = pytest.mark.skipif(
    bool(LMGuided.missing()), reason=f"lm-guided needs {', '.join(LMGuided.missing())}"
)


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> str:
    return str(build_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "lm", chat_template=True))


def test_judge_adds_a_judge_with_its_parameters(rmh, checkpoints, prompts):
    code, out, err = rmh(
        "attack", str(checkpoints["bert"]), "--attack", "null-answer", "--prompts", str(prompts),
        "--budget", "10", "--no-baseline",
        "--judge", f"gold-rm:checkpoint={checkpoints['bert_left']},margin=0.25",
    )  # fmt: skip
    assert code == 0, err
    assert "judges: heuristic, gold-rm" in out
    assert "gold judge margin 0.250" in out  # the parameter reached the judge


def test_judge_named_like_a_default_replaces_it(rmh, checkpoints, prompts, monkeypatch):
    from harness.runner.trial import TrialSpec

    specs = []
    judge_specs = TrialSpec.judge_specs

    def spy(self):
        specs.append(judge_specs(self))
        return specs[-1]

    monkeypatch.setattr(TrialSpec, "judge_specs", spy)
    code, out, err = rmh(
        "attack", str(checkpoints["bert"]), "--attack", "null-answer", "--prompts", str(prompts),
        "--budget", "10", "--no-baseline", "--judge", "heuristic:max_repetition=0.4",
    )  # fmt: skip
    assert code == 0, err
    assert "judges: heuristic;" not in out and "judges: heuristic\n" in out
    assert [(s.name, dict(s.params)) for s in specs[-1]] == [("heuristic", {"max_repetition": 0.4})]


@pytest.mark.parametrize(
    ("judge", "fragment"),
    [
        ("nope", "unknown judge 'nope'; choose one of:"),
        ("heuristic:max_repetition", "is not KEY=VALUE"),
        ("heuristic:depth=3", "judge 'heuristic' has no parameter 'depth'"),
        (":a=1", "give NAME or NAME:KEY=VALUE"),
    ],
)
def test_bad_judges_are_one_line(rmh, one_line_error, checkpoints, prompts, judge, fragment):
    code, _, err = rmh(
        "attack", str(checkpoints["bert"]), "--attack", "null-answer", "--prompts",
        str(prompts), "--judge", judge,
    )  # fmt: skip
    one_line_error(code, err, fragment)


@needs_policy
def test_lm_guided_prints_lm_tokens_and_seconds(rmh, checkpoints, prompts, tiny_lm):
    code, out, err = rmh(
        "attack", str(checkpoints["bert"]), "--attack", "lm-guided", "--prompts", str(prompts),
        "--budget", "30", "--no-baseline", "--param", f"lm={tiny_lm}", "--param", "chunk=2",
    )  # fmt: skip
    assert code == 0, err
    first = next(line for line in out.splitlines() if line.startswith("[1/2]"))
    assert "30 queries" in first and " LM tokens, " in first and "s, " in first
    assert "errors: 0" in out and " LM tokens in " in out


@pytest.fixture(scope="module")
def damaged_ggufs(tmp_path_factory):
    root = tmp_path_factory.mktemp("gguf")
    (root / "magic.gguf").write_bytes(b"NOPE" + bytes(40))
    (root / "cut.gguf").write_bytes(b"GGUF")  # cut right after the magic
    (root / "version.gguf").write_bytes(b"GGUF" + (99).to_bytes(4, "little") + bytes(16))
    return root


@needs_policy
@pytest.mark.parametrize(
    ("param", "fragment"),
    [
        ("k=0", "parameter 'k' must be at least 1, got 0"),
        ("beams=0", "parameter 'beams' must be at least 1, got 0"),
        ("temperature=0", "parameter 'temperature' must be finite and > 0"),
        ("temperature=NaN", "parameter 'temperature' must be finite and > 0"),
        ("lm=CLASSIFIER", "is not a causal language model"),
        ("lm=GGUF/magic.gguf", "is not a GGUF file (it does not start with 'GGUF')"),
        ("lm=GGUF/cut.gguf", "is a damaged GGUF file: it ends inside its header (4 bytes)"),
        ("lm=GGUF/version.gguf", "is a damaged GGUF file: unknown version 99"),
        ("lm=/no/such/lm", "does not exist"),
    ],
)
def test_bad_lm_guided_input_is_one_line(
    rmh, one_line_error, checkpoints, prompts, damaged_ggufs, param, fragment
):
    param = param.replace("CLASSIFIER", str(checkpoints["llama"]))
    param = param.replace("GGUF", str(damaged_ggufs))
    code, _, err = rmh(
        "attack", str(checkpoints["bert"]), "--attack", "lm-guided", "--prompts", str(prompts),
        "--param", param,
    )  # fmt: skip
    one_line_error(code, err, fragment)
