"""API load tester: an HTTP/1.1 load engine with HDR latency histograms, comparisons and CI checks."""
