"""``python -m segmentkit``: the same as the ``segmentkit`` command."""

from segmentkit.cli import command

command()
