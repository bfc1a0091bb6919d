"""The watcher inside TRL's online trainers (``GRPOTrainer``, ``RLOOTrainer``): the
``trl`` extra.

TRL hands a reward function every completion it samples, with the trainer's state; a
callback can stop the trainer. ``WatchCallback`` is both::

    watch = WatchCallback(watcher, proxy="rm/")          # or proxy=my_reward_function
    trainer = GRPOTrainer(model=..., reward_funcs=watch.reward_function,
                          callbacks=[watch], args=..., train_dataset=...)
    trainer.train()                                      # stops itself at the peak

``reward_function`` scores the completions with the proxy (a checkpoint, a reward model,
a scorer, or any TRL reward function: its rewards are passed through unchanged), hands
them to ``watcher.observe`` with the step, and, on an evaluation with a new best gold,
saves the policy (the adapters alone for a PEFT model) to ``OUTPUT_DIR/watch-best`` before
the optimizer moves it: the peak checkpoint exists when the stop comes. On a stop
decision ``on_step_end`` sets ``control.should_training_stop``.

With ``kl=True`` (the default) it also computes, on evaluated steps, each completion's
log-probability under the policy and under the reference (a PEFT model with its adapters
disabled, or ``reference_model``) for the watcher's KL estimate; without either it says
once that there is no KL.

Any other trainer calls ``watcher.observe`` itself (docs/watch.md has an example).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.core.errors import HarnessError
from harness.experiments.watch.gold import GoldSource
from harness.experiments.watch.watcher import Watcher
from harness.models.base import RewardModel
from harness.scoring import Scorer

try:
    from transformers import TrainerCallback
except ImportError:  # pragma: no cover - transformers is a core dependency
    TrainerCallback = object  # type: ignore[assignment,misc]

BEST_DIR = "watch-best"
BEST_CLEAN_DIR = "watch-best-clean"


def require_trl() -> Any:
    """TRL, or the one-line "install the extra" error."""
    try:
        import trl
    except ImportError:
        raise HarnessError("the TRL integration needs TRL: pip install 'rm-harness[trl]'") from None
    return trl


def message_text(value: Any) -> str:
    """A prompt or completion as text: TRL passes plain strings, or conversations (lists
    of messages): then the last user message (a prompt) or the assistant's content."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and value and isinstance(value[0], dict):
        users = [m for m in value if m.get("role") == "user"] or list(value)
        content = users[-1].get("content", "")
        if isinstance(content, list):  # content blocks
            return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
        return str(content)
    return str(value)


def _completion_text(value: Any) -> str:
    if isinstance(value, Sequence) and not isinstance(value, str) and value:
        assistant = [m for m in value if isinstance(m, dict) and m.get("role") == "assistant"]
        if assistant:
            return "".join(str(m.get("content", "")) for m in assistant)
    return message_text(value)


class WatchCallback(TrainerCallback):  # type: ignore[misc,valid-type]
    """Feeds a watcher from TRL's reward calls and stops the trainer (module doc).

    proxy: what the policy is trained on: a checkpoint spec, a reward model, a scorer, or
        a TRL reward function ``f(prompts, completions, **kwargs) -> list[float]``.
    save_best: save the policy at each evaluation that sets a new best gold.
    kl: compute log-probabilities for the KL estimate on evaluated steps.
    reference_model: the reference policy, for a model without PEFT adapters.
    """

    def __init__(
        self,
        watcher: Watcher,
        proxy: GoldSource | Callable[..., Sequence[float]],
        *,
        save_best: bool = True,
        kl: bool = True,
        reference_model: Any = None,
    ) -> None:
        require_trl()
        if not isinstance(watcher, Watcher):
            raise HarnessError(f"WatchCallback needs a Watcher, got {type(watcher).__name__}")
        self.watcher = watcher
        self._proxy_scorer: Scorer | None = None
        self._proxy_function: Callable[..., Sequence[float]] | None = None
        if isinstance(proxy, Scorer):
            self._proxy_scorer = proxy
        elif isinstance(proxy, RewardModel):
            self._proxy_scorer = Scorer(proxy)
        elif isinstance(proxy, (str, os.PathLike)):
            from harness.models import load_reward_model

            self._proxy_scorer = Scorer(load_reward_model(proxy))
        elif callable(proxy):
            self._proxy_function = proxy
        else:
            raise HarnessError(
                "proxy must be a checkpoint, a reward model, a scorer or a reward function, "
                f"got {type(proxy).__name__}"
            )
        if self._proxy_scorer is not None:
            gold_prints = set(watcher.gold.fingerprints)
            if self._proxy_scorer.model.fingerprint in gold_prints:
                raise HarnessError(
                    "the proxy is one of the watcher's gold RMs (same fingerprint); the gold "
                    "must be another RM"
                )
        self.save_best = save_best
        self.kl = kl
        self.reference_model = reference_model
        self.model: Any = None
        self.tokenizer: Any = None
        self.output_dir: Path | None = None
        self.chat_template_kwargs: dict[str, Any] = {}
        self.autocast_dtype: Any = None
        self.best_checkpoint: str | None = None
        self._kl_note_said = False
        self._unattached_said = False
        self.temperature = 1.0
        self.reward_function = self._reward
        self.watcher.on_best = lambda step: self._save_best(step, BEST_DIR)
        self.watcher.on_best_clean = lambda step: self._save_best(step, BEST_CLEAN_DIR)

    def __repr__(self) -> str:
        proxy = (
            repr(self._proxy_scorer.model)
            if self._proxy_scorer is not None
            else getattr(self._proxy_function, "__name__", "a reward function")
        )
        return f"WatchCallback(proxy {proxy}, {self.watcher!r})"

    # ------------------------------------------------------------- TrainerCallback
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if int(getattr(args, "world_size", 1) or 1) > 1:
            raise HarnessError(
                "WatchCallback watches one training process: under several, each would see "
                "only its share of the completions; call Watcher.observe from the main "
                "process with the gathered rows instead (docs/watch.md)"
            )
        self.watcher.resume_at(int(state.global_step))
        self.model = kwargs.get("model")
        self.tokenizer = kwargs.get("processing_class") or kwargs.get("tokenizer")
        self.output_dir = Path(args.output_dir)
        self.chat_template_kwargs = dict(getattr(args, "chat_template_kwargs", None) or {})
        # TRL's log-probabilities are of the temperature-scaled distribution it samples
        self.temperature = float(getattr(args, "temperature", 1.0) or 1.0)
        self.autocast_dtype = _autocast_dtype(args, self.model)
        self.watcher.set_trainer(
            {
                "framework": "trl",
                "model": type(self.model).__name__ if self.model is not None else None,
                "output_dir": str(args.output_dir),
                "max_steps": int(getattr(args, "max_steps", -1) or -1),
            }
        )
        return control

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.watcher.stopped is not None:
            control.should_training_stop = True
        return control

    # ------------------------------------------------------------- the reward function
    def _reward(
        self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any
    ) -> list[float | None]:
        rewards: list[float | None]
        if self._proxy_function is not None:
            given = self._proxy_function(prompts=prompts, completions=completions, **kwargs)
            rewards = [None if r is None else float(r) for r in given]
        else:
            assert self._proxy_scorer is not None
            texts = [_completion_text(c) for c in completions]
            rewards = [
                float(r)
                for r in self._proxy_scorer.score([message_text(p) for p in prompts], texts)
            ]
        if self.model is None and not self._unattached_said:
            self._unattached_said = True
            self.watcher.echo(
                "watch: the WatchCallback is not among the trainer's callbacks "
                "(callbacks=[watch]): no KL, no saved best policy, and no stop"
            )
        if self.model is not None and not self.model.training:
            # the trainer's evaluation (eval_dataset) asks for rewards too, with the step of
            # the training it interrupts: its completions are not the run's samples
            return rewards
        state = kwargs.get("trainer_state")
        step = int(state.global_step) if state is not None else 0
        if self.watcher.due(step):
            # the rows the watcher samples, without those the reward function left unscored
            text_prompts = [message_text(p) for p in prompts]
            rows = [
                i
                for i in self.watcher.sampled_rows(step, text_prompts)
                if rewards[i] is not None and math.isfinite(rewards[i])  # type: ignore[arg-type]
            ]
            if not rows:
                return rewards
            ids = kwargs.get("completion_ids")
            try:
                logprobs = self._logprobs(
                    [prompts[i] for i in rows], None if ids is None else [ids[i] for i in rows]
                )
            except Exception as exc:  # the KL is the watcher's: it must not stop training
                logprobs = None
                self.watcher.echo(
                    f"watch step {step}: no KL estimate, the log-probabilities failed "
                    f"({type(exc).__name__}: {' '.join(str(exc).split())})"
                )
            decision = self.watcher.observe(
                step,
                [text_prompts[i] for i in rows],
                [_completion_text(completions[i]) for i in rows],
                [float(rewards[i]) for i in rows],  # type: ignore[arg-type]
                logprobs=logprobs,
            )
            log_metric = kwargs.get("log_metric")
            if decision.evaluated and not decision.failed and callable(log_metric):
                evaluation = self.watcher.evaluations[-1]
                log_metric("watch/gold", float(np.mean(evaluation.gold)))
                log_metric("watch/judged_bad", float(np.mean(evaluation.bad)))
        return rewards

    # ------------------------------------------------------------- KL and the best policy
    def _reference(self) -> Any:
        """A context manager giving the reference policy's forward, or None."""
        if self.reference_model is not None:
            return None
        if self.model is not None and hasattr(self.model, "disable_adapter"):
            return self.model.disable_adapter
        return None

    def _logprobs(
        self, prompts: Sequence[Any], completion_ids: Any
    ) -> list[tuple[float, float]] | None:
        if not self.kl or self.model is None or self.tokenizer is None or completion_ids is None:
            return None
        disable = self._reference()
        if disable is None and self.reference_model is None:
            if not self._kl_note_said:
                self._kl_note_said = True
                self.watcher.echo(
                    "watch: no KL estimate (the policy has no PEFT adapters to disable and no "
                    "reference_model was given)"
                )
            return None
        import torch

        prompt_ids = [self._prompt_ids(p) for p in prompts]
        ids = [list(map(int, c)) for c in completion_ids]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                policy = completion_logprobs(self.model, prompt_ids, ids, self.temperature)
                if self.reference_model is not None:
                    reference = self._reference_logprobs(prompt_ids, ids)
                else:
                    with disable():
                        reference = completion_logprobs(
                            self.model, prompt_ids, ids, self.temperature
                        )
        finally:
            self.model.train(was_training)
        return list(zip(policy, reference, strict=True))

    def _reference_logprobs(self, prompt_ids: list[list[int]], ids: list[list[int]]) -> list[float]:
        """The given reference model's log-probabilities, in the precision the policy's
        forward runs in: the trainer's mixed precision wraps the policy's forward in an
        autocast (GRPOConfig's bf16 is on by default), and a reference left in float32
        would differ from an identical policy by the rounding alone (TRL prepares its own
        reference model the same way)."""
        import torch

        if self.autocast_dtype is None:
            return completion_logprobs(self.reference_model, prompt_ids, ids, self.temperature)
        device = next(self.reference_model.parameters()).device
        with torch.autocast(device_type=device.type, dtype=self.autocast_dtype):
            return completion_logprobs(self.reference_model, prompt_ids, ids, self.temperature)

    def _prompt_ids(self, prompt: Any) -> list[int]:
        """The prompt's tokens as the trainer fed them to ``generate``: a plain prompt
        through the tokenizer with its special tokens (a BOS where it adds one), a
        conversation through its chat template with the trainer's template arguments."""
        tok = self.tokenizer
        if isinstance(prompt, str):
            return list(tok(text=prompt)["input_ids"])
        text = tok.apply_chat_template(
            prompt, add_generation_prompt=True, tokenize=False, **self.chat_template_kwargs
        )
        return list(tok(text, add_special_tokens=False)["input_ids"])

    def _save_best(self, step: int, name: str) -> str | None:
        """Save the policy that made ``step``'s samples to ``OUTPUT_DIR/name`` (called by
        the watcher on a new best), replacing what was there only once it is whole."""
        if not self.save_best or self.model is None or self.output_dir is None:
            return None
        target = self.output_dir / name
        staging = self.output_dir / f".{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        self.model.save_pretrained(staging)
        if self.tokenizer is not None and hasattr(self.tokenizer, "save_pretrained"):
            self.tokenizer.save_pretrained(staging)
        (staging / "watch_step.txt").write_text(f"{step}\n", encoding="utf-8")
        old = self.output_dir / f".{name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        if name == BEST_DIR:
            self.best_checkpoint = str(target)
        return str(target)


def _autocast_dtype(args: Any, model: Any) -> Any:
    """The dtype of the autocast the trainer runs the policy's forward in, or None.

    Accelerate's mixed precision keeps the weights in float32 and wraps the model's
    forward in an autocast, remembering the plain one as ``_original_forward``."""
    if model is None or getattr(model, "_original_forward", None) is None:
        return None
    import torch

    if getattr(args, "bf16", False):
        return torch.bfloat16
    if getattr(args, "fp16", False):
        return torch.float16
    return None


def completion_logprobs(
    model: Any,
    prompts: Sequence[list[int]],
    completions: Sequence[list[int]],
    temperature: float = 1.0,
    batch_size: int = 16,
) -> list[float]:
    """Per row, the completion's log-probability under ``model`` after its prompt, summed
    over the completion's tokens (teacher forcing, right padding masked out), of the
    distribution at ``temperature`` (the one TRL samples from and computes its own
    log-probabilities of)."""
    import torch

    device = next(model.parameters()).device
    out: list[float] = []
    for start in range(0, len(prompts), batch_size):
        rows = [
            list(p) + list(c)
            for p, c in zip(
                prompts[start : start + batch_size],
                completions[start : start + batch_size],
                strict=True,
            )
        ]
        width = max(len(r) for r in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long, device=device)
        mask = torch.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
            mask[i, : len(r)] = 1
        logits = model(input_ids=ids, attention_mask=mask).logits.float() / temperature
        logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
        for i, (p, c) in enumerate(
            zip(
                prompts[start : start + batch_size],
                completions[start : start + batch_size],
                strict=True,
            )
        ):
            first = len(p) - 1  # logp[j] is the log-probability of token j + 1
            out.append(float(logp[i, first : first + len(c)].sum()))
    return out
