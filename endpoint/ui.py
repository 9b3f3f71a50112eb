"""The SPARQL query page for people, and the static files it needs.

The page (:func:`query_page`) is YASGUI (``@zazuko/yasgui``, vendored under ``endpoint/static/yasgui/``,
see its README.md) pointed at this server's endpoint: a syntax-highlighting editor, predeclared
prefixes, example queries one click away. Nothing is loaded from another host: the script and the
stylesheet come from ``/static/``, and the YASGUI features that would call other hosts (Linked Open
Vocabularies autocompletion, prefix.cc, the DBpedia/Wikidata endpoint suggestions, an endpoint taken
from the page URL) are switched off by the page's own script. Without JavaScript the page still
works: the examples are plain links to the endpoint and a plain ``<form method=get>`` sends the
query.

:class:`Static` serves ``endpoint/static/``. Mount it with falcon 4's ``path`` converter, which
takes the rest of the URL, slashes included::

    app.add_route("/static/{path:path}", Static())

and give the page the same prefix::

    query_page(endpoint, static_url="/static/", examples=EXAMPLES, prefixes=PREFIXES)
"""
from __future__ import annotations

import hashlib
import json
import re
from email.utils import formatdate
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlencode

import falcon

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/static/"
YASGUI_JS = "yasgui/yasgui.min.js"
YASGUI_CSS = "yasgui/yasgui.min.css"

#: What :class:`Static` serves, by file extension; anything else is a 404.
CONTENT_TYPES: dict[str, str] = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
}
# The page asks for ``yasgui.min.js?v=<hash of the file>``, so a new bundle gets a new URL and the
# old one may be kept for a year. A file named without ``v=`` is still cached for a day only.
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=86400"
_SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]*\Z")


class Static:
    """GET/HEAD for files under ``root`` (``endpoint/static/``), and nothing outside it.

    Each segment of the path must be a plain name (letters, digits, ``_ . @ + -``, not starting with
    a dot): ``..`` (also as ``%2e%2e``: falcon decodes the path first), ``.``, empty segments,
    hidden files and backslashes are refused with a 404 before the file system is touched, and the resolved file must still lie under the
    resolved root (so a symlink cannot lead out). Only the extensions in :data:`CONTENT_TYPES` are
    served. Answers carry an ETag and Last-Modified; a matching If-None-Match gets a 304.
    """

    allow = "GET, HEAD, OPTIONS"

    def __init__(self, root: Path | str = STATIC_DIR) -> None:
        self.root = Path(root).resolve()

    def on_get(self, req: falcon.Request, resp: falcon.Response, path: str = "") -> None:
        file = self.locate(path)
        if file is None:
            raise falcon.HTTPNotFound()
        stat = file.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        resp.set_header("ETag", etag)
        resp.set_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        resp.set_header("Cache-Control", LONG_CACHE if req.get_param("v") else SHORT_CACHE)
        resp.set_header("X-Content-Type-Options", "nosniff")
        if _matches(req.get_header("If-None-Match"), etag):
            resp.status = falcon.HTTP_304
            resp.content_type = None  # a 304 has no body, so no Content-Type (PEP 3333 lint)
            return
        resp.content_type = CONTENT_TYPES[file.suffix.lower()]
        if req.method == "HEAD":
            resp.content_length = stat.st_size
            return
        resp.data = file.read_bytes()

    on_head = on_get

    def locate(self, path: str) -> Path | None:
        """The file ``path`` names under the root, or None when it is not one we may serve."""
        parts = path.split("/")
        if not path or not all(_SAFE_PART.match(part) for part in parts):
            return None
        if Path(parts[-1]).suffix.lower() not in CONTENT_TYPES:
            return None
        try:
            file = self.root.joinpath(*parts).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not file.is_relative_to(self.root) or not file.is_file():
            return None
        return file


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


@lru_cache(maxsize=16)
def _version(file: Path, mtime_ns: int) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


def static_href(static_url: str, name: str, root: Path = STATIC_DIR) -> str:
    """``static_url`` + ``name``, with ``?v=`` a hash of the file (cache busting) when it exists."""
    href = static_url.rstrip("/") + "/" + name
    file = root / name
    try:
        return f"{href}?v={_version(file, file.stat().st_mtime_ns)}"
    except OSError:
        return href


# -- the page ------------------------------------------------------------------------------
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem 2rem;color:#222;max-width:90rem}
h1{margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:1.2rem 0 .4rem}
code,pre,textarea{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#f4f4f4;padding:0 .2rem}
.columns{display:flex;gap:2rem;flex-wrap:wrap}.columns>section{flex:1 1 24rem}
#examples{list-style:none;padding:0;margin:0}#examples li{margin:.25rem 0}
#examples a.example{display:inline-block;border:1px solid #bbb;border-radius:4px;padding:.2rem .6rem;
background:#f7f7f7;color:#124;text-decoration:none}
#examples a.example:hover,#examples a.example:focus{background:#e8eef6;border-color:#6b8fbf}
details pre{background:#f7f7f7;padding:.4rem;overflow:auto;margin:.3rem 0 .6rem}
#prefixes{font-size:.9rem;border-collapse:collapse}
#prefixes td{padding:.1rem .6rem .1rem 0;vertical-align:top}#prefixes td:first-child{font-weight:600}
#yasgui{margin-top:1rem;min-height:2rem}
#fallback textarea{width:100%;max-width:60rem;box-sizing:border-box}
"""

# Runs after the bundle; if the bundle did not load, the plain form stays and nothing else happens.
_SCRIPT = r"""
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("ui-config").textContent);
  var Yasgui = window.Yasgui;
  if (!Yasgui || !Yasgui.Yasqe) { return; }
  var endpoint = new URL(cfg.endpoint, window.location.href).href;
  // No requests to other hosts: drop the autocompleters that ask Linked Open Vocabularies
  // (they are registered by default; the array must be changed in place, since YASGUI merges
  // arrays index by index) and keep prefix.cc off (the bundled prefix list is used instead).
  var defaults = Yasgui.Yasqe.defaults;
  ["property", "class"].forEach(function (name) {
    var i = defaults.autocompleters.indexOf(name);
    if (i >= 0) { defaults.autocompleters.splice(i, 1); }
    delete Yasgui.Yasqe.Autocompleters[name];
  });
  defaults.prefixCcApi = null;
  // The prefix autocompleter (type "schema:" and the PREFIX line is added) offers this
  // endpoint's prefixes before the list bundled with YASGUI, and keeps no copy in localStorage.
  var names = Object.keys(cfg.prefixes);
  var completer = Yasgui.Yasqe.Autocompleters.prefixes;
  if (completer && typeof completer.get === "function") {
    var bundled = completer.get;
    completer.persistenceId = null;
    completer.get = function (editor) {
      return Promise.resolve(bundled.call(this, editor)).then(function (list) {
        var mine = names.map(function (p) { return p + ": <" + cfg.prefixes[p] + ">"; });
        return mine.concat((list || []).filter(function (line) {
          return names.indexOf(String(line).split(":")[0]) < 0;
        }));
      });
    };
  }
  function withPrologue(query) {
    var missing = names.filter(function (p) {
      return !new RegExp("(^|\\s)PREFIX\\s+" + p.replace(/[.\-]/g, "\\$&") + ":", "i").test(query);
    });
    if (!missing.length) { return query; }
    return missing.map(function (p) { return "PREFIX " + p + ": <" + cfg.prefixes[p] + ">\n"; }).join("") + "\n" + query;
  }
  function ours(config) {
    // A shared link may carry endpoint= and headers=: keep its query, not where it goes.
    var rc = Object.assign({}, config.requestConfig || {});
    rc.endpoint = endpoint;
    rc.method = "POST";
    delete rc.headers;
    config.requestConfig = rc;
    if (config.yasqe && typeof config.yasqe.value === "string") {
      config.yasqe.value = withPrologue(config.yasqe.value);
    }
    return config;
  }
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    persistenceId: null,
    copyEndpointOnNewTab: true,
    populateFromUrl: ours,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: cfg.query, prefixCcApi: null, autofocus: false, collapsePrefixesOnLoad: true },
    yasr: { prefixes: cfg.prefixes }
  });
  yasgui.config.requestConfig.endpoint = endpoint;
  yasgui.config.requestConfig.method = "POST";
  var fallback = document.getElementById("fallback");
  if (fallback) { fallback.hidden = true; }
  var links = document.querySelectorAll("a.example[data-query]");
  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      event.preventDefault();
      var tab = yasgui.getTab();
      if (!tab) { tab = yasgui.addTab(true); }
      tab.setEndpoint(endpoint);
      tab.setQuery(link.getAttribute("data-query"));
      var editor = tab.getYasqe();
      if (editor) { editor.collapsePrefixes(true); editor.focus(); }
      document.getElementById("yasgui").scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
})();
"""

_DEFAULT_QUERY = "SELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n}\nLIMIT 10"


def prologue(prefixes: dict[str, str], query: str = "") -> str:
    """The PREFIX lines for ``prefixes`` that ``query`` does not declare itself."""
    declared = {m.group(1) for m in re.finditer(r"(?i)\bPREFIX\s+([\w.-]*):", query)}
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items() if p not in declared)


def with_prologue(query: str, prefixes: dict[str, str]) -> str:
    """``query`` with the missing PREFIX lines in front (the endpoint predeclares them anyway;
    spelling them out lets the editor and people see where each name comes from)."""
    lines = prologue(prefixes, query)
    return f"{lines}\n{query.strip()}\n" if lines else query.strip() + "\n"


def query_page(
    endpoint_url: str,
    *,
    static_url: str,
    examples: Iterable[tuple[str, str]],
    prefixes: dict[str, str],
    title: str = "Linked Events SPARQL endpoint",
    formats: Sequence[tuple[str, str]] = (),
) -> str:
    """A complete HTML page: YASGUI on ``endpoint_url`` (POST), the predeclared prefixes, the
    examples as links that load into the editor, and a plain GET form for browsers without
    JavaScript. ``static_url`` is where :class:`Static` is mounted (``"/static/"``).
    ``formats`` -- optional (``format=`` value, label) pairs for a format menu in the plain form."""
    examples = list(examples)
    default = with_prologue(examples[0][1] if examples else _DEFAULT_QUERY, prefixes)
    endpoint = escape(endpoint_url)
    config = {
        "endpoint": endpoint_url,
        "query": default,
        "prefixes": dict(prefixes),
    }
    # JSON inside <script>: "<" escaped so no "</script>" or "<!--" can end or confuse the element.
    config_json = json.dumps(config).replace("<", "\\u003c").replace("&", "\\u0026")
    prefix_rows = "\n".join(
        f"<tr><td><code>{escape(p)}:</code></td><td><code>{escape(iri)}</code></td></tr>"
        for p, iri in prefixes.items()
    )
    example_items = "\n".join(
        f'<li><a class="example" href="{endpoint}?{escape(urlencode({"query": query}))}"'
        f' data-query="{escape(with_prologue(query, prefixes))}">{escape(name)}</a>'
        f"<details><summary>show query</summary><pre>{escape(query.strip())}</pre></details></li>"
        for name, query in examples
    )
    format_menu = ""
    if formats:
        options = "".join(f'<option value="{escape(v)}">{escape(label)}</option>' for v, label in formats)
        format_menu = f' <label>Format <select name="format"><option value="">default</option>{options}</select></label>'
    css = escape(static_href(static_url, YASGUI_CSS))
    js = escape(static_href(static_url, YASGUI_JS))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{css}">
<style>{_STYLE}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p>Write a SPARQL 1.1 query below and run it with the ▶ button (or Ctrl+Enter). Queries go to
<code>{endpoint}</code> by POST; you can also send them yourself with GET <code>?query=</code> or POST,
from any SPARQL client. The prefixes listed here are predeclared: a query may use them without
PREFIX lines.</p>
<div class="columns">
<section>
<h2>Example queries</h2>
<ul id="examples">
{example_items}
</ul>
</section>
<section>
<h2>Predeclared prefixes</h2>
<table id="prefixes">
{prefix_rows}
</table>
</section>
</div>
<div id="yasgui"></div>
<section id="fallback">
<h2>Query form</h2>
<noscript><p>JavaScript is off: the editor is not available, but this form and the example links
above still run queries.</p></noscript>
<form method="get" action="{endpoint}">
<p><textarea name="query" rows="24" cols="100" spellcheck="false">{escape(default)}</textarea></p>
<p>{format_menu} <button type="submit">Run query</button></p>
</form>
</section>
<script type="application/json" id="ui-config">{config_json}</script>
<script src="{js}"></script>
<script>{_SCRIPT}</script>
</body>
</html>
"""
