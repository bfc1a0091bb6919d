"""The ``rmh serve`` app over real sockets: its routes, limits, key, and that a served
checkpoint scores exactly as the local scorer does."""

from __future__ import annotations

import httpx
import pytest

from harness.models import CallableRewardModel, load_reward_model
from harness.scoring import Scorer
from harness.serving.app import build_app
from tests.harness.models.http.servers import ServerThread, toy_model

PAIRS = [
    {"prompt": "Tell me a joke about cats.", "response": "Why did the cat sit on the mouse?"},
    {"prompt": "Tell me a joke about cats.", "response": "cats cats cats cats"},
    {"prompt": "Say hi.", "response": ""},
]


def test_a_served_checkpoint_scores_as_the_local_scorer(checkpoints):
    model = load_reward_model(checkpoints["bert"])
    local = Scorer(model).score([p["prompt"] for p in PAIRS], [p["response"] for p in PAIRS])
    with ServerThread(build_app(model, name="bert", max_batch=8)) as server:
        answer = httpx.post(f"{server.url}/score", json={"pairs": PAIRS}).json()
        info = httpx.get(f"{server.url}/info").json()
    assert answer["scores"] == local.tolist()  # bit for bit: JSON floats round-trip
    assert answer["fingerprint"] == model.fingerprint
    assert info["protocol"] == "rmh" and info["version"] == 1
    assert info["name"] == "bert" and info["max_batch"] == 8
    assert info["fingerprint"] == model.fingerprint
    assert info["model"]["architecture"] == "BertForSequenceClassification"
    assert str(checkpoints["bert"]) not in str(info)  # no server paths


def test_limits_and_malformed_requests_are_4xx_with_a_reason():
    with ServerThread(build_app(toy_model(), name="toy", max_batch=2)) as server:
        too_many = httpx.post(f"{server.url}/score", json={"pairs": PAIRS})
        malformed = httpx.post(f"{server.url}/score", json={"pairs": [{"prompt": "p"}]})
        not_json = httpx.post(f"{server.url}/score", content=b"pairs please")
        empty = httpx.post(f"{server.url}/score", json={"pairs": []})
        health = httpx.get(f"{server.url}/health").json()
    assert too_many.status_code == 413 and "at most 2" in too_many.json()["detail"]
    assert malformed.status_code == 422 and not_json.status_code == 422
    assert empty.json()["scores"] == []
    assert health["status"] == "ok" and health["requests"] == 1


def test_a_non_finite_score_is_a_422_naming_the_pair():
    model = CallableRewardModel(lambda p, r: [float("nan")] * len(r), name="nan")
    with ServerThread(build_app(model, name="nan")) as server:
        answer = httpx.post(f"{server.url}/score", json={"pairs": PAIRS[:1]})
    assert answer.status_code == 422
    assert "reward model returned nan" in answer.json()["detail"]


@pytest.mark.parametrize("route", ["/score", "/info"])
def test_with_a_key_every_route_but_health_needs_it(route):
    key = "k-" + "9" * 30
    with ServerThread(build_app(toy_model(), name="toy", api_key=key)) as server:
        ask = httpx.post if route == "/score" else httpx.get
        body = {"json": {"pairs": PAIRS}} if route == "/score" else {}
        without = ask(f"{server.url}{route}", **body)
        wrong = ask(f"{server.url}{route}", headers={"Authorization": "Bearer nope"}, **body)
        right = ask(f"{server.url}{route}", headers={"Authorization": f"Bearer {key}"}, **body)
        health = httpx.get(f"{server.url}/health")
    assert without.status_code == wrong.status_code == 401
    assert without.headers["www-authenticate"] == "Bearer"
    assert key not in without.text + wrong.text
    assert right.status_code == 200 and health.status_code == 200
