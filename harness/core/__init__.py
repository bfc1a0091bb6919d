"""Core words: the vocabulary every layer above shares, with no dependency on any of them.

Errors, text normalization and safe display, preference-pair data, result tables,
TOML config checking, common words, meaning-preserving edits and the generic registry.
Nothing here imports a model, a scorer or an attack.
"""
