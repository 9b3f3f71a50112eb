"""Who is asking: the identity that decides which drafts and admin-only fields a caller sees.

Until the write API lands, identities come from API keys configured at start-up (``ld serve
--keys``); tests construct them directly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ld.errors import LdError


@dataclass(frozen=True)
class Identity:
    user: str | None = None
    admin_organizations: frozenset[str] = frozenset()   # organization ids, descendants included
    member_organizations: frozenset[str] = frozenset()  # regular membership: own drafts only
    registration_admin_organizations: frozenset[str] = frozenset()
    superuser: bool = False
    sparql_update: bool = False                          # may run SPARQL Update on /sparql

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    def can_edit(self, publisher: str | None, *, draft: bool) -> bool:
        if self.superuser:
            return True
        if publisher in self.admin_organizations:
            return True
        return draft and publisher in self.member_organizations


ANONYMOUS = Identity()


@dataclass(frozen=True)
class Keys:
    """API key -> identity, read from a JSON file: {"<key>": {"user": .., "admin_organizations": [..], ...}}."""

    by_key: dict[str, Identity] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str | Path) -> "Keys":
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LdError(f"cannot read API keys from {path}: {exc}") from exc
        keys = {}
        for key, spec in raw.items():
            keys[key] = Identity(
                user=spec.get("user", key[:4] + "…"),
                admin_organizations=frozenset(spec.get("admin_organizations", ())),
                member_organizations=frozenset(spec.get("member_organizations", ())),
                registration_admin_organizations=frozenset(spec.get("registration_admin_organizations", ())),
                superuser=bool(spec.get("superuser", False)),
                sparql_update=bool(spec.get("sparql_update", spec.get("superuser", False))),
            )
        return cls(keys)

    def identify(self, key: str | None) -> Identity | None:
        """The identity of a key; None for an unknown key (the caller answers 401)."""
        if not key:
            return ANONYMOUS
        return self.by_key.get(key)
