"""How many rows one forward pass scores, unless a caller says otherwise.

One number for every path to a model: the scorer, the run options (``rmh run
--batch-size``), the verbs that load a model, the served model and the whack-a-mole
experiment all default to it. It sits in the core, below all of them, so that each can
read it, the command line included while it declares its options (when it must not
import torch).
"""

DEFAULT_BATCH_SIZE = 64
