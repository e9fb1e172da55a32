"""The HTTP server an operator starts: the supervisor (`python -m api.server.supervisor`)
and its waitress worker processes."""
