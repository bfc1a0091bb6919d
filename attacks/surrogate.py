"""The local surrogate reward model a ``transfer`` attack searches instead of the target.

A surrogate is any reward model that loads here and is not the target: a checkpoint
folder (read as every checkpoint is, but always safetensors only and without the
checkpoint's own code, whatever the target was loaded with) or a ``module:function``
callable. A URL is refused: a surrogate is the cheap local model that stands in for the
expensive one, and searching an endpoint would pay per query again.

It is loaded once per process and device (``shared_surrogate``): every prompt of a run,
and every attack of a suite that names the same surrogate, read one copy. The model is
only read (eval mode, no gradients kept), so sharing it is safe. It sits on the target's
device and in its dtype when the target is a local checkpoint, else where the default
choice puts it (CUDA when available; fp32 on CPU).

Example::

    surrogate = shared_surrogate("ckpt/other-seed", LoadOptions())
    check_not_target(surrogate, target_model, "ckpt/other-seed")
"""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from harness.core.errors import HarnessError
from harness.models import LoadOptions, RewardModel, load_reward_model
from harness.models.device import pick_device, pick_dtype
from harness.models.http.model import is_http_spec

_LOADED: dict[tuple[str, str, str], RewardModel] = {}
_LOCK = threading.Lock()


def surrogate_options(target: RewardModel | None) -> LoadOptions:
    """Safetensors only, no checkpoint code; the target's device and dtype when it has
    them (a local checkpoint), else the default choice."""
    device = getattr(target, "device", None)
    dtype = getattr(target, "dtype", None)
    if isinstance(device, torch.device) and isinstance(dtype, torch.dtype):
        return LoadOptions(device=str(device), dtype=str(dtype).removeprefix("torch."))
    return LoadOptions()


def shared_surrogate(spec: str, options: LoadOptions) -> RewardModel:
    """The reward model ``spec`` names, loaded once per process, device and dtype.

    ``options`` may only choose the device and dtype: pickle weights and checkpoint code
    stay off for a surrogate. A spec that does not load is a one-line ``HarnessError``.
    """
    if is_http_spec(spec):
        raise HarnessError(
            f"surrogate {spec!r} is a URL; a surrogate must be a local checkpoint folder "
            "or a module:function callable (it is searched, so it is queried many times)"
        )
    options = LoadOptions(device=options.device, dtype=options.dtype)
    device = pick_device(options.device)
    key = (spec, str(device), str(pick_dtype(device, options.dtype)))
    with _LOCK:
        model = _LOADED.get(key)
        if model is None:
            try:
                model = load_reward_model(spec, options)
            except HarnessError as exc:
                raise HarnessError(f"surrogate {spec!r} cannot be loaded: {exc}") from None
            _LOADED[key] = model
    return model


def check_not_target(surrogate: RewardModel, target: RewardModel, spec: str) -> None:
    """Refuse a surrogate that is the attacked model (same fingerprint or same folder):
    candidates searched on the target itself would be no transfer, and its queries would
    go uncounted."""
    same_folder = False
    here, there = getattr(surrogate, "path", None), getattr(target, "path", None)
    if isinstance(here, Path) and isinstance(there, Path):
        same_folder = here.resolve() == there.resolve()
    if same_folder or surrogate.fingerprint == target.fingerprint:
        raise HarnessError(
            f"surrogate {spec!r} is the attacked model (fingerprint "
            f"{target.fingerprint[:12]}): it is not a transfer; name another checkpoint"
        )
