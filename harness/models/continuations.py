"""Teacher-forced log probabilities of many responses to one prompt, the prompt read once.

A fluency judge reads hundreds of candidates per prompt, all after the same prompt (~40
tokens of chat template and question, more than the ~24 of a joke). Reading the prompt
again for every candidate, as ``CausalLM.sequence_logprobs`` does for unrelated rows,
spends most of the work on the part they share. Here the prompt is run once; its
key/value cache is copied to the rows of each batch (``reorder_cache`` with every row
pointing at the prompt's: an ``index_select`` along the batch, on transformers 4.57 and
5.x alike), and only the responses are run after it. Responses are sorted by length into
batches (length buckets), so a batch pads little, and returned in the order given.

The result is the same as ``sequence_logprobs`` on each (prompt, response) row, up to
float rounding (tested to 1e-5 nats): the same tokens at the same positions under the
same causal mask; the padding after a short response is masked out and comes after it.

Example::

    lm = shared_causal_lm("smollm2")
    rows = continuation_logprobs(lm, lm.encode_prompt("Tell me a joke."), [[318, 257, 2]])
    rows[0]  # one log probability per response token
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from harness.core.errors import ModelOutputError

if TYPE_CHECKING:
    from harness.models.causal_lm import CausalLM


def _cache_of(output: Any) -> Any:
    """The key/value cache a forward pass returned (``cache`` from transformers 5.24 on)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


def continuation_logprobs(
    lm: CausalLM,
    prompt_ids: Sequence[int],
    response_ids: Sequence[Sequence[int]],
    *,
    batch_size: int = 32,
) -> list[np.ndarray]:
    """Per response, the log probability of each of its tokens after ``prompt_ids``.

    ``prompt_ids`` is the prompt as the model reads it (``lm.encode_prompt``), at least one
    token. An empty response gets an empty array. A cache that cannot be copied (no
    ``reorder_cache``) falls back to ``sequence_logprobs``-style rows, prompt included.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    prompt = list(prompt_ids)
    if not prompt:
        raise ValueError("the prompt has no tokens")
    out: list[np.ndarray] = [np.zeros(0) for _ in response_ids]
    order = sorted((i for i, r in enumerate(response_ids) if r), key=lambda i: len(response_ids[i]))
    if not order:
        return out
    with torch.inference_mode():
        ids = torch.tensor([prompt], dtype=torch.long, device=lm.device)
        mask = torch.ones_like(ids)
        positions = torch.arange(len(prompt), device=lm.device).unsqueeze(0)
        head = lm._forward(ids, mask, positions, keep=1)
        prompt_cache = _cache_of(head)
        first = torch.log_softmax(head.logits[:, -1, :].float(), dim=-1)[0]
        shared = hasattr(prompt_cache, "reorder_cache")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = [list(response_ids[i]) for i in rows]
            if shared:
                picked = _after_shared_prompt(lm, prompt_cache, first, len(prompt), batch)
            else:
                picked = _with_prompt(lm, prompt, batch)
            for i, values in zip(rows, picked, strict=True):
                if not np.isfinite(values).all():
                    # a NaN would compare False with any margin: the text would pass as fine
                    raise ModelOutputError(
                        f"the language model {lm.where} gave non-finite log probabilities "
                        "(NaN or inf); on GPU try dtype float32"
                    )
                out[i] = values
    return out


def _right_pad(lm: CausalLM, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), lm.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids.to(lm.device), mask.to(lm.device)


def _after_shared_prompt(
    lm: CausalLM, prompt_cache: Any, first: torch.Tensor, length: int, rows: list[list[int]]
) -> list[np.ndarray]:
    """The rows' token log probabilities, run after a copy of the prompt's cache per row.

    The first token of each row is read from the prompt's own last logits (``first``);
    every later one from the rows' pass, which sees the prompt through the cache.
    """
    cache = copy.deepcopy(prompt_cache)
    cache.reorder_cache(torch.zeros(len(rows), dtype=torch.long, device=lm.device))
    ids, tail_mask = _right_pad(lm, rows)
    mask = torch.cat(
        [torch.ones((len(rows), length), dtype=torch.long, device=lm.device), tail_mask], 1
    )
    positions = (length + torch.arange(ids.shape[1], device=lm.device)).expand(len(rows), -1)
    logits = lm._forward(ids, mask, positions, cache=cache).logits
    logp = torch.log_softmax(logits[:, :-1, :].float(), dim=-1)
    later = logp.gather(2, ids[:, 1:].unsqueeze(2)).squeeze(2).double().cpu().numpy()
    heads = first.double().cpu().numpy()
    return [
        np.concatenate([[heads[row[0]]], later[i, : len(row) - 1]]) for i, row in enumerate(rows)
    ]


def _with_prompt(lm: CausalLM, prompt: list[int], rows: list[list[int]]) -> list[np.ndarray]:
    """The rows' token log probabilities with the prompt run again for every row."""
    ids, tail_mask = _right_pad(lm, rows)
    head = torch.tensor([prompt] * len(rows), dtype=torch.long, device=lm.device)
    ids = torch.cat([head, ids], dim=1)
    mask = torch.cat([torch.ones_like(head), tail_mask], dim=1)
    positions = torch.arange(ids.shape[1], device=lm.device).expand(len(rows), -1)
    width = ids.shape[1] - len(prompt)
    logits = lm._forward(ids, mask, positions, keep=width + 1).logits[:, -(width + 1) : -1, :]
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(2, ids[:, -width:].unsqueeze(2)).squeeze(2).double().cpu().numpy()
    return [picked[i, : len(row)] for i, row in enumerate(rows)]
