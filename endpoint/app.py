"""The application factory: every route of the service, top to bottom."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import falcon

from endpoint import errors
from endpoint.cache import ResponseCache
from endpoint.sparql import SPARQL_PATH, Sparql
from endpoint.ui import STATIC_PATH, Static
from endpoint.void import VOID_PATH, Void
from endpoint.resources import ApiRoot, Collection, ContextDocument, Home, Mount, identify, redirect_to_slash
from ld import geo
from ld.context import CONTEXT_PATH
from ld.identity import Keys
from ld.iris import API_PATH, COURSES_PATH, Iris
from ld.model import RESOURCES
from ld.read import Reader
from ld.sparql_runner import Limits
from ld.store import Store
from ld.times import UTC


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://127.0.0.1:8000"
    keys: Keys = field(default_factory=Keys)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    cache_size: int = 2048  # responses kept by the generation-keyed cache; 0 turns it off
    sparql_limits: Limits = field(default_factory=Limits)  # /sparql time limit, result cap, workers
    cors_origins: tuple[str, ...] = ("*",)  # origins allowed to call from a browser; () turns CORS off
    # The server's side index (ld.sideindex) is loaded at start (or built in the background) and
    # rebuilt in the background after a write; otherwise the first list request that needs it builds it.
    background_index: bool = False


class _Allow:
    """Every answer says which methods the URL takes (the original sends Allow on each)."""

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool) -> None:
        if resp.get_header("Allow") is None and resource is not None:
            resp.set_header("Allow", getattr(resource, "allow", "GET, HEAD, OPTIONS"))


def create_app(store: Store, settings: Settings = Settings()) -> falcon.App:
    iris = Iris(settings.base_url)
    reader = Reader(store, iris, background_index=settings.background_index)
    if settings.background_index:
        reader.side_index.start()
        geo.warm()
    middleware = [identify(settings.keys.identify), _Allow()]
    if settings.cache_size:
        middleware.insert(0, ResponseCache(store.generation, size=settings.cache_size))
    if settings.cors_origins:
        middleware.insert(0, falcon.CORSMiddleware(
            allow_origins="*" if "*" in settings.cors_origins else list(settings.cors_origins)))
    app = falcon.App(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = False
    app.req_options.auto_parse_qs_csv = False
    app.req_options.keep_blank_qs_values = False
    errors.register(app)

    app.add_route("/", Home())
    app.add_route(CONTEXT_PATH, ContextDocument())
    for path, event_type in ((API_PATH, "General"), (COURSES_PATH, "Course")):
        mount = Mount(iris, path, event_type)
        app.add_route(path, ApiRoot(mount))
        for name, resource in RESOURCES.items():
            collection = Collection(reader, resource, mount, settings.clock)
            app.add_route(f"{path}{name}/", collection)
            app.add_route(f"{path}{name}/{{entity_id}}/", collection, suffix="detail")
    app.add_route(SPARQL_PATH, Sparql(store, settings.base_url, settings.sparql_limits))
    app.add_route(VOID_PATH, Void(store, settings.base_url))
    app.add_route(STATIC_PATH + "{path:path}", Static())
    app.add_sink(redirect_to_slash, prefix=r"^/(linkedevents|linkedcourses)/v1(/[^/]+){0,2}$")
    return app
