"""SQLAlchemy storage: schema, engine and migrations, the feature store, the Redis cache."""
