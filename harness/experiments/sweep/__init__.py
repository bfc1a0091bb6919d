"""The overoptimization sweep: where to stop optimizing against a reward model (issue 13,
``docs/sweep.md``).

Best-of-n against the proxy RM, on many sampled responses per prompt, scored by a gold
(another RM, an ensemble, or human scores): how the gold score of the proxy's pick moves
as n grows, the fitted peak (Gao, Schulman & Hilton 2022), and the onset of nonsense
among the picks; search attacks climbing the proxy from a good response, scored by the
gold and judged along their path; an RL run's steps when its samples are given per step.

One job per module:

- ``pipeline``: the orchestrator (``run_sweep``, ``SweepConfig``): score, analyse, write.
- ``samples``: reading and checking samples files, and the prompts best-of-n can use
  (those with samples enough, and, once scored, with proxy scores that differ).
- ``gold_scores``: the gold as a scorer (one RM, a standardized ensemble, a scores file).
- ``nonsense``: the heuristic judge on every sample.
- ``references``: the good response each attack path starts from (random by default).
- ``trajectory``: the attack paths, read through a recording scorer.
- ``steps``: an RL run's steps.
- ``watch_inputs``: a watch folder (``harness.experiments.watch``) as the sweep's inputs,
  with the scores and verdicts it recorded (``rmh sweep --watch``); ``watched``: the
  watch's decisions as ``sweep.json`` keeps them.
- ``result``: ``sweep.json``'s typed records; ``sweep_lines``: the sweep as text;
  ``plots``: its figures.
- ``bon`` (the estimator and KL_bon), ``fit`` (the law, its peak, the prompt bootstrap)
  and ``analysis`` (curves, fit, onset from score arrays) are pure: numpy and scipy.
"""
