"""A sampling policy: any Hugging Face causal LM, read from a local folder or a GGUF file.

The overoptimization sweep needs many sampled responses per prompt, with their log
probability under the policy that drew them (and under a reference model, for the KL).
This module loads the policy and samples from it; ``rmh sample`` writes what it returns.

Why its own sampling loop rather than ``model.generate``: ``generate`` merges the
checkpoint's own generation defaults (a temperature of 0.2, top-p, a repetition penalty)
into whatever config it is given, so the distribution sampled from would not be the
policy's, and the logprobs written beside the samples would not be the ones the samples
were drawn with. Here every token is drawn at temperature 1 from the full softmax of the
model's logits, and its logprob is read from the same softmax. Each sample has its own
random stream, seeded by (seed, prompt index, sample index): the same seed and batch size
give the same samples (on CPU), whatever else runs.

Loading follows ``harness.models.hf``: only safetensors weights unless ``allow_pickle``,
no checkpoint code unless ``trust_remote_code``, one-line errors for damaged folders.
A GGUF file (quantized weights, de-quantized on load by transformers with the ``gguf``
and ``accelerate`` packages: the ``policy`` extra) holds no code and no pickle.

Example::

    policy = CausalPolicy.load("checkpoints/sft")
    samples = policy.sample(["Tell me a joke."], n=4, max_new_tokens=48, seed=0)
    samples[0].response, samples[0].policy_logprob
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from harness.core.errors import CheckpointError, DataError, HarnessError, ModelOutputError
from harness.models import files
from harness.models.device import pick_device, pick_dtype
from harness.models.hf import TOKENIZER_FILES, _check_directory, _check_weights
from harness.models.options import AccessOptions

log = logging.getLogger(__name__)

#: Bump when a change to the sampler changes what a seed draws (it keys cached samples).
SAMPLER_VERSION = 1
#: How to install what reading a GGUF file needs.
GGUF_INSTALL = "pip install 'rm-harness[policy]' (the gguf and accelerate packages)"
_GGUF_MAGIC = b"GGUF"
_HUGE = 1_000_000


@dataclass(frozen=True)
class PolicyOptions(AccessOptions):
    """How to load a sampling policy: ``AccessOptions`` (pickle, remote code, device,
    dtype), each also an ``rmh sample`` option."""


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


# ------------------------------------------------------------------ loading
def split_source(path: str | Path, gguf_file: str | None) -> tuple[Path, str | None]:
    """A path to a ``.gguf`` file means its folder and its name; anything else is as given."""
    path = Path(path)
    if gguf_file is None and path.suffix.lower() == ".gguf" and path.is_file():
        return path.parent, path.name
    return path, gguf_file


def _check_gguf(folder: Path, name: str) -> Path:
    if not folder.is_dir():
        raise CheckpointError(f"policy folder {folder} does not exist")
    target = folder / name
    if not target.is_file():
        present = sorted(p.name for p in folder.glob("*.gguf"))
        listed = f" (it has: {', '.join(present)})" if present else " (it has no .gguf file)"
        raise CheckpointError(f"no GGUF file {name!r} in {folder}{listed}")
    try:
        with target.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise CheckpointError(f"cannot read {target}: {exc.strerror or exc}") from None
    if magic != _GGUF_MAGIC:
        raise CheckpointError(f"{target} is not a GGUF file (it does not start with 'GGUF')")
    missing = [m for m in ("gguf", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise CheckpointError(
            f"reading a GGUF file needs the {' and '.join(missing)} package"
            f"{'s' if len(missing) > 1 else ''}: {GGUF_INSTALL}"
        )
    return target


def _load_tokenizer(folder: Path, gguf_file: str | None, trust_remote_code: bool) -> Any:
    from transformers import AutoTokenizer

    if gguf_file is None and not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise CheckpointError(
            f"no tokenizer files in {folder} (looked for {', '.join(TOKENIZER_FILES)}); "
            "save the tokenizer beside the weights"
        )
    try:
        return AutoTokenizer.from_pretrained(
            str(folder),
            gguf_file=gguf_file,
            local_files_only=True,
            trust_remote_code=trust_remote_code,
        )
    except Exception as exc:
        if gguf_file is None:
            damaged = files.explain_tokenizer(folder, TOKENIZER_FILES)
            if damaged is not None:
                raise damaged from None
        # the tokenizers library raises a bare Exception for a tokenizer.json it cannot use
        known = (OSError, ValueError, TypeError, KeyError)
        if not isinstance(exc, known) and type(exc) is not Exception:
            raise
        where = folder / gguf_file if gguf_file else folder
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"no usable tokenizer in {where} ({detail})") from None


def _load_model(folder: Path, gguf_file: str | None, options: PolicyOptions) -> Any:
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf_file is not None:
        kwargs["gguf_file"] = gguf_file
    else:
        kwargs["trust_remote_code"] = options.trust_remote_code
        kwargs["use_safetensors"] = None if options.allow_pickle else True
    where = folder / gguf_file if gguf_file else folder
    try:
        model, info = AutoModelForCausalLM.from_pretrained(
            str(folder), output_loading_info=True, **kwargs
        )
    except Exception as exc:
        if gguf_file is None:
            damaged = files.explain_weights(folder)
            if damaged is not None:
                raise damaged from None
        if not isinstance(exc, (ValueError, KeyError, OSError, RuntimeError)):
            raise
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"cannot load {where} as a causal language model: {detail}") from None
    missing = list(info.get("missing_keys") or [])
    if missing:
        # A reward model or an encoder read as a causal LM gets a random LM head: refuse it.
        raise CheckpointError(
            f"{where} is not a causal language model: {len(missing)} weights are missing "
            f"({missing[0]}, ...); a sampling policy needs its language-model head"
        )
    return model


def _cache_of(output: Any) -> Any:
    """The key/value cache a forward pass returned (``cache`` from transformers 5.24 on)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


class CausalPolicy:
    """A causal language model that samples responses and scores them.

    Load one with :meth:`load`; ``sample`` draws, ``sequence_logprobs`` scores given
    response tokens (a reference model's view of a policy's samples).
    """

    def __init__(self, where: Path, model: Any, tokenizer: Any, gguf_file: str | None) -> None:
        self.where = where
        self.gguf_file = gguf_file
        self.model = model
        self.tokenizer = tokenizer
        self.config = model.config
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.chat = bool(getattr(tokenizer, "chat_template", None))
        self.stop_ids = self._stop_ids()
        if tokenizer.pad_token_id is not None:
            self.pad_id = int(tokenizer.pad_token_id)
        else:  # only a filler: padded positions are masked out
            self.pad_id = min(self.stop_ids) if self.stop_ids else 0
        self.max_positions = self._max_positions()
        params = inspect.signature(model.forward).parameters
        self._takes_positions = "position_ids" in params
        self._keeps_logits = "logits_to_keep" in params
        # transformers 5.24 renamed past_key_values to cache (the old name goes in 5.40)
        self._cache_arg = "cache" if "cache" in params else "past_key_values"

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        gguf_file: str | None = None,
        options: PolicyOptions | None = None,
        progress: bool = True,
    ) -> CausalPolicy:
        """Load a folder written by ``save_pretrained``, or ``gguf_file`` in ``path``.

        ``path`` may also be the ``.gguf`` file itself. ``progress=False`` hides the
        progress bar transformers draws while it de-quantizes a GGUF file.
        """
        options = options or PolicyOptions()
        folder, gguf_file = split_source(path, gguf_file)
        if gguf_file is not None:
            where = _check_gguf(folder, gguf_file)
        else:
            if not folder.exists():
                raise CheckpointError(f"policy folder {folder} does not exist")
            _check_directory(folder)
            _check_weights(folder, options.allow_pickle)
            where = folder
        tokenizer = _load_tokenizer(folder, gguf_file, options.trust_remote_code)
        # transformers' GGUF loader draws its own tqdm bar on stderr, with no switch
        hush = (
            contextlib.redirect_stderr(io.StringIO()) if not progress else contextlib.nullcontext()
        )
        with hush:
            model = _load_model(folder, gguf_file, options)
        device = pick_device(options.device)
        model.to(device=device, dtype=pick_dtype(device, options.dtype))
        model.eval()
        model.requires_grad_(False)
        return cls(where, model, tokenizer, gguf_file)

    def _stop_ids(self) -> frozenset[int]:
        ids: set[int] = set()
        for source in (getattr(self.model, "generation_config", None), self.config):
            value = getattr(source, "eos_token_id", None) if source is not None else None
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, (list, tuple)):
                ids.update(int(v) for v in value)
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        return frozenset(ids)

    def _max_positions(self) -> int | None:
        for key in ("max_position_embeddings", "n_positions"):
            value = getattr(self.config, key, None)
            if isinstance(value, int) and 0 < value < _HUGE:
                return value
        return None

    # -------------------------------------------------------------- prompts
    def encode_prompt(self, prompt: str) -> list[int]:
        """The prompt's token ids as the policy reads it.

        With a chat template: the prompt is the user turn, followed by the template's
        assistant header (the rendered text carries its own BOS, so none is added).
        Without one: the prompt as it stands, with the tokenizer's special tokens.
        """
        if self.chat:
            text = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
            return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        return list(self.tokenizer(prompt, add_special_tokens=True)["input_ids"])

    def decode(self, token_ids: Sequence[int]) -> str:
        """Response text: the tokens before the stop token, special tokens dropped."""
        ids = list(token_ids)
        if ids and ids[-1] in self.stop_ids:
            ids = ids[:-1]
        return self.tokenizer.decode(
            ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
        )

    # -------------------------------------------------------------- forward
    def _forward(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor,
        positions: torch.Tensor,
        cache: Any = None,
        keep: int | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "use_cache": True}
        if cache is not None:
            kwargs[self._cache_arg] = cache
        if self._takes_positions:
            kwargs["position_ids"] = positions
        if keep is not None and self._keeps_logits:
            kwargs["logits_to_keep"] = keep
        return self.model(**kwargs)

    def _left_pad(self, rows: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            if row:
                ids[i, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
                mask[i, width - len(row) :] = 1
        return ids.to(self.device), mask.to(self.device)

    def _check_length(self, prompt: str, length: int, new_tokens: int) -> None:
        if self.max_positions is not None and length + new_tokens > self.max_positions:
            raise DataError(
                f"prompt {prompt[:40]!r} is {length} tokens; with {new_tokens} new tokens "
                f"that exceeds the policy's {self.max_positions} positions"
            )

    # -------------------------------------------------------------- sampling
    def _draw(
        self, prompt_ids: Sequence[Sequence[int]], rngs: Sequence[np.random.Generator], steps: int
    ) -> list[tuple[list[int], float, bool]]:
        """Sample one continuation per row (temperature 1, full softmax, one stream a row).

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
                logp = torch.log_softmax(logits.float(), dim=-1)
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
        reference: CausalPolicy | None = None,
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

    # -------------------------------------------------------------- scoring
    def check_reference(self, reference: CausalPolicy) -> None:
        """A reference must read the same token ids as the policy: the same vocabulary."""
        if reference.tokenizer.get_vocab() != self.tokenizer.get_vocab():
            raise CheckpointError(
                f"the reference model {reference.where} has another vocabulary than the "
                f"policy {self.where}; ref_logprob needs the same tokens (use the policy's "
                "initial checkpoint as the reference)"
            )

    def sequence_logprobs(
        self,
        prompt_ids: Sequence[Sequence[int]],
        response_ids: Sequence[Sequence[int]],
        *,
        batch_size: int = 32,
    ) -> np.ndarray:
        """Sum of this model's log probabilities of each response's tokens after its prompt.

        Teacher-forced in one pass a batch: prompts are left-padded and responses
        right-padded, so every response starts at the same position and only the
        response's logits are computed.
        """
        if len(prompt_ids) != len(response_ids):
            raise ValueError("prompt_ids and response_ids differ in length")
        out = np.zeros(len(prompt_ids), dtype=np.float64)
        with torch.inference_mode():
            for start in range(0, len(prompt_ids), batch_size):
                prompts = prompt_ids[start : start + batch_size]
                responses = response_ids[start : start + batch_size]
                width = max(len(r) for r in responses)
                if width == 0:
                    continue
                ids, mask = self._left_pad(prompts)
                tail = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
                tail_mask = torch.zeros((len(prompts), width), dtype=torch.long)
                for row, resp in enumerate(responses):
                    if resp:
                        tail[row, : len(resp)] = torch.tensor(list(resp), dtype=torch.long)
                        tail_mask[row, : len(resp)] = 1
                ids = torch.cat([ids, tail.to(self.device)], dim=1)
                mask = torch.cat([mask, tail_mask.to(self.device)], dim=1)
                positions = (mask.cumsum(-1) - 1).clamp(min=0)
                logits = self._forward(ids, mask, positions, keep=width + 1).logits
                logits = logits[:, -(width + 1) : -1, :].float()
                logp = torch.log_softmax(logits, dim=-1)
                picked = logp.gather(2, ids[:, -width:].unsqueeze(2)).squeeze(2)
                picked = (picked.double() * mask[:, -width:]).sum(dim=1)
                out[start : start + len(prompts)] = picked.cpu().numpy()
        return out

    def __repr__(self) -> str:
        return (
            f"CausalPolicy(path={str(self.where)!r}, chat={self.chat}, "
            f"dtype={str(self.dtype).replace('torch.', '')!r})"
        )
