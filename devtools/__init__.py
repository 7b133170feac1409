"""Development tools: the sample generator, the benchmark and the profiler.

Production code (tiering, orchestration, models) never imports this package."""
