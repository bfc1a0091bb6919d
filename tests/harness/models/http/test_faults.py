"""Faults, against a real server that replays a given failure sequence.

Each fault ends as specified: retried and then correct (429 with ``Retry-After``, 503,
a TCP reset, an answer slower than the timeout), or a one-line error without retrying
(a short score list, a non-number, a 401 naming its status and the body's start). A
retried request is never counted twice against the scorer's budget.
"""

from __future__ import annotations

import pytest

from harness.core.errors import BudgetExhausted, EndpointError, ModelOutputError
from harness.models import HttpOptions, HttpRewardModel, LoadOptions
from harness.scoring import Scorer
from tests.harness.models.http.servers import fault_server, toy_reward

PROMPTS = ["Tell me a joke.", "Tell me a joke.", "Say hi."]
RESPONSES = ["knock knock", "the the the the", "hi there, friend"]
EXPECTED = pytest.approx(toy_reward(PROMPTS, RESPONSES))
FAST = dict(backoff=0.01, timeout=5.0)


def model_for(server, **http: object) -> HttpRewardModel:
    settings = {**FAST, **http}
    return HttpRewardModel(server.url, LoadOptions(http=HttpOptions(**settings)))  # type: ignore[arg-type]


def score(model: HttpRewardModel) -> list[float]:
    return model.score_batch(model.prepare(PROMPTS, RESPONSES)).tolist()


def test_429_is_retried_after_its_retry_after():
    server, faults = fault_server(script=["429:1"])
    with server:
        model = model_for(server, backoff=0.0)
        assert score(model) == EXPECTED
    assert faults.faults() == ["429:1", "ok"]
    waited = faults.seen[1].time - faults.seen[0].time
    assert waited >= 0.95, waited  # the server asked for a second; backoff alone is 0


def test_503s_are_retried_with_backoff():
    server, faults = fault_server(script=["503", "503"])
    with server:
        model = model_for(server)
        assert score(model) == EXPECTED
    assert faults.faults() == ["503", "503", "ok"]
    assert model.transport.retried == 2


def test_a_connection_reset_is_retried():
    server, faults = fault_server(script=["reset"])
    with server:
        model = model_for(server)
        assert score(model) == EXPECTED
    assert faults.faults() == ["reset", "ok"]


def test_an_answer_slower_than_the_timeout_is_retried():
    server, faults = fault_server(script=["slow:1.0"])
    with server:
        model = model_for(server, timeout=0.4)
        assert score(model) == EXPECTED
    assert faults.faults() == ["slow:1.0", "ok"]


def test_retries_run_out_in_a_one_line_error_naming_the_status():
    server, faults = fault_server(script=["503"] * 10)
    with server:
        model = model_for(server, retries=2)
        with pytest.raises(EndpointError) as caught:
            score(model)
    message = str(caught.value)
    assert "503 Service Unavailable" in message and "after 3 attempts" in message
    assert "\n" not in message
    assert faults.faults() == ["503"] * 3


def test_a_slow_server_runs_out_in_a_timeout_error_naming_the_host():
    server, faults = fault_server(script=["slow:1.0"] * 3)
    with server:
        model = model_for(server, timeout=0.3, retries=1)
        with pytest.raises(EndpointError) as caught:
            score(model)
    host = server.url.removeprefix("http://")
    assert f"cannot reach the reward model at {host}: timeout" in str(caught.value)
    assert len(faults.seen) == 2


def test_a_short_score_list_is_a_model_output_error_and_not_retried():
    server, faults = fault_server(script=["short"])
    with server, pytest.raises(ModelOutputError, match="returned 2 scores for 3 pairs"):
        score(model_for(server))
    assert faults.faults() == ["short"]


def test_a_score_that_is_not_a_number_is_a_model_output_error():
    server, _ = fault_server(script=["text"])
    with server, pytest.raises(ModelOutputError, match="str 'high' as score 0, not a number"):
        score(model_for(server))


def test_a_401_is_one_line_naming_the_status_and_the_body_without_the_key(monkeypatch):
    canary = "canary-key-7f3a9c"
    monkeypatch.setenv("RM_CANARY", canary)
    server, faults = fault_server(script=["401"])
    with server, pytest.raises(EndpointError) as caught:
        score(model_for(server, api_key_env="RM_CANARY"))
    message = str(caught.value)
    assert faults.seen[0].authorization == f"Bearer {canary}"  # the server got the key ...
    assert canary not in message  # ... and echoed it, but the error blanks it out
    assert "401 Unauthorized" in message and "bad credentials: Bearer ***" in message
    assert "\n" not in message and len(message) < 400
    assert faults.faults() == ["401"]  # not retried


def test_a_retried_request_is_counted_once_against_the_budget():
    """The budget is exactly the pairs: a retry counted again would exhaust it."""
    server, faults = fault_server(script=["503", "reset", "429:0"])
    with server:
        scorer = Scorer(model_for(server), budget=len(PROMPTS))
        assert scorer.score(PROMPTS, RESPONSES).tolist() == EXPECTED
        with pytest.raises(BudgetExhausted):  # spent to the last query, and no further
            scorer.score(["one more"], ["pair"])
    assert len(faults.seen) == 4
    assert scorer.stats.queries == 3 and scorer.remaining == 0


def test_concurrent_requests_each_retry_on_their_own():
    """Twelve distinct pairs in six requests; whichever request arrives first is answered
    last, two others are retried, and every score still lands on its own pair."""
    server, faults = fault_server(script=["slow:0.5", "503", "ok", "reset"])
    prompts = [f"prompt {i}" for i in range(12)]
    responses = [" ".join(f"w{j}" for j in range(i)) + "?" * i for i in range(12)]
    with server:
        model = model_for(server, max_batch=2, concurrency=4)
        scores = model.score_batch(model.prepare(prompts, responses)).tolist()
    assert scores == pytest.approx(toy_reward(prompts, responses))
    assert len(set(scores)) == 12  # distinct: a reply put on another request's pairs shows
    assert len(faults.seen) == 6 + 2  # six requests, two of them sent twice


def test_a_retry_after_that_is_not_a_number_of_seconds_falls_back_to_backoff():
    server, faults = fault_server(script=["429:nan", "429:1.5"])
    with server:
        assert score(model_for(server)) == EXPECTED
    assert faults.faults() == ["429:nan", "429:1.5", "ok"]
    assert faults.seen[2].time - faults.seen[0].time < 1.0  # backoff 0.01, not 1.5 s


def test_a_redirect_is_a_one_line_error_naming_the_status_and_the_location():
    server, faults = fault_server(script=["redirect"])
    with server, pytest.raises(EndpointError) as caught:
        score(model_for(server))
    message = str(caught.value)
    assert "redirect (307 Temporary Redirect)" in message
    assert "'http://rm.elsewhere.example/v2/score'" in message and "\n" not in message
    assert not isinstance(caught.value, ModelOutputError)
    assert faults.faults() == ["redirect"]  # not retried


def test_a_key_echoed_into_a_score_is_blanked_before_the_value_is_cut():
    """The bad score's text is cut to 40 characters: cut first, a key split in half would
    escape the blanking."""
    canary = "canary-key-4e8b1d"
    server, _ = fault_server(script=["echo"])
    with server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("RM_CANARY", canary)
        with pytest.raises(ModelOutputError, match="not a number") as caught:
            score(model_for(server, api_key_env="RM_CANARY"))
    message = str(caught.value)
    assert "Bearer *" in message
    assert canary[:6] not in message
