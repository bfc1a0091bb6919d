"""Hugging Face sequence-classification checkpoints as reward models.

Loads a local directory written by ``save_pretrained`` (or TRL's ``RewardTrainer``):
``AutoModelForSequenceClassification`` plus its tokenizer. Never touches a hub.

Why the harness pads and pools itself: a score must not depend on batch size, batch
order or the tokenizer's padding side. Hugging Face decoder classifiers pool at "the
rightmost token that is not the pad id", which breaks when the pad id equals EOS and the
text ends in EOS, and they pool at the last position when given ``inputs_embeds``. So:

- every batch is padded on the right by the harness, whatever the tokenizer says;
- decoder-style heads (a ``score`` linear layer over a base model: Llama, Mistral, Qwen,
  GPT-2, ...) are pooled here, at the last attended position of each row;
- encoder heads (BERT, RoBERTa, DeBERTa, ...) keep their own first-token pooling, which
  right padding leaves intact.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from harness.core.errors import CheckpointError
from harness.models import files
from harness.models.base import Prepared, RewardModel, TokenGradients
from harness.models.device import pick_device, pick_dtype
from harness.models.fingerprint import fingerprint_checkpoint
from harness.models.formatting import Encoded, make_formatter
from harness.models.options import LoadOptions

log = logging.getLogger(__name__)

#: A length limit this large means "no limit given" (a tokenizer's ``model_max_length``
#: is ``int(1e30)`` when its checkpoint names none).
UNLIMITED = 1_000_000


def check_directory(path: Path) -> None:
    """Refuse a path that is not a ``save_pretrained`` folder, or whose config is damaged.

    Public because every local Hugging Face load (a reward model, a sampling policy)
    starts with the same checks and the same words for what is wrong.
    """
    if not path.exists():
        raise CheckpointError(f"checkpoint path {path} does not exist")
    if not path.is_dir() or not (path / "config.json").is_file():
        raise CheckpointError(
            f"{path} has no config.json; point to a directory written by save_pretrained"
        )
    files.check_config(path)


def check_weights(path: Path, allow_pickle: bool) -> None:
    """Refuse a folder without weights, with damaged safetensors, or with only pickle
    weights unless ``allow_pickle`` (pickle can run code when loaded)."""
    safetensors = list(path.glob("*.safetensors")) + list(path.glob("*.safetensors.index.json"))
    if safetensors:
        files.check_weight_files(safetensors)
        return
    pickles = list(path.glob("*.bin")) + list(path.glob("*.bin.index.json"))
    if pickles and not allow_pickle:
        raise CheckpointError(
            f"{path} has only pickle weights ({pickles[0].name}), which can run code when "
            "loaded; convert them to safetensors, or pass --allow-pickle if you trust the source"
        )
    if not pickles:
        raise CheckpointError(
            f"{path} has no weights (model.safetensors or another *.safetensors file); "
            "is the save complete?"
        )


TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
)


def require_tokenizer_files(folder: Path, hint: str) -> None:
    """Refuse a folder without vocabulary files; ``hint`` says what to do about it.

    transformers 5 builds an empty tokenizer (special tokens only) for a folder without
    one, which would read every text as a handful of unknown tokens without a word.
    """
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise CheckpointError(
            f"no tokenizer files in {folder} (looked for {', '.join(TOKENIZER_FILES)}); {hint}"
        )


def _load_tokenizer(source: Path, trust_remote_code: bool) -> Any:
    """Load the tokenizer, refusing a folder without vocabulary files."""
    from transformers import AutoTokenizer

    require_tokenizer_files(source, "save one beside the weights or pass --tokenizer DIR")
    try:
        return AutoTokenizer.from_pretrained(
            str(source), local_files_only=True, trust_remote_code=trust_remote_code
        )
    except Exception as exc:
        damaged = files.explain_tokenizer(source, TOKENIZER_FILES)
        if damaged is not None:
            raise damaged from None
        if type(exc) is Exception and (source / "tokenizer.json").is_file():
            # the tokenizers library raises a bare Exception for a tokenizer.json it cannot use
            raise CheckpointError(
                f"checkpoint file {source / 'tokenizer.json'} is not a tokenizer the tokenizers "
                f"library reads ({str(exc).splitlines()[0] if str(exc) else 'no detail'}); "
                "copy or save the checkpoint again"
            ) from None
        if not isinstance(exc, (OSError, ValueError, TypeError, KeyError)):
            raise
        raise CheckpointError(
            f"no usable tokenizer in {source} ({type(exc).__name__}); "
            "save one beside the weights or pass --tokenizer DIR"
        ) from None


def _max_length(tokenizer: Any, config: Any, requested: int | None) -> int:
    limits = []
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if tok_limit and tok_limit < UNLIMITED:
        limits.append(int(tok_limit))
    for key in ("max_position_embeddings", "n_positions"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            limits.append(value)
            break
    native = min(limits) if limits else 512
    return min(native, requested) if requested else native


class HFRewardModel(RewardModel):
    """A local Hugging Face checkpoint directory read as a reward model.

    Example::

        rm = HFRewardModel.load("checkpoints/rm-step-2000")
        scorer = Scorer(rm)
        scorer.score(["Tell me a joke."], ["Why did the chicken ..."])
    """

    supports_gradients = True

    def __init__(
        self,
        path: Path,
        model: Any,
        tokenizer: Any,
        options: LoadOptions,
        pad_note: str | None,
    ) -> None:
        self.path = path
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        self.pad_note = pad_note
        self.config = model.config
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.max_length = _max_length(tokenizer, self.config, options.max_length)
        self.formatter = make_formatter(tokenizer, self.max_length, options.format)
        self.head = self._pick_head()
        self.pooling = "last" if self._is_decoder_head() else "native"
        self.pad_id = int(tokenizer.pad_token_id)
        tok_dir = Path(options.tokenizer) if options.tokenizer else None
        self.fingerprint = fingerprint_checkpoint(
            path,
            {
                "format": self.formatter.describe(),
                "head": self.head,
                "max_length": self.max_length,
                "dtype": str(self.dtype),
            },
            tok_dir,
        )

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | Path, options: LoadOptions | None = None) -> HFRewardModel:
        from transformers import AutoConfig, AutoModelForSequenceClassification

        options = options or LoadOptions()
        path = Path(path)
        check_directory(path)
        check_weights(path, options.allow_pickle)
        tokenizer = _load_tokenizer(
            Path(options.tokenizer) if options.tokenizer else path, options.trust_remote_code
        )
        try:
            config = AutoConfig.from_pretrained(
                str(path), local_files_only=True, trust_remote_code=options.trust_remote_code
            )
        except ValueError as exc:
            raise CheckpointError(
                f"cannot read {path}/config.json: {str(exc).splitlines()[0]} "
                "(custom architectures need --trust-remote-code)"
            ) from None
        pad_note = None
        if tokenizer.pad_token is None:
            for name in ("eos_token", "unk_token", "bos_token"):
                token = getattr(tokenizer, name)
                if token is not None:
                    tokenizer.pad_token = token
                    pad_note = f"tokenizer had no pad token; using {name} {token!r} (masked out)"
                    log.warning(pad_note)
                    break
            else:
                raise CheckpointError(
                    f"tokenizer in {path} has no pad, eos, unk or bos token to pad with"
                )
        if getattr(config, "pad_token_id", None) is None:
            config.pad_token_id = tokenizer.pad_token_id
        device = pick_device(options.device)
        dtype = pick_dtype(device, options.dtype)
        try:
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path),
                config=config,
                local_files_only=True,
                trust_remote_code=options.trust_remote_code,
                use_safetensors=None if options.allow_pickle else True,
            )
        except Exception as exc:
            damaged = files.explain_weights(path)
            if damaged is not None:
                raise damaged from None
            if not isinstance(exc, ValueError):
                raise
            raise CheckpointError(
                f"cannot load {path} as a sequence classifier: {str(exc).splitlines()[0]}"
            ) from None
        model.to(device=device, dtype=dtype)
        model.eval()
        model.requires_grad_(False)
        return cls(path, model, tokenizer, options, pad_note)

    def _pick_head(self) -> str:
        n = int(self.config.num_labels)
        o = self.options
        if o.head_index is not None:
            if not 0 <= o.head_index < n:
                raise CheckpointError(
                    f"--head-index {o.head_index} is out of range for a head with {n} labels"
                )
            return f"index:{o.head_index}"
        if n == 1:
            return "scalar"
        if n == 2:
            if {o.good_label, o.bad_label} != {0, 1}:
                raise CheckpointError("--good-label and --bad-label must be 0 and 1 in some order")
            return f"diff:{o.good_label}-{o.bad_label}"
        raise CheckpointError(
            f"{self.path} has a {n}-label head; pick the reward logit with --head-index "
            f"(0..{n - 1})"
        )

    def _is_decoder_head(self) -> bool:
        score = getattr(self.model, "score", None)
        return isinstance(score, torch.nn.Linear) and not getattr(
            self.config, "is_encoder_decoder", False
        )

    # ----------------------------------------------------------------- scoring
    def prepare(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prepared]:
        items = []
        for prompt, response in zip(prompts, responses, strict=True):
            enc = self.formatter.encode(prompt, response)
            items.append(Prepared(payload=enc, length=enc.length, truncated=enc.truncated))
        return items

    def _pad(self, encs: Sequence[Encoded]) -> dict[str, torch.Tensor]:
        width = max(e.length for e in encs)
        ids = torch.full((len(encs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(encs), width), dtype=torch.long)
        types = None
        if encs[0].token_type_ids is not None:
            types = torch.zeros((len(encs), width), dtype=torch.long)
        for row, enc in enumerate(encs):
            ids[row, : enc.length] = torch.tensor(enc.input_ids, dtype=torch.long)
            mask[row, : enc.length] = 1
            if types is not None and enc.token_type_ids is not None:
                types[row, : enc.length] = torch.tensor(enc.token_type_ids, dtype=torch.long)
        batch = {"input_ids": ids, "attention_mask": mask}
        if types is not None:
            batch["token_type_ids"] = types
        return {k: v.to(self.device) for k, v in batch.items()}

    def _logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = batch["attention_mask"]
        if self.pooling == "last":
            inputs = {k: v for k, v in batch.items() if k in ("input_ids", "inputs_embeds")}
            out = self.model.base_model(attention_mask=mask, use_cache=False, **inputs)
            hidden = out[0]
            last = mask.sum(dim=1) - 1
            pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
            return self.model.score(pooled)
        return self.model(**batch).logits

    def _reward(self, logits: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        kind, _, arg = self.head.partition(":")
        if kind == "scalar":
            return logits[:, 0]
        if kind == "index":
            return logits[:, int(arg)]
        good, bad = (int(x) for x in arg.split("-"))
        return logits[:, good] - logits[:, bad]

    def score_batch(self, items: Sequence[Prepared]) -> np.ndarray:
        batch = self._pad([item.payload for item in items])
        with torch.inference_mode():
            rewards = self._reward(self._logits(batch))
        return rewards.double().cpu().numpy()

    # --------------------------------------------------------------- white box
    @property
    def vocab_size(self) -> int:
        return int(self.model.get_input_embeddings().weight.shape[0])

    def decode(self, token_ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(token_ids), clean_up_tokenization_spaces=False)

    def special_token_ids(self) -> frozenset[int]:
        return frozenset(self.tokenizer.all_special_ids or ())

    def encode_response(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def token_gradients(self, prompt: str, response: str) -> TokenGradients:
        enc = self.formatter.encode(prompt, response, want_span=True)
        assert enc.response_span is not None
        start, end = enc.response_span
        batch = self._pad([enc])
        ids = batch.pop("input_ids")[0]
        embedding = self.model.get_input_embeddings().weight
        with torch.enable_grad():
            one_hot = torch.zeros(
                end - start, embedding.shape[0], device=self.device, dtype=embedding.dtype
            )
            one_hot.scatter_(1, ids[start:end].unsqueeze(1), 1.0)
            one_hot.requires_grad_(True)
            base = embedding[ids].detach()
            embeds = torch.cat([base[:start], one_hot @ embedding, base[end:]], dim=0)
            batch["inputs_embeds"] = embeds.unsqueeze(0)
            reward = self._reward(self._logits(batch))[0]
            (grad,) = torch.autograd.grad(reward, one_hot)
        return TokenGradients(
            score=float(reward.detach()),
            response_ids=tuple(int(i) for i in ids[start:end].tolist()),
            grad=grad.float().cpu(),
        )

    # ---------------------------------------------------------------- describe
    def describe(self) -> dict[str, Any]:
        cfg = self.config
        architectures = getattr(cfg, "architectures", None) or [type(self.model).__name__]
        return {
            "kind": "huggingface",
            "path": str(self.path),
            "architecture": architectures[0],
            "model_type": getattr(cfg, "model_type", "?"),
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "num_labels": int(cfg.num_labels),
            "head": self.head,
            "pooling": "last attended token (harness)"
            if self.pooling == "last"
            else "model's own (first token)",
            "format": self.formatter.describe(),
            "chat_template": bool(getattr(self.tokenizer, "chat_template", None)),
            "tokenizer_padding_side": self.tokenizer.padding_side,
            "scored_padding_side": "right",
            "pad_token": self.tokenizer.pad_token,
            "pad_note": self.pad_note,
            "max_length": self.max_length,
            "dtype": str(self.dtype).replace("torch.", ""),
            "device": str(self.device),
            "fingerprint": self.fingerprint,
            "options": self.options.to_json(),
        }

    def __repr__(self) -> str:
        return (
            f"HFRewardModel(path={str(self.path)!r}, head={self.head!r}, "
            f"format={self.formatter.describe()!r}, fingerprint={self.fingerprint[:12]!r})"
        )
