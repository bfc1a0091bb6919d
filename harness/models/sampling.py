"""Sampling: many responses per prompt from a causal LM, with their log probabilities.

The overoptimization sweep needs many sampled responses per prompt, with their log
probability under the policy that drew them (and under a reference model, for the KL).
``CausalPolicy`` samples them; ``rmh sample`` writes what it returns. Loading and the
forward passes are the causal LM's (``harness.models.causal_lm``).

Why its own sampling loop rather than ``model.generate``: ``generate`` merges the
checkpoint's own generation defaults (a temperature of 0.2, top-p, a repetition penalty)
into whatever config it is given, so the distribution sampled from would not be the
policy's, and the logprobs written beside the samples would not be the ones the samples
were drawn with. Here every token is drawn at temperature 1 from the full softmax of the
model's logits, and its logprob is read from the same softmax. Each sample has its own
random stream, seeded by (seed, prompt index, sample index): the same seed and batch size
give the same samples (on CPU), whatever else runs.

Example::

    policy = CausalPolicy.load("checkpoints/sft")
    samples = policy.sample(["Tell me a joke."], n=4, max_new_tokens=48, seed=0)
    samples[0].response, samples[0].policy_logprob
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from harness.core.errors import CheckpointError, DataError, HarnessError, ModelOutputError
from harness.models.causal_lm import CausalLM

#: Bump when a change to the sampler changes what a seed draws (it keys cached samples).
SAMPLER_VERSION = 1


@dataclass(frozen=True)
class Sample:
    """One sampled response.

    ``token_ids`` are the generated tokens, the stop token included when the policy
    chose one (``stopped``); ``policy_logprob`` (and ``ref_logprob``) is the sum of
    their log probabilities, so it is the log probability of the whole response,
    its end included. A response cut at ``max_new_tokens`` has ``stopped`` False.
    """

    prompt: str
    prompt_index: int
    sample_index: int
    response: str
    token_ids: tuple[int, ...]
    policy_logprob: float
    stopped: bool
    ref_logprob: float | None = None

    def row(self) -> dict[str, Any]:
        """The JSONL row ``rmh sample`` writes."""
        out: dict[str, Any] = {
            "prompt": self.prompt,
            "response": self.response,
            "policy_logprob": self.policy_logprob,
        }
        if self.ref_logprob is not None:
            out["ref_logprob"] = self.ref_logprob
        out["sample_index"] = self.sample_index
        return out


def _cache_of(output: Any) -> Any:
    """The key/value cache a forward pass returned (``cache`` from transformers 5.24 on)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


class CausalPolicy(CausalLM):
    """A causal language model that samples responses and scores them.

    Load one with :meth:`load`; ``sample`` draws, ``sequence_logprobs`` scores given
    response tokens (a reference model's view of a policy's samples).
    """

    def _check_length(self, prompt: str, length: int, new_tokens: int) -> None:
        if self.max_positions is not None and length + new_tokens > self.max_positions:
            raise DataError(
                f"prompt {prompt[:40]!r} is {length} tokens; with {new_tokens} new tokens "
                f"that exceeds the policy's {self.max_positions} positions"
            )

    def _draw(
        self,
        prompt_ids: Sequence[Sequence[int]],
        rngs: Sequence[np.random.Generator],
        steps: int,
        *,
        temperature: float = 1.0,
    ) -> list[tuple[list[int], float, bool]]:
        """Sample one continuation per row (full softmax, one stream a row).

        ``sample`` draws at temperature 1 (the policy's own distribution); an attack that
        proposes text with the LM (``attacks.lm_proposer``) may sharpen or flatten it, and
        the logprobs are then those of the tempered distribution it drew from.

        Two savings that leave each row's draws as they were: rows of one prompt share
        its prompt pass (each distinct prompt is read once and its key/value cache
        copied to its rows; a batch is mostly one prompt's samples), and once a quarter
        of the rows still in the batch have stopped, they leave it.
        """
        rows = len(prompt_ids)
        tokens: list[list[int]] = [[] for _ in range(rows)]
        total = np.zeros(rows, dtype=np.float64)
        done = [False] * rows
        distinct = list(dict.fromkeys(tuple(p) for p in prompt_ids))
        where = {p: i for i, p in enumerate(distinct)}
        select = torch.tensor([where[tuple(p)] for p in prompt_ids], device=self.device)
        with torch.inference_mode():
            ids, mask = self._left_pad(distinct)
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            out = self._forward(ids, mask, positions, keep=1)
            cache = _cache_of(out)
            copyable = hasattr(cache, "reorder_cache")
            if len(distinct) < rows and not copyable:
                ids, mask = self._left_pad(prompt_ids)  # a cache that cannot be copied
                positions = (mask.cumsum(-1) - 1).clamp(min=0)
                out = self._forward(ids, mask, positions, keep=1)
                cache = _cache_of(out)
            elif len(distinct) < rows:
                cache.reorder_cache(select)  # index_select along the batch: copies rows
                mask, positions = mask[select], positions[select]
            logits = out.logits[:, -1, :]
            if logits.shape[0] < rows:
                logits = logits[select]
            position = positions[:, -1:]
            live = list(range(rows))  # the batch rows in the tensors, in order
            for step in range(steps):
                logp = torch.log_softmax(logits.float() / temperature, dim=-1)
                cdf = logp.double().exp().cumsum(dim=-1)
                if not bool(torch.isfinite(cdf[:, -1]).all()):
                    raise ModelOutputError(
                        f"the policy {self.where} gave non-finite next-token logits (NaN or "
                        "inf); on GPU try --dtype float32"
                    )
                draws = torch.tensor([rngs[r].random() for r in live], dtype=torch.float64)
                target = (draws.clamp(min=1e-12).to(cdf.device) * cdf[:, -1]).unsqueeze(1)
                chosen = torch.searchsorted(cdf, target).squeeze(1).clamp(max=cdf.shape[1] - 1)
                chosen_logp = logp.gather(1, chosen.unsqueeze(1)).squeeze(1).double().cpu()
                picked = chosen.cpu().tolist()
                for k, row in enumerate(live):
                    if done[row]:
                        continue
                    tokens[row].append(picked[k])
                    total[row] += float(chosen_logp[k])
                    done[row] = picked[k] in self.stop_ids
                if all(done) or step == steps - 1:
                    break
                stopped = sum(done[row] for row in live)
                if copyable and stopped and 4 * stopped >= len(live):
                    keep = [k for k, row in enumerate(live) if not done[row]]
                    index = torch.tensor(keep, device=self.device)
                    cache.reorder_cache(index)
                    mask, position = mask[index], position[index]
                    live, picked = [live[k] for k in keep], [picked[k] for k in keep]
                feed = torch.tensor(
                    [self.pad_id if done[row] else picked[k] for k, row in enumerate(live)],
                    dtype=torch.long,
                    device=self.device,
                ).unsqueeze(1)
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
                position = position + 1
                out = self._forward(feed, mask, position, cache=cache)
                cache = _cache_of(out)
                logits = out.logits[:, -1, :]
        return [(tokens[r], float(total[r]), done[r]) for r in range(rows)]

    def sample(
        self,
        prompts: Sequence[str],
        n: int,
        *,
        max_new_tokens: int = 48,
        batch_size: int = 32,
        seed: int = 0,
        reference: CausalLM | None = None,
        progress: bool = True,
    ) -> list[Sample]:
        """``n`` responses to each prompt, in prompt order, then sample order.

        With ``reference``, each sample's ``ref_logprob`` is the sum of the reference's
        log probabilities of the same response tokens after the prompt as the reference
        reads it (its own chat template); the two must share a vocabulary.
        """
        from tqdm.auto import tqdm

        if not prompts:
            raise DataError("no prompts to sample from")
        for name, value in (
            ("n", n),
            ("max_new_tokens", max_new_tokens),
            ("batch_size", batch_size),
        ):
            if value < 1:
                raise HarnessError(f"{name} must be at least 1, got {value}")
        if seed < 0:
            raise HarnessError(f"seed must be >= 0, got {seed}")
        if reference is not None:
            self.check_reference(reference)
        encoded = [self.encode_prompt(p) for p in prompts]
        for prompt, ids in zip(prompts, encoded, strict=True):
            self._check_length(prompt, len(ids), max_new_tokens)
        ref_encoded = [reference.encode_prompt(p) for p in prompts] if reference else None
        jobs = [(j, i) for j in range(len(prompts)) for i in range(n)]
        out: list[Sample] = []
        bar = tqdm(total=len(jobs), unit="sample", desc="sampling", disable=not progress)
        try:
            for start in range(0, len(jobs), batch_size):
                batch = jobs[start : start + batch_size]
                rngs = [np.random.default_rng([seed, j, i]) for j, i in batch]
                drawn = self._draw([encoded[j] for j, _ in batch], rngs, max_new_tokens)
                ref_scores: list[float | None] = [None] * len(batch)
                if reference is not None and ref_encoded is not None:
                    scored = reference.sequence_logprobs(
                        [ref_encoded[j] for j, _ in batch],
                        [tokens for tokens, _, _ in drawn],
                        batch_size=batch_size,
                    )
                    ref_scores = [float(s) for s in scored]
                for (j, i), (tokens, logprob, stopped), ref in zip(
                    batch, drawn, ref_scores, strict=True
                ):
                    out.append(
                        Sample(
                            prompt=prompts[j],
                            prompt_index=j,
                            sample_index=i,
                            response=self.decode(tokens),
                            token_ids=tuple(tokens),
                            policy_logprob=logprob,
                            stopped=stopped,
                            ref_logprob=ref,
                        )
                    )
                bar.update(len(batch))
        finally:
            bar.close()
        return out

    def check_reference(self, reference: CausalLM) -> None:
        """A reference must read the same token ids as the policy: the same vocabulary."""
        if reference.tokenizer.get_vocab() != self.tokenizer.get_vocab():
            raise CheckpointError(
                f"the reference model {reference.where} has another vocabulary than the "
                f"policy {self.where}; ref_logprob needs the same tokens (use the policy's "
                "initial checkpoint as the reference)"
            )
