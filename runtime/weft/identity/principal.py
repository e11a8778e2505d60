"""Who is calling: the `Principal` a request authenticated as, the reasons a
request is refused, and the accessors handlers use to read the principal.

`AuthRejection` mirrors Verum's `core.net.weft.spiffe.AuthRejection` plus
`Denied`: the caller proved who it is, and policy does not admit it (403),
which differs from failing to prove anything (401).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Final, TypeAlias, final

from weft.errors import ExtractRejection, problem
from weft.extract.base import Getter, ParamInfo, split_optional
from weft.http_types import Request, Response
from weft.identity.spiffe_id import SpiffeId

__all__ = ["PRINCIPAL_KEY", "AuthMode", "AuthRejection", "Caller", "FromPrincipal", "NoPrincipal",
           "Principal", "RejectionKind", "principal_of", "require_principal"]

PRINCIPAL_KEY: Final = "weft.principal"


class AuthMode(enum.Enum):
    """How the principal proved its identity."""

    MTLS = "mtls"
    JWT = "jwt"


@final
@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated workload."""

    id: SpiffeId
    mode: AuthMode

    def matches(self, pattern: str) -> bool:
        """See `SpiffeId.matches`."""
        return self.id.matches(pattern)


class RejectionKind(enum.Enum):
    """Verum's `AuthRejection` variants, plus `DENIED` (403)."""

    MISSING_CREDENTIAL = "missing_credential"
    INVALID_CREDENTIAL = "invalid_credential"
    EXPIRED = "expired"
    UNTRUSTED_SOURCE = "untrusted_source"
    DENIED = "denied"


@final
@dataclass(frozen=True, slots=True)
class AuthRejection:
    """Why a request was refused; `detail` is a fixed phrase, safe to show."""

    kind: RejectionKind
    detail: str

    @property
    def http_status(self) -> int:
        return 403 if self.kind is RejectionKind.DENIED else 401

    def public_message(self) -> str:
        return self.detail

    def into_response(self, realm: str = "weft", bearer: bool = True) -> Response:
        headers: list[tuple[str, str]] = []
        if self.http_status == 401 and bearer:
            challenge = f'Bearer realm="{realm}"'
            if self.kind is not RejectionKind.MISSING_CREDENTIAL:
                challenge += f', error="invalid_token", error_description="{self.detail}"'
            headers.append(("www-authenticate", challenge))
        return problem(self.http_status, detail=self.detail, headers=headers)


def principal_of(request: Request) -> Principal | None:
    """The request's principal, or None when no `SpiffeAuthLayer` admitted it."""
    found = request.extensions.get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else None


@final
class NoPrincipal(ExtractRejection):
    """A handler asked for the caller, and no identity layer ran before it."""

    _status = 401

    def public_message(self) -> str:
        return "this endpoint needs an authenticated workload identity"


def require_principal(request: Request) -> Principal:
    """The request's principal, or a `NoPrincipal` rejection (401)."""
    found = principal_of(request)
    if found is None:
        raise NoPrincipal()
    return found


@final
@dataclass(frozen=True, slots=True)
class FromPrincipal:
    """Extractor marker: fills a `Principal` or `SpiffeId` parameter (or
    `... | None`, which is None for an anonymous request)."""

    def bind(self, param: ParamInfo) -> Getter:
        target, nullable = split_optional(param.type)
        optional = nullable or param.default is None
        wants_id = target is SpiffeId

        def get(request: Request) -> object:
            found = principal_of(request)
            if found is None:
                if optional:
                    return None
                raise NoPrincipal()
            return found.id if wants_id else found

        return get




#: handler parameter type for the caller's SPIFFE ID: `def h(caller: Caller)`
Caller: TypeAlias = Annotated[SpiffeId, FromPrincipal()]
