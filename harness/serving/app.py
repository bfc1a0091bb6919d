"""The ``rmh`` protocol's server: a FastAPI app over one reward model.

Routes (the protocol is documented in ``docs/http.md``):

- ``POST /score`` ``{"pairs": [{"prompt", "response"}, ...]}`` -> ``{"scores": [...],
  "fingerprint": ...}``. At most ``max_batch`` pairs (413 beyond). Scored by a fresh
  ``Scorer`` per request, the path a local run takes (length buckets of ``batch_size``
  rows, dynamic padding, the non-finite check); a fresh one so that a long-running
  server keeps no cache that grows without end.
- ``GET /info``: name, fingerprint, ``max_batch`` and what ``rmh info`` shows of the
  model (less its file system path).
- ``GET /health``: liveness and counters; the only route without the API key.

One model call at a time (a lock): the model's own threads use the cores, and two
forward passes in parallel would only fight over them. The event loop stays free to
parse and answer other requests meanwhile.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

from harness import __version__
from harness.core.batching import DEFAULT_BATCH_SIZE
from harness.core.errors import HarnessError
from harness.models.base import RewardModel
from harness.scoring import Scorer

PROTOCOL = "rmh"
VERSION = 1
#: ``describe()`` facts a client has no business seeing (server paths, load options), or
#: that ``/info`` gives once at its top level (the fingerprint).
HIDDEN_FACTS = ("path", "options", "spec", "tokenizer", "fingerprint")


class Pair(BaseModel):
    prompt: str
    response: str


class ScoreRequest(BaseModel):
    pairs: list[Pair]


@dataclass
class ServedModel:
    """The model being served, its limits, and what it has done (for ``/health``)."""

    model: RewardModel
    name: str
    max_batch: int = 256
    batch_size: int = DEFAULT_BATCH_SIZE
    requests: int = 0
    pairs: int = 0
    model_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def score(self, prompts: list[str], responses: list[str]) -> list[float]:
        """Scores through a fresh scorer, one call at a time."""
        with self._lock:
            started = time.perf_counter()
            scorer = Scorer(self.model, batch_size=self.batch_size)
            scores = scorer.score(prompts, responses)
            self.model_seconds += time.perf_counter() - started
            self.requests += 1
            self.pairs += len(prompts)
        return [float(s) for s in scores]

    def info(self) -> dict[str, Any]:
        facts = {k: v for k, v in self.model.describe().items() if k not in HIDDEN_FACTS}
        return {
            "protocol": PROTOCOL,
            "version": VERSION,
            "name": self.name,
            "fingerprint": self.model.fingerprint,
            "max_batch": self.max_batch,
            "model": json.loads(json.dumps(facts, default=str)),
            "server": f"rm-harness {__version__}",
        }


def _json(content: Any, status: int = 200) -> Response:
    return Response(json.dumps(content), status_code=status, media_type="application/json")


def build_app(
    model: RewardModel,
    *,
    name: str,
    max_batch: int = 256,
    batch_size: int = DEFAULT_BATCH_SIZE,
    api_key: str | None = None,
) -> FastAPI:
    """The ASGI app serving ``model``; with ``api_key``, every route but ``/health`` needs
    ``Authorization: Bearer <api_key>``."""
    served = ServedModel(model, name, max_batch=max_batch, batch_size=batch_size)
    app = FastAPI(
        title="rm-harness reward model",
        version=__version__,
        description=f"{name}, served with the rmh protocol (POST /score, GET /info).",
    )
    app.state.served = served
    expected = f"Bearer {api_key}".encode() if api_key else None

    def authorized(authorization: str | None = Header(default=None)) -> None:
        if expected is None:
            return
        given = (authorization or "").encode()
        if not hmac.compare_digest(given, expected):
            raise HTTPException(
                status_code=401,
                detail="missing or wrong API key: send 'Authorization: Bearer KEY'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.post("/score", dependencies=[Depends(authorized)])
    async def score(request: ScoreRequest) -> Response:
        n = len(request.pairs)
        if n > served.max_batch:
            raise HTTPException(
                status_code=413,
                detail=f"{n} pairs in one request; this server takes at most "
                f"{served.max_batch} (see /info)",
            )
        prompts = [p.prompt for p in request.pairs]
        responses = [p.response for p in request.pairs]
        try:
            scores = await anyio.to_thread.run_sync(served.score, prompts, responses)
        except HarnessError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return _json({"scores": scores, "fingerprint": served.model.fingerprint})

    @app.get("/info", dependencies=[Depends(authorized)])
    async def info() -> Response:
        return _json(served.info())

    @app.get("/health")
    async def health() -> Response:
        return _json(
            {
                "status": "ok",
                "requests": served.requests,
                "pairs": served.pairs,
                "model_seconds": round(served.model_seconds, 3),
            }
        )

    return app
