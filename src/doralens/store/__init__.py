"""Storage: the ``EventStore`` interface and its SQLite and PostgreSQL implementations."""
