"""How to load and read a checkpoint: frozen dataclasses, also the CLI's load options.

``LoadOptions`` loads a reward model, ``PolicyOptions`` a sampling policy; the fields they
share are ``AccessOptions``. Each field's metadata carries its command-line help, so
``harness.cli.options`` generates the ``--allow-pickle``, ``--device``, ... options from
these classes instead of re-typing them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from harness.models.http.options import HttpOptions


@dataclass(frozen=True)
class AccessOptions:
    """How far to trust a local checkpoint and where to run it: the fields a reward model
    (``LoadOptions``) and a sampling policy (``PolicyOptions``) share, so their options
    read and default alike.

    Attributes:
        allow_pickle: load ``pytorch_model.bin`` (pickle can run code) when no
            safetensors weights exist. Off: only safetensors load.
        trust_remote_code: run the checkpoint's own modelling code. Off unless asked.
        device: "auto" (CUDA when available), "cpu", "cuda:1", ... (None means "auto").
        dtype: "auto" (fp32 on CPU; bf16, else fp16, on CUDA), or a dtype name (None
            means "auto").
    """

    allow_pickle: bool = field(
        default=False,
        metadata={
            "help": "Load pickle (.bin) weights when no safetensors exist. Pickle can run code."
        },
    )
    trust_remote_code: bool = field(
        default=False,
        metadata={"help": "Run the checkpoint's own modelling code (off by default)."},
    )
    device: str | None = field(
        default="auto", metadata={"help": "auto (CUDA when available), cpu, cuda:0, ..."}
    )
    dtype: str | None = field(
        default="auto",
        metadata={"help": "auto (fp32 on CPU; bf16/fp16 on GPU), float32, bfloat16, float16."},
    )


@dataclass(frozen=True)
class PolicyOptions(AccessOptions):
    """How to load a sampling policy (``harness.models.sampling.CausalPolicy``):
    ``AccessOptions`` (pickle, remote code, device, dtype), each also an ``rmh sample``
    option."""


@dataclass(frozen=True)
class LoadOptions(AccessOptions):
    """How to load and read a checkpoint. Every field is also a CLI option.

    The option's help lives in each field's metadata: ``harness.cli.options`` builds the
    ``rmh`` options from these fields, so a new field becomes an option without re-typing.

    Attributes:
        allow_pickle: load ``pytorch_model.bin`` (pickle can run code) when no
            safetensors weights exist. Off: only safetensors load.
        trust_remote_code: run the checkpoint's own modelling code. Off unless asked.
        device: "auto" (CUDA when available), "cpu", "cuda:1", ... (None means "auto").
        dtype: "auto" (fp32 on CPU; bf16, else fp16, on CUDA), or a dtype name (None
            means "auto").
        format: "chat", "pair", or a template with ``{prompt}`` and ``{response}``;
            None picks chat when the tokenizer has a template, else pair.
        head_index: read this logit as the reward (needed when num_labels > 2).
        good_label, bad_label: for two-label heads the reward is
            ``logit[good_label] - logit[bad_label]`` (default 1 - 0: label 1 is "chosen"/
            "positive", as in binary classifiers fine-tuned on preference data). Only
            ``good_label`` is an option: on the command line ``bad_label`` is the other one.
        tokenizer: a separate tokenizer directory, when the checkpoint has none.
        max_length: cap on tokens; default is the model's own limit.
        http: how to reach a reward model named by an ``http://`` or ``https://`` URL
            (``HttpOptions``: its fields are options of their own).
    """

    format: str | None = field(
        default=None,
        metadata={
            "help": "chat, pair, or a template with {prompt} and {response}. "
            "Default: chat when the tokenizer has a template, else pair."
        },
    )
    head_index: int | None = field(
        default=None,
        metadata={"help": "Read this logit as the reward (needed for heads with >2 labels)."},
    )
    good_label: int = field(
        default=1,
        metadata={
            "help": "Two-label heads: reward = logit[good] - logit[bad].",
            "min": 0,
            "max": 1,
        },
    )
    bad_label: int = field(default=0, metadata={"cli": False})
    tokenizer: str | None = field(
        default=None,
        metadata={"help": "Tokenizer directory, when the checkpoint has none.", "path": True},
    )
    max_length: int | None = field(
        default=None,
        metadata={
            "help": "Truncate inputs to this many tokens (default: the model's limit).",
            "min": 1,
        },
    )
    http: HttpOptions = field(default_factory=HttpOptions, metadata={"cli": False})

    def __post_init__(self) -> None:
        # A resumed run reads the options back from its log, where ``http`` became a dict.
        if isinstance(self.http, dict):
            object.__setattr__(self, "http", HttpOptions.from_json(self.http))

    def to_json(self) -> dict[str, Any]:
        """The options as a run log records them (``LoadOptions(**data)`` reads them back).

        ``http`` is left out while it is the default, so a run without an HTTP checkpoint
        logs what it logged before HTTP options existed.
        """
        data = asdict(self)
        if self.http == HttpOptions():
            del data["http"]
        return data
