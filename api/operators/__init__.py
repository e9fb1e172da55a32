"""Operators: the admin-scope routes, and the probes their load balancer and orchestrator
call (/healthz, /livez, /readyz)."""
