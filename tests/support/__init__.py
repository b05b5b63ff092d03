"""Helpers the test suite uses to start real things: Node projects, HTTP servers with faults."""
