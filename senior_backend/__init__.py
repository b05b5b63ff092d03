"""senior-backend: CLIs for backend engineers (API scaffolding, PostgreSQL migrations, load testing)."""

__version__ = "0.1.0"
