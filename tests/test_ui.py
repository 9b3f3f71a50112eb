"""The query page and the static files behind it: the real bundle, served by the real resource."""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import falcon
import falcon.testing
import pytest

from endpoint.ui import STATIC_DIR, Static, query_page

ENDPOINT = "http://127.0.0.1:8000/sparql"
EXAMPLES = [
    ("Ten events", "SELECT ?e WHERE { ?e a schema:Event } LIMIT 10"),
    ("Places & names <fi>", 'SELECT ?p ?n WHERE {\n  ?p schema:name ?n FILTER(LANG(?n) = "fi")\n}'),
]
PREFIXES = {"schema": "http://schema.org/", "le": "https://linkedevents.example/ns#"}


@pytest.fixture(scope="module")
def client() -> falcon.testing.TestClient:
    app = falcon.App()
    app.add_route("/static/{path:path}", Static())
    return falcon.testing.TestClient(app)


@pytest.fixture(scope="module")
def page() -> str:
    return query_page(ENDPOINT, static_url="/static/", examples=EXAMPLES, prefixes=PREFIXES)


# -- Static ----------------------------------------------------------------------------------
def test_bundle_is_served_with_its_content_type(client):
    js = client.simulate_get("/static/yasgui/yasgui.min.js")
    assert js.status_code == 200
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert js.content == (STATIC_DIR / "yasgui" / "yasgui.min.js").read_bytes()
    assert "max-age=" in js.headers["Cache-Control"]
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    css = client.simulate_get("/static/yasgui/yasgui.min.css", params={"v": "abc"})
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "max-age=31536000" in css.headers["Cache-Control"]
    for name, media in (("LICENSE", None), ("README.md", "text/markdown"), ("THIRD-PARTY-LICENSES.txt", "text/plain")):
        answer = client.simulate_get(f"/static/yasgui/{name}")
        if media is None:  # no extension: not a type we serve
            assert answer.status_code == 404
        else:
            assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(media)


def test_conditional_get_and_head(client):
    first = client.simulate_get("/static/yasgui/yasgui.min.css")
    again = client.simulate_get("/static/yasgui/yasgui.min.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.content
    head = client.simulate_head("/static/yasgui/yasgui.min.css")
    assert head.status_code == 200 and not head.content
    assert int(head.headers["Content-Length"]) == len(first.content)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../ui.py",
        "/static/../../pyproject.toml",
        "/static/yasgui/../../ui.py",
        "/static/yasgui/../../app.py",
        "/static/%2e%2e/ui.py",
        "/static/yasgui/%2e%2e/%2e%2e/ui.py",
        "/static/..%2fui.py",
        "/static/..%5cui.py",
        "/static/yasgui/.hidden.js",
        "/static//etc/passwd",
        "/static/%2Fetc%2Fpasswd",
        "/static/yasgui",
        "/static/yasgui/",
        "/static/yasgui/missing.js",
        "/static/yasgui/yasgui.min.js%00.txt",
        "/static/ui.py",
    ],
)
def test_traversal_and_unknown_files_are_404(client, path):
    answer = client.simulate_get(path)
    assert answer.status_code == 404, (path, answer.status_code)
    assert b"import" not in answer.content


def test_traversal_never_reaches_the_file_system_outside_root(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.js").write_text("1")
    (tmp_path / "secret.js").write_text("secret")
    (root / "link.js").symlink_to(tmp_path / "secret.js")
    static = Static(root)
    assert static.locate("ok.js") == (root / "ok.js").resolve()
    for path in ("../secret.js", "link.js", "./ok.js", "", "a//ok.js", "..", "ok.js/"):
        assert static.locate(path) is None, path


# -- the page --------------------------------------------------------------------------------
class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.forms: list[dict[str, str | None]] = []
        self.textareas: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for attr in ("src", "href", "action"):
            if attributes.get(attr) is not None:
                self.refs.append((tag, attr, attributes[attr]))
        if tag == "form":
            self.forms.append(attributes)
        if tag == "textarea":
            self.textareas.append(attributes.get("name"))


def test_page_points_at_the_endpoint_and_lists_examples_and_prefixes(page):
    assert page.startswith("<!DOCTYPE html>") and "<title>" in page and page.rstrip().endswith("</html>")
    assert ENDPOINT in page
    for name, query in EXAMPLES:
        assert _html_escaped(name) in page
        assert _html_escaped(query) in page  # shown in the examples list
    for prefix, iri in PREFIXES.items():
        assert f"<code>{prefix}:</code>" in page and iri in page
        assert f"PREFIX {prefix}: &lt;{iri}&gt;" in page  # in the default query of the plain form
    config = re.search(r'<script type="application/json" id="ui-config">(.*?)</script>', page, re.S)
    import json

    settings = json.loads(config.group(1))
    assert settings["endpoint"] == ENDPOINT
    assert settings["prefixes"] == PREFIXES
    assert settings["query"].startswith("PREFIX schema: <http://schema.org/>\nPREFIX le:")
    assert 'method: "POST"' in page
    assert "prefixCcApi: null" in page and '["property", "class"]' in page


def test_examples_load_into_the_editor_and_work_without_javascript(page):
    links = re.findall(r'<a class="example" href="([^"]*)" data-query="([^"]*)">', page)
    assert len(links) == len(EXAMPLES)
    for (href, data), (_, query) in zip(links, EXAMPLES):
        assert unescape(href).startswith(ENDPOINT + "?query=")
        loaded = unescape(data)
        assert loaded.endswith(query + "\n") and "PREFIX schema: <http://schema.org/>" in loaded


def test_plain_form_fallback(page):
    refs = _Refs()
    refs.feed(page)
    assert refs.forms == [{"method": "get", "action": ENDPOINT}]
    assert refs.textareas == ["query"]
    assert "<noscript>" in page


def test_page_loads_nothing_from_other_hosts(page):
    refs = _Refs()
    refs.feed(page)
    scripts = [v for tag, attr, v in refs.refs if tag == "script"]
    styles = [v for tag, attr, v in refs.refs if tag == "link"]
    assert scripts and styles
    for url in scripts + styles:
        assert url.startswith("/static/"), url
    for tag, attr, url in refs.refs:
        if re.match(r"(?i)(https?:)?//", url):
            assert url.startswith(ENDPOINT), (tag, attr, url)
    assert not re.search(r"(?i)@import|url\(\s*['\"]?(https?:)?//", page)


def test_static_urls_resolve_through_static(client, page):
    refs = _Refs()
    refs.feed(page)
    for tag, attr, url in refs.refs:
        if url.startswith("/static/"):
            answer = client.simulate_get(url.split("?")[0], query_string=url.partition("?")[2])
            assert answer.status_code == 200, url
            assert "immutable" in answer.headers["Cache-Control"]


def test_bundle_has_no_cdn_or_font_fetches():
    css = (STATIC_DIR / "yasgui" / "yasgui.min.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css
    js = (STATIC_DIR / "yasgui" / "yasgui.min.js").read_text(encoding="utf-8")
    for host in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "fonts.googleapis", "fonts.gstatic"):
        assert host not in js


def test_page_escapes_what_it_is_given():
    page = query_page(
        "/sparql?x=1&y=2",
        static_url="/static",
        examples=[("</script><script>alert(1)</script>", "SELECT * { ?s ?p '</script>' }")],
        prefixes={"ex": "http://example.org/<x>"},
    )
    assert "<script>alert(1)" not in page
    assert page.count("</script>") == 3  # the config, the bundle, the inline script
    assert 'action="/sparql?x=1&amp;y=2"' in page
    assert 'src="/static/yasgui/yasgui.min.js?v=' in page


def _html_escaped(text: str) -> str:
    from html import escape

    return escape(text.strip())


def test_static_route_inside_the_real_app():
    """The add_route line from the module docstring, on the real app with its middleware."""
    from endpoint.app import Settings, create_app
    from ld.store import OxigraphStore

    app = create_app(OxigraphStore(), Settings())
    app.add_route("/static/{path:path}", Static())
    client = falcon.testing.TestClient(app)
    for _ in range(2):  # the second answer may come from the response cache
        js = client.simulate_get("/static/yasgui/yasgui.min.js")
        assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
        assert len(js.content) == (STATIC_DIR / "yasgui" / "yasgui.min.js").stat().st_size
    assert client.simulate_get("/static/../ui.py").status_code == 404
    assert client.simulate_get("/static/%2e%2e/app.py").status_code == 404
    assert client.simulate_get("/sparql", params={"query": "ASK {}"}).status_code == 200
