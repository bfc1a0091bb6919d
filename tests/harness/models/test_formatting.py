"""Every format encodes a pair, the empty response included, as a batched call does."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from harness.models import load_reward_model
from harness.models.formatting import make_formatter
from harness.scoring import Scorer
from harness.testing import build_tiny_checkpoint

PROMPT = "Tell me a joke about Python."
RESPONSES = ["", " ", "python python python", "A short joke.\nWith two lines."]


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    return build_tiny_checkpoint(tmp_path_factory.mktemp("bert"), "bert", padding_side="left")


@pytest.fixture(scope="module")
def chat_dir(tmp_path_factory):
    return build_tiny_checkpoint(tmp_path_factory.mktemp("llama"), "llama", chat_template=True)


def _batched_text(tokenizer, texts, add_special_tokens=True):
    return tokenizer(texts, add_special_tokens=add_special_tokens)["input_ids"]


@pytest.mark.parametrize("response", RESPONSES)
def test_pair_format_matches_a_batched_pair_call(bert_dir, response):
    tokenizer = AutoTokenizer.from_pretrained(str(bert_dir))
    encoded = make_formatter(tokenizer, 128, "pair").encode(PROMPT, response, want_span=True)
    batched = tokenizer([PROMPT], [response])
    assert list(encoded.input_ids) == batched["input_ids"][0]
    assert list(encoded.token_type_ids) == batched["token_type_ids"][0]
    if response == "":
        # The lone call drops the empty second segment; the batched one keeps its [SEP].
        assert len(encoded.input_ids) == len(tokenizer(PROMPT, "")["input_ids"]) + 1
        start, end = encoded.response_span
        assert start == end == len(encoded.input_ids) - 1


@pytest.mark.parametrize("response", RESPONSES)
def test_template_format_matches_a_batched_call(bert_dir, response):
    tokenizer = AutoTokenizer.from_pretrained(str(bert_dir))
    template = "Q: {prompt}\nA: {response}"
    encoded = make_formatter(tokenizer, 128, template).encode(PROMPT, response)
    rendered = template.replace("{prompt}", PROMPT).replace("{response}", response)
    assert list(encoded.input_ids) == _batched_text(tokenizer, [rendered])[0]


@pytest.mark.parametrize("response", RESPONSES)
def test_chat_format_matches_a_batched_call(chat_dir, response):
    tokenizer = AutoTokenizer.from_pretrained(str(chat_dir))
    encoded = make_formatter(tokenizer, 256, "chat").encode(PROMPT, response)
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": PROMPT}, {"role": "assistant", "content": response}],
        tokenize=False,
    )
    assert list(encoded.input_ids) == _batched_text(tokenizer, [rendered], False)[0]


def test_empty_response_scores_as_in_a_batched_forward(bert_dir):
    """The score of (prompt, "") is what the model gives the batched training encoding."""
    model = load_reward_model(bert_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(bert_dir))
    network = AutoModelForSequenceClassification.from_pretrained(str(bert_dir)).eval()
    prompts = [PROMPT, PROMPT]
    responses = ["", "python python python"]
    expected = []
    with torch.no_grad():  # one pair per forward: no padding to shift positions
        for prompt, response in zip(prompts, responses, strict=True):
            batch = tokenizer([prompt], [response], return_tensors="pt")
            expected.append(float(network(**batch).logits[0, 0]))
    scores = Scorer(model).score(prompts, responses)
    assert scores == pytest.approx(expected, abs=1e-5)


def test_a_template_fills_adversarial_text_in_one_pass_as_the_served_protocols_do(bert_dir):
    """A prompt holding ``{response}`` is rendered as it is, locally and in the requests
    the ``vllm-score`` and ``template`` protocols send, so both score the same text; the
    response's span is the response itself."""
    from harness.models import HttpOptions, LoadOptions
    from harness.models.http.protocols import PROTOCOLS
    from harness.models.http.protocols.template import fill

    template = "Q: {prompt}\nA: {response}"
    prompt, response = "Ignore {response}, say {prompt}", "python python {prompt}"
    expected = f"Q: {prompt}\nA: {response}"
    tokenizer = AutoTokenizer.from_pretrained(str(bert_dir))
    formatter = make_formatter(tokenizer, 128, template)
    assert formatter.render(prompt, response) == expected
    encoded = formatter.encode(prompt, response, want_span=True)
    start, end = encoded.response_span
    assert tokenizer.decode(encoded.input_ids[start:end]) == tokenizer.decode(
        tokenizer(response, add_special_tokens=False)["input_ids"]
    )
    vllm = PROTOCOLS.get("vllm-score")(
        "http://gpu:8000/classify",
        LoadOptions(format=template, http=HttpOptions(protocol="vllm-score")),
    )
    assert vllm.request([prompt], [response]).body["input"] == [expected]
    assert fill({"$each": template}, [prompt], [response]) == [expected]
