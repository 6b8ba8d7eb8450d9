"""Database layer: table models, engine/session factory and Alembic migrations."""
