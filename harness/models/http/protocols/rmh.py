"""``rmh``: this project's own JSON protocol, spoken by ``rmh serve`` (see ``docs/http.md``).

The URL is the server's root (``http://gpu-box:8000``, or a prefix behind a proxy):

- ``GET /info``: ``{"protocol": "rmh", "version": 1, "name": ..., "fingerprint": ...,
  "max_batch": ..., "model": {...}}``. Optional: without it the model is identified
  by a probe, as for any other server.
- ``POST /score``: ``{"pairs": [{"prompt": ..., "response": ...}, ...]}`` answered by
  ``{"scores": [...], "fingerprint": ...}``, one score per pair in order.

Each answer names the fingerprint of the model that scored it, so a server that swaps
its model mid-run is caught at the next request, not only at the next resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.core.errors import EndpointOutputError
from harness.models.http.client import Reply, Request, Transport
from harness.models.http.protocols import PROTOCOLS, Protocol, ServerInfo, checked_scores

VERSION = 1


def score_request(prompts: Sequence[str], responses: Sequence[str]) -> dict[str, Any]:
    """The ``POST /score`` body for these pairs."""
    return {
        "pairs": [{"prompt": p, "response": r} for p, r in zip(prompts, responses, strict=True)]
    }


@PROTOCOLS.register
class RmhProtocol(Protocol):
    """The ``rmh serve`` protocol: pairs in, scores out, ``/info`` for identity."""

    name = "rmh"

    def __init__(self, url: str, options: Any) -> None:
        super().__init__(url, options)
        self.base = url.rstrip("/")
        self.expected: str | None = None  # the fingerprint /info gave

    def info(self, transport: Transport) -> ServerInfo:
        reply = transport.get(f"{self.base}/info", missing_ok=True)
        if reply is None:
            return ServerInfo()
        body = reply.json()
        if not isinstance(body, dict):
            raise EndpointOutputError(
                f"{reply.where} is not an rmh /info answer (a JSON object): {reply.excerpt()!r}"
            )
        fingerprint = body.get("fingerprint")
        max_batch = body.get("max_batch")
        self.expected = str(fingerprint) if fingerprint else None
        return ServerInfo(
            name=str(body["name"]) if body.get("name") else None,
            fingerprint=self.expected,
            max_batch=max_batch if isinstance(max_batch, int) and max_batch > 0 else None,
            details={k: body[k] for k in ("protocol", "version", "model") if k in body},
        )

    def request(self, prompts: Sequence[str], responses: Sequence[str]) -> Request:
        return Request(f"{self.base}/score", score_request(prompts, responses))

    def scores(self, reply: Reply, n: int) -> list[float]:
        body = reply.json()
        if not isinstance(body, dict) or "scores" not in body:
            raise EndpointOutputError(
                f"the reward model at {reply.where} answered without 'scores': {reply.excerpt()!r}"
            )
        served = body.get("fingerprint")
        if self.expected and served and served != self.expected:
            raise EndpointOutputError(
                f"the server at {reply.where} now serves a different model (fingerprint "
                f"{str(served)[:16]}, not {self.expected[:16]} as when the run began); "
                "start a new run against it"
            )
        return checked_scores(body["scores"], n, reply)
