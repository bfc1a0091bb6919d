"""A causal language model read from a local folder or a GGUF file, and its forward passes.

What a sampling policy (``harness.models.sampling``) and its reference model have in
common: loading, the prompt as the model reads it, left-padded forward passes over a
key/value cache, and the teacher-forced log probability of given response tokens (the
reference's view of a policy's samples).

Loading reuses the checks of ``harness.models.hf``: only safetensors weights unless
``allow_pickle``, no checkpoint code unless ``trust_remote_code``, one-line errors for
damaged folders. A GGUF file (quantized weights, de-quantized on load by transformers with
the ``gguf`` and ``accelerate`` packages: the ``policy`` extra) holds no code and no pickle.

Example::

    reference = CausalLM.load("checkpoints/sft")
    reference.sequence_logprobs([reference.encode_prompt("Hi")], [[318, 257]])
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
import torch

from harness.core.errors import CheckpointError
from harness.models import files
from harness.models.device import pick_device, pick_dtype
from harness.models.hf import (
    TOKENIZER_FILES,
    UNLIMITED,
    check_directory,
    check_weights,
    require_tokenizer_files,
)
from harness.models.options import PolicyOptions
from harness.models.shipped import resolve_lm_source

#: How to install what reading a GGUF file needs.
GGUF_INSTALL = "pip install 'rm-harness[policy]' (the gguf and accelerate packages)"
_GGUF_MAGIC = b"GGUF"
_GGUF_HEADER = 24  # bytes: magic, version, tensor count, metadata count
_GGUF_VERSIONS = (1, 2, 3)
_LM = TypeVar("_LM", bound="CausalLM")


class LoadedLM(NamedTuple):
    """What loading read: the folder or GGUF file, the model (on its device, in eval
    mode, without gradients), its tokenizer, and the GGUF file's name when there is one."""

    where: Path
    model: Any
    tokenizer: Any
    gguf_file: str | None


# ------------------------------------------------------------------ loading
def split_source(path: str | Path, gguf_file: str | None) -> tuple[Path, str | None]:
    """A path to a ``.gguf`` file means its folder and its name; anything else is as given."""
    path = Path(path)
    if gguf_file is None and path.suffix.lower() == ".gguf" and path.is_file():
        return path.parent, path.name
    return path, gguf_file


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


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
            header = handle.read(_GGUF_HEADER)
    except OSError as exc:
        raise CheckpointError(f"cannot read {target}: {exc.strerror or exc}") from None
    if header[:4] != _GGUF_MAGIC:
        raise CheckpointError(f"{target} is not a GGUF file (it does not start with 'GGUF')")
    # magic, version (uint32), tensor and metadata counts (uint64): a file cut inside them
    # makes the gguf reader fail with an IndexError deep in numpy, so say it here
    if len(header) < _GGUF_HEADER:
        raise CheckpointError(
            f"{target} is a damaged GGUF file: it ends inside its header ({len(header)} bytes)"
        )
    version = int.from_bytes(header[4:8], "little")
    if version not in _GGUF_VERSIONS:
        raise CheckpointError(f"{target} is a damaged GGUF file: unknown version {version}")
    missing = [m for m in ("gguf", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise CheckpointError(
            f"reading a GGUF file needs the {' and '.join(missing)} package"
            f"{'s' if len(missing) > 1 else ''}: {GGUF_INSTALL}"
        )
    return target


def _load_tokenizer(folder: Path, gguf_file: str | None, trust_remote_code: bool) -> Any:
    from transformers import AutoTokenizer

    if gguf_file is None:
        require_tokenizer_files(folder, "save the tokenizer beside the weights")
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
        # a GGUF file cut short fails inside the gguf reader as an IndexError
        known = (OSError, ValueError, TypeError, KeyError, IndexError)
        if not isinstance(exc, known) and type(exc) is not Exception:
            raise
        where = folder / gguf_file if gguf_file else folder
        raise CheckpointError(f"no usable tokenizer in {where} ({_first_line(exc)})") from None


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
        if not isinstance(exc, (ValueError, KeyError, OSError, RuntimeError, IndexError)):
            raise
        raise CheckpointError(
            f"cannot load {where} as a causal language model: {_first_line(exc)}"
        ) from None
    missing = list(info.get("missing_keys") or [])
    if missing:
        # A reward model or an encoder read as a causal LM gets a random LM head: refuse it.
        raise CheckpointError(
            f"{where} is not a causal language model: {len(missing)} weights are missing "
            f"({missing[0]}, ...); a sampling policy needs its language-model head"
        )
    return model


def load_causal_lm(
    path: str | Path,
    *,
    gguf_file: str | None = None,
    options: PolicyOptions | None = None,
    progress: bool = True,
) -> LoadedLM:
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
        check_directory(folder)
        check_weights(folder, options.allow_pickle)
        where = folder
    tokenizer = _load_tokenizer(folder, gguf_file, options.trust_remote_code)
    # transformers' GGUF loader draws its own tqdm bar on stderr, with no switch
    hush = contextlib.redirect_stderr(io.StringIO()) if not progress else contextlib.nullcontext()
    with hush:
        model = _load_model(folder, gguf_file, options)
    device = pick_device(options.device)
    model.to(device=device, dtype=pick_dtype(device, options.dtype))
    model.eval()
    model.requires_grad_(False)
    return LoadedLM(where, model, tokenizer, gguf_file)


# ------------------------------------------------------------------ the model
class CausalLM:
    """A loaded causal language model: prompts as it reads them, and forward passes.

    Load one with :meth:`load`; ``sequence_logprobs`` scores given response tokens.
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
        cls: type[_LM],
        path: str | Path,
        *,
        gguf_file: str | None = None,
        options: PolicyOptions | None = None,
        progress: bool = True,
    ) -> _LM:
        """``load_causal_lm`` (see there), as an instance of this class."""
        loaded = load_causal_lm(path, gguf_file=gguf_file, options=options, progress=progress)
        return cls(loaded.where, loaded.model, loaded.tokenizer, loaded.gguf_file)

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
            if isinstance(value, int) and 0 < value < UNLIMITED:
                return value
        return None

    # -------------------------------------------------------------- prompts
    def encode_prompt(self, prompt: str) -> list[int]:
        """The prompt's token ids as the model reads it.

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
        """One pass with a cache, giving the model only what its ``forward`` takes
        (position ids, how many positions' logits to keep, the cache by its name)."""
        kwargs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "use_cache": True}
        if cache is not None:
            kwargs[self._cache_arg] = cache
        if self._takes_positions:
            kwargs["position_ids"] = positions
        if keep is not None and self._keeps_logits:
            kwargs["logits_to_keep"] = keep
        return self.model(**kwargs)

    def _left_pad(self, rows: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and attention mask of ``rows``, padded on the left (on the device)."""
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            if row:
                ids[i, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
                mask[i, width - len(row) :] = 1
        return ids.to(self.device), mask.to(self.device)

    # -------------------------------------------------------------- scoring
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
            f"{type(self).__name__}(path={str(self.where)!r}, chat={self.chat}, "
            f"dtype={str(self.dtype).replace('torch.', '')!r})"
        )


# ------------------------------------------------------------------ one per process
_SHARED: dict[tuple[str, PolicyOptions], CausalLM] = {}
_SHARED_LOCK = threading.Lock()


def shared_causal_lm(source: str | Path, options: PolicyOptions | None = None) -> CausalLM:
    """The causal LM ``source`` names, loaded once per process and options.

    ``source`` is ``smollm2`` (the shipped GGUF, ``harness.models.shipped``), a folder
    written by ``save_pretrained`` or a ``.gguf`` file. The fluency judge and the
    ``lm-guided`` attack of one run read the same model: loading SmolLM2 takes ~20 s and
    0.6 GB, so it is loaded once, not once per prompt or per user. The model is only read
    (eval mode, no gradients), so sharing it is safe.
    """
    options = options or PolicyOptions()
    path = resolve_lm_source(source)
    key = (str(path.resolve()), options)
    with _SHARED_LOCK:
        lm = _SHARED.get(key)
        if lm is None:
            lm = _SHARED[key] = CausalLM.load(path, options=options, progress=False)
        return lm
