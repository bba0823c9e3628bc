"""``python -m critmin.cli``: the same app as the ``critmin`` script."""

from critmin.cli import app

app()
