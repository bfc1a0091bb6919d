"""Reward models behind HTTP: a served RM scored through the same scorer as a local one.

Named on the command line as ``http://...`` or ``https://...`` wherever a checkpoint is
accepted. The parts, one job each:

- ``options``: ``HttpOptions``, the endpoint's settings (also the ``--protocol``,
  ``--header``, ``--api-key-env``, ... options of every verb that loads a model);
- ``client``: the transport (a pooled ``httpx`` client, concurrency, retries with
  jittered backoff, one-line errors with the API key blanked out);
- ``protocols``: how one kind of server is asked (``rmh``, ``vllm-score``, ``template``;
  a registry, so an in-house protocol can be a plugin);
- ``fingerprint``: the probe that identifies a server without ``/info``;
- ``model``: ``HttpRewardModel``, the ``RewardModel`` the scorer drives.

This package's ``__init__`` imports nothing, so ``harness.models.options`` can import
``HttpOptions`` without importing the model (which needs ``LoadOptions``).
See ``docs/http.md``.
"""
