"""Public figures (GET /v1/public/stats) read from counters the database maintains."""
