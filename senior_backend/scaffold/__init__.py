"""API scaffolder: OpenAPI documents, databases and route files to TypeScript servers and back."""
