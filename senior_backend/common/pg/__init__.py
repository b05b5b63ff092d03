"""PostgreSQL access shared by the tools: connecting, the embedded server, catalog snapshots."""
