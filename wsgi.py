"""WSGI entry point: `python -m api.serve` serves it (any WSGI server can: wsgi:app)."""

from api import create_app

app = create_app()
