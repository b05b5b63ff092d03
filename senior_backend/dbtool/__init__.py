"""Database migration tool: analysis, index suggestions, schema diff and a migration runner for PostgreSQL."""
