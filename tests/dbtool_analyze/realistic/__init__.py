"""The held-out database of the N+1 evidence tests: a pg_dump schema and its workload."""
