"""Reproducible performance harness: `make bench` (python -m benchmarks) writes benchmarks/RESULTS.md.

Every suite is a module `benchmarks/bench_<name>.py` with `run(*, quick: bool) -> str` returning a Markdown
section. Figures are reported as ratios against a bare baseline measured in the same run (bare statsmodels on
the same arrays, a bare Flask endpoint under the same server settings), because the machine is shared and
noisy: absolute seconds vary between runs, ratios much less.
"""
