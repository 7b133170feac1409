"""Customer-tiering warehouse: generator, pipeline and Dagster code location."""
