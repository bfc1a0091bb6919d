"""The Hugging Face loader on tiny real checkpoints: heads, formats, safety, fingerprints."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from harness.core.errors import CheckpointError
from harness.models import HFRewardModel, LoadOptions, load_reward_model
from harness.scoring import Scorer

PROMPT = "Tell me a joke about bytes."
RESPONSES = ["Two bytes meet. One asks, 'Are you ill?'", "", "the the the the", "Ha!"]


def test_scalar_head_reads_the_single_logit(checkpoints):
    rm = load_reward_model(checkpoints["bert"])
    assert rm.head == "scalar"
    enc = rm.tokenizer(PROMPT, RESPONSES[0], return_tensors="pt")
    with torch.inference_mode():
        expected = rm.model(**enc).logits[0, 0].item()
    assert Scorer(rm).score_one(PROMPT, RESPONSES[0]) == pytest.approx(expected, abs=1e-5)


def test_two_label_head_is_good_minus_bad_and_overridable(checkpoints):
    rm = load_reward_model(checkpoints["bert_two_label"])
    enc = rm.tokenizer(PROMPT, RESPONSES[0], return_tensors="pt")
    with torch.inference_mode():
        logits = rm.model(**enc).logits[0]
    assert rm.head == "diff:1-0"
    assert Scorer(rm).score_one(PROMPT, RESPONSES[0]) == pytest.approx(
        (logits[1] - logits[0]).item(), abs=1e-5
    )
    flipped = load_reward_model(
        checkpoints["bert_two_label"], LoadOptions(good_label=0, bad_label=1)
    )
    assert Scorer(flipped).score_one(PROMPT, RESPONSES[0]) == pytest.approx(
        (logits[0] - logits[1]).item(), abs=1e-5
    )
    assert flipped.fingerprint != rm.fingerprint


def test_many_label_head_needs_head_index(checkpoints):
    with pytest.raises(CheckpointError, match="--head-index"):
        load_reward_model(checkpoints["bert_three_label"])
    rm = load_reward_model(checkpoints["bert_three_label"], LoadOptions(head_index=2))
    assert rm.head == "index:2"
    with pytest.raises(CheckpointError, match="out of range"):
        load_reward_model(checkpoints["bert_three_label"], LoadOptions(head_index=3))


def test_pickle_weights_refused_unless_allowed(checkpoints):
    with pytest.raises(CheckpointError, match="--allow-pickle"):
        load_reward_model(checkpoints["bert_pickle"])
    rm = load_reward_model(checkpoints["bert_pickle"], LoadOptions(allow_pickle=True))
    assert np.isfinite(Scorer(rm).score_one(PROMPT, "hi"))


def test_missing_path_config_and_tokenizer(checkpoints, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_reward_model(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match=r"no config\.json"):
        load_reward_model(tmp_path / "empty")
    with pytest.raises(CheckpointError, match="--tokenizer"):
        load_reward_model(checkpoints["bert_no_tokenizer"])
    rm = load_reward_model(
        checkpoints["bert_no_tokenizer"], LoadOptions(tokenizer=str(checkpoints["bert"]))
    )
    assert np.isfinite(Scorer(rm).score_one(PROMPT, "hi"))


def test_missing_pad_token_is_set_and_reported(checkpoints):
    rm = load_reward_model(checkpoints["llama_no_pad"])
    assert rm.pad_note and "eos_token" in rm.pad_note
    assert rm.tokenizer.pad_token == rm.tokenizer.eos_token


def test_chat_template_is_the_default_format_when_present(checkpoints):
    rm = load_reward_model(checkpoints["llama_chat_left"])
    assert rm.formatter.describe() == "chat"
    text = rm.tokenizer.decode(rm.prepare([PROMPT], ["Ha!"])[0].payload.input_ids)
    assert text.startswith("<s><|user|>\nTell me a joke") and "<|assistant|>\nHa!</s>" in text
    plain = load_reward_model(checkpoints["llama"])
    assert plain.formatter.describe() == "pair"
    templated = load_reward_model(
        checkpoints["llama"], LoadOptions(format="Q: {prompt}\nA: {response}")
    )
    assert templated.formatter.describe() == "Q: {prompt}\nA: {response}"
    with pytest.raises(CheckpointError, match="no chat template"):
        load_reward_model(checkpoints["llama"], LoadOptions(format="chat"))
    with pytest.raises(CheckpointError, match="no \\{response\\} field"):
        load_reward_model(checkpoints["llama"], LoadOptions(format="Q: {prompt}"))


def test_decoder_pooling_ignores_eos_equal_to_pad(checkpoints):
    """The template ends in EOS, which is also the pad token: pooling must use the EOS row.

    A batch of one has no padding, so its last position is unambiguous ground truth.
    """
    rm = load_reward_model(checkpoints["llama_chat_right"])
    assert rm.tokenizer.pad_token_id == rm.tokenizer.eos_token_id
    items = rm.prepare([PROMPT] * 3, ["a", "a much longer answer than the first", "b"])
    batched = rm.score_batch(items)
    alone = np.array([rm.score_batch([item])[0] for item in items])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    ids = torch.tensor([items[0].payload.input_ids])
    with torch.inference_mode():
        full = rm.model.score(rm.model.base_model(ids)[0])[0, -1, 0].item()
    assert alone[0] == pytest.approx(full, abs=1e-5)


def test_truncation_is_counted(checkpoints):
    rm = load_reward_model(checkpoints["bert"], LoadOptions(max_length=16))
    scorer = Scorer(rm)
    scorer.score([PROMPT, PROMPT], ["short", "word " * 100])
    assert scorer.stats.truncated == 1
    assert all(item.length <= 16 for item in rm.prepare([PROMPT * 20], ["word " * 100]))


def test_fingerprint_is_stable_under_copy_and_changes_with_content(checkpoints, tmp_path):
    original = load_reward_model(checkpoints["bert"])
    copy = shutil.copytree(checkpoints["bert"], tmp_path / "copy")
    assert load_reward_model(copy).fingerprint == original.fingerprint
    config = json.loads((copy / "config.json").read_text())
    config["initializer_range"] = 0.01  # no effect on weights, but the config is hashed
    (copy / "config.json").write_text(json.dumps(config))
    assert load_reward_model(copy).fingerprint != original.fingerprint
    other_format = load_reward_model(checkpoints["bert"], LoadOptions(format="{prompt} {response}"))
    assert other_format.fingerprint != original.fingerprint


@pytest.mark.parametrize("name", ["bert", "llama_chat_left", "llama"])
def test_gradients_match_the_scoring_path(checkpoints, name):
    """The inputs_embeds path used for gradients gives the same score as token ids."""
    rm: HFRewardModel = load_reward_model(checkpoints[name])
    scorer = Scorer(rm, budget=3)
    response = "Two bytes meet at a bar."
    grads = scorer.gradients(PROMPT, response)
    assert scorer.stats.queries == 1 and scorer.stats.gradient_queries == 1
    assert grads.grad.shape == (len(grads.response_ids), rm.vocab_size)
    assert torch.isfinite(grads.grad).all() and grads.grad.abs().sum() > 0
    assert rm.decode(grads.response_ids).strip().lower() == response.lower()  # MiniLM is uncased
    fresh = Scorer(rm)
    assert fresh.score_one(PROMPT, response) == pytest.approx(grads.score, abs=1e-4)


def test_gradient_predicts_a_token_swap(checkpoints):
    """First-order check: the best swap by gradient raises the score more than the worst."""
    rm = load_reward_model(checkpoints["llama"])
    scorer = Scorer(rm)
    grads = scorer.gradients(PROMPT, "Two bytes meet at a bar.")
    position = len(grads.response_ids) - 1
    row = grads.grad[position] - grads.grad[position, grads.response_ids[position]]
    best, worst = int(row.argmax()), int(row.argmin())
    base = list(grads.response_ids)
    texts = []
    for token in (best, worst):
        ids = base.copy()
        ids[position] = token
        texts.append(rm.decode(ids))
    up, down = scorer.score([PROMPT, PROMPT], texts)
    assert up > down


def test_describe_names_what_info_prints(checkpoints):
    facts = load_reward_model(checkpoints["llama_chat_left"]).describe()
    for key in (
        "architecture",
        "head",
        "num_labels",
        "format",
        "chat_template",
        "tokenizer_padding_side",
        "max_length",
        "dtype",
        "device",
        "fingerprint",
    ):
        assert key in facts
    assert facts["tokenizer_padding_side"] == "left" and facts["dtype"] == "float32"


def test_custom_code_needs_trust_remote_code(checkpoints, tmp_path):
    """A checkpoint that ships its own modelling code is refused unless trusted."""
    custom = shutil.copytree(checkpoints["bert"], tmp_path / "custom")
    (custom / "configuration_custom.py").write_text(
        "from transformers import BertConfig\n\n"
        "class CustomConfig(BertConfig):\n    model_type = 'custom-rm'\n"
    )
    config = json.loads((custom / "config.json").read_text())
    config["model_type"] = "custom-rm"
    config["auto_map"] = {"AutoConfig": "configuration_custom.CustomConfig"}
    (custom / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="--trust-remote-code"):
        load_reward_model(custom)
