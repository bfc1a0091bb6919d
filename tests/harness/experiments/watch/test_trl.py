"""The TRL integration (harness/experiments/watch/trl.py) in real TRL GRPO runs: a tiny
Llama policy built here, a tiny BERT proxy RM and another tiny BERT (or a planted) gold,
a few steps on the CPU. Nothing of TRL is mocked."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

pytest.importorskip("trl", reason="the TRL integration needs the trl extra (pip install trl)")
pytest.importorskip("peft", reason="the LoRA runs need peft (the trl extra)")

from datasets import Dataset
from peft import LoraConfig
from tokenizers import processors
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import GRPOConfig, GRPOTrainer, RLOOConfig, RLOOTrainer

from harness.core.errors import HarnessError
from harness.experiments.sweep.result import read_sweep
from harness.experiments.sweep.samples import read_samples
from harness.experiments.watch import StopRule, WatchConfig, Watcher
from harness.experiments.watch.log import (
    EvaluationEntry,
    InitEntry,
    StopEntry,
    read_watch,
)
from harness.experiments.watch.trl import (
    BEST_CLEAN_DIR,
    BEST_DIR,
    WatchCallback,
    completion_logprobs,
)
from harness.models.callable import CallableRewardModel
from harness.testing import build_tiny_causal_lm, build_tiny_checkpoint

TOPICS = ["cats", "dogs", "python", "rust", "java", "go", "c", "lisp"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("trl-models")
    return {
        "lm": build_tiny_causal_lm(root / "lm", chat_template=True),
        "proxy": build_tiny_checkpoint(root / "proxy", "bert", seed=1),
        "gold": build_tiny_checkpoint(root / "gold", "bert", seed=2),
    }


def tokenizer(lm):
    tok = AutoTokenizer.from_pretrained(lm)
    tok.model_input_names = ["input_ids", "attention_mask"]  # generate() takes no token types
    return tok


def conversations(prompts):
    return [[{"role": "user", "content": p}] for p in prompts]


def train(
    root,
    models,
    watcher,
    *,
    max_steps=3,
    lora=True,
    conversational=True,
    tok=None,
    rloo=False,
    eval_prompts=None,
    proxy=None,
    **callback,
):
    """A GRPO (or RLOO) run of ``max_steps`` with the watcher attached: (trainer, callback).
    ``eval_prompts``: an eval set the trainer generates for after every step."""
    prompts = [f"Tell me a joke about {w}." for w in TOPICS]
    column = conversations(prompts) if conversational else prompts
    callback_ = WatchCallback(watcher, proxy=proxy or str(models["proxy"]), **callback)
    evaluation = {}
    if eval_prompts:
        evaluation = {
            "eval_strategy": "steps",
            "eval_steps": 1,
            "per_device_eval_batch_size": 4,
        }
    config, trainer_class = (RLOOConfig, RLOOTrainer) if rloo else (GRPOConfig, GRPOTrainer)
    args = config(
        output_dir=str(root / "out"),
        max_steps=max_steps,
        per_device_train_batch_size=4,
        num_generations=2,
        max_completion_length=8,
        learning_rate=1e-3,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        seed=0,
        disable_tqdm=True,
        **evaluation,
    )
    trainer = trainer_class(
        model=AutoModelForCausalLM.from_pretrained(models["lm"]),
        processing_class=tok or tokenizer(models["lm"]),
        reward_funcs=callback_.reward_function,
        args=args,
        train_dataset=Dataset.from_dict({"prompt": column}),
        eval_dataset=Dataset.from_dict({"prompt": conversations(eval_prompts)})
        if eval_prompts
        else None,
        callbacks=[callback_],
        peft_config=LoraConfig(r=4, target_modules=["q_proj", "v_proj"]) if lora else None,
    )
    trainer.train()
    return trainer, callback_


def watcher_for(root, gold, *, every=1, window=5, lines=None):
    return Watcher(
        root / "watch",
        gold=gold,
        config=WatchConfig(every=every, sample_prompts=2, rule=StopRule(window=window)),
        echo=lines.append if lines is not None else (lambda line: None),
    )


def evaluations(root) -> list[EvaluationEntry]:
    return read_watch(root / "watch").of_type(EvaluationEntry)


def test_a_lora_grpo_run_is_watched(tmp_path, models):
    watcher = watcher_for(tmp_path, str(models["gold"]))
    trainer, callback = train(tmp_path, models, watcher)
    entries = evaluations(tmp_path)
    assert [e.step for e in entries] == [0, 1, 2]
    for entry in entries:
        assert (tmp_path / "watch" / entry.samples_file).is_file()
        assert entry.rows == 4 and len(entry.kl) == 2
    # the adapters start at zero: at step 0 the policy is its reference
    assert entries[0].kl == pytest.approx((0.0, 0.0), abs=1e-5)
    # after updates the adapters move the policy away from the reference
    assert any(abs(k) > 1e-4 for e in entries[1:] for k in e.kl)
    best = entries[-1].decision.best_step
    saved = tmp_path / "out" / BEST_DIR
    assert (saved / "watch_step.txt").read_text().strip() == str(best)
    assert (saved / "adapter_config.json").is_file()  # a PEFT model saves its adapters
    clean = tmp_path / "out" / BEST_CLEAN_DIR  # the best within the judged-bad margin
    best_clean = entries[-1].decision.best_clean_step
    assert (clean / "watch_step.txt").read_text().strip() == str(best_clean)
    assert entries[-1].best_clean_checkpoint == str(clean)
    assert callback.best_checkpoint == str(saved)
    # the samples files read as an RL run's steps, log-probabilities included
    files = sorted((tmp_path / "watch" / "samples").glob("step-*.jsonl"))
    samples = read_samples(files).samples
    assert sorted({s.step for s in samples}) == [0, 1, 2]
    assert all(s.policy_logprob < 0 and s.ref_logprob < 0 for s in samples)
    golds = [log["watch/gold"] for log in trainer.state.log_history if "watch/gold" in log]
    assert golds == pytest.approx([float(np.mean(e.gold)) for e in entries], rel=1e-5)
    (init,) = read_watch(tmp_path / "watch").of_type(InitEntry)
    assert init.trainer["framework"] == "trl" and init.trainer["max_steps"] == 3


def test_a_grpo_runs_watch_is_read_by_rmh_sweep_and_rmh_report(tmp_path, models, rmh):
    watcher = watcher_for(tmp_path, str(models["gold"]))
    train(tmp_path, models, watcher)
    watcher.close()
    entries = evaluations(tmp_path)
    out = tmp_path / "sweep"
    code, stdout, err = rmh(
        "sweep", "--watch", str(tmp_path / "watch"), "--out", str(out), "--resamples", "200"
    )
    assert code == 0, err
    assert "RL steps 0..2 (3)" in stdout
    record = read_sweep(out)
    assert [p.step for p in record.steps.steps] == [0, 1, 2]
    for point, entry in zip(record.steps.steps, entries, strict=True):
        assert point.gold.estimate == pytest.approx(np.mean(entry.gold), rel=1e-9)
        assert point.kl.estimate == pytest.approx(np.mean(entry.kl), rel=1e-6, abs=1e-9)
    assert record.watch.best_step == entries[-1].decision.best_step
    assert record.watch.best_checkpoint == str(tmp_path / "out" / BEST_DIR)
    code, stdout, err = rmh("report", str(out))
    assert code == 0, err
    html = (out / "report.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for text in (html, markdown):
        assert f"best step {entries[-1].decision.best_step}" in text.lower()


def test_an_rloo_run_is_watched(tmp_path, models):
    watcher = watcher_for(tmp_path, str(models["gold"]))
    train(tmp_path, models, watcher, max_steps=2, rloo=True)
    first, second = evaluations(tmp_path)
    assert (first.step, second.step) == (0, 1)
    assert first.kl == pytest.approx((0.0, 0.0), abs=1e-5)
    assert (tmp_path / "out" / BEST_DIR / "watch_step.txt").is_file()


def test_the_trainers_evaluations_are_not_watched(tmp_path, models):
    """An eval set's completions (generated after every step here) are not the run's
    samples: the watcher sees the training prompts only, at the training steps."""
    watcher = watcher_for(tmp_path, str(models["gold"]))
    train(tmp_path, models, watcher, max_steps=2, eval_prompts=["Write a poem.", "Sing."])
    entries = evaluations(tmp_path)
    assert [e.step for e in entries] == [0, 1]
    assert all(p.startswith("Tell me a joke") for e in entries for p in e.prompts)


def test_completion_logprobs_are_those_of_each_row_alone(models):
    """Batched with right padding, a row's log-probability is the same as scored alone,
    and is the sum of its tokens' log-probabilities after its own prompt."""
    import torch

    model = AutoModelForCausalLM.from_pretrained(models["lm"]).eval()
    prompts = [[5, 17, 33], [8, 9], [40, 41, 42, 43, 44]]
    completions = [[60, 61], [70, 71, 72, 73], [80]]
    with torch.no_grad():
        batched = completion_logprobs(model, prompts, completions)
        alone = []
        for p, c in zip(prompts, completions, strict=True):
            logits = model(input_ids=torch.tensor([p + c])).logits[0].float()
            logp = torch.log_softmax(logits, dim=-1)
            alone.append(sum(float(logp[len(p) - 1 + j, t]) for j, t in enumerate(c)))
        one_by_one = completion_logprobs(model, prompts, completions, batch_size=1)
    assert batched == pytest.approx(alone, abs=1e-4)
    assert one_by_one == pytest.approx(alone, abs=1e-4)
    # at a temperature, of the distribution TRL samples from: softmax(logits / T)
    with torch.no_grad():
        cooled = completion_logprobs(model, prompts, completions, temperature=0.5)
        p, c = prompts[1], completions[1]
        logp = torch.log_softmax(model(input_ids=torch.tensor([p + c])).logits[0] / 0.5, dim=-1)
        expected = sum(float(logp[len(p) - 1 + j, t]) for j, t in enumerate(c))
    assert cooled[1] == pytest.approx(expected, abs=1e-4)
    assert cooled[1] != pytest.approx(alone[1], abs=1e-3)


def falling(prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
    """A planted gold that falls with each evaluation (a little spread by length)."""
    falling.calls += 1
    return [10.0 - falling.calls + 0.01 * len(r) for r in responses]


def test_a_falling_gold_stops_the_run_early(tmp_path, models):
    falling.calls = 0
    gold = CallableRewardModel(falling, name="falling", fingerprint="falling")
    watcher = watcher_for(tmp_path, gold, window=2)
    trainer, _ = train(tmp_path, models, watcher, max_steps=8)
    assert trainer.state.global_step < 8
    (stop,) = read_watch(tmp_path / "watch").of_type(StopEntry)
    assert stop.decision.reason == "peaked" and stop.decision.best_step == 0
    assert stop.best_checkpoint == str(tmp_path / "out" / BEST_DIR)
    assert (tmp_path / "out" / BEST_DIR / "watch_step.txt").read_text().strip() == "0"
    assert trainer.state.global_step == stop.step + 1  # stopped at the end of that step


def test_kl_from_a_reference_model_without_peft(tmp_path, models):
    reference = AutoModelForCausalLM.from_pretrained(models["lm"])
    watcher = watcher_for(tmp_path, str(models["gold"]))
    train(tmp_path, models, watcher, max_steps=2, lora=False, reference_model=reference)
    first, second = evaluations(tmp_path)
    assert first.kl == pytest.approx((0.0, 0.0), abs=1e-5)  # the policy starts as the reference
    assert any(abs(k) > 1e-4 for k in second.kl)
    saved = tmp_path / "out" / BEST_DIR
    assert (saved / "model.safetensors").is_file()  # no adapters: the whole policy
    assert AutoModelForCausalLM.from_pretrained(saved).num_parameters() == (
        reference.num_parameters()
    )


def test_without_peft_or_a_reference_there_is_no_kl_and_it_is_said_once(tmp_path, models):
    lines: list[str] = []
    watcher = watcher_for(tmp_path, str(models["gold"]), lines=lines)
    train(tmp_path, models, watcher, max_steps=2, lora=False)
    assert [e.kl for e in evaluations(tmp_path)] == [None, None]
    assert sum("no KL estimate" in line for line in lines) == 1


def test_the_prompt_tokens_are_those_the_trainer_generated_from(tmp_path, models):
    """The KL is computed after the prompt's tokens as TRL tokenizes them: with the
    tokenizer's BOS for a plain prompt, through the chat template for a conversation."""
    tok = tokenizer(models["lm"])
    bos = tok.bos_token_id
    tok._tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", bos)]
    )
    watcher = watcher_for(tmp_path, str(models["gold"]))
    trainer, callback = train(tmp_path, models, watcher, max_steps=1, conversational=False, tok=tok)
    plain = [f"Tell me a joke about {w}." for w in TOPICS[:2]]
    conversations = [[{"role": "user", "content": p}] for p in plain]
    for prompts in (plain, conversations):
        trainer_ids, _, _ = trainer._tokenize_prompts(prompts)
        assert [callback._prompt_ids(p) for p in prompts] == [list(i) for i in trainer_ids]
    assert callback._prompt_ids(plain[0])[0] == bos


def test_a_reward_function_proxy_is_passed_through(tmp_path, models):
    def length_reward(prompts, completions, **kwargs):
        assert "trainer_state" in kwargs and "completion_ids" in kwargs
        return [float(len(c[0]["content"])) for c in completions]

    watcher = watcher_for(tmp_path, str(models["gold"]))
    train(tmp_path, models, watcher, max_steps=1, proxy=length_reward)
    (entry,) = evaluations(tmp_path)
    with (tmp_path / "watch" / entry.samples_file).open(encoding="utf-8") as rows:
        scored = [json.loads(line) for line in rows]
    assert len(scored) == 4
    assert [row["proxy"] for row in scored] == [float(len(row["response"])) for row in scored]


def test_rows_a_reward_function_leaves_unscored_are_not_watched(tmp_path, models):
    def half_scored(prompts, completions, **kwargs):
        # TRL lets a reward function return None for rows it does not score
        return [None if i % 2 else float(len(c[0]["content"])) for i, c in enumerate(completions)]

    watcher = watcher_for(tmp_path, str(models["gold"]))
    train(tmp_path, models, watcher, max_steps=1, proxy=half_scored)
    (entry,) = evaluations(tmp_path)
    with (tmp_path / "watch" / entry.samples_file).open(encoding="utf-8") as rows:
        scored = [json.loads(line) for line in rows]
    assert len(scored) == 2  # of the 4 rows, the 2 scored ones
    assert [row["proxy"] for row in scored] == [float(len(row["response"])) for row in scored]


def test_a_failing_kl_is_said_and_training_goes_on(tmp_path, models, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr("harness.experiments.watch.trl.completion_logprobs", broken)
    lines: list[str] = []
    watcher = watcher_for(tmp_path, str(models["gold"]), lines=lines)
    trainer, _ = train(tmp_path, models, watcher, max_steps=2)
    assert trainer.state.global_step == 2
    assert [e.kl for e in evaluations(tmp_path)] == [None, None]
    assert any("no KL estimate, the log-probabilities failed (RuntimeError" in x for x in lines)


def test_a_watch_cannot_resume_past_the_step_training_resumes_at(tmp_path, models):
    watcher = watcher_for(tmp_path, str(models["gold"]))
    train(tmp_path, models, watcher, max_steps=3)  # evaluated steps 0, 1, 2
    watcher.close()
    again = Watcher(
        tmp_path / "watch",
        gold=str(models["gold"]),
        config=WatchConfig(every=1, sample_prompts=2, rule=StopRule(window=5)),
        resume=True,
        echo=lambda line: None,
    )
    again.resume_at(2)  # resuming at the last evaluated step mixes nothing
    with pytest.raises(HarnessError, match=r"holds evaluations after step 1, .*\(2\)"):
        again.resume_at(1)


def test_the_proxy_cannot_be_the_gold(tmp_path, models):
    watcher = watcher_for(tmp_path, str(models["gold"]))
    with pytest.raises(HarnessError, match="the proxy is one of the watcher's gold"):
        WatchCallback(watcher, proxy=str(models["gold"]))
