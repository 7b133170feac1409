"""Domain library: the landing contract, landing inventory, settings and CLV models.

Imported by the Dagster code location (orchestration), dbt Python models and dev tools;
imports none of them."""
