"""A readable HTML page for any JSON document we serve: values as a nested table, every URL a link.

Like the original's browsable API, but read only; each page links to its other formats.
"""
from __future__ import annotations

import json
from html import escape
from typing import Any

from ld.formats import DOCUMENT_FORMATS, HTML

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.2rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top;text-align:left}
th{background:#f4f4f4;font-weight:600}nav a{margin-right:1rem}code{background:#f4f4f4;padding:0 .2rem}
"""


def page(title: str, document: Any, *, url: str, links: dict[str, str] | None = None) -> str:
    alternates = " ".join(
        f'<a href="{escape(_with_format(url, f.name))}">{escape(f.media_type)}</a>'
        for f in DOCUMENT_FORMATS
        if f is not HTML
    )
    nav = " ".join(f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in (links or {}).items())
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><nav>{nav}</nav><p>Other formats: {alternates}</p>"
        f"{_value(document)}</body></html>"
    )


def title_of(document: Any, fallback: str) -> str:
    if isinstance(document, dict):
        name = document.get("name")
        if isinstance(name, dict):
            name = name.get("fi") or name.get("en") or next(iter(name.values()), None)
        if isinstance(name, str) and name:
            return name
    return fallback


def _with_format(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith("format=")]
    return base + "?" + "&".join([*kept, f"format={name}"])


def _value(value: Any) -> str:
    if isinstance(value, dict):
        rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{_value(v)}</td></tr>" for k, v in value.items())
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        if not value:
            return "<code>[]</code>"
        return "".join(f"<div>{_value(v)}</div>" for v in value)
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        target = _with_format(value, "api") if "/v1/" in value else value
        return f'<a href="{escape(target)}">{escape(value)}</a>'
    if isinstance(value, str):
        return escape(value)
    return f"<code>{escape(json.dumps(value))}</code>"
