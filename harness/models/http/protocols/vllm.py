"""``vllm-score``: a reward model served by vLLM (``vllm serve MODEL --runner pooling``).

The URL names the endpoint, and its last path segment picks the shape (the server root
means ``/score``). Shapes as vLLM's OpenAI-compatible server documents them
(``vllm/entrypoints/pooling/*/protocol.py``):

- ``/score``, a sequence classifier scoring (text_1, text_2) pairs: request
  ``{"model", "text_1": [prompts], "text_2": [responses]}``, answer
  ``{"data": [{"index": i, "object": "score", "score": s}, ...]}``.
- ``/classify``: request ``{"model", "input": [texts]}`` or, for one chat,
  ``{"model", "messages": [...]}``; answer ``{"data": [{"index", "label", "probs":
  [...], "num_classes"}]}`` (newer servers: ``"logits"`` and ``"probabilities"``).
- ``/pooling``: the same requests; answer ``{"data": [{"index", "object": "pooling",
  "data": [...]}]}``, a vector per input, or one per token (the last token's is read).

Every request asks for ``"use_activation": false``: the raw logit, as a local checkpoint
gives it, rather than its sigmoid or softmax (a server that predates the field ignores
it; the order of scores is the same either way). One label is the reward; two are read
as ``logit[good_label] - logit[bad_label]``; more need ``--head-index``.

How a pair becomes input: ``/score`` sends prompt and response as the pair they are.
``/classify`` and ``/pooling`` send, with ``--format`` a template (``"{prompt}\\n{response}"``),
one formatted text per pair, batched; otherwise each pair as a chat
(``messages``: user prompt, assistant response), which the server renders with the
model's chat template, one pair per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from harness.core.errors import EndpointOutputError, HarnessError
from harness.core.placeholders import fill_placeholders
from harness.models.http.client import Reply, Request, Transport
from harness.models.http.protocols import (
    PROTOCOLS,
    Protocol,
    ServerInfo,
    checked_scores,
    reward_from_vector,
)

ENDPOINTS = ("score", "classify", "pooling")


def split_endpoint(url: str) -> tuple[str, str]:
    """``(server root, endpoint)`` of a vLLM URL; the bare root means ``/score``."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if not path:
        return url.rstrip("/"), "score"
    if last not in ENDPOINTS:
        raise HarnessError(
            f"--protocol vllm-score needs an endpoint URL ending in "
            f"{', '.join('/' + e for e in ENDPOINTS)} (or the server root for /score); "
            f"got {parts.path!r}"
        )
    root = path[: -len(last) - 1]
    root = root.removesuffix("/v1")
    return parts._replace(path=root, query="", fragment="").geturl().rstrip("/"), last


@PROTOCOLS.register
class VllmScoreProtocol(Protocol):
    """vLLM's score, classify and pooling APIs."""

    name = "vllm-score"

    def __init__(self, url: str, options: Any) -> None:
        super().__init__(url, options)
        self.root, self.endpoint = split_endpoint(url)
        bare_root = not urlsplit(url).path.strip("/")
        self.endpoint_url = f"{self.root}/score" if bare_root else url.rstrip("/")
        fmt = options.format
        if self.endpoint == "score":
            self.input = "pair"
        elif fmt not in (None, "chat", "pair") and "{response}" in fmt:
            self.input = "template"
        elif fmt in (None, "chat"):
            self.input = "chat"
            self.row_cap = 1  # one conversation per request
        else:
            raise HarnessError(
                f"vLLM /{self.endpoint} reads one text per pair: pass --format chat or a "
                "template with {prompt} and {response}, or use the /score endpoint for pairs"
            )
        self.model_name: str | None = None

    def info(self, transport: Transport) -> ServerInfo:
        """The served model's name from ``/v1/models`` (vLLM has no fingerprint: probe)."""
        reply = transport.get(f"{self.root}/v1/models", missing_ok=True)
        if reply is not None:
            try:
                body = reply.json()
                self.model_name = str(body["data"][0]["id"])
            except (EndpointOutputError, KeyError, IndexError, TypeError):
                self.model_name = None
        return ServerInfo(name=self.model_name)

    def _body(self, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model_name} if self.model_name else {}
        body.update(fields)
        body["use_activation"] = False
        return body

    def request(self, prompts: Sequence[str], responses: Sequence[str]) -> Request:
        if self.input == "pair":
            body = self._body(text_1=list(prompts), text_2=list(responses))
        elif self.input == "template":
            fmt = self.options.format
            assert fmt is not None
            texts = [  # one pass, as the local --format template renders
                fill_placeholders(fmt, {"prompt": p, "response": r})
                for p, r in zip(prompts, responses, strict=True)
            ]
            body = self._body(input=texts)
        else:
            (prompt,), (response,) = prompts, responses
            body = self._body(
                messages=[
                    {"role": "user", "content": prompt},
                    {"role": "assistant", "content": response},
                ]
            )
        return Request(self.endpoint_url, body)

    def scores(self, reply: Reply, n: int) -> list[float]:
        body = reply.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise EndpointOutputError(
                f"the reward model at {reply.where} answered without a 'data' list: "
                f"{reply.excerpt()!r}"
            )
        if not all(isinstance(item, dict) for item in data):
            raise EndpointOutputError(
                f"the reward model at {reply.where} answered with 'data' items that are not "
                f"objects: {reply.excerpt()!r}"
            )
        items = sorted(data, key=lambda item: item.get("index", 0))
        values = [self._value(item, i, reply) for i, item in enumerate(items)]
        return checked_scores(values, n, reply)

    def _value(self, item: dict[str, Any], index: int, reply: Reply) -> Any:
        if self.endpoint == "score":
            return item.get("score")
        if self.endpoint == "classify":
            vector = item.get("logits", item.get("probs"))
        else:
            vector = item.get("data")
            if isinstance(vector, list) and vector and isinstance(vector[0], list):
                vector = vector[-1]  # one vector per token: the sequence's reward is the last
        return reward_from_vector(vector, index, reply, self.options)

    def describe(self) -> dict[str, Any]:
        return {
            "endpoint": f"/{self.endpoint}",
            "input": self.input,
            "served_model": self.model_name,
        }
