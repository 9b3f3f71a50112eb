"""Choosing a representation: ``?format=`` first, then the Accept header, 406 when nothing fits."""
from __future__ import annotations

import falcon

from ld.errors import NotAcceptable
from ld.formats import DOCUMENT_FORMATS, Format, by_name


def choose(req: falcon.Request, formats: tuple[Format, ...] = DOCUMENT_FORMATS) -> Format:
    requested = req.get_param("format")
    if requested:
        chosen = by_name(requested, formats)
        if chosen is None:
            raise NotAcceptable(
                f"format={requested} is not offered; use one of {', '.join(f.name for f in formats)}",
                [f.media_type for f in formats],
            )
        return chosen
    accept = req.get_header("Accept") or "*/*"
    preferred = req.client_prefers([f.media_type for f in formats])
    if preferred is None:
        # Browsers send text/html first with */* at a low weight; anything with */* gets the default.
        raise NotAcceptable(
            f"cannot answer Accept: {accept}; offered: {', '.join(f.media_type for f in formats)}",
            [f.media_type for f in formats],
        )
    if "text/html" not in accept and preferred == "text/html":
        preferred = formats[0].media_type
    return next(f for f in formats if f.media_type == preferred)
