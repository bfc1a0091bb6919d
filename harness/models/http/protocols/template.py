"""``template``: an in-house JSON service, described by a request template and a response path.

The URL is the endpoint that scores (it is POSTed to). ``--request-template`` is the JSON
body with placeholders, whole JSON string values:

- ``"$prompts"`` and ``"$responses"``: the lists of prompts and responses;
- ``"$pairs"``: a list of ``{"prompt": ..., "response": ...}`` objects;
- ``{"$each": T}`` (``$each`` the object's only key): a list with ``T`` filled in once
  per pair, where ``"$prompt"``, ``"$response"`` and ``"$index"`` are the pair's values
  and ``{prompt}`` and ``{response}`` inside other strings are replaced by them, in one
  pass (``harness.core.placeholders``: a prompt holding ``{response}`` stays as it is);
- a string starting ``$$`` is the literal string with one ``$`` fewer.

``--response-path`` (``harness.models.http.jsonpath``) finds the scores in the answer:
a path with ``[*]`` gives one score per match (``$.results[*].reward``); one without
gives a list (``$.scores``). Example, for a service that takes ``{"inputs": [{"q": ...,
"a": ...}]}`` and answers ``{"outputs": [{"reward": 0.3}, ...]}``::

    rmh run https://rm.internal/v2/score --protocol template \\
        --request-template '{"inputs": {"$each": {"q": "$prompt", "a": "$response"}}}' \\
        --response-path '$.outputs[*].reward' --api-key-env RM_KEY --suite quick --out runs/rm
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.core.errors import EndpointOutputError, HarnessError
from harness.core.placeholders import fill_placeholders
from harness.models.http.client import Reply, Request
from harness.models.http.jsonpath import parse_path
from harness.models.http.protocols import PROTOCOLS, Protocol, checked_scores

#: The default request: the ``rmh`` protocol's body (with the default path ``$.scores``).
DEFAULT_TEMPLATE = {"pairs": {"$each": {"prompt": "$prompt", "response": "$response"}}}
_LISTS = ("$prompts", "$responses", "$pairs")


def load_template(text: str | None) -> Any:
    """The request template from ``--request-template`` (JSON text, or ``@FILE``)."""
    if text is None:
        return DEFAULT_TEMPLATE
    source = "--request-template"
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise HarnessError(
                f"--request-template file {path} cannot be read ({exc.strerror or exc})"
            ) from None
        source = f"--request-template file {path}"
    try:
        template = json.loads(text)
    except ValueError as exc:
        raise HarnessError(f"{source} is not JSON ({exc})") from None
    _check_each(template, source)
    if not _uses_pairs(template):
        raise HarnessError(
            f'{source} has no {", ".join(_LISTS)} or {{"$each": ...}}: the pairs would not be sent'
        )
    return template


def _check_each(template: Any, source: str) -> None:
    """``$each`` must be its object's only key (``fill`` expands it only then)."""
    if isinstance(template, dict):
        if "$each" in template and len(template) > 1:
            others = ", ".join(repr(k) for k in template if k != "$each")
            raise HarnessError(
                f'{source}: {{"$each": ...}} must be the only key of its object, not beside '
                f"{others}; put those fields one level up"
            )
        for value in template.values():
            _check_each(value, source)
    elif isinstance(template, list):
        for value in template:
            _check_each(value, source)


def _uses_pairs(template: Any) -> bool:
    if isinstance(template, str):
        return template in _LISTS
    if isinstance(template, dict):
        if set(template) == {"$each"}:
            return True
        return any(_uses_pairs(v) for v in template.values())
    if isinstance(template, list):
        return any(_uses_pairs(v) for v in template)
    return False


def fill(template: Any, prompts: Sequence[str], responses: Sequence[str]) -> Any:
    """The request body: ``template`` with the batch's placeholders filled in."""
    if isinstance(template, str):
        if template == "$prompts":
            return list(prompts)
        if template == "$responses":
            return list(responses)
        if template == "$pairs":
            return [{"prompt": p, "response": r} for p, r in zip(prompts, responses, strict=True)]
        return template[1:] if template.startswith("$$") else template
    if isinstance(template, dict):
        if set(template) == {"$each"}:
            return [
                _fill_row(template["$each"], i, p, r)
                for i, (p, r) in enumerate(zip(prompts, responses, strict=True))
            ]
        return {k: fill(v, prompts, responses) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, prompts, responses) for v in template]
    return template


def _fill_row(template: Any, index: int, prompt: str, response: str) -> Any:
    if isinstance(template, str):
        if template == "$prompt":
            return prompt
        if template == "$response":
            return response
        if template == "$index":
            return index
        if template.startswith("$$"):
            return template[1:]
        return fill_placeholders(template, {"prompt": prompt, "response": response})
    if isinstance(template, dict):
        return {k: _fill_row(v, index, prompt, response) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill_row(v, index, prompt, response) for v in template]
    return template


@PROTOCOLS.register
class TemplateProtocol(Protocol):
    """Any JSON service: a request template in, a response path to the scores out."""

    name = "template"

    def __init__(self, url: str, options: Any) -> None:
        super().__init__(url, options)
        self.template = load_template(options.http.request_template)
        self.path = parse_path(options.http.response_path)

    def request(self, prompts: Sequence[str], responses: Sequence[str]) -> Request:
        return Request(self.url, fill(self.template, prompts, responses))

    def scores(self, reply: Reply, n: int) -> list[float]:
        found = self.path.find(reply.json())
        if not found:
            raise EndpointOutputError(
                f"response path {self.path} found nothing in the answer of {reply.where}: "
                f"{reply.excerpt()!r}"
            )
        if self.path.has_wildcard:
            values: Any = found
        elif len(found) == 1 and isinstance(found[0], list):
            values = found[0]
        else:
            values = found  # a single number: right only when one pair was sent
        return checked_scores(values, n, reply)

    def describe(self) -> dict[str, Any]:
        return {"request_template": self.template, "response_path": str(self.path)}
