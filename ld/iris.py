"""Entity IRIs: minted from the configured base URL, recognized whatever host they name.

Input records mix api.hel.fi, test and localhost hosts and old ``?format=json`` suffixes, so a
reference is resolved by its resource type and id alone.
"""
from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

# URL segments that can appear in references; registrations are referenced but not served yet.
SEGMENTS = frozenset(
    ("event", "place", "keyword", "keyword_set", "organization", "language", "image", "data_source", "registration")
)
API_PATH = "/linkedevents/v1/"
COURSES_PATH = "/linkedcourses/v1/"


class Iris:
    """Mints and parses entity IRIs under one base URL.

    >>> iris = Iris("http://127.0.0.1:8000/")
    >>> iris.entity("keyword", "yso:p1808")
    'http://127.0.0.1:8000/linkedevents/v1/keyword/yso:p1808/'
    >>> Iris.parse("https://api.hel.fi/linkedcourses/v1/place/tprek:8020/?format=json")
    ('place', 'tprek:8020')
    >>> Iris.parse("ahjo:00001") is None
    True
    """

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.api_root = self.base + API_PATH

    def entity(self, resource: str, entity_id: str | int) -> str:
        return f"{self.api_root}{resource}/{quote(str(entity_id), safe=':@!$&()*+,;=-._~')}/"

    def list(self, resource: str, mount: str = API_PATH) -> str:
        return f"{self.base}{mount}{resource}/"

    @staticmethod
    def parse(url: str) -> tuple[str, str] | None:
        """The (resource, id) a URL names, or None when it names no entity."""
        if "/" not in url:
            return None
        parts = [p for p in urlsplit(url).path.split("/") if p]
        if len(parts) < 2 or parts[-2] not in SEGMENTS:
            return None
        return parts[-2], unquote(parts[-1])
