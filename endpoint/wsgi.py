"""gunicorn entry point: ``gunicorn 'endpoint.wsgi:app()'`` with LD_STORE and LD_BASE_URL set."""
from __future__ import annotations

import os

from endpoint.app import Settings, create_app
from ld.store import OxigraphStore


def app():
    return create_app(OxigraphStore(os.environ["LD_STORE"]), Settings(base_url=os.environ.get("LD_BASE_URL", "http://127.0.0.1:8000")))
