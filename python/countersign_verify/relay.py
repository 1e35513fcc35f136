"""Requests forwarded by the Countersign relay: verify the relay's signature, then read the envelope.

The relay forwards a logged-in user's call as a JSON body, skapi's shape plus a request id::

    {"user": {"user_id": "…", …}, "data": …, "request": {"id": "…", "time": 1700000000}}

signed with RFC 9421 (tag ``countersign-relay``) over ``@method``, ``@target-uri``,
``content-digest`` and ``content-type``, so the user's identity is bound to the method, the
target and the body. A skapi-compatible relay may also send ``api_key``; it is accepted and
ignored (the signature is what proves the request).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Union

from .components import HttpMessage
from .errors import VerificationError
from .nonces import NonceStore
from .verify import KeySource, Verified, as_header_list, resolve_nonce_store, verify_with_store

__all__ = [
    "RELAY_TAG",
    "RELAY_COMPONENTS",
    "RelayRequest",
    "verify_relay_request",
    "parse_relay_envelope",
]

#: The ``tag`` parameter of relay signatures.
RELAY_TAG = "countersign-relay"
#: What every relay signature must cover.
RELAY_COMPONENTS: tuple[str, ...] = ("@method", "@target-uri", "content-digest", "content-type")

_TOP_LEVEL = {"user", "data", "request"}
_OPTIONAL_TOP_LEVEL = {"api_key"}
_REQUEST_MEMBERS = {"id", "time"}

Json = Union[None, bool, int, float, str, list, dict]


@dataclass(frozen=True)
class RelayRequest:
    """A verified relayed request."""

    user: dict[str, Any]
    """The user the relay authenticated; ``user["user_id"]`` is a non-empty string."""
    data: Json
    """What the client sent (``secureRequest({data})``)."""
    request_id: str
    """The relay's id for this request (log it; it is also in the relay's logs)."""
    request_time: Union[int, float, str]
    """When the relay forwarded it, as the relay wrote it (Unix seconds, or an RFC 3339 string)."""
    verified: Verified
    """The signature check's result (``key_id``, ``algorithm``, ``params``, ``body``)."""


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate JSON member {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_relay_envelope(body: bytes) -> tuple[dict[str, Any], Json, str, Union[int, float, str]]:
    """Parses a relay envelope strictly: ``(user, data, request_id, request_time)``.

    UTF-8 JSON, no duplicate members, no ``NaN``/``Infinity``; exactly ``user``, ``data`` and
    ``request`` (plus an optional ``api_key``, ignored); ``user`` an object with a non-empty
    string ``user_id``; ``request`` exactly ``{id: non-empty string, time: number or string}``.
    Raises ``VerificationError('invalid_json')`` for bytes that are not such JSON and
    ``VerificationError('malformed')`` for JSON of another shape.
    """
    try:
        text = bytes(body).decode("utf-8")
        envelope = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise VerificationError("invalid_json", "the relay envelope is not valid JSON") from None
    if not isinstance(envelope, dict):
        raise VerificationError("malformed", "the relay envelope is not a JSON object")
    keys = set(envelope)
    if not _TOP_LEVEL <= keys or keys - _TOP_LEVEL - _OPTIONAL_TOP_LEVEL:
        raise VerificationError(
            "malformed", "the relay envelope must hold exactly user, data and request"
        )
    user, request = envelope["user"], envelope["request"]
    if (
        not isinstance(user, dict)
        or not isinstance(user.get("user_id"), str)
        or user["user_id"] == ""
    ):
        raise VerificationError("malformed", "the relay envelope's user has no user_id")
    if not isinstance(request, dict) or set(request) != _REQUEST_MEMBERS:
        raise VerificationError("malformed", "the relay envelope's request must be {id, time}")
    request_id, request_time = request["id"], request["time"]
    if not isinstance(request_id, str) or request_id == "":
        raise VerificationError("malformed", "the relay envelope's request id is not a string")
    if (
        isinstance(request_time, bool)
        or not isinstance(request_time, (int, float, str))
        or (isinstance(request_time, str) and request_time == "")
    ):
        raise VerificationError("malformed", "the relay envelope's request time is not a time")
    return user, envelope["data"], request_id, request_time


def verify_relay_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    keys: KeySource,
    relay_tag: str = RELAY_TAG,
    max_age: float | None = 300,
    max_future: float | None = 60,
    now: float | None = None,
    nonce_store: NonceStore | None = None,
    replay_protection: bool = True,
    require_nonce: bool | None = None,
    label: str | None = None,
    nonce_seen: Callable[[str], bool] | None = None,
) -> RelayRequest:
    """Verifies a request forwarded by the Countersign relay and returns its envelope.

    Runs :func:`verify_request` with ``tag=relay_tag`` and the required components
    ``@method @target-uri content-digest content-type``, checks that the body is
    ``application/json``, then parses the envelope (:func:`parse_relay_envelope`).

    Replay protection is on by default, as the relay envelope spec requires: a ``nonce`` is
    required (``require_nonce=False`` relaxes that) and consumed in ``nonce_store`` (default:
    the in-memory :class:`NonceCache` shared by the process; give every process of one API the
    same shared store).
    ``replay_protection=False`` turns it off and warns (:class:`ReplayProtectionDisabledWarning`).

    Raises :class:`VerificationError`: the codes of :func:`verify_request`, plus
    ``unsupported_media_type`` (415) when the body is not JSON, ``invalid_json`` and
    ``malformed`` for a bad envelope.
    """
    if not isinstance(method, str) or not isinstance(url, str):
        raise TypeError("method and url must be strings")
    headers = as_header_list(headers)
    store = resolve_nonce_store(nonce_store, nonce_seen, replay_protection, stacklevel=2)
    verified = verify_with_store(
        HttpMessage(headers=headers, method=method, url=url),
        body,
        keys=keys,
        store=store,
        require_nonce=require_nonce is not False,
        required_components=RELAY_COMPONENTS,
        max_age=max_age,
        max_future=max_future,
        now=now,
        label=label,
        tag=relay_tag,
        structured_fields=None,
    )
    content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
    media_type = content_type.split(";", 1)[0].strip(" \t").lower()
    if media_type != "application/json":
        raise VerificationError(
            "unsupported_media_type", "a relayed request must be application/json"
        )
    if not verified.body:
        raise VerificationError("malformed", "a relayed request has no body")
    user, data, request_id, request_time = parse_relay_envelope(verified.body)
    return RelayRequest(user, data, request_id, request_time, verified)
