"""Device and dtype choice: CUDA when present, else CPU; half precision only on GPU.

bf16 on a CPU without bf16 hardware is ~15x slower than fp32, so CPU never defaults to
it. On CUDA, bf16 is the default where the card supports it (Ampere and later), fp16
otherwise.
"""

from __future__ import annotations

import torch

from harness.core.errors import HarnessError

DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
}


def pick_device(requested: str | None = None) -> torch.device:
    """``None``/"auto" picks cuda:0 when available; otherwise the named device."""
    if requested in (None, "auto"):
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise HarnessError(f"--device {requested} asked for, but CUDA is not available; use cpu")
    return device


def pick_dtype(device: torch.device, requested: str | None = None) -> torch.dtype:
    """``None``/"auto": fp32 on CPU, bf16 on CUDA when supported, else fp16."""
    if requested not in (None, "auto"):
        try:
            return DTYPES[requested]
        except KeyError:
            raise HarnessError(
                f"unknown --dtype {requested!r}; choose one of auto, {', '.join(sorted(DTYPES))}"
            ) from None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32
