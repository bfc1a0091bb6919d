"""``HttpRewardModel``: a reward model behind an HTTP endpoint, scored like any other.

The scorer keeps owning batching, caching and budgets: it hands ``score_batch`` one batch,
and this model cuts it into requests of at most ``max_batch`` pairs (and no more than the
server's or the protocol's own limit) that run ``concurrency`` at a time. Retries happen
inside ``score_batch``, so the scorer counts each pair once, however often its request
was sent.

Built from the URL and the load options alone (``__reduce__`` says so), so a worker
process or a Ray actor builds its own client and reads the API key from its own
environment; no connection pool or key is ever pickled.

Example::

    rm = HttpRewardModel("http://gpu-box:8000", LoadOptions(http=HttpOptions(concurrency=8)))
    Scorer(rm, batch_size=128).score(prompts, responses)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from harness import __version__
from harness.core.errors import CheckpointError, HarnessError
from harness.core.secrets import api_key_from_env, check_header
from harness.models.base import Prepared, RewardModel
from harness.models.http.client import Reply, Transport, display_url
from harness.models.http.identity import PROBE_PAIRS, probe_fingerprint
from harness.models.http.protocols import PROTOCOLS, Protocol, ServerInfo
from harness.models.options import LoadOptions

SCHEMES = ("http://", "https://")
API_KEY_FIELD = "{api_key}"


def is_http_spec(spec: str) -> bool:
    """Whether a checkpoint spec names an HTTP endpoint."""
    return spec.lower().startswith(SCHEMES)


def _check_url(url: str) -> None:
    """A URL the model can be named by: http(s), a host, a numeric port, no credentials.

    Credentials in the URL (``user:password@host``) are refused: the URL is the model's
    name, written to the run log, the store, the report and ``/info``.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CheckpointError(f"{display_url(url)!r} is not an http:// or https:// URL with a host")
    if "@" in parts.netloc:
        raise CheckpointError(
            f"{display_url(url)!r} was given with a user name or password (USER:PASSWORD@): "
            "the URL is written to the run log and the report, so credentials cannot go in "
            "it; pass the secret with --api-key-env (sent as a bearer token), or place it "
            "in a --header with {api_key}"
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise CheckpointError(f"{display_url(url)!r} has a port that is not a number") from None


def request_headers(options: Any, key: str | None) -> dict[str, str]:
    """The headers every request carries: ``--header``s (``{api_key}`` filled in), then
    ``Authorization: Bearer KEY`` when there is a key that no header placed.

    Each header is checked here, when the model is built, so that one HTTP cannot carry
    is a one-line error that does not show its value (the key is checked where it is read).
    """
    headers = {"User-Agent": f"rm-harness/{__version__}"}
    placed = False
    for name, value in options.header_pairs():
        check_header(name, value)
        if API_KEY_FIELD in value:
            if key is None:
                raise HarnessError(f"--header {name} uses {API_KEY_FIELD} but no --api-key-env")
            value = value.replace(API_KEY_FIELD, key)
            placed = True
        headers[name] = value
    if key is not None and not placed:
        headers["Authorization"] = f"Bearer {key}"
    return headers


class HttpRewardModel(RewardModel):
    """A reward model served over HTTP (see ``docs/http.md``). Black-box: no gradients."""

    supports_gradients = False
    #: The server pads and bounds its own batches: the scorer's padded-token cap (meant
    #: for a local forward pass) does not apply, and ``length`` is in characters.
    pads_batches = False

    def __init__(self, url: str, options: LoadOptions | None = None) -> None:
        _check_url(url)
        self.url = url
        self.options = options or LoadOptions()
        http = self.options.http
        key = api_key_from_env(http.api_key_env)
        self.transport = Transport(
            headers=request_headers(http, key),
            timeout=http.timeout,
            concurrency=http.concurrency,
            retries=http.retries,
            backoff=http.backoff,
            secret=key,
        )
        self.protocol: Protocol = self._guard(
            lambda: PROTOCOLS.get(http.protocol)(url, self.options)
        )
        self.server: ServerInfo = self._guard(lambda: self.protocol.info(self.transport))
        caps = [http.max_batch, self.server.max_batch, self.protocol.row_cap]
        self.max_batch = min(c for c in caps if c is not None)
        self.probe_scores: list[float] | None = None
        if self.server.fingerprint:
            self.fingerprint = self.server.fingerprint
            self.fingerprint_source = "server (/info)"
        else:
            prompts, responses = zip(*PROBE_PAIRS, strict=True)
            self.probe_scores = self._score(list(prompts), list(responses))
            self.fingerprint = probe_fingerprint(url, http.protocol, self.probe_scores)
            self.fingerprint_source = "probe (URL and the scores of three fixed pairs)"

    @classmethod
    def from_spec(cls, url: str, options: LoadOptions | None = None) -> HttpRewardModel:
        return cls(url, options)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the spec where it lands: its own client, its own environment's key.
        return (type(self), (self.url, self.options))

    # ---------------------------------------------------------------- scoring
    def _guard(self, step: Callable[[], Any]) -> Any:
        """Run ``step``; a ``HarnessError`` it raises comes out with the key blanked."""
        try:
            return step()
        except HarnessError as exc:
            redacted = self.transport.redact(str(exc))
            if redacted == str(exc):
                raise
            try:
                clean = type(exc)(redacted)
            except TypeError:  # an error class with its own signature
                clean = HarnessError(redacted)
            raise clean from None

    def prepare(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prepared]:
        # No tokenizer here: characters order the scorer's batches (similar lengths share a
        # request, which the server pads less); ``pads_batches`` keeps them out of the
        # token cap, so --batch-size rows go out as --max-batch requests.
        return [
            Prepared(payload=(p, r), length=len(p) + len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]

    def score_batch(self, items: Sequence[Prepared]) -> np.ndarray:
        prompts = [item.payload[0] for item in items]
        responses = [item.payload[1] for item in items]
        return np.asarray(self._score(prompts, responses), dtype=np.float64)

    def _score(self, prompts: list[str], responses: list[str]) -> list[float]:
        """Scores of the pairs: requests of ``max_batch`` pairs, ``concurrency`` at a time."""
        size = self.max_batch
        spans = [(start, min(start + size, len(prompts))) for start in range(0, len(prompts), size)]
        requests = [self.protocol.request(prompts[a:b], responses[a:b]) for a, b in spans]

        def run() -> list[float]:
            replies: list[Reply] = self.transport.post_all(requests)
            scores: list[float] = []
            for (a, b), reply in zip(spans, replies, strict=True):
                scores.extend(self.protocol.scores(reply, b - a))
            return scores

        return self._guard(run)

    # --------------------------------------------------------------- describe
    def describe(self) -> dict[str, Any]:
        http = self.options.http
        facts: dict[str, Any] = {
            "kind": "http",
            "url": display_url(self.url),
            "protocol": http.protocol,
            "served_model": self.server.name,
            "fingerprint": self.fingerprint,
            "fingerprint_source": self.fingerprint_source,
            "probe_scores": self.probe_scores,
            "max_batch": self.max_batch,
            "concurrency": http.concurrency,
            "timeout": http.timeout,
            "retries": http.retries,
            # names only: a header value may carry a secret
            "headers": sorted(name for name, _ in http.header_pairs()) or None,
            "api_key_env": http.api_key_env,
            "white_box": False,
        }
        facts.update(self.protocol.describe())
        details = self.server.details
        if details.get("protocol"):
            facts["server_protocol"] = f"{details['protocol']} v{details.get('version', '?')}"
        model = details.get("model")
        if isinstance(model, dict):
            shown = ("architecture", "head", "format", "max_length", "dtype", "device")
            facts["server_model"] = ", ".join(
                f"{key.replace('_', ' ')} {model[key]}" for key in shown if key in model
            )
        return facts

    def close(self) -> None:
        """Close the connection pool (the model builds a new one if used again)."""
        self.transport.close()

    def __repr__(self) -> str:
        return (
            f"HttpRewardModel(url={display_url(self.url)!r}, "
            f"protocol={self.options.http.protocol!r}, fingerprint={self.fingerprint[:12]!r})"
        )
