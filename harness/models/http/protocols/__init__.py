"""Protocols: how one kind of server is asked for scores, behind one registry.

A protocol turns pairs into a request and a reply into scores; the transport
(``harness.models.http.client``) sends and retries, the model (``..model``) batches. Each
builtin is one module of this package that registers itself; a third-party protocol is
an entry point in the ``rm_harness.protocols`` group (a ``Protocol`` subclass with a
``name``). An unknown ``--protocol`` is a one-line error listing the known ones.

- ``rmh``: this project's own JSON (``rmh serve``), with ``/info``.
- ``vllm-score``: vLLM's ``/score``, ``/classify`` and ``/pooling``.
- ``template``: a JSON request template and a response path, for in-house services.

A protocol is built from the load options, but this package does not import
``LoadOptions``: the load options hold ``HttpOptions``, which checks its ``--protocol`` in
this registry, so the registry sits below them. ``ProtocolOptions`` says what a protocol
reads of the options it is given (``LoadOptions`` has all of it).
"""

from __future__ import annotations

import typing
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from harness.core.errors import EndpointOutputError
from harness.core.registry import Registry

if TYPE_CHECKING:
    from harness.models.http.client import Reply, Request, Transport


class ProtocolOptions(typing.Protocol):
    """What a protocol reads of the load options it is built with (``LoadOptions``).

    ``format``, ``head_index``, ``good_label`` and ``bad_label`` read a served classifier's
    output as they read a local checkpoint's; ``http`` is the endpoint's ``HttpOptions``
    (a protocol reads its own settings there, such as ``request_template``).
    """

    @property
    def format(self) -> str | None: ...

    @property
    def head_index(self) -> int | None: ...

    @property
    def good_label(self) -> int: ...

    @property
    def bad_label(self) -> int: ...

    @property
    def http(self) -> Any: ...


@dataclass(frozen=True)
class ServerInfo:
    """What a server says about itself; every field may be unknown (None).

    ``fingerprint`` set means the server vouches for its model's identity and no probe
    is needed; ``max_batch`` caps the pairs per request.
    """

    name: str | None = None
    fingerprint: str | None = None
    max_batch: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Protocol(ABC):
    """One kind of server. Subclasses set ``name`` and build requests and read replies.

    Built once per model from the endpoint URL and the load options (``options.http``
    holds the endpoint settings; ``format``, ``head_index`` and ``good_label`` read a
    classifier's output the way they read a local checkpoint's).
    """

    name: ClassVar[str]
    #: Most pairs one request can carry whatever ``--max-batch`` says (None: no limit).
    row_cap: int | None = None

    def __init__(self, url: str, options: ProtocolOptions) -> None:
        self.url = url
        self.options = options

    def info(self, transport: Transport) -> ServerInfo:
        """Ask the server about itself (default: nothing to ask)."""
        return ServerInfo()

    @abstractmethod
    def request(self, prompts: Sequence[str], responses: Sequence[str]) -> Request:
        """The request that scores these pairs (at most ``row_cap`` of them)."""

    @abstractmethod
    def scores(self, reply: Reply, n: int) -> list[float]:
        """The ``n`` scores in ``reply``; ``EndpointOutputError`` when they are not there."""

    def describe(self) -> dict[str, Any]:
        """Protocol facts for ``rmh info`` (never a secret)."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"


def _check(obj: Any) -> None:
    if not (isinstance(obj, type) and issubclass(obj, Protocol)):
        raise TypeError(f"{obj!r} is not a Protocol subclass")


PROTOCOLS: Registry[type[Protocol]] = Registry(
    "protocol",
    group="rm_harness.protocols",
    discover="harness.models.http.protocols",
    check=_check,
)


def as_score(value: Any, index: int, reply: Reply) -> float:
    """A JSON number as a float; anything else (a string, null, a bool) is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EndpointOutputError(
            f"the reward model at {reply.where} returned {type(value).__name__} "
            f"{reply.quote(value, 40)} "
            f"as score {index}, not a number: {reply.excerpt()!r}"
        )
    return float(value)


def checked_scores(values: Any, n: int, reply: Reply) -> list[float]:
    """``values`` as ``n`` floats: the wrong count or a non-number is an ``EndpointOutputError``.

    A non-finite number passes here: the scorer refuses it naming the pair.
    """
    if not isinstance(values, list):
        raise EndpointOutputError(
            f"the reward model at {reply.where} returned {type(values).__name__} where a list of "
            f"{n} scores belongs: {reply.excerpt()!r}"
        )
    if len(values) != n:
        raise EndpointOutputError(
            f"the reward model at {reply.where} returned {len(values)} scores for {n} pairs: "
            f"{reply.excerpt()!r}"
        )
    return [as_score(v, i, reply) for i, v in enumerate(values)]


def reward_from_vector(vector: Any, index: int, reply: Reply, options: ProtocolOptions) -> float:
    """One reward from a classifier's per-label outputs, read as a local checkpoint's head is.

    One value: itself. Two: ``v[good_label] - v[bad_label]``. More: ``--head-index``.
    """
    if not isinstance(vector, list):
        return as_score(vector, index, reply)
    values = [as_score(v, index, reply) for v in vector]
    if options.head_index is not None:
        if not 0 <= options.head_index < len(values):
            raise EndpointOutputError(
                f"--head-index {options.head_index} is out of range: the reward model at "
                f"{reply.where} returned {len(values)} values per pair"
            )
        return values[options.head_index]
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return values[options.good_label] - values[options.bad_label]
    raise EndpointOutputError(
        f"the reward model at {reply.where} returned {len(values)} values per pair; pick the "
        "reward with --head-index"
    )
