#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["click>=8.1", "rich>=13.7", "uvloop>=0.19; sys_platform != 'win32'", "httptools>=0.6", "pyyaml>=6.0", "jsonschema>=4.18"]
# ///
"""Entry point: load-test HTTP endpoints with trustworthy percentiles (see `--help`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from senior_backend.loadtest.cli import main

if __name__ == "__main__":
    main()
