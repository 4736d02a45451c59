"""Persistence: SQLAlchemy Core tables, Alembic migrations, group-commit writer, read model."""
