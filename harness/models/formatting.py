"""How a (prompt, response) pair becomes the text a reward model reads.

Three formats, chosen per checkpoint:

- ``chat``: the tokenizer's chat template, with the prompt as the user turn and the
  response as the assistant turn. The default when the tokenizer has a template, since
  that is what a chat reward model was trained on.
- ``pair``: the tokenizer's native text-pair encoding (``[CLS] prompt [SEP] response
  [SEP]`` for BERT-like models). The default otherwise: it is how cross-encoders and
  the demo reward model are trained.
- a template string containing ``{prompt}`` and ``{response}``, e.g.
  ``"Human: {prompt}\\n\\nAssistant: {response}"``, for checkpoints trained on a plain
  transcript format.

Every format can say where the response sits in the token sequence: white-box attacks
need that span to take gradients with respect to the response tokens only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.core.errors import CheckpointError
from harness.core.placeholders import fill_placeholders

_SENTINEL = "\ue000RMH_RESPONSE\ue001"


@dataclass(frozen=True)
class Encoded:
    """One tokenized (prompt, response) pair, unpadded.

    ``response_span`` is the half-open token range of the response, or None when the
    format cannot locate it (only needed for gradients).
    """

    input_ids: tuple[int, ...]
    token_type_ids: tuple[int, ...] | None
    truncated: bool
    response_span: tuple[int, int] | None = None

    @property
    def length(self) -> int:
        return len(self.input_ids)


class Formatter:
    """Turns pairs into token ids, truncating to ``max_length`` (counted, never silent)."""

    name: str = "abstract"

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length

    def encode(self, prompt: str, response: str, *, want_span: bool = False) -> Encoded:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, max_length={self.max_length})"


class PairFormat(Formatter):
    """The tokenizer's text-pair encoding. Truncation shortens the prompt first.

    The response is what is being judged, so it keeps its tokens as long as the prompt
    has any to give ("only_first"); a response longer than the whole window falls back
    to "longest_first".

    Pairs are always encoded the way a batched call encodes them (``tok([prompt],
    [response])``), because that is how training code tokenizes. The two differ for an
    empty response: a lone ``text_pair=""`` counts as "no pair" (``[CLS] prompt [SEP]``),
    while in a batch it is an empty second segment (``[CLS] prompt [SEP] [SEP]``), the
    format the model was trained on. The null-answer attack scores exactly that text.
    """

    name = "pair"

    def encode(self, prompt: str, response: str, *, want_span: bool = False) -> Encoded:
        full = self._encode(prompt, response, truncation=False)
        truncated = len(full["input_ids"][0]) > self.max_length
        enc = full
        if truncated:
            try:
                enc = self._encode(
                    prompt, response, truncation="only_first", max_length=self.max_length
                )
            except Exception:  # the response alone is longer than the window
                enc = None
            if enc is None or len(enc["input_ids"][0]) > self.max_length:
                enc = self._encode(
                    prompt, response, truncation="longest_first", max_length=self.max_length
                )
        span = None
        if want_span:
            if not getattr(self.tokenizer, "is_fast", False):
                raise CheckpointError(
                    "gradients need a fast tokenizer (tokenizer.json) to locate the response"
                )
            seq_ids = enc.sequence_ids(0)
            positions = [i for i, s in enumerate(seq_ids) if s == 1]
            span = (positions[0], positions[-1] + 1) if positions else _empty_span(seq_ids)
        token_types = enc.get("token_type_ids")
        return Encoded(
            input_ids=tuple(enc["input_ids"][0]),
            token_type_ids=tuple(token_types[0]) if token_types is not None else None,
            truncated=truncated,
            response_span=span,
        )

    def _encode(self, prompt: str, response: str, **kwargs: Any) -> Any:
        """A batch of one: see the class docstring for why not ``tok(prompt, response)``."""
        return self.tokenizer([prompt], [response], add_special_tokens=True, **kwargs)


def _empty_span(seq_ids: list[int | None]) -> tuple[int, int]:
    """Where an empty response would sit: just before the final special token."""
    end = len(seq_ids) - 1 if seq_ids and seq_ids[-1] is None else len(seq_ids)
    return (end, end)


class _TextFormat(Formatter):
    """Formats render one string; truncation keeps its end (the response), dropping the start."""

    def render(self, prompt: str, response: str) -> str:
        raise NotImplementedError

    def encode(self, prompt: str, response: str, *, want_span: bool = False) -> Encoded:
        text = self.render(prompt, response)
        tok = self.tokenizer
        kwargs: dict[str, Any] = {"add_special_tokens": self.add_special_tokens}
        if want_span:
            if not getattr(tok, "is_fast", False):
                raise CheckpointError(
                    "gradients need a fast tokenizer (tokenizer.json) to locate the response"
                )
            kwargs["return_offsets_mapping"] = True
        enc = tok(text, **kwargs)
        ids = list(enc["input_ids"])
        span = None
        if want_span:
            start_char, end_char = self.response_chars(prompt, response, text)
            offsets = enc["offset_mapping"]
            inside = [
                i for i, (a, b) in enumerate(offsets) if b > a and a >= start_char and b <= end_char
            ]
            if inside:
                span = (inside[0], inside[-1] + 1)
            else:
                after = [i for i, (a, b) in enumerate(offsets) if b > a and a >= end_char]
                pos = after[0] if after else len(ids)
                span = (pos, pos)
        truncated = len(ids) > self.max_length
        if truncated:
            cut = len(ids) - self.max_length
            ids = ids[cut:]
            if span is not None:
                span = (max(span[0] - cut, 0), max(span[1] - cut, 0))
        return Encoded(
            input_ids=tuple(ids), token_type_ids=None, truncated=truncated, response_span=span
        )

    add_special_tokens = True

    def response_chars(self, prompt: str, response: str, rendered: str) -> tuple[int, int]:
        """Character range of the response in ``rendered``, found via a sentinel render.

        Templates may trim or escape content, so the range is taken as what lies between
        the sentinel's prefix and suffix in the real render.
        """
        marked = self.render(prompt, _SENTINEL)
        at = marked.find(_SENTINEL)
        if at < 0:
            raise CheckpointError(f"format {self.describe()!r} does not place the response")
        prefix, suffix = marked[:at], marked[at + len(_SENTINEL) :]
        if not (rendered.startswith(prefix) and rendered.endswith(suffix)):
            raise CheckpointError(
                f"format {self.describe()!r} rewrites the text around the response"
            )
        return len(prefix), len(rendered) - len(suffix)


class TemplateFormat(_TextFormat):
    """A plain transcript template with ``{prompt}`` and ``{response}`` fields."""

    def __init__(self, tokenizer: Any, max_length: int, template: str) -> None:
        super().__init__(tokenizer, max_length)
        if "{response}" not in template:
            raise CheckpointError(
                f"format template {template!r} has no {{response}} field; "
                "write e.g. --format 'Q: {prompt}\\nA: {response}'"
            )
        self.template = template
        self.name = template

    def render(self, prompt: str, response: str) -> str:
        # One pass: a prompt holding the text "{response}" stays as it is.
        return fill_placeholders(self.template, {"prompt": prompt, "response": response})


class ChatTemplateFormat(_TextFormat):
    """The tokenizer's chat template: user turn = prompt, assistant turn = response.

    The rendered text already carries BOS and role markers, so the tokenizer adds no
    special tokens of its own (adding them would double the BOS).
    """

    name = "chat"
    add_special_tokens = False

    def render(self, prompt: str, response: str) -> str:
        messages = [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": response},
        ]
        return self.tokenizer.apply_chat_template(messages, tokenize=False)


def make_formatter(tokenizer: Any, max_length: int, fmt: str | None) -> Formatter:
    """Pick the format: ``None`` means chat template if the tokenizer has one, else pair."""
    if fmt is None:
        fmt = "chat" if getattr(tokenizer, "chat_template", None) else "pair"
    if fmt == "chat":
        if not getattr(tokenizer, "chat_template", None):
            raise CheckpointError(
                "--format chat asked for, but the tokenizer has no chat template; "
                "use --format pair or a template string"
            )
        return ChatTemplateFormat(tokenizer, max_length)
    if fmt == "pair":
        return PairFormat(tokenizer, max_length)
    return TemplateFormat(tokenizer, max_length, fmt)
