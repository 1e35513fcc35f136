"""Request verification: RFC 9421 signatures and RFC 9530 Content-Digest, with Countersign's policy.

The policy and the order of checks are those of ``@countersign/verifier``'s ``verifyRequest``:

1. ``Host``, ``Content-Type``, ``Content-Digest``, ``Signature``, ``Signature-Input`` and
   ``Authorization`` may appear once (``duplicate_header``).
2. ``Signature-Input`` and ``Signature`` are parsed strictly (``malformed``).
3. Each signature (or only the one labelled ``label``) is checked against the policy before any
   crypto: ``tag``, ``created`` within ``max_age``/``max_future``, ``expires``, ``nonce``,
   ``keyid``, required components; then its key is resolved (the algorithm comes from the key;
   an ``alg`` parameter must agree), the signature base rebuilt and the signature verified.
   The first signature that verifies wins; at most four are tried.
4. ``Content-Digest`` is recomputed over the exact body bytes.
5. Only then is the nonce consumed (``nonce_seen``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import sf
from .base import components_of, signature_base
from .components import Component, HttpMessage, parse_component, validate_components
from .digest import parse_content_digest, verify_content_digest
from .errors import VerificationError
from .keys import Key

__all__ = [
    "DEFAULT_REQUIRED_COMPONENTS",
    "SINGLE_FIELDS",
    "KeySource",
    "NonceCache",
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


class NonceCache:
    """A thread-safe in-memory ``nonce_seen`` for one process: remembers each value ``ttl`` seconds.

    ``cache(value)`` returns ``True`` when ``value`` was seen within ``ttl`` and records it
    otherwise. Bounded to ``max_entries`` (the oldest are dropped first). Behind a load
    balancer, use a shared store instead (for example Redis ``SET key 1 NX EX ttl``).
    """

    def __init__(self, ttl: float = 360, max_entries: int = 100_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) <= now:
                self._seen.popitem(last=False)
            if value in self._seen:
                return True
            if len(self._seen) >= self._max:
                self._seen.popitem(last=False)
            self._seen[value] = now + self._ttl
            return False


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


def verify_message(
    message: HttpMessage,
    body: bytes,
    *,
    keys: KeySource,
    required_components: Sequence[str] = DEFAULT_REQUIRED_COMPONENTS,
    max_age: float | None = 300,
    max_future: float | None = 60,
    now: float | None = None,
    nonce_seen: Callable[[str], bool] | None = None,
    require_nonce: bool | None = None,
    label: str | None = None,
    tag: str | None = None,
    structured_fields: dict[str, str] | None = None,
) -> Verified:
    """Verifies a request or response message; :func:`verify_request` is the usual entry point.

    For a response (``message.status`` set), pass ``required_components`` that fit it (for
    example ``["@status", "content-digest"]``); ``message.request`` serves ``;req`` components.
    Options are those of :func:`verify_request`.
    """
    if not isinstance(keys, Mapping) and not callable(keys):
        raise TypeError("keys must be a function keyid -> Key | None, or a mapping")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("body must be bytes")
    if nonce_seen is not None and not callable(nonce_seen):
        raise TypeError("nonce_seen must be a function nonce -> bool")
    if require_nonce is None:
        require_nonce = nonce_seen is not None
    policy = _compile_policy(required_components, max_age, max_future, require_nonce, label, tag)
    body = bytes(body)
    fields = _index_fields(as_header_list(message.headers))
    inputs, signatures = _parse_signature_fields(fields)
    digest_value = _field(fields, "content-digest")
    if digest_value is not None:
        parse_content_digest(digest_value)  # structure now; the digest once a signature verified
    current = time.time() if now is None else float(now)

    crypto_attempts = 0  # bounds the work: at most four signatures are checked cryptographically

    def attempt(name: str) -> tuple[list[Component], dict[str, Any], Key]:
        nonlocal crypto_attempts
        member, signature = inputs.get(name), signatures.get(name)
        if member is None or signature is None:
            raise VerificationError("signature_missing", f"no complete signature labelled {name}")
        params = _read_params(name, member)
        components = components_of(member)
        has_digest, has_type = digest_value is not None, "content-type" in fields
        _check_policy(policy, name, components, params, current, len(body), has_digest, has_type)
        key = _resolve_key(keys, params["keyid"], name, params)
        base = signature_base(message, member, structured_fields=structured_fields)
        crypto_attempts += 1
        if not key.verify(base, signature):
            raise VerificationError("signature_invalid", f"signature {name} does not verify")
        return components, params, key

    found: tuple[str, list[Component], dict[str, Any], Key] | None = None
    if policy.label is not None:
        found = (policy.label, *attempt(policy.label))
    else:
        first_error: VerificationError | None = None
        for name in inputs:
            try:
                found = (name, *attempt(name))
                break
            except VerificationError as error:
                first_error = first_error or error
                if crypto_attempts >= _MAX_VERIFY_ATTEMPTS:
                    break
        if found is None:
            raise first_error or VerificationError("signature_missing", "no signature")

    name, components, params, key = found
    if digest_value is not None:
        verify_content_digest(digest_value, body)
    nonce = params.get("nonce")
    if nonce is not None and nonce_seen is not None:
        key_id = params["keyid"]
        if nonce_seen(f"{len(key_id)}:{key_id}:{nonce}"):
            raise VerificationError("replayed", f"signature {name} was already used")
    return Verified(
        key_id=params["keyid"],
        algorithm=key.algorithm,
        label=name,
        components=[c.id for c in components],
        params=params,
        body=body,
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
    nonce_seen: Callable[[str], bool] | None = None,
    require_nonce: bool | None = None,
    label: str | None = None,
    tag: str | None = None,
    structured_fields: dict[str, str] | None = None,
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
    :param nonce_seen: called once per verified signature with a value unique to its
        ``(keyid, nonce)``; returns ``True`` when already seen (then ``replayed``) and records
        it otherwise. Keep values at least ``max_age + max_future`` seconds (:class:`NonceCache`).
    :param require_nonce: whether a ``nonce`` parameter is required; default: when
        ``nonce_seen`` is given.
    :param label: check only the signature with this label.
    :param tag: accept only signatures whose ``tag`` parameter equals this.
    :param structured_fields: extra ``{field: "item"|"list"|"dictionary"}`` types for ``;sf``.
    :returns: :class:`Verified`.
    :raises VerificationError: with a stable ``code`` (``malformed``, ``duplicate_header``,
        ``component_unsupported``, ``signature_missing``, ``signature_invalid``,
        ``signature_expired``, ``component_missing``, ``digest_missing``, ``digest_mismatch``,
        ``replayed``, ``key_unknown``, ``algorithm_mismatch``) and an HTTP ``status``.
    :raises TypeError, ValueError: for invalid arguments (a bug in the caller).
    """
    if not isinstance(method, str) or not isinstance(url, str):
        raise TypeError("method and url must be strings")
    message = HttpMessage(headers=as_header_list(headers), method=method, url=url)
    return verify_message(
        message,
        body,
        keys=keys,
        required_components=required_components,
        max_age=max_age,
        max_future=max_future,
        now=now,
        nonce_seen=nonce_seen,
        require_nonce=require_nonce,
        label=label,
        tag=tag,
        structured_fields=structured_fields,
    )
