"""``HttpRewardModel`` against a real ``rmh serve`` app (uvicorn on a free port).

The served model is a small deterministic callable, so these run in well under a second
each; the tests with a real checkpoint are in ``tests/harness/runner/test_http_run.py``
and ``tests/harness/cli/test_serve.py``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from harness.core.errors import CheckpointError, HarnessError, ModelOutputError
from harness.models import HttpOptions, HttpRewardModel, LoadOptions, load_reward_model
from harness.models.http.identity import PROBE_PAIRS, probe_fingerprint
from harness.models.http.model import request_headers
from harness.scoring import Scorer
from tests.harness.models.http.servers import fault_server, toy_model, toy_reward

PROMPTS = [f"prompt {i}" for i in range(40)]
RESPONSES = [" ".join(f"w{j}" for j in range(i % 9)) + "!" * i for i in range(40)]


def options(**http: object) -> LoadOptions:
    return LoadOptions(http=HttpOptions(**http))  # type: ignore[arg-type]


def test_scores_through_http_equal_the_local_model_and_requests_respect_max_batch():
    server, faults = fault_server()
    with server:
        model = load_reward_model(server.url, options(max_batch=7, concurrency=3))
        assert isinstance(model, HttpRewardModel)
        scores = Scorer(model, batch_size=64).score(PROMPTS, RESPONSES)
    local = Scorer(toy_model(), batch_size=64).score(PROMPTS, RESPONSES)
    np.testing.assert_array_equal(scores, local)
    assert scores.tolist() == pytest.approx(toy_reward(PROMPTS, RESPONSES))
    assert len(faults.seen) == 6  # ceil(40 / 7) requests for one scorer batch of 40


def test_the_fingerprint_comes_from_info_and_the_server_caps_max_batch():
    model_behind = toy_model()
    server, faults = fault_server(model_behind)
    with server:
        model = HttpRewardModel(server.url, options(max_batch=1000))
        facts = model.describe()
    assert model.fingerprint == model_behind.fingerprint
    assert model.max_batch == 256  # the server's /info says so
    assert facts["kind"] == "http" and facts["served_model"] == "toy"
    assert facts["fingerprint_source"].startswith("server")
    assert faults.seen == []  # no probe was needed


def test_without_info_the_fingerprint_is_the_url_and_a_probe():
    http = dict(protocol="template", request_template='{"pairs": "$pairs"}')
    server, _ = fault_server()
    with server:
        url = f"{server.url}/score"
        model = HttpRewardModel(url, options(**http))
        again = HttpRewardModel(url, options(**http, max_batch=2))
    prompts, responses = zip(*PROBE_PAIRS, strict=True)
    expected = toy_reward(list(prompts), list(responses))
    assert model.probe_scores == pytest.approx(expected)
    assert model.fingerprint == probe_fingerprint(url, "template", expected)
    assert again.fingerprint == model.fingerprint  # batching does not change identity
    assert model.describe()["fingerprint_source"].startswith("probe")


def test_a_server_that_swaps_its_model_is_caught():
    """The probe catches it on the next build (run start, resume); with rmh, so does the
    next answer, which names a fingerprint other than /info's."""
    http = dict(protocol="template", request_template='{"pairs": "$pairs"}')
    first, second = toy_model(), toy_model(lambda p, r: [len(x) for x in r], name="other")
    server, faults = fault_server(first)
    with server:
        url = f"{server.url}/score"
        before = HttpRewardModel(url, options(**http))
        rmh = HttpRewardModel(server.url, options())
        faults.app.state.served.model = second  # the silent swap
        after = HttpRewardModel(url, options(**http))
        with pytest.raises(ModelOutputError, match="now serves a different model"):
            rmh.score_batch(rmh.prepare(["p"], ["r"]))
    assert before.fingerprint != after.fingerprint


def test_the_model_is_rebuilt_from_its_spec_when_pickled():
    server, _ = fault_server()
    with server:
        model = HttpRewardModel(server.url, options(max_batch=5))
        copy = pickle.loads(pickle.dumps(model))
        assert copy is not model and copy.transport is not model.transport
        assert copy.fingerprint == model.fingerprint and copy.max_batch == 5
        assert copy.score_batch(copy.prepare(["p"], ["a b"])).tolist() == pytest.approx(
            toy_reward(["p"], ["a b"])
        )


def test_the_api_key_goes_where_the_options_say():
    assert request_headers(HttpOptions(api_key_env="RM_KEY"), "k3y")["Authorization"] == (
        "Bearer k3y"
    )
    placed = request_headers(
        HttpOptions(api_key_env="RM_KEY", header=("X-Api-Key: {api_key}", "X-Team:rm")), "k3y"
    )
    assert placed["X-Api-Key"] == "k3y" and placed["X-Team"] == "rm"
    assert "Authorization" not in placed
    with pytest.raises(HarnessError, match=r"uses \{api_key\} but no --api-key-env"):
        request_headers(HttpOptions(header=("X-Api-Key:{api_key}",)), None)


def test_a_missing_key_variable_and_a_bad_url_are_one_line_errors(monkeypatch):
    monkeypatch.delenv("RM_NO_SUCH_KEY", raising=False)
    with pytest.raises(HarnessError, match="RM_NO_SUCH_KEY is not set"):
        HttpRewardModel("http://127.0.0.1:9", options(api_key_env="RM_NO_SUCH_KEY"))
    with pytest.raises(HarnessError, match="not an http:// or https:// URL with a host"):
        HttpRewardModel("http:///score")
    with pytest.raises(HarnessError, match="port that is not a number"):
        HttpRewardModel("http://host:port/")
    with pytest.raises(HarnessError, match="not of the form Name:Value"):
        HttpOptions(header=("no-colon",))


def test_the_server_key_is_required_and_sent(monkeypatch):
    from harness.serving.app import build_app
    from tests.harness.models.http.servers import ServerThread

    monkeypatch.setenv("RM_KEY", "s3cret-key")
    with ServerThread(build_app(toy_model(), name="toy", api_key="s3cret-key")) as server:
        model = HttpRewardModel(server.url, options(api_key_env="RM_KEY"))
        assert model.score_batch(model.prepare(["p"], ["r"])).shape == (1,)
        with pytest.raises(HarnessError, match="401") as caught:
            HttpRewardModel(server.url, options())
    assert "s3cret-key" not in str(caught.value)
    assert "s3cret-key" not in repr(model) + repr(model.transport) + str(model.describe())


@pytest.mark.parametrize(
    "key", ["canary-secret\r", "canary-secret\n", "canary-secr\u00e9t"], ids=["cr", "lf", "utf8"]
)
def test_a_key_http_cannot_carry_is_refused_when_the_model_is_built(monkeypatch, key):
    """Sent, it would fail inside httpx/h11 with the key in the message, escaped (and be
    retried), or as a bare UnicodeEncodeError: refused first, without showing it."""
    monkeypatch.setenv("RM_KEY", key)
    server, faults = fault_server()
    with server, pytest.raises(HarnessError) as caught:
        HttpRewardModel(server.url, options(api_key_env="RM_KEY"))
    message = str(caught.value)
    assert "--api-key-env RM_KEY" in message and "HTTP header cannot carry" in message
    assert "canary" not in message and "\n" not in message
    assert faults.seen == []


def test_a_header_http_cannot_carry_is_refused_without_its_value():
    with pytest.raises(HarnessError, match="--header X-Token: the value holds") as caught:
        HttpRewardModel("http://127.0.0.1:9", options(header=("X-Token:canary-v\u00e4lue",)))
    assert "canary" not in str(caught.value)


def test_credentials_in_the_url_are_refused_without_showing_them():
    """The URL names the model in the run log, the store, the report and /info."""
    for url in ("http://user:canary-pw@127.0.0.1:9/", "https://canary-token@rm.example/score"):
        with pytest.raises(CheckpointError) as caught:
            HttpRewardModel(url)
        message = str(caught.value)
        assert "user name or password" in message and "--api-key-env" in message
        assert "canary" not in message and "\n" not in message


def test_a_scorer_batch_of_long_pairs_is_not_cut_by_the_token_cap():
    """Characters are not tokens: --batch-size pairs go out as --max-batch requests, in
    parallel, however long the pairs (the server bounds its own batches)."""
    prompts = [f"prompt {i} " + "p" * 600 for i in range(96)]
    responses = [f"answer {i} " + "r" * (400 + i) for i in range(96)]
    server, faults = fault_server()
    with server:
        model = HttpRewardModel(server.url, options(max_batch=24, concurrency=4))
        scorer = Scorer(model, batch_size=96)
        scores = scorer.score(prompts, responses)
    assert scores.tolist() == pytest.approx(toy_reward(prompts, responses))
    assert scorer.stats.batches == 1  # the token cap would cut 96 x 1000 characters in three
    assert len(faults.seen) == 4
    local = Scorer(toy_model(), batch_size=96, max_batch_tokens=32_768)
    local.score(prompts, responses)
    assert local.stats.batches > 1  # a model that pads here keeps the cap
