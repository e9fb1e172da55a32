"""Queries of the forest, one module per area. Take a Session, never commit."""
