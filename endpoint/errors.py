"""The one place where domain errors become HTTP responses: always JSON ``{"detail": ...}``.

A Turtle client with a bad filter still gets the JSON 400 naming the parameter, so the error
serializer ignores the Accept header.
"""
from __future__ import annotations

import json
import logging
import uuid

import falcon

from ld.errors import Forbidden, Gone, InvalidParameter, LdError, Moved, NotAcceptable, NotFound, QueryError, QueryTimeout

log = logging.getLogger("ld.endpoint")

STATUS = (
    (InvalidParameter, falcon.HTTP_400),
    (QueryError, falcon.HTTP_400),
    (NotFound, falcon.HTTP_404),
    (Gone, falcon.HTTP_410),
    (NotAcceptable, falcon.HTTP_406),
    (Forbidden, falcon.HTTP_403),
    (QueryTimeout, falcon.HTTP_503),
)


def _send(resp: falcon.Response, status: str, body: dict) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.text = json.dumps(body, ensure_ascii=False)
    resp.vary = ("Accept",)


def handle_ld_error(req: falcon.Request, resp: falcon.Response, exc: LdError, params: dict) -> None:
    if isinstance(exc, Moved):
        resp.status = falcon.HTTP_301
        resp.location = exc.iri
        resp.text = ""
        return
    for cls, status in STATUS:
        if isinstance(exc, cls):
            body = {"detail": exc.detail}
            if isinstance(exc, NotAcceptable):
                body["offered"] = exc.offered
            _send(resp, status, body)
            return
    _send(resp, falcon.HTTP_400, {"detail": exc.detail})


def handle_http_error(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError, params: dict) -> None:
    _send(resp, exc.status, {"detail": exc.description or exc.title})
    for name, value in (exc.headers or {}).items():
        resp.set_header(name, value)


def handle_unexpected(req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict) -> None:
    """Log the traceback; tell the client only a request id it can quote."""
    request_id = uuid.uuid4().hex[:12]
    log.exception("unhandled error, request %s", request_id)
    _send(resp, falcon.HTTP_500, {"detail": f"Internal server error (request {request_id})."})


def register(app: falcon.App) -> None:
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(falcon.HTTPError, handle_http_error)
    app.add_error_handler(LdError, handle_ld_error)
