"""Shared fixtures: tiny real checkpoints, built once per session and loaded for real."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from hypothesis import settings

from harness.runner import start_run
from harness.suite import resolve_suite
from harness.testing import build_tiny_checkpoint

# "ci" makes property tests repeatable (a red CI run fails the same way on a laptop).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Named tiny checkpoints covering the loader's branches."""
    root = tmp_path_factory.mktemp("checkpoints")
    specs = {
        "bert": dict(arch="bert"),
        "bert_left": dict(arch="bert", padding_side="left"),
        "bert_two_label": dict(arch="bert", num_labels=2),
        "bert_three_label": dict(arch="bert", num_labels=3),
        "bert_pickle": dict(arch="bert", pickle_weights=True),
        "bert_no_tokenizer": dict(arch="bert", with_tokenizer=False),
        "llama": dict(arch="llama"),
        "llama_chat_left": dict(arch="llama", chat_template=True, padding_side="left"),
        "llama_chat_right": dict(arch="llama", chat_template=True, padding_side="right"),
        "llama_no_pad": dict(arch="llama", pad_token=False),
    }
    return {name: build_tiny_checkpoint(root / name, **spec) for name, spec in specs.items()}


@pytest.fixture(scope="session")
def tiny_run(checkpoints, tmp_path_factory) -> Path:
    """A complete run of a tiny suite (3 attacks, 4 prompts) on a tiny real checkpoint."""
    root = tmp_path_factory.mktemp("tiny-run")
    from tests.harness.runner.conftest import write_suite

    suite = write_suite(root)
    out = root / "runs" / "tiny"
    start_run(
        [str(checkpoints["bert"])],
        resolve_suite(str(suite)),
        out,
        progress="quiet",
        echo=lambda _: None,
    )
    return out
