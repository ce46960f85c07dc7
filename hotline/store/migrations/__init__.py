"""Alembic migrations, shipped inside the package so an installed engine can migrate."""
