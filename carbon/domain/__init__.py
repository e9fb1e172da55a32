"""Pure rules of the carbon account (no I/O: no SQLAlchemy, no Flask)."""
