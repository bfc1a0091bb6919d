"""A stand-in for vLLM's pooling server (``vllm serve MODEL --runner pooling``), in FastAPI.

It speaks the request and response shapes vLLM's OpenAI-compatible server documents for
``/v1/models``, ``/score``, ``/classify`` and ``/pooling`` (the request and response
models of ``vllm/entrypoints/pooling/{score,classify,pooling}/protocol.py``), with a toy
reward in place of a model, so that the ``vllm-score`` protocol is tested over a real
socket. Requests are strict (an unknown field is a 422, where vLLM would only warn), so
a client that sends a field vLLM does not know fails here. Answers list their ``data``
in reverse order: a client must match them to inputs by ``index``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

#: The reward of one rendered text, for ``/classify`` and ``/pooling``.
TextReward = Callable[[str], float]
#: The reward of (text_1, text_2) pairs, for ``/score``.
PairReward = Callable[[list[str], list[str]], list[float]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreRequest(_Strict):
    model: str | None = None
    text_1: str | list[str]
    text_2: str | list[str]
    truncate_prompt_tokens: int | None = None
    use_activation: bool | None = None


class ChatMessage(_Strict):
    role: str
    content: str


class InputRequest(_Strict):
    """``/classify`` and ``/pooling``: ``input`` texts, or one chat as ``messages``."""

    model: str | None = None
    input: str | list[str] | None = None
    messages: list[ChatMessage] | None = None
    truncate_prompt_tokens: int | None = None
    use_activation: bool | None = None


def render_chat(messages: list[ChatMessage]) -> str:
    """The stand-in's "chat template": the turns' contents, one per line."""
    return "\n".join(m.content for m in messages)


def vllm_app(pair_reward: PairReward, text_reward: TextReward, name: str = "toy/rm") -> FastAPI:
    """A FastAPI app answering as vLLM does for a reward model named ``name``."""
    app = FastAPI()

    def envelope(kind: str, data: list[dict]) -> dict:
        return {
            "id": f"{kind}-0",
            "object": "list",
            "created": int(time.time()),
            "model": name,
            "data": data[::-1],  # out of order: the client must read "index"
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }

    def wrong_model(model: str | None) -> JSONResponse | None:
        if model is None or model == name:
            return None
        message = f"The model `{model}` does not exist."
        body = {"object": "error", "message": message, "type": "NotFoundError", "code": 404}
        return JSONResponse(body, status_code=404)

    def texts(request: InputRequest) -> list[str]:
        if request.messages is not None:
            return [render_chat(request.messages)]
        return [request.input] if isinstance(request.input, str) else list(request.input or [])

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "vllm"}]}

    @app.post("/score")
    @app.post("/v1/score")  # vLLM routes both
    async def score(request: ScoreRequest) -> object:
        if (refused := wrong_model(request.model)) is not None:
            return refused
        first = [request.text_1] if isinstance(request.text_1, str) else request.text_1
        second = [request.text_2] if isinstance(request.text_2, str) else request.text_2
        if len(first) == 1 < len(second):
            first = first * len(second)
        scores = pair_reward(first, second)
        data = [{"index": i, "object": "score", "score": s} for i, s in enumerate(scores)]
        return envelope("score", data)

    @app.post("/classify")
    async def classify(request: InputRequest) -> object:
        if (refused := wrong_model(request.model)) is not None:
            return refused
        data = [
            {"index": i, "label": "LABEL_0", "probs": [text_reward(t)], "num_classes": 1}
            for i, t in enumerate(texts(request))
        ]
        return envelope("classify", data)

    @app.post("/pooling")
    async def pooling(request: InputRequest) -> object:
        if (refused := wrong_model(request.model)) is not None:
            return refused
        # One vector per token, as a reward model's "all" pooling gives; the last is the reward.
        data = [
            {"index": i, "object": "pooling", "data": [[0.0], [0.5], [text_reward(t)]]}
            for i, t in enumerate(texts(request))
        ]
        return envelope("pool", data)

    return app
