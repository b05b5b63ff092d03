"""The migration room: the lint (lint.py), the runner (runner.py), their use cases (run.py) and flags (cli.py)."""
