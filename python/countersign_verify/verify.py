"""Request verification: RFC 9421 signatures and RFC 9530 Content-Digest, with Countersign's policy.

The policy and the order of checks are those of ``@countersign/verifier``'s ``verifyRequest``:

1. ``Host``, ``Content-Type``, ``Content-Digest``, ``Signature``, ``Signature-Input`` and
   ``Authorization`` may appear once (``duplicate_header``).
2. ``Signature-Input`` and ``Signature`` are parsed strictly (``malformed``).
3. Each signature (or only the one labelled ``label``) is checked against the policy before any
   crypto: ``tag``, ``created`` within ``max_age``/``max_future``, ``expires``, ``nonce``,
   ``keyid``, required components; then its key is resolved (the algorithm comes from the key;
   an ``alg`` parameter must agree), the signature base rebuilt and the signature verified.
   Every signature is tried (at most four cryptographically); the first that verifies is the
   result, and at least one must.
4. ``Content-Digest`` is recomputed over the exact body bytes.
5. Only then are the nonces of every signature that verified consumed, all at once, keyed by
   the nonce alone (``replayed`` if any was used): one signed request is accepted once,
   whichever subset of its signatures is presented. The store is the process-wide
   :class:`NonceCache` unless ``nonce_store`` is given; ``replay_protection=False`` (warned)
   turns it off.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import sf
from .base import components_of, signature_base
from .components import Component, HttpMessage, parse_component, validate_components
from .digest import parse_content_digest, verify_content_digest
from .errors import VerificationError
from .keys import Key
from .nonces import (
    NONCE_KEY_PREFIX,
    NonceCache,
    NonceStore,
    ReplayProtectionDisabledWarning,
    default_nonce_store,
)

__all__ = [
    "DEFAULT_REQUIRED_COMPONENTS",
    "SINGLE_FIELDS",
    "KeySource",
    "NonceCache",
    "NonceStore",
    "ReplayProtectionDisabledWarning",
    "Verified",
    "verify_request",
    "verify_message",
]

#: Covered by default: ``content-digest`` only when the body is not empty, ``content-type``
#: only when the request has one.
DEFAULT_REQUIRED_COMPONENTS: tuple[str, ...] = (
    "@method",
    "@target-uri",
    "content-digest",
    "content-type",
)
#: Fields that may appear on one line only: a second line changes what is authenticated.
SINGLE_FIELDS: tuple[str, ...] = (
    "host",
    "content-type",
    "content-digest",
    "signature",
    "signature-input",
    "authorization",
)
#: The longest ``Signature-Input`` or ``Signature`` value read, in characters.
MAX_SIGNATURE_FIELD_LENGTH = 8 * 1024
_MAX_VERIFY_ATTEMPTS = 4
_INT_PARAMS = ("created", "expires")
_STR_PARAMS = ("nonce", "alg", "keyid", "tag")

KeySource = Union[Callable[[str], Optional[Key]], Mapping[str, Key]]
"""Where keys come from: a function ``keyid -> Key | None`` or a mapping ``keyid -> Key``."""


@dataclass(frozen=True)
class Verified:
    """What a verified message proved."""

    key_id: str
    """The ``keyid`` of the signature that verified."""
    algorithm: str
    """The algorithm, taken from the key."""
    label: str
    """The label of the signature that verified."""
    components: list[str]
    """The covered components, as serialised identifiers (``'"@method"'``)."""
    params: dict[str, Any]
    """The signature parameters in received order (``created``, ``keyid``, ``nonce``, …)."""
    body: bytes
    """The body bytes, checked against ``Content-Digest`` when it is present."""


@dataclass(frozen=True)
class _Policy:
    required: list[Component]
    require_digest: bool
    require_type: bool
    max_age: float | None
    max_future: float | None
    require_nonce: bool
    label: str | None
    tag: str | None


def as_header_list(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(headers, (str, bytes, Mapping)) or not isinstance(headers, Iterable):
        raise TypeError("headers must be a list of (name, value) pairs")
    return list(headers)


def _index_fields(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for line in headers:
        if (
            not isinstance(line, (tuple, list))
            or len(line) != 2
            or not isinstance(line[0], str)
            or not isinstance(line[1], str)
        ):
            raise TypeError("headers must be a list of (name, value) string pairs")
        name = line[0].lower()
        if name in index and name in SINGLE_FIELDS:
            raise VerificationError("duplicate_header", f"{name} appears more than once")
        index.setdefault(name, []).append(line[1])
    return index


def _field(index: dict[str, list[str]], name: str) -> str | None:
    values = index.get(name)
    if values is None:
        return None
    return ", ".join(v.strip(" \t") for v in values)


def _compile_policy(
    required_components: Sequence[str],
    max_age: float | None,
    max_future: float | None,
    require_nonce: bool,
    label: str | None,
    tag: str | None,
) -> _Policy:
    if isinstance(required_components, str):
        raise TypeError("required_components must be a sequence of component names")
    try:
        parsed = [parse_component(c) for c in required_components]
        validate_components(parsed)
    except VerificationError as error:
        raise ValueError(f"required_components: {error.message}") from None
    for name, value in (("max_age", max_age), ("max_future", max_future)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
        ):
            raise ValueError(f"{name} must be a non-negative number of seconds, or None")
    if label is not None and not sf.is_key(label):
        raise ValueError("label must be a signature label ([a-z*][a-z0-9_.*-]*)")
    if tag is not None and (not isinstance(tag, str) or tag == ""):
        raise ValueError("tag must be a non-empty string")

    def plain(c: Component, name: str) -> bool:
        return c.name == name and not c.params

    return _Policy(
        required=[
            c for c in parsed if not plain(c, "content-digest") and not plain(c, "content-type")
        ],
        require_digest=any(plain(c, "content-digest") for c in parsed),
        require_type=any(plain(c, "content-type") for c in parsed),
        max_age=max_age,
        max_future=max_future,
        require_nonce=bool(require_nonce),
        label=label,
        tag=tag,
    )


def _parse_signature_fields(
    fields: dict[str, list[str]],
) -> tuple[dict[str, sf.InnerList], dict[str, bytes]]:
    """``Signature-Input`` (label to inner list of sf-strings) and ``Signature`` (label to bytes)."""
    input_value, signature_value = _field(fields, "signature-input"), _field(fields, "signature")
    if input_value is None or signature_value is None:
        raise VerificationError("signature_missing", "the message is not signed")
    if max(len(input_value), len(signature_value)) > MAX_SIGNATURE_FIELD_LENGTH:
        raise VerificationError("malformed", "Signature-Input or Signature is too long")
    inputs: dict[str, sf.InnerList] = {}
    for name, member in sf.parse_dictionary(input_value, unique=True).items():
        if not isinstance(member, sf.InnerList):
            raise VerificationError("malformed", f"Signature-Input {name} is not an inner list")
        if any(type(item.value) is not str for item in member.items):
            raise VerificationError(
                "malformed", f"Signature-Input {name}: a component is no string"
            )
        inputs[name] = member
    signatures: dict[str, bytes] = {}
    for name, item in sf.parse_dictionary(signature_value, unique=True).items():
        if not isinstance(item, sf.Item) or not isinstance(item.value, bytes):
            raise VerificationError("malformed", f"Signature {name} is not a byte sequence")
        signatures[name] = item.value
    return inputs, signatures


def _read_params(label: str, member: sf.InnerList) -> dict[str, Any]:
    for name, value in member.params.items():
        if name in _INT_PARAMS and (type(value) is not int or value < 0):
            raise VerificationError(
                "malformed", f"Signature-Input {label}: {name} must be a non-negative integer"
            )
        if name in _STR_PARAMS and type(value) is not str:
            raise VerificationError(
                "malformed", f"Signature-Input {label}: {name} must be a string"
            )
    return dict(member.params)


def _check_policy(
    policy: _Policy,
    label: str,
    components: list[Component],
    params: dict[str, Any],
    now: float,
    body_length: int,
    has_digest: bool,
    has_type: bool,
) -> None:
    if policy.tag is not None and params.get("tag") != policy.tag:
        raise VerificationError(
            "signature_missing", f"signature {label} does not carry the expected tag"
        )
    created, expires = params.get("created"), params.get("expires")
    if created is None:
        raise VerificationError("signature_invalid", f"signature {label} has no created parameter")
    if policy.max_future is not None and created > now + policy.max_future:
        raise VerificationError("signature_expired", f"signature {label} was created in the future")
    if policy.max_age is not None and created < now - policy.max_age:
        raise VerificationError(
            "signature_expired", f"signature {label} is older than {policy.max_age} seconds"
        )
    if expires is not None:
        if expires < created:
            raise VerificationError(
                "signature_invalid", f"signature {label} expires before it was created"
            )
        if now > expires:
            raise VerificationError("signature_expired", f"signature {label} has expired")
    if policy.require_nonce and "nonce" not in params:
        raise VerificationError("signature_invalid", f"signature {label} has no nonce")
    if "keyid" not in params:
        raise VerificationError("key_unknown", f"signature {label} has no keyid")
    covered = {c.key for c in components}
    for c in policy.required:
        if c.key not in covered:
            raise VerificationError("component_missing", f"signature {label} does not cover {c.id}")
    if policy.require_digest and body_length > 0:
        if not has_digest:
            raise VerificationError(
                "digest_missing", "the request has a body but no Content-Digest"
            )
        if "content-digest" not in covered:
            raise VerificationError(
                "component_missing", f"signature {label} does not cover content-digest"
            )
    if policy.require_type and has_type and "content-type" not in covered:
        raise VerificationError(
            "component_missing", f"signature {label} does not cover content-type"
        )


def _resolve_key(keys: KeySource, key_id: str, label: str, params: dict[str, Any]) -> Key:
    key = keys.get(key_id) if isinstance(keys, Mapping) else keys(key_id)
    if key is None:
        raise VerificationError("key_unknown", f"no key for signature {label}")
    if not isinstance(key, Key):
        raise TypeError("the key source must return a countersign_verify.Key or None")
    alg = params.get("alg")
    if alg is not None and alg != key.algorithm:
        raise VerificationError(
            "algorithm_mismatch", f"signature {label} names an algorithm its key does not use"
        )
    return key


class _SeenFunction:
    """Adapts the deprecated ``nonce_seen(value) -> bool`` hook to :class:`NonceStore`."""

    def __init__(self, seen: Callable[[str], bool]) -> None:
        self._seen = seen

    def consume_once(self, key: str, ttl: float | None) -> bool:
        return not self._seen(key)


def resolve_nonce_store(
    nonce_store: NonceStore | None,
    nonce_seen: Callable[[str], bool] | None,
    replay_protection: bool,
    stacklevel: int,
) -> NonceStore | None:
    """The store a verifier call uses (``None``: replay protection off, with a warning)."""
    if not isinstance(replay_protection, bool):
        raise TypeError("replay_protection must be True or False")
    if nonce_seen is not None:
        warnings.warn(
            "nonce_seen is deprecated: pass nonce_store (an object with consume_once(key, ttl))",
            DeprecationWarning,
            stacklevel=stacklevel + 1,
        )
        if not callable(nonce_seen):
            raise TypeError("nonce_seen must be a function value -> bool")
        if nonce_store is not None:
            raise ValueError("pass nonce_store or nonce_seen, not both")
        nonce_store = _SeenFunction(nonce_seen)
    if not replay_protection:
        if nonce_store is not None:
            raise ValueError("replay_protection=False and a nonce store contradict each other")
        warnings.warn(
            "replay_protection=False: a captured signed request can be replayed until it expires",
            ReplayProtectionDisabledWarning,
            stacklevel=stacklevel + 1,
        )
        return None
    if nonce_store is None:
        return default_nonce_store()
    if not callable(getattr(nonce_store, "consume_once", None)):
        raise TypeError("nonce_store must have consume_once(key, ttl) -> bool")
    return nonce_store


def _nonce_ttl(params: dict[str, Any], policy: _Policy, now: float) -> float | None:
    """Seconds until a signature with these parameters can no longer be accepted (at least 1)."""
    bounds = [params["expires"]] if "expires" in params else []
    if policy.max_age is not None:
        bounds.append(params["created"] + policy.max_age)
    if not bounds:
        return None
    return float(max(1, math.ceil(min(bounds) - now) + 1))


def _consume_nonces(
    store: NonceStore,
    verified: list[tuple[str, Any, dict[str, Any], Key]],
    policy: _Policy,
    now: float,
) -> None:
    """Records the nonces of every verified signature at once; ``replayed`` if any was used."""
    ttls: dict[str, float | None] = {}
    for _, _, params, _ in verified:
        if "nonce" not in params:
            continue
        nonce, ttl = params["nonce"], _nonce_ttl(params, policy, now)
        if nonce in ttls:  # the longest of the signatures that share it; None is for ever
            other = ttls[nonce]
            ttl = None if ttl is None or other is None else max(ttl, other)
        ttls[nonce] = ttl
    fresh = True
    for nonce in sorted(ttls):  # every one is recorded, even after a replay is found
        try:
            answer = store.consume_once(NONCE_KEY_PREFIX + nonce, ttls[nonce])
        except VerificationError:
            raise
        except Exception as error:  # the cause stays chained for the operator's logs
            raise VerificationError("store_unavailable", "the nonce store failed") from error
        if not isinstance(answer, bool):
            raise TypeError("nonce_store.consume_once must return True or False")
        fresh = fresh and answer
    if not fresh:
        raise VerificationError("replayed", "the request was already accepted")


def _verify_signatures(
    message: HttpMessage,
    body: bytes,
    keys: KeySource,
    policy: _Policy,
    now: float,
    structured_fields: dict[str, str] | None,
) -> list[tuple[str, list[Component], dict[str, Any], Key]]:
    """Every signature that passes the policy and verifies (at most four crypto checks)."""
    fields = _index_fields(as_header_list(message.headers))
    inputs, signatures = _parse_signature_fields(fields)
    digest_value = _field(fields, "content-digest")
    if digest_value is not None:
        parse_content_digest(digest_value)  # structure now; the digest once a signature verified
    crypto_attempts = 0  # bounds the work: at most four signatures are checked cryptographically

    def attempt(name: str) -> tuple[str, list[Component], dict[str, Any], Key]:
        nonlocal crypto_attempts
        member, signature = inputs.get(name), signatures.get(name)
        if member is None or signature is None:
            raise VerificationError("signature_missing", f"no complete signature labelled {name}")
        params = _read_params(name, member)
        components = components_of(member)
        has_digest, has_type = digest_value is not None, "content-type" in fields
        _check_policy(policy, name, components, params, now, len(body), has_digest, has_type)
        key = _resolve_key(keys, params["keyid"], name, params)
        base = signature_base(message, member, structured_fields=structured_fields)
        crypto_attempts += 1
        if not key.verify(base, signature):
            raise VerificationError("signature_invalid", f"signature {name} does not verify")
        return name, components, params, key

    if policy.label is not None:
        found = [attempt(policy.label)]
    else:
        found, first_error = [], None
        for name in inputs:
            if crypto_attempts >= _MAX_VERIFY_ATTEMPTS:
                break
            try:
                found.append(attempt(name))
            except VerificationError as error:
                first_error = first_error or error
        if not found:
            raise first_error or VerificationError("signature_missing", "no signature")
    if digest_value is not None:
        verify_content_digest(digest_value, body)
    return found


def verify_with_store(
    message: HttpMessage,
    body: bytes,
    *,
    keys: KeySource,
    store: NonceStore | None,
    require_nonce: bool,
    required_components: Sequence[str],
    max_age: float | None,
    max_future: float | None,
    now: float | None,
    label: str | None,
    tag: str | None,
    structured_fields: dict[str, str] | None,
) -> Verified:
    """:func:`verify_message` once the nonce store is resolved (shared with the relay verifier)."""
    if not isinstance(keys, Mapping) and not callable(keys):
        raise TypeError("keys must be a function keyid -> Key | None, or a mapping")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("body must be bytes")
    policy = _compile_policy(required_components, max_age, max_future, require_nonce, label, tag)
    body = bytes(body)
    current = time.time() if now is None else float(now)
    verified = _verify_signatures(message, body, keys, policy, current, structured_fields)
    if store is not None:
        _consume_nonces(store, verified, policy, current)
    name, components, params, key = verified[0]
    return Verified(
        key_id=params["keyid"],
        algorithm=key.algorithm,
        label=name,
        components=[c.id for c in components],
        params=params,
        body=body,
    )


def verify_message(
    message: HttpMessage,
    body: bytes,
    *,
    keys: KeySource,
    required_components: Sequence[str] = DEFAULT_REQUIRED_COMPONENTS,
    max_age: float | None = 300,
    max_future: float | None = 60,
    now: float | None = None,
    nonce_store: NonceStore | None = None,
    replay_protection: bool = True,
    require_nonce: bool | None = None,
    label: str | None = None,
    tag: str | None = None,
    structured_fields: dict[str, str] | None = None,
    nonce_seen: Callable[[str], bool] | None = None,
) -> Verified:
    """Verifies a request or response message; :func:`verify_request` is the usual entry point.

    For a response (``message.status`` set), pass ``required_components`` that fit it (for
    example ``["@status", "content-digest"]``); ``message.request`` serves ``;req`` components.
    Options are those of :func:`verify_request`.
    """
    store = resolve_nonce_store(nonce_store, nonce_seen, replay_protection, stacklevel=2)
    if require_nonce is None:
        require_nonce = nonce_store is not None or nonce_seen is not None
    return verify_with_store(
        message,
        body,
        keys=keys,
        store=store,
        require_nonce=require_nonce,
        required_components=required_components,
        max_age=max_age,
        max_future=max_future,
        now=now,
        label=label,
        tag=tag,
        structured_fields=structured_fields,
    )


def verify_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    keys: KeySource,
    required_components: Sequence[str] = DEFAULT_REQUIRED_COMPONENTS,
    max_age: float | None = 300,
    max_future: float | None = 60,
    now: float | None = None,
    nonce_store: NonceStore | None = None,
    replay_protection: bool = True,
    require_nonce: bool | None = None,
    label: str | None = None,
    tag: str | None = None,
    structured_fields: dict[str, str] | None = None,
    nonce_seen: Callable[[str], bool] | None = None,
) -> Verified:
    """Verifies an RFC 9421 signed request and its RFC 9530 ``Content-Digest``.

    :param method: the request method as received (``"POST"``).
    :param url: the absolute target URI (``"https://api.example.com/orders?x=1"``): the scheme
        and ``Host`` the client used, and the request-line path and query exactly as received.
    :param headers: every field line as received, in order, as ``(name, value)`` pairs (for
        ``http.server``: ``handler.headers.items()``).
    :param body: the exact body bytes.
    :param keys: ``keyid -> Key | None`` function or mapping. The algorithm comes from the key.
    :param required_components: components every accepted signature must cover. Default
        ``@method @target-uri content-digest content-type``, where ``content-digest`` is needed
        only with a non-empty body and ``content-type`` only when the request has one.
    :param max_age: how old ``created`` may be, seconds (``None``: no limit).
    :param max_future: how far in the future ``created`` may be, seconds (``None``: no limit).
    :param now: the current Unix time (default ``time.time()``).
    :param nonce_store: where used nonces are remembered (:class:`NonceStore`); default: one
        in-memory :class:`NonceCache` shared by every call in this process. Every signature that
        verified has its ``nonce`` consumed, all at once, under the nonce alone (not per label
        or ``keyid``): a request is accepted at most once, whichever of its signatures are
        presented; ``replayed`` if any was already used. Several processes need a shared store.
    :param replay_protection: ``False`` turns the nonce check off (and warns with
        :class:`ReplayProtectionDisabledWarning`); only for callers that stop replays otherwise.
    :param require_nonce: whether a ``nonce`` parameter is required; default: when
        ``nonce_store`` is given.
    :param label: check only the signature with this label.
    :param tag: accept only signatures whose ``tag`` parameter equals this.
    :param structured_fields: extra ``{field: "item"|"list"|"dictionary"}`` types for ``;sf``.
    :param nonce_seen: deprecated (``DeprecationWarning``): ``f(key) -> bool``, ``True`` when
        already seen; use ``nonce_store``.
    :returns: :class:`Verified` (the first signature, in ``Signature-Input`` order, that verified).
    :raises VerificationError: with a stable ``code`` (``malformed``, ``duplicate_header``,
        ``component_unsupported``, ``signature_missing``, ``signature_invalid``,
        ``signature_expired``, ``component_missing``, ``digest_missing``, ``digest_mismatch``,
        ``replayed``, ``key_unknown``, ``algorithm_mismatch``; ``store_unavailable`` and
        ``store_full``, 503, when the nonce store fails) and an HTTP ``status``.
    :raises TypeError, ValueError: for invalid arguments (a bug in the caller).
    """
    if not isinstance(method, str) or not isinstance(url, str):
        raise TypeError("method and url must be strings")
    store = resolve_nonce_store(nonce_store, nonce_seen, replay_protection, stacklevel=2)
    if require_nonce is None:
        require_nonce = nonce_store is not None or nonce_seen is not None
    return verify_with_store(
        HttpMessage(headers=as_header_list(headers), method=method, url=url),
        body,
        keys=keys,
        store=store,
        require_nonce=require_nonce,
        required_components=required_components,
        max_age=max_age,
        max_future=max_future,
        now=now,
        label=label,
        tag=tag,
        structured_fields=structured_fields,
    )
