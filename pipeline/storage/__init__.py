"""Persistence: ORM models, sessions, migrations and the audit log."""
