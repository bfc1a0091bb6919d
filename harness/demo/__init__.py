"""The embedded default: a demo reward model built from bundled joke preferences."""
