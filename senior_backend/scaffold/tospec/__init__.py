"""Recovering an API model from route files: parsing, route discovery, schema readers."""
