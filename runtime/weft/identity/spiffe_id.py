"""SPIFFE IDs: `spiffe://trust-domain/path`, parsed exactly as the SPIFFE-ID
specification allows, so two spellings of one identity cannot both pass.

Rules: the scheme is lower-case `spiffe`; the trust domain is non-empty and
uses `[a-z0-9._-]` only (no port, no user info, no upper case); the path is
empty or `/`-separated segments of `[A-Za-z0-9._-]`, none empty, `.` or
`..` (so no trailing slash); no query or fragment; at most 2048 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, final

__all__ = ["SpiffeId", "SpiffeIdError"]

_PREFIX: Final = "spiffe://"
_TRUST_DOMAIN = re.compile(r"[a-z0-9._-]+\Z")
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+\Z")
_MAX_BYTES: Final = 2048


class SpiffeIdError(ValueError):
    """The text is not a SPIFFE ID; the message says which rule it breaks."""


@final
@dataclass(frozen=True, slots=True, order=True)
class SpiffeId:
    """A workload identity; `path` is `""` or starts with `/`."""

    trust_domain: str
    path: str = ""

    def __post_init__(self) -> None:
        if not _TRUST_DOMAIN.match(self.trust_domain):
            raise SpiffeIdError(
                f"trust domain {self.trust_domain!r} must be [a-z0-9._-]+ (lower case, no port)")
        if self.path:
            if not self.path.startswith("/"):
                raise SpiffeIdError("a SPIFFE ID path starts with '/'")
            for segment in self.path[1:].split("/"):
                if not segment:
                    raise SpiffeIdError("a SPIFFE ID path has no empty segment or trailing '/'")
                if segment in (".", ".."):
                    raise SpiffeIdError("a SPIFFE ID path has no '.' or '..' segment")
                if not _SEGMENT.match(segment):
                    raise SpiffeIdError(f"path segment {segment!r} must be [A-Za-z0-9._-]+")
        if len(self.to_text().encode()) > _MAX_BYTES:
            raise SpiffeIdError("a SPIFFE ID is at most 2048 bytes")

    @classmethod
    def parse(cls, text: str) -> SpiffeId:
        """The ID `text` spells, or `SpiffeIdError`."""
        if not text.startswith(_PREFIX):
            raise SpiffeIdError("a SPIFFE ID starts with 'spiffe://' (lower case)")
        rest = text[len(_PREFIX):]
        slash = rest.find("/")
        domain, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
        if not domain:
            raise SpiffeIdError("a SPIFFE ID names a trust domain")
        return cls(domain, path)

    def to_text(self) -> str:
        return f"{_PREFIX}{self.trust_domain}{self.path}"

    def __str__(self) -> str:
        return self.to_text()

    def matches(self, pattern: str) -> bool:
        """Whether this ID is within `pattern`: `spiffe://td` covers the whole
        trust domain, `spiffe://td/ns/prod` covers that path and the paths
        under it, segment by segment (not `/ns/production`)."""
        if not pattern.startswith(_PREFIX):
            return False
        rest = pattern[len(_PREFIX):]
        slash = rest.find("/")
        domain, prefix = (rest, "") if slash < 0 else (rest[:slash], rest[slash:].rstrip("/"))
        if domain != self.trust_domain:
            return False
        return not prefix or self.path == prefix or self.path.startswith(prefix + "/")
