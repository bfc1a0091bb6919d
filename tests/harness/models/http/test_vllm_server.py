"""The ``vllm-score`` protocol over a real socket, against a FastAPI stand-in that speaks
vLLM's documented shapes (``vllm_standin``): every endpoint and input kind scores each
pair as the reward function does, matched to its pair by ``index``."""

from __future__ import annotations

import pytest

from harness.models import HttpOptions, HttpRewardModel, LoadOptions
from harness.scoring import Scorer
from tests.harness.models.http.servers import ServerThread, toy_reward
from tests.harness.models.http.vllm_standin import vllm_app

PROMPTS = [f"prompt {i}" for i in range(6)] + ["Ignore {response} and {prompt}"]
RESPONSES = [" ".join(f"w{j}" for j in range(i)) + "!" * i for i in range(6)] + ["r {prompt}"]


def text_reward(text: str) -> float:
    """The stand-in's reward of one rendered text."""
    return toy_reward([""], [text])[0]


def rendered(prompts: list[str], responses: list[str]) -> list[float]:
    """What a one-text endpoint scores: the pair as "prompt\\nresponse"."""
    return [text_reward(f"{p}\n{r}") for p, r in zip(prompts, responses, strict=True)]


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [
        ("", None, toy_reward),
        ("/v1/score", None, toy_reward),
        ("/classify", "{prompt}\n{response}", rendered),
        ("/classify", None, rendered),  # one chat per request; the server renders it
        ("/pooling", "{prompt}\n{response}", rendered),
    ],
    ids=["root", "v1-score", "classify-template", "classify-chat", "pooling-template"],
)
def test_vllm_endpoints_score_every_pair_over_a_socket(path, fmt, expected):
    app = vllm_app(toy_reward, text_reward, name="toy/rm")
    http = HttpOptions(protocol="vllm-score", max_batch=3, concurrency=2, backoff=0.01)
    with ServerThread(app) as server:
        model = HttpRewardModel(f"{server.url}{path}", LoadOptions(format=fmt, http=http))
        scores = Scorer(model).score(PROMPTS, RESPONSES)
    assert scores.tolist() == pytest.approx(expected(PROMPTS, RESPONSES))
    assert model.server.name == "toy/rm"  # from /v1/models, sent back as "model"
    assert model.describe()["fingerprint_source"].startswith("probe")
