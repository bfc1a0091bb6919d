"""Loading a causal LM (a sampling policy or its reference): safety and one-line errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from harness.core.errors import CheckpointError
from harness.models.causal_lm import CausalLM, split_source
from harness.models.hf import TOKENIZER_FILES
from harness.models.options import PolicyOptions
from harness.models.sampling import CausalPolicy
from harness.testing import build_tiny_causal_lm


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("causal-lms")
    return {
        "plain": build_tiny_causal_lm(root / "plain"),
        "pickle": build_tiny_causal_lm(root / "pickle", pickle_weights=True),
    }


def test_pickle_only_folder_is_refused_unless_allowed(lms):
    with pytest.raises(CheckpointError, match="--allow-pickle"):
        CausalPolicy.load(lms["pickle"])
    allowed = CausalPolicy.load(lms["pickle"], options=PolicyOptions(allow_pickle=True))
    (s,) = allowed.sample(["Tell me a joke about bytes."], 1, max_new_tokens=3, progress=False)
    assert np.isfinite(s.policy_logprob)


def test_a_reward_model_is_not_a_policy(checkpoints):
    with pytest.raises(CheckpointError, match="not a causal language model"):
        CausalPolicy.load(checkpoints["llama"])


def test_missing_and_damaged_sources_are_one_line_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        CausalPolicy.load(tmp_path / "nothing")
    with pytest.raises(CheckpointError, match=r"no config\.json"):
        CausalPolicy.load(tmp_path)
    with pytest.raises(CheckpointError, match=r"no GGUF file 'model\.gguf'"):
        CausalPolicy.load(tmp_path, gguf_file="model.gguf")
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(CheckpointError, match="not a GGUF file"):
        CausalPolicy.load(fake)


def test_a_folder_without_tokenizer_files_is_refused_before_loading(lms, tmp_path):
    folder = shutil.copytree(lms["plain"], tmp_path / "no-tokenizer")
    for name in TOKENIZER_FILES:
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(CheckpointError, match=r"no tokenizer files in .*save the tokenizer"):
        CausalLM.load(folder)


def test_a_gguf_path_names_its_folder_and_file(tmp_path):
    gguf = tmp_path / "model.Q8_0.gguf"
    gguf.write_bytes(b"GGUF")
    assert split_source(gguf, None) == (tmp_path, "model.Q8_0.gguf")
    assert split_source(tmp_path, "other.gguf") == (tmp_path, "other.gguf")
    assert split_source(tmp_path, None) == (tmp_path, None)
