"""The whack-a-mole experiment: arms, rounds, and the verdict on whether training on
found exploits makes a reward model more robust (``docs/rounds.md``).

One job per module:

- ``experiment``: the entry points (``start_experiment``, ``resume_experiment``), the
  checks before anything is written, and the order of the steps: round 0, the power
  check, then per round, training replicate and arm, then the verdict.
  ``experiment_journal``: what every step reads and writes (the log and its state, the
  settings, the data). ``round_run``: a round's run, measured (the ``round`` entry);
  ``arm_round``: one replicate of one arm's round (augment, retrain or carry over or
  stop, run); ``power_stop``: round 0's power check and the ``--require-power`` stop;
  ``final_verdict``: the verdict at the end.
- ``config``: its settings, data and result; ``inputs``: the checks before anything is
  written (families, arms, synthetic kinds, settings, power, prompts); ``measure``: clean
  accuracy and the chance rate per evaluation prompt, read from a round's run log, and
  round 0's exploits per prompt.
- ``experiment_log``: the experiment log's typed entries (``experiment.jsonl``);
  ``experiment_state``: what the log says is done, by arm, round and replicate (the
  resume state); ``experiment_folder``: a new experiment folder, placed whole once its
  log holds ``init`` and ``split``.
- ``outcomes``: per-prompt ``RoundOutcomes`` rebuilt from the folder (run logs, the
  experiment log, the augmentation files), and each fresh finding's novelty;
  ``round_summary``: a round's summary, and the training replicates pooled into one.
- ``round_table``: the per-round table and the verdict lines, as text.
- ``split``: attack and evaluation prompts; ``augment``: each arm's extra pairs;
  ``pairfile``: pair files and their hash; ``trainer``: what every trainer does (stage,
  verify, place), ``builtin_trainer``: the built-in pairwise trainer, ``trainer_hooks``:
  the user's callable or command and ``make_trainer``; ``roundsuite``: the suite each
  round runs.
- ``calibrate``: before round 0, each trained family's fresh-attack budget measured on
  the attack prompts (the ``calibration`` entry); ``budget_ladder``: the ladder of
  budgets it walks and the one it keeps (pure).
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
