"""The three protocols' request and reply shapes, on the documented bodies.

These check the JSON each protocol writes and reads (the vLLM shapes as vLLM's server
declares them in ``vllm/entrypoints/pooling/*/protocol.py``); the tests with a real
server are in ``test_model.py`` and ``test_faults.py``.
"""

from __future__ import annotations

import json

import pytest

from harness.core.errors import HarnessError, ModelOutputError
from harness.models import HttpOptions, LoadOptions
from harness.models.http.client import Reply
from harness.models.http.protocols import PROTOCOLS
from harness.models.http.protocols.template import fill, load_template
from harness.models.http.protocols.vllm import split_endpoint

PROMPTS = ["p0", "p1"]
RESPONSES = ["r0", "r1"]


def protocol(name: str, url: str = "http://rm:8000", **load: object):
    http = load.pop("http", None) or HttpOptions(protocol=name)
    return PROTOCOLS.get(name)(url, LoadOptions(http=http, **load))  # type: ignore[arg-type]


def reply(body: object, url: str = "http://rm:8000/score") -> Reply:
    return Reply(url, 200, body if isinstance(body, str) else json.dumps(body))


def test_the_builtin_protocols_are_registered_and_an_unknown_name_lists_them():
    assert {"rmh", "vllm-score", "template"} <= set(PROTOCOLS.names())
    with pytest.raises(HarnessError, match=r"unknown protocol 'vllm'; choose one of: .*rmh"):
        HttpOptions(protocol="vllm")


# ---------------------------------------------------------------------------- rmh
def test_rmh_posts_pairs_and_reads_scores():
    rmh = protocol("rmh", "http://rm:8000/")
    request = rmh.request(PROMPTS, RESPONSES)
    assert request.url == "http://rm:8000/score"
    assert request.body == {
        "pairs": [{"prompt": "p0", "response": "r0"}, {"prompt": "p1", "response": "r1"}]
    }
    assert rmh.scores(reply({"scores": [1, -2.5]}), 2) == [1.0, -2.5]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"scores": [1.0]}, "returned 1 scores for 2 pairs"),
        ({"scores": [1.0, "high"]}, "as score 1, not a number"),
        ({"scores": [1.0, None]}, "as score 1, not a number"),
        ({"scores": [True, 1.0]}, "as score 0, not a number"),
        ({"scores": {"a": 1}}, "where a list of 2 scores belongs"),
        ({"score": [1, 2]}, "without 'scores'"),
        ("<html>oops</html>", "not JSON"),
    ],
)
def test_rmh_refuses_a_wrong_answer(body, message):
    with pytest.raises(ModelOutputError, match=message):
        protocol("rmh").scores(reply(body), 2)


def test_rmh_catches_a_server_that_swapped_its_model():
    rmh = protocol("rmh")
    rmh.expected = "a" * 64
    assert rmh.scores(reply({"scores": [1, 2], "fingerprint": "a" * 64}), 2) == [1, 2]
    with pytest.raises(ModelOutputError, match="now serves a different model"):
        rmh.scores(reply({"scores": [1, 2], "fingerprint": "b" * 64}), 2)


# ---------------------------------------------------------------------- vllm-score
@pytest.mark.parametrize(
    ("url", "root", "endpoint"),
    [
        ("http://gpu:8000", "http://gpu:8000", "score"),
        ("http://gpu:8000/", "http://gpu:8000", "score"),
        ("http://gpu:8000/score", "http://gpu:8000", "score"),
        ("http://gpu:8000/v1/score", "http://gpu:8000", "score"),
        ("http://gpu:8000/classify", "http://gpu:8000", "classify"),
        ("https://x.org/rm/pooling", "https://x.org/rm", "pooling"),
    ],
)
def test_vllm_urls_name_their_endpoint(url, root, endpoint):
    assert split_endpoint(url) == (root, endpoint)


def test_vllm_refuses_an_endpoint_it_does_not_know():
    with pytest.raises(HarnessError, match="ending in /score, /classify, /pooling"):
        protocol("vllm-score", "http://gpu:8000/v1/embeddings")


def test_vllm_score_sends_pairs_and_reads_scores_by_index():
    vllm = protocol("vllm-score", "http://gpu:8000")
    vllm.model_name = "Skywork/RM"
    request = vllm.request(PROMPTS, RESPONSES)
    assert request.url == "http://gpu:8000/score"
    assert request.body == {
        "model": "Skywork/RM",
        "text_1": PROMPTS,
        "text_2": RESPONSES,
        "use_activation": False,
    }
    answer = {
        "object": "list",
        "model": "Skywork/RM",
        "data": [
            {"index": 1, "object": "score", "score": 0.25},
            {"index": 0, "object": "score", "score": -3.0},
        ],
        "usage": {"prompt_tokens": 9, "total_tokens": 9},
    }
    assert vllm.scores(reply(answer), 2) == [-3.0, 0.25]


def test_vllm_classify_sends_chats_one_per_request_by_default():
    vllm = protocol("vllm-score", "http://gpu:8000/classify")
    assert vllm.row_cap == 1
    request = vllm.request(["p"], ["r"])
    assert request.url == "http://gpu:8000/classify"
    assert request.body == {
        "messages": [{"role": "user", "content": "p"}, {"role": "assistant", "content": "r"}],
        "use_activation": False,
    }


def test_vllm_classify_with_a_format_template_batches_texts():
    vllm = protocol("vllm-score", "http://gpu:8000/classify", format="Q: {prompt}\nA: {response}")
    assert vllm.row_cap is None
    assert vllm.request(PROMPTS, RESPONSES).body["input"] == ["Q: p0\nA: r0", "Q: p1\nA: r1"]
    with pytest.raises(HarnessError, match="one text per pair"):
        protocol("vllm-score", "http://gpu:8000/classify", format="pair")


@pytest.mark.parametrize(
    ("item", "load", "score"),
    [
        ({"index": 0, "label": "LABEL_0", "probs": [1.5], "num_classes": 1}, {}, 1.5),
        ({"index": 0, "label": None, "probs": [0.25, 2.0], "num_classes": 2}, {}, 1.75),
        ({"index": 0, "probs": [0.25, 2.0]}, {"good_label": 0, "bad_label": 1}, -1.75),
        ({"index": 0, "logits": [4.0, 1.0, 2.0], "probabilities": []}, {"head_index": 2}, 2.0),
    ],
)
def test_vllm_classify_reads_a_head_as_a_local_checkpoint_is_read(item, load, score):
    vllm = protocol("vllm-score", "http://gpu:8000/classify", **load)
    assert vllm.scores(reply({"data": [item]}), 1) == [score]


def test_vllm_classify_needs_a_head_index_for_many_labels():
    vllm = protocol("vllm-score", "http://gpu:8000/classify")
    with pytest.raises(ModelOutputError, match="--head-index"):
        vllm.scores(reply({"data": [{"index": 0, "probs": [1, 2, 3]}]}), 1)


def test_vllm_pooling_reads_a_vector_or_the_last_tokens():
    vllm = protocol("vllm-score", "http://gpu:8000/pooling")
    answer = {
        "data": [
            {"index": 0, "object": "pooling", "data": [0.5]},
            {"index": 1, "object": "pooling", "data": [[9.0], [9.0], [-0.5]]},
        ]
    }
    assert vllm.scores(reply(answer), 2) == [0.5, -0.5]
    with pytest.raises(ModelOutputError, match="without a 'data' list"):
        vllm.scores(reply({"error": "no"}), 2)


# ------------------------------------------------------------------------ template
def test_template_fills_lists_pairs_and_rows():
    template = {
        "model": "rm-7",
        "batch": {"$each": {"q": "$prompt", "a": "$response", "i": "$index", "t": "{prompt}|"}},
        "prompts": "$prompts",
        "responses": "$responses",
        "pairs": "$pairs",
        "literal": "$$prompts",
    }
    assert fill(template, PROMPTS, RESPONSES) == {
        "model": "rm-7",
        "batch": [
            {"q": "p0", "a": "r0", "i": 0, "t": "p0|"},
            {"q": "p1", "a": "r1", "i": 1, "t": "p1|"},
        ],
        "prompts": PROMPTS,
        "responses": RESPONSES,
        "pairs": [{"prompt": "p0", "response": "r0"}, {"prompt": "p1", "response": "r1"}],
        "literal": "$prompts",
    }


def test_template_reads_scores_at_its_response_path():
    http = HttpOptions(
        protocol="template",
        request_template='{"inputs": {"$each": {"q": "$prompt", "a": "$response"}}}',
        response_path="$.outputs[*].reward",
    )
    template = protocol("template", "http://rm/v2/score", http=http)
    request = template.request(PROMPTS, RESPONSES)
    assert request.url == "http://rm/v2/score"
    assert request.body == {"inputs": [{"q": "p0", "a": "r0"}, {"q": "p1", "a": "r1"}]}
    assert template.scores(reply({"outputs": [{"reward": 2}, {"reward": 3}]}), 2) == [2.0, 3.0]


def test_template_path_that_finds_nothing_shows_the_path_and_the_body():
    template = protocol("template", "http://rm/score")  # default path $.scores
    body = {"result": "x" * 500}
    with pytest.raises(ModelOutputError) as caught:
        template.scores(reply(body), 2)
    message = str(caught.value)
    assert "response path $.scores found nothing" in message
    assert json.dumps(body)[:200] in message and json.dumps(body)[:201] not in message


def test_template_reads_a_file_and_refuses_bad_templates(tmp_path):
    path = tmp_path / "request.json"
    path.write_text('{"texts": "$responses"}')
    assert load_template(f"@{path}") == {"texts": "$responses"}
    with pytest.raises(HarnessError, match="cannot be read"):
        load_template(f"@{tmp_path / 'missing.json'}")
    with pytest.raises(HarnessError, match="is not JSON"):
        load_template("{texts: $responses}")
    with pytest.raises(HarnessError, match="the pairs would not be sent"):
        load_template('{"texts": "hello"}')


def test_template_each_must_be_alone_in_its_object():
    """``fill`` expands ``$each`` only when it is its object's only key, so a template
    that puts it beside other fields is refused rather than sent unexpanded."""
    with pytest.raises(HarnessError, match=r"must be the only key of its object.*'model'"):
        load_template('{"rows": {"$each": {"q": "$prompt", "a": "$response"}, "model": "m"}}')
    with pytest.raises(HarnessError, match="must be the only key"):
        load_template('[{"$each": "{prompt}", "x": 1}, "$prompts"]')
    assert load_template('{"model": "m", "rows": {"$each": "{prompt}|{response}"}}')


ADVERSARIAL_PROMPT = "Ignore this: {response} and {prompt}"
ADVERSARIAL_RESPONSE = "R {prompt}"


def test_template_rows_fill_adversarial_text_in_one_pass():
    body = fill({"rows": {"$each": "Q: {prompt} A: {response}"}}, [ADVERSARIAL_PROMPT], ["r"])
    assert body == {"rows": ["Q: Ignore this: {response} and {prompt} A: r"]}


def test_vllm_format_template_fills_adversarial_text_in_one_pass():
    vllm = protocol("vllm-score", "http://gpu:8000/classify", format="Q: {prompt}\nA: {response}")
    body = vllm.request([ADVERSARIAL_PROMPT], [ADVERSARIAL_RESPONSE]).body
    assert body["input"] == [f"Q: {ADVERSARIAL_PROMPT}\nA: {ADVERSARIAL_RESPONSE}"]
