"""Shared by every caller: authentication, errors and the problem catalogue, bodies,
headers, paging, idempotency, rate limits, logs, metrics and the API documentation."""
