"""gunicorn entry point: ``gunicorn 'endpoint.wsgi:app()'`` with LD_STORE (and LD_BASE_URL) set."""
from __future__ import annotations

import os

from endpoint.server import app_for


def app():
    return app_for(os.environ["LD_STORE"], os.environ.get("LD_BASE_URL", "http://127.0.0.1:8000"), {})
