"""The whack-a-mole experiment: arms, rounds, and the verdict on whether training on
found exploits makes a reward model more robust (``docs/rounds.md``).

One job per module:

- ``experiment``: the orchestrator (``start_experiment``, ``resume_experiment``): round 0,
  then per round and arm augment, retrain, re-attack, measure; the verdict at the end.
- ``config``: its settings, data and result; ``inputs``: the checks before anything is
  written (families, arms, prompts); ``measure``: clean accuracy and the chance rate per
  evaluation prompt, read from a round's run log, and round 0's exploits per prompt.
- ``experiment_log``: the experiment log's typed entries (``experiment.jsonl``) and the
  resume state.
  ``folder``: a new experiment folder, placed whole once its log holds ``init`` and
  ``split``.
- ``outcomes``: per-prompt ``RoundOutcomes`` rebuilt from the folder (run logs, the
  experiment log, the augmentation files), and each fresh finding's novelty.
- ``round_table``: the per-round table and the verdict lines, as text.
- ``split``: attack and evaluation prompts; ``augment``: each arm's extra pairs;
  ``pairfile``: pair files and their hash; ``trainer``: the built-in trainer and hooks;
  ``roundsuite``: the suite each round runs.
- The statistics on per-prompt data and the verdict are pure (no model, no torch):
  ``counts`` (``Counts``: successes out of trials per prompt, the unit every interval
  resamples); ``bootstrap``: prompt-bootstrap intervals on rates, changes and
  differences of differences, and the extra prompts an undecided one needs;
  ``across_rounds``: McNemar's test round against round and the prompt-clustered trend;
  ``attacker_cost``: the queries to the first finding, with the censored share;
  ``contrasts``: ``RoundOutcomes`` per arm and round, the rounds that count, and the
  ``Contrast`` quantities read off them; ``rules``: the rules fixed before the data,
  ``decide`` and the ``ArmVerdict`` it gives, and ``compare_arms`` reported beside it.
"""
