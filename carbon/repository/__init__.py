"""Queries of the carbon account and its events: take a Session, never commit."""
