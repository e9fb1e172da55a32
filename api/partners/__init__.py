"""Partners: the routes a partner calls with a signed key (events, plantings, donations)."""
