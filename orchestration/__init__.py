"""Customer-tiering warehouse: generator, pipeline and Dagster code location."""

import warnings

# GX imports pyspark when it is installed (the Spark tier), and pyspark warns on import that it
# does not fully support pandas 3: a warning about Spark on every DuckDB night's stderr.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
