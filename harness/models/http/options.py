"""How to reach and read a reward model behind HTTP: one frozen dataclass, also CLI options.

Like ``LoadOptions`` (which holds one of these as ``http``), each field's metadata carries
its command-line help, so ``harness.cli.options`` generates ``--protocol``, ``--header``,
``--api-key-env``, ... from this class. The options travel with the run (the run log's
``init`` entry, Ray workers), so a resumed run or a worker process rebuilds the same
endpoint from the URL and these fields; the API key itself never travels: only the name
of the environment variable that holds it, read again where the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.core.errors import HarnessError
from harness.models.http.protocols import PROTOCOLS

_WHERE = "HTTP endpoints: "


@dataclass(frozen=True)
class HttpOptions:
    """Settings of an HTTP reward model (see ``docs/http.md``).

    Attributes:
        protocol: how the server is asked: ``rmh`` (``rmh serve``), ``vllm-score``
            (vLLM's ``/score``, ``/classify``, ``/pooling``) or ``template``.
        header: extra request headers, each ``Name:Value``; ``{api_key}`` in a value is
            replaced by the key from ``api_key_env``.
        api_key_env: the environment variable holding the API key. It is sent as
            ``Authorization: Bearer KEY`` unless a header uses ``{api_key}``.
        concurrency: HTTP requests in flight at once for one scorer batch.
        timeout: seconds to wait between bytes of a response (httpx's read timeout, so a
            slow but steady answer is not cut off) and for a connection (at most
            ``client.CONNECT_TIMEOUT``), before the attempt is retried.
        max_batch: pairs per HTTP request; a scorer batch is cut into requests of this size.
        retries: how often a request is retried after a connection error, a timeout,
            a 429 or a 5xx, before the run stops with a one-line error.
        backoff: seconds before the first retry; doubled each retry, with jitter. A 429's
            or 503's ``Retry-After`` is honoured instead.
        request_template: the ``template`` protocol's JSON request body, or ``@FILE``.
        response_path: the ``template`` protocol's path to the scores in the response.
    """

    protocol: str = field(
        default="rmh",
        metadata={
            "help": _WHERE + "rmh (rmh serve), vllm-score (vLLM /score, /classify, /pooling), "
            "or template (--request-template, --response-path)."
        },
    )
    header: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": _WHERE + "send this Name:Value header (repeatable); {api_key} in the "
            "value is replaced by the --api-key-env key."
        },
    )
    api_key_env: str | None = field(
        default=None,
        metadata={
            "help": _WHERE + "read the API key from this environment variable (never pass "
            "the key itself); sent as 'Authorization: Bearer' unless a --header uses {api_key}."
        },
    )
    concurrency: int = field(
        default=4, metadata={"help": _WHERE + "requests in flight at once.", "min": 1}
    )
    timeout: float = field(
        default=60.0,
        metadata={
            "help": _WHERE + "seconds to wait between bytes of a response, and for a "
            "connection (at most 10), before retrying.",
            "min": 0,
        },
    )
    max_batch: int = field(default=16, metadata={"help": _WHERE + "pairs per request.", "min": 1})
    retries: int = field(
        default=4,
        metadata={
            "help": _WHERE + "retries after a connection error, timeout, 429 or 5xx.",
            "min": 0,
        },
    )
    backoff: float = field(
        default=0.5,
        metadata={
            "help": _WHERE + "seconds before the first retry, doubled each time, jittered "
            "(Retry-After wins).",
            "min": 0,
        },
    )
    request_template: str | None = field(
        default=None,
        metadata={
            "help": _WHERE + "the template protocol's JSON request body (or @FILE), with "
            '"$prompts", "$responses" or {"$each": {..."$prompt"..."$response"...}}.'
        },
    )
    response_path: str = field(
        default="$.scores",
        metadata={
            "help": _WHERE + "the template protocol's path to the scores, e.g. $.results[*].reward."
        },
    )

    def __post_init__(self) -> None:
        # A resumed run reads these back from JSON, where the tuple became a list.
        object.__setattr__(self, "header", tuple(self.header))
        for item in self.header:
            name, sep, _ = str(item).partition(":")
            if not sep or not name.strip():
                raise HarnessError(f"--header {item!r} is not of the form Name:Value")
        if self.timeout <= 0:
            raise HarnessError(f"--timeout must be > 0 seconds, got {self.timeout}")
        PROTOCOLS.get(self.protocol)  # an unknown name lists the known ones

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HttpOptions:
        """From ``dataclasses.asdict`` output read back from a run log."""
        return cls(**data)

    def header_pairs(self) -> list[tuple[str, str]]:
        """``(name, value)`` of each ``--header``, stripped, in order."""
        pairs = []
        for item in self.header:
            name, _, value = item.partition(":")
            pairs.append((name.strip(), value.strip()))
        return pairs
