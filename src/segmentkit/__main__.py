"""``python -m segmentkit``: the same as the ``segmentkit`` command."""

import sys

from segmentkit.cli import main

sys.exit(main())
