"""Retraining one arm one round: the built-in trainer, the hooks, and every way they fail."""

from __future__ import annotations

import json
import shlex
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from harness.core.data import PreferencePair, read_pairs
from harness.core.errors import DataError, HarnessError
from harness.experiments.rounds.builtin_trainer import BuiltinTrainer
from harness.experiments.rounds.pairfile import pairs_hash, write_pairs
from harness.experiments.rounds.trainer import TrainerError
from harness.experiments.rounds.trainer_hooks import CallableTrainer, CommandTrainer, make_trainer
from harness.models import load_reward_model
from harness.models.training import TrainConfig
from harness.testing import build_tiny_checkpoint

CONFIG = TrainConfig(epochs=1, batch_pairs=4, learning_rate=1e-3, max_length=32)
PAIRS = [
    PreferencePair(f"Tell me a joke about {w}.", f"A {w} walks into a bar.", f"{w} " * 6, line=0)
    for w in ("cats", "dogs", "tea", "rain", "socks", "owls", "code", "moon")
]


@pytest.fixture(scope="module")
def init(tmp_path_factory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("init") / "rm")


@pytest.fixture
def pairs_file(tmp_path) -> Path:
    return write_pairs(tmp_path / "pairs.jsonl", PAIRS)


def scores(path: Path) -> np.ndarray:
    model = load_reward_model(path)
    return model.score_batch(model.prepare([p.prompt for p in PAIRS], [p.rejected for p in PAIRS]))


def assert_clean_failure(out: Path) -> None:
    assert not out.exists()
    assert not any(p.name.endswith(".staging") for p in out.parent.iterdir())


def test_builtin_writes_a_checkpoint_the_loader_reads(init, pairs_file, tmp_path):
    out = tmp_path / "arm" / "round-1"
    out.mkdir(parents=True)
    (out / "stale.txt").write_text("left by a killed run")  # replaced, not merged
    result = BuiltinTrainer().train(init, pairs_file, out, CONFIG, seed=3)
    assert result.checkpoint == out and not (out / "stale.txt").exists()
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert not np.allclose(scores(out), scores(init))
    assert result.trainer == "builtin" and result.steps == 2 and result.pairs == len(PAIRS)
    assert np.isfinite(result.final_loss) and 0.0 <= result.train_accuracy <= 1.0
    assert result.data_hash == pairs_hash(read_pairs(pairs_file))
    assert result.config["seed"] == 3 and result.config["learning_rate"] == 1e-3
    assert json.loads(json.dumps(result.to_json()))["steps"] == 2
    assert sorted(p.name for p in out.parent.iterdir()) == ["round-1"]
    again = BuiltinTrainer().train(init, pairs_file, tmp_path / "again", CONFIG, seed=3)
    np.testing.assert_array_equal(scores(again.checkpoint), scores(out))  # a seed, the weights


@pytest.mark.parametrize(
    "batch, message",
    [
        (4, "training loss is nan after 2 steps"),
        (8, r"training left \d+ weight tensors non-finite"),
    ],
)
def test_nan_loss_is_a_trainer_error(init, pairs_file, tmp_path, batch, message):
    # an infinite learning rate breaks the weights at the first step: the loss of the
    # second step is NaN; with one step only, the loss was computed before, the weights say it
    out = tmp_path / "round-1"
    config = TrainConfig(epochs=1, batch_pairs=batch, learning_rate=float("inf"), max_length=32)
    with pytest.raises(TrainerError, match=message) as info:
        BuiltinTrainer().train(init, pairs_file, out, config, seed=0)
    assert "\n" not in str(info.value)
    assert_clean_failure(out)


def test_builtin_refuses_a_head_with_two_labels(tmp_path, pairs_file):
    two = build_tiny_checkpoint(tmp_path / "two", num_labels=2)
    with pytest.raises(TrainerError, match="one-output reward head"):
        BuiltinTrainer().train(two, pairs_file, tmp_path / "out", CONFIG, seed=0)


def write_hook_module(root: Path, monkeypatch) -> None:
    (root / "my_hooks.py").write_text(
        textwrap.dedent(
            """
            import json, shutil
            from pathlib import Path

            def copy(init, pairs, out, config):
                shutil.copytree(init, out, dirs_exist_ok=True)
                (out / "hook.json").write_text(json.dumps(
                    {"config": config, "pairs": str(pairs), "types": [type(init).__name__]}))
                return out

            def nested(init, pairs, out, config):
                shutil.copytree(init, out / "final")
                return str(out / "final")

            def boom(init, pairs, out, config):
                raise RuntimeError("CUDA out of memory\\nsecond line")

            def empty(init, pairs, out, config):
                (out / "config.json").write_text("{not json")

            def number(init, pairs, out, config):
                return 42
            """
        )
    )
    monkeypatch.syspath_prepend(str(root))


def test_callable_hook(init, pairs_file, tmp_path, monkeypatch):
    write_hook_module(tmp_path, monkeypatch)
    out = tmp_path / "round-1"
    result = make_trainer("my_hooks:copy").train(init, pairs_file, out, CONFIG, seed=5)
    assert result.checkpoint == out and result.trainer == "callable:my_hooks:copy"
    assert result.steps is None and result.final_loss is None
    seen = json.loads((out / "hook.json").read_text())
    assert seen["config"]["seed"] == 5 and seen["pairs"] == str(pairs_file)
    assert seen["types"] == ["PosixPath"]
    np.testing.assert_allclose(scores(out), scores(init))
    nested = CallableTrainer("my_hooks:nested").train(init, pairs_file, tmp_path / "n", CONFIG, 0)
    assert nested.checkpoint == tmp_path / "n" / "final"


@pytest.mark.parametrize(
    "hook, message",
    [
        ("boom", r"^trainer callable:my_hooks:boom failed: RuntimeError: CUDA out of memory \|"),
        ("empty", "which the loader cannot read"),
        ("number", "returned int"),
    ],
)
def test_a_failing_hook_is_a_trainer_error(init, pairs_file, tmp_path, monkeypatch, hook, message):
    write_hook_module(tmp_path, monkeypatch)
    out = tmp_path / "round-1"
    with pytest.raises(TrainerError, match=message) as info:
        CallableTrainer(f"my_hooks:{hook}").train(init, pairs_file, out, CONFIG, seed=0)
    assert "\n" not in str(info.value)
    assert_clean_failure(out)


def test_a_hook_that_cannot_be_imported(tmp_path, monkeypatch):
    write_hook_module(tmp_path, monkeypatch)
    with pytest.raises(TrainerError, match="cannot import trainer hook module 'nope'"):
        make_trainer("nope:train")
    with pytest.raises(TrainerError, match="my_hooks has no train"):
        make_trainer("my_hooks:train")


def command(script: str, *args: str) -> str:
    return shlex.join([sys.executable, "-c", script, *args])


COPY = "import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[3], dirs_exist_ok=True)"


def test_command_hook(init, pairs_file, tmp_path):
    out = tmp_path / "round-1"
    trainer = make_trainer(command(COPY, "{init}", "{pairs}", "{out}", "--seed={seed}"))
    assert isinstance(trainer, CommandTrainer)
    result = trainer.train(init, pairs_file, out, CONFIG, seed=4)
    assert result.checkpoint == out and result.trainer.startswith("command:")
    np.testing.assert_allclose(scores(out), scores(init))
    assert trainer.argv({"init": "a b", "pairs": "p", "out": "o", "seed": "4"})[-4:] == [
        "a b",
        "p",
        "o",
        "--seed=4",
    ]


def test_a_failing_command_is_a_trainer_error(init, pairs_file, tmp_path):
    out = tmp_path / "round-1"
    script = "import sys; print('loading', flush=True); sys.exit('loss diverged at step 7')"
    with pytest.raises(TrainerError, match=r"status 1: loss diverged at step 7 \(output in") as e:
        make_trainer(command(script, "{init}", "{pairs}", "{out}")).train(
            init, pairs_file, out, CONFIG, seed=0
        )
    assert "\n" not in str(e.value)
    assert_clean_failure(out)
    assert "loading" in (tmp_path / "round-1.log").read_text()
    # a command that exits 0 without writing a checkpoint
    with pytest.raises(TrainerError, match="which is not a folder"):
        make_trainer(command("pass", "{init}", "{pairs}", "{out}")).train(
            init, pairs_file, out, CONFIG, seed=0
        )
    with pytest.raises(TrainerError, match="command not found"):
        make_trainer("/no/such/trainer {init} {pairs} {out}").train(
            init, pairs_file, out, CONFIG, seed=0
        )


def test_make_trainer():
    assert isinstance(make_trainer(None), BuiltinTrainer)
    assert isinstance(make_trainer("  "), BuiltinTrainer)
    with pytest.raises(HarnessError, match=r"lacks \{out\}"):
        make_trainer("train.sh {init} {pairs}")
    with pytest.raises(HarnessError, match="cannot split"):
        make_trainer("train.sh '{init} {pairs} {out}")


def test_bad_pairs_are_refused_before_training(init, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "response": "r"}\n')
    with pytest.raises(DataError, match="missing field 'chosen'"):
        BuiltinTrainer().train(init, bad, tmp_path / "out", CONFIG, seed=0)
