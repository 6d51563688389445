"""Load smoke tests over the benchmark harness (benchmarks/)."""
