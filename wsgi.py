"""WSGI entry point: `python -m api.server.supervisor` serves it (any WSGI server can: wsgi:app)."""

from api import create_app
from config import config_or_exit

# A bad setting stops the process with one line per problem, not a traceback per worker.
app = create_app(config_or_exit())
