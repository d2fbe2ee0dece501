"""veob benchmarks (pytest-benchmark); run ``pytest benchmarks/`` (``--quick`` for a smoke run)."""
