"""Storage: SQLAlchemy 2 models for the three databases, engines, the unit of work, migrations."""
