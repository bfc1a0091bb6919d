"""``python -m harness.cli``: the same as the ``rmh`` console script (tests spawn it so)."""

import sys

from harness.cli import main

sys.exit(main())
