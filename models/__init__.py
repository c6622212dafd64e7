"""ML models: feature catalogue, trainers, registry and scorers (built in later issues)."""
