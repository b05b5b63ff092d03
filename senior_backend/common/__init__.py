"""Pieces shared by every tool: exit codes, diagnostics, console output, resources, OpenAPI and PostgreSQL."""
