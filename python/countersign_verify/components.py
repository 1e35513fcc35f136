"""RFC 9421 §2 components: identifiers and their values in an HTTP message.

A component identifier is an sf-string with parameters, e.g. ``"@query-param";name="Pet"`` or
``"content-digest";req``. Supported, as in the TypeScript packages:

* derived components ``@method @target-uri @authority @scheme @request-target @path @query
  @query-param @status`` (parameters: ``req``; ``name`` on ``@query-param``);
* HTTP fields, with ``;sf``, ``;key="…"``, ``;bs`` and ``;req``. ``;tr`` (trailers) and any
  other parameter are refused with ``component_unsupported``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Optional, Sequence

from . import sf
from .errors import VerificationError

__all__ = [
    "DERIVED_COMPONENTS",
    "KNOWN_STRUCTURED_FIELDS",
    "Component",
    "HttpMessage",
    "parse_component",
    "component_from_item",
    "validate_components",
    "component_value",
    "canonical_field_value",
    "encode_query_part",
]

#: The derived components of RFC 9421 §2.2 that Countersign supports.
DERIVED_COMPONENTS: tuple[str, ...] = (
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
    "@query-param",
    "@status",
)

#: Fields whose structured type is known, for ``;sf`` (the same table as ``@countersign/core``).
KNOWN_STRUCTURED_FIELDS: dict[str, str] = {
    "signature-input": "dictionary",
    "signature": "dictionary",
    "accept-signature": "dictionary",
    "content-digest": "dictionary",
    "repr-digest": "dictionary",
    "want-content-digest": "dictionary",
    "want-repr-digest": "dictionary",
    "priority": "dictionary",
    "cdn-cache-control": "dictionary",
    "cache-status": "list",
    "proxy-status": "list",
    "client-cert": "item",
    "client-cert-chain": "list",
    "accept-ch": "list",
    "sec-ch-ua": "list",
    "sec-ch-ua-mobile": "item",
    "sec-ch-ua-platform": "item",
}

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_FIELD_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~")
_FIELD_FLAGS = ("sf", "bs", "req")
_OBS_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")
_QUERY_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


@dataclass(frozen=True, eq=False)
class Component:
    """A parsed component identifier. ``id`` is exactly how it appears in a signature base line."""

    name: str
    params: dict[str, sf.BareItem]
    id: str

    @property
    def key(self) -> str:
        """Equal for identifiers naming the same component (parameter order ignored)."""
        if not self.params:
            return self.name
        parts = sorted(f"{k}={sf.serialize_bare_item(v)}" for k, v in self.params.items())
        return self.name + ";" + ";".join(parts)


@dataclass(frozen=True)
class HttpMessage:
    """An HTTP message as RFC 9421 sees it: a response when ``status`` is set, else a request.

    ``headers`` are the field lines in received order (duplicates kept). ``url`` is the absolute
    target URI of a request. ``request_target`` is the request-line target when it is not the
    origin form of ``url`` (absolute form, ``CONNECT``, ``OPTIONS *``). ``request`` is the related
    request of a response, read by components with ``;req``.
    """

    headers: Sequence[tuple[str, str]]
    method: Optional[str] = None
    url: Optional[str] = None
    status: Optional[int] = None
    request: Optional["HttpMessage"] = None
    request_target: Optional[str] = None

    def field_lines(self, name: str) -> list[str] | None:
        """The raw values of every line of field ``name`` (lowercase), or ``None`` when absent."""
        values = [v for (n, v) in self.headers if n.lower() == name]
        return values or None


def component_from_item(item: sf.Item) -> Component:
    """A component from a parsed ``Signature-Input`` inner-list member."""
    if not isinstance(item, sf.Item) or type(item.value) is not str:
        raise VerificationError("malformed", "a component identifier must be an sf-string")
    return Component(item.value, dict(item.params), sf.serialize_item(item))


def parse_component(text: str) -> Component:
    """Parses ``'"@query-param";name="id"'`` or a bare name (``'@method'``, ``'Content-Type'``)."""
    if not isinstance(text, str):
        raise TypeError("a component identifier must be a string")
    if text.startswith('"'):
        return component_from_item(sf.parse_item(text))
    name = text if text.startswith("@") else text.lower()
    return component_from_item(sf.Item(name, {}))


def _check_flag(component: Component, key: str) -> None:
    if component.params[key] is not True:
        raise VerificationError("malformed", f"{component.id}: {key} must be a bare flag")


def validate_components(components: Sequence[Component]) -> None:
    """Checks components against RFC 9421 and Countersign's profile.

    Raises ``component_unsupported`` for an unknown derived component, ``;tr`` or any other
    unsupported parameter, ``;bs`` with ``;sf`` or ``;key``; ``malformed`` for a parameter of the
    wrong type, a field name that is not a lowercase token, or a component listed twice.
    """
    seen: set[str] = set()
    for c in components:
        _validate_component(c)
        if c.key in seen:
            raise VerificationError("malformed", f"component {c.id} is listed twice")
        seen.add(c.key)


def _validate_component(c: Component) -> None:
    if c.name.startswith("@"):
        if c.name not in DERIVED_COMPONENTS:
            raise VerificationError(
                "component_unsupported", f"derived component {c.name} is not supported"
            )
        for key, value in c.params.items():
            if key == "req":
                _check_flag(c, key)
            elif key == "name" and c.name == "@query-param":
                if type(value) is not str:
                    raise VerificationError("malformed", f"{c.id}: name must be a string")
            else:
                raise VerificationError(
                    "component_unsupported", f"{c.id}: parameter {key} is not supported"
                )
        if c.name == "@query-param" and "name" not in c.params:
            raise VerificationError("malformed", "@query-param needs a name parameter")
        return
    if c.name == "" or any(ch not in _FIELD_NAME_CHARS for ch in c.name):
        raise VerificationError("malformed", f"component {c.id}: not a lowercase field name")
    for key, value in c.params.items():
        if key in _FIELD_FLAGS:
            _check_flag(c, key)
        elif key == "key":
            if type(value) is not str:
                raise VerificationError("malformed", f"{c.id}: key must be a string")
        elif key == "tr":
            raise VerificationError(
                "component_unsupported", f"{c.id}: trailer fields (;tr) are not signed"
            )
        else:
            raise VerificationError(
                "component_unsupported", f"{c.id}: parameter {key} is not supported"
            )
    if "bs" in c.params and ("sf" in c.params or "key" in c.params):
        raise VerificationError(
            "component_unsupported", f"{c.id}: bs cannot be combined with sf or key"
        )


def canonical_field_value(value: str) -> str:
    """One field line per RFC 9421 §2.1: obs-fold to one space, SP/HTAB trimmed at both ends.

    Raises ``malformed`` when the value still holds CR, LF or NUL (a base-injection attempt).
    """
    if "\n" in value:
        value = _OBS_FOLD.sub(" ", value)
    if "\r" in value or "\n" in value or "\0" in value:
        raise VerificationError("malformed", "a field value holds CR, LF or NUL")
    return value.strip(" \t")


def latin1(text: str) -> bytes:
    """Field values as wire bytes (one character per byte, as ``http.server`` decodes them)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise VerificationError(
            "malformed", "a covered value holds a character that is not a byte"
        ) from None


def encode_query_part(text: str) -> str:
    """RFC 9421 §2.2.8: UTF-8, then percent-encode all but ASCII alphanumerics and ``*-._``."""
    return "".join(
        chr(b) if b in _QUERY_SAFE else f"%{b:02X}" for b in text.encode("utf-8", "surrogatepass")
    )


def _percent_decode(text: str) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    out = bytearray()
    i = 0
    hexdigits = b"0123456789abcdefABCDEF"
    while i < len(raw):
        b = raw[i]
        if b == 0x25 and i + 2 < len(raw) and raw[i + 1] in hexdigits and raw[i + 2] in hexdigits:
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(b)
            i += 1
    return out.decode("utf-8", "replace")


def _form_pairs(query: str) -> list[tuple[str, str]]:
    """WHATWG ``application/x-www-form-urlencoded`` parsing (what ``URLSearchParams`` does)."""
    pairs = []
    for part in query.split("&"):
        if part == "":
            continue
        name, _, value = part.partition("=")
        pairs.append(
            (_percent_decode(name.replace("+", " ")), _percent_decode(value.replace("+", " ")))
        )
    return pairs


@dataclass(frozen=True)
class _Target:
    target_uri: str
    authority: str
    scheme: str
    path: str
    query: str  # with its "?"; "?" alone when there is none
    origin_form: str


def _target(message: HttpMessage) -> _Target:
    url = message.url
    if not isinstance(url, str) or url == "":
        raise VerificationError("malformed", "the request has no target URI")
    if any(c <= " " or c > "~" for c in url):
        raise VerificationError(
            "malformed", "the target URI holds a space or a non-ASCII character"
        )
    url = url.split("#", 1)[0]
    scheme, sep, rest = url.partition("://")
    if (
        not sep
        or scheme == ""
        or not scheme[0].isalpha()
        or any(not (c.isalnum() or c in "+-.") for c in scheme)
    ):
        raise VerificationError("malformed", "the target URI is not absolute")
    scheme = scheme.lower()
    end = len(rest)
    for stop in "/?":
        j = rest.find(stop)
        if 0 <= j < end:
            end = j
    authority, tail = rest[:end], rest[end:]
    authority = authority.rpartition("@")[2].lower()  # userinfo is never part of it
    host, port = authority, ""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise VerificationError("malformed", "the target URI has a bad IPv6 host")
        host, after = authority[: close + 1], authority[close + 1 :]
        if after:
            if not after.startswith(":"):
                raise VerificationError("malformed", "the target URI has a bad port")
            port = after[1:]
    elif ":" in authority:
        host, _, port = authority.partition(":")
    if host == "" or (port and (not port.isdigit() or int(port) > 65535)):
        raise VerificationError("malformed", "the target URI has no host or a bad port")
    port = str(int(port)) if port else ""  # as WHATWG URL does: "0443" is 443
    if port == "" or _DEFAULT_PORTS.get(scheme) == port:
        authority = host
    else:
        authority = f"{host}:{port}"
    path, qmark, query = tail.partition("?")
    if path == "":
        path = "/"
    query_value = "?" + query if qmark else "?"
    origin_form = path + (qmark + query)
    return _Target(
        target_uri=f"{scheme}://{authority}{origin_form}",
        authority=authority,
        scheme=scheme,
        path=path,
        query=query_value,
        origin_form=origin_form,
    )


def _derived_value(message: HttpMessage, c: Component) -> str:
    is_response = message.status is not None
    if c.name == "@status":
        if not is_response:
            raise VerificationError("component_unsupported", "@status applies to responses only")
        status = message.status
        if type(status) is not int or not 100 <= status <= 999:
            raise VerificationError("malformed", "the response status is not a three-digit code")
        return str(status)
    if is_response:
        raise VerificationError(
            "component_unsupported", f"{c.name} on a response needs the req parameter"
        )
    if c.name == "@method":
        if not isinstance(message.method, str) or message.method == "":
            raise VerificationError("component_missing", "the request has no method")
        return message.method
    t = _target(message)
    if c.name == "@target-uri":
        return t.target_uri
    if c.name == "@authority":
        return t.authority
    if c.name == "@scheme":
        return t.scheme
    if c.name == "@request-target":
        return message.request_target if message.request_target is not None else t.origin_form
    if c.name == "@path":
        return t.path
    if c.name == "@query":
        return t.query
    if c.name == "@query-param":
        wanted = str(c.params["name"])  # validated: an sf-string
        found = [v for (n, v) in _form_pairs(t.query[1:]) if encode_query_part(n) == wanted]
        if not found:
            raise VerificationError("component_missing", f"{c.id}: the query has no {wanted}")
        if len(found) > 1:
            raise VerificationError("malformed", f"{c.id}: the query holds {wanted} twice")
        return encode_query_part(found[0])
    raise VerificationError("component_unsupported", f"derived component {c.name} is not supported")


def component_value(
    message: HttpMessage,
    c: Component,
    structured_fields: dict[str, str] | None = None,
) -> str:
    """The value of component ``c`` in ``message`` (RFC 9421 §2.1, §2.2).

    Raises ``component_missing`` when the component is absent, ``component_unsupported`` or
    ``malformed`` when it cannot be read. Call :func:`validate_components` first.
    """
    source = message
    if "req" in c.params:
        if message.status is None:
            raise VerificationError(
                "component_unsupported", f"{c.id}: req applies to responses only"
            )
        if message.request is None:
            raise VerificationError("component_missing", f"{c.id}: no related request")
        source = message.request
    if c.name.startswith("@"):
        return _derived_value(source, c)
    lines = source.field_lines(c.name)
    if lines is None:
        raise VerificationError("component_missing", f"field {c.name} is not in the message")
    if "bs" in c.params:
        return ", ".join(
            ":" + base64.b64encode(latin1(canonical_field_value(v))).decode("ascii") + ":"
            for v in lines
        )
    combined = ", ".join(canonical_field_value(v) for v in lines)
    key = c.params.get("key")
    if isinstance(key, str):
        member = sf.parse_dictionary(combined).get(key)
        if member is None:
            raise VerificationError("component_missing", f"{c.id}: the dictionary has no {key}")
        if isinstance(member, sf.InnerList):
            return sf.serialize_inner_list(member)
        return sf.serialize_item(member)
    if "sf" in c.params:
        kind = (structured_fields or {}).get(c.name) or KNOWN_STRUCTURED_FIELDS.get(c.name)
        if kind == "dictionary":
            return sf.serialize_dictionary(sf.parse_dictionary(combined))
        if kind == "list":
            return sf.serialize_list(sf.parse_list(combined))
        if kind == "item":
            return sf.serialize_item(sf.parse_item(combined))
        raise VerificationError(
            "component_unsupported", f"{c.id}: {c.name} is not a known structured field"
        )
    return combined
