"""A small, strict RFC 8941 / RFC 9651 Structured Field Values parser and serialiser.

Types (RFC 9651 §3):

========================  ===========================================
Structured type           Python value
========================  ===========================================
Integer                   ``int``
Decimal                   ``float`` (at most 3 fractional digits)
String                    ``str``
Token                     :class:`Token` (a ``str`` subclass)
Byte Sequence             ``bytes``
Boolean                   ``bool``
Date                      :class:`Date` (an ``int`` subclass)
Display String            :class:`DisplayString` (a ``str`` subclass)
Item                      :class:`Item` ``(value, params)``
Inner List                :class:`InnerList` ``(items, params)``
Parameters                ``dict[str, BareItem]`` (insertion-ordered)
List                      ``list[Item | InnerList]``
Dictionary                ``dict[str, Item | InnerList]`` (insertion-ordered)
========================  ===========================================

Parsing follows RFC 9651 §4.2 to the letter and is strict: Byte Sequences must be padded
base64, anything outside printable ASCII fails. Every failure raises
``VerificationError('malformed')``; nothing else escapes for any ``str`` input.
"""

from __future__ import annotations

import base64
import binascii
import decimal
from typing import NamedTuple, Union

from .errors import VerificationError

__all__ = [
    "Token",
    "Date",
    "DisplayString",
    "Item",
    "InnerList",
    "BareItem",
    "Params",
    "parse_item",
    "parse_list",
    "parse_dictionary",
    "serialize_item",
    "serialize_inner_list",
    "serialize_list",
    "serialize_dictionary",
    "serialize_bare_item",
    "is_key",
]


class Token(str):
    """An sf-token (``foo``, ``*/*``), distinct from an sf-string."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Token({str.__repr__(self)})"


class DisplayString(str):
    """An RFC 9651 Display String (``%"f%c3%bc%c3%bc"``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"DisplayString({str.__repr__(self)})"


class Date(int):
    """An RFC 9651 Date (``@1659578233``), seconds since the Unix epoch."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Date({int.__repr__(self)})"


BareItem = Union[int, float, str, bytes, bool]
"""A bare item: ``int``, ``float``, ``str``, :class:`Token`, ``bytes``, ``bool``, :class:`Date`, :class:`DisplayString`."""
Params = dict  # dict[str, BareItem], kept insertion-ordered


class Item(NamedTuple):
    """A bare item with parameters."""

    value: BareItem
    params: dict[str, BareItem]


class InnerList(NamedTuple):
    """An inner list of items, with parameters."""

    items: list[Item]
    params: dict[str, BareItem]


Member = Union[Item, InnerList]

_MAX_INT = 999_999_999_999_999
_DIGITS = "0123456789"
_LCALPHA = "abcdefghijklmnopqrstuvwxyz"
_ALPHA = _LCALPHA + _LCALPHA.upper()
_KEY_FIRST = frozenset(_LCALPHA + "*")
_KEY_CHARS = frozenset(_LCALPHA + _DIGITS + "_-.*")
_TCHAR = frozenset("!#$%&'*+-.^_`|~" + _DIGITS + _ALPHA)
_TOKEN_CHARS = _TCHAR | frozenset(":/")
_BASE64_CHARS = frozenset(_ALPHA + _DIGITS + "+/=")
_LOWER_HEX = frozenset("0123456789abcdef")


def _fail(why: str) -> VerificationError:
    return VerificationError("malformed", f"structured field: {why}")


class _Parser:
    """A cursor over one field value. Methods mirror the algorithms of RFC 9651 §4.2."""

    __slots__ = ("s", "i")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError("expected a field value string")
        if not text.isascii():
            raise _fail("not ASCII")
        self.s = text
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_sp(self) -> None:
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1

    def skip_ows(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def done(self) -> bool:
        return self.i >= len(self.s)

    def finish(self) -> None:
        self.skip_sp()
        if not self.done():
            raise _fail(f"unexpected character at {self.i}")

    # §4.2.1, §4.2.2
    def parse_list(self) -> list[Member]:
        members: list[Member] = []
        while not self.done():
            members.append(self.parse_member())
            self.skip_ows()
            if self.done():
                return members
            if self.s[self.i] != ",":
                raise _fail(f"expected ',' at {self.i}")
            self.i += 1
            self.skip_ows()
            if self.done():
                raise _fail("trailing comma")
        return members

    def parse_dictionary(self, unique: bool) -> dict[str, Member]:
        members: dict[str, Member] = {}
        while not self.done():
            key = self.parse_key()
            if self.peek() == "=":
                self.i += 1
                member = self.parse_member()
            else:
                member = Item(True, self.parse_params())
            if unique and key in members:
                raise VerificationError("duplicate_header", f"member {key} appears twice")
            members[key] = member  # RFC 9651: a repeated key keeps its place, takes the last value
            self.skip_ows()
            if self.done():
                return members
            if self.s[self.i] != ",":
                raise _fail(f"expected ',' at {self.i}")
            self.i += 1
            self.skip_ows()
            if self.done():
                raise _fail("trailing comma")
        return members

    def parse_member(self) -> Member:
        if self.peek() == "(":
            return self.parse_inner_list()
        return self.parse_item()

    # §4.2.1.2
    def parse_inner_list(self) -> InnerList:
        self.i += 1  # "("
        items: list[Item] = []
        while not self.done():
            self.skip_sp()
            if self.peek() == ")":
                self.i += 1
                return InnerList(items, self.parse_params())
            items.append(self.parse_item())
            if self.peek() not in (" ", ")"):
                raise _fail(f"bad inner list at {self.i}")
        raise _fail("unterminated inner list")

    # §4.2.3
    def parse_item(self) -> Item:
        value = self.parse_bare_item()
        return Item(value, self.parse_params())

    def parse_bare_item(self) -> BareItem:
        c = self.peek()
        if c == "-" or (c != "" and c in _DIGITS):
            return self.parse_number()
        if c == '"':
            return self.parse_string()
        if c == "*" or (c != "" and c in _ALPHA):
            return self.parse_token()
        if c == ":":
            return self.parse_bytes()
        if c == "?":
            return self.parse_boolean()
        if c == "@":
            return self.parse_date()
        if c == "%":
            return self.parse_display_string()
        raise _fail(f"unexpected {'end' if c == '' else repr(c)} at {self.i}")

    # §4.2.3.2
    def parse_params(self) -> dict[str, BareItem]:
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.i += 1
            self.skip_sp()
            key = self.parse_key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.parse_bare_item()
            params[key] = value  # a repeated key keeps its first position, takes the last value
        return params

    # §4.2.3.3
    def parse_key(self) -> str:
        c = self.peek()
        if c == "" or c not in _KEY_FIRST:
            raise _fail(f"bad key at {self.i}")
        start = self.i
        self.i += 1
        while self.i < len(self.s) and self.s[self.i] in _KEY_CHARS:
            self.i += 1
        return self.s[start : self.i]

    # §4.2.4
    def parse_number(self) -> int | float:
        start = self.i
        sign = 1
        if self.peek() == "-":
            sign = -1
            self.i += 1
        if self.peek() == "" or self.peek() not in _DIGITS:
            raise _fail(f"bad number at {start}")
        digits_start = self.i
        dot = -1
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in _DIGITS:
                pass
            elif c == "." and dot < 0:
                if self.i - digits_start > 12:
                    raise _fail("decimal with more than 12 integer digits")
                dot = self.i
            else:
                break
            self.i += 1
            length = self.i - digits_start
            if dot < 0 and length > 15:
                raise _fail("integer with more than 15 digits")
            if dot >= 0 and length > 16:
                raise _fail("decimal too long")
        text = self.s[digits_start : self.i]
        if dot < 0:
            return sign * int(text)
        if text.endswith("."):
            raise _fail("decimal without fractional digits")
        if self.i - dot - 1 > 3:
            raise _fail("decimal with more than 3 fractional digits")
        return sign * float(text)

    # §4.2.5
    def parse_string(self) -> str:
        self.i += 1
        out: list[str] = []
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            self.i += 1
            if c == "\\":
                if self.i >= len(s):
                    raise _fail("unterminated string")
                n = s[self.i]
                self.i += 1
                if n not in ('"', "\\"):
                    raise _fail("bad escape in string")
                out.append(n)
            elif c == '"':
                return "".join(out)
            elif c < " " or c > "~":
                raise _fail("control character in string")
            else:
                out.append(c)
        raise _fail("unterminated string")

    # §4.2.6
    def parse_token(self) -> Token:
        start = self.i
        self.i += 1
        while self.i < len(self.s) and self.s[self.i] in _TOKEN_CHARS:
            self.i += 1
        return Token(self.s[start : self.i])

    # §4.2.7
    def parse_bytes(self) -> bytes:
        self.i += 1
        end = self.s.find(":", self.i)
        if end < 0:
            raise _fail("unterminated byte sequence")
        text = self.s[self.i : end]
        self.i = end + 1
        if any(c not in _BASE64_CHARS for c in text):
            raise _fail("bad character in byte sequence")
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _fail("byte sequence is not padded base64") from None
        if base64.b64encode(data).decode("ascii") != text:
            raise _fail("byte sequence is not canonical base64")
        return data

    # §4.2.8
    def parse_boolean(self) -> bool:
        self.i += 1
        c = self.peek()
        if c == "1" or c == "0":
            self.i += 1
            return c == "1"
        raise _fail("bad boolean")

    # §4.2.9
    def parse_date(self) -> Date:
        self.i += 1
        value = self.parse_number()
        if isinstance(value, float):
            raise _fail("a date must be an integer")
        return Date(value)

    # §4.2.10
    def parse_display_string(self) -> DisplayString:
        if self.s[self.i : self.i + 2] != '%"':
            raise _fail("bad display string")
        self.i += 2
        out = bytearray()
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            self.i += 1
            if c < " " or c > "~":
                raise _fail("control character in display string")
            if c == "%":
                pair = s[self.i : self.i + 2]
                if len(pair) != 2 or any(h not in _LOWER_HEX for h in pair):
                    raise _fail("bad percent-encoding in display string")
                out.append(int(pair, 16))
                self.i += 2
            elif c == '"':
                try:
                    return DisplayString(out.decode("utf-8"))
                except UnicodeDecodeError:
                    raise _fail("display string is not UTF-8") from None
            else:
                out.append(ord(c))
        raise _fail("unterminated display string")


def parse_item(text: str) -> Item:
    """Parses an Item field value. Raises ``VerificationError('malformed')``."""
    p = _Parser(text)
    p.skip_sp()
    item = p.parse_item()
    p.finish()
    return item


def parse_list(text: str) -> list[Member]:
    """Parses a List field value (lines joined with ``", "``). An empty value is ``[]``."""
    p = _Parser(text)
    p.skip_sp()
    members = p.parse_list()
    p.finish()
    return members


def parse_dictionary(text: str, *, unique: bool = False) -> dict[str, Member]:
    """Parses a Dictionary field value. An empty value is ``{}``.

    RFC 9651 keeps the last of repeated keys; with ``unique=True`` a repeated key raises
    ``VerificationError('duplicate_header')`` instead (two field lines naming the same label
    or algorithm, for ``Signature``, ``Signature-Input`` and ``Content-Digest``).
    """
    p = _Parser(text)
    p.skip_sp()
    members = p.parse_dictionary(unique)
    p.finish()
    return members


# ---------------------------------------------------------------- serialisation (§4.1)


def is_key(key: object) -> bool:
    """Whether ``key`` is a valid sf-key (``[a-z*][a-z0-9_.*-]*``)."""
    return (
        isinstance(key, str)
        and key != ""
        and key[0] in _KEY_FIRST
        and all(c in _KEY_CHARS for c in key[1:])
    )


def _ser_key(key: str) -> str:
    if not is_key(key):
        raise ValueError(f"invalid structured-field key {key!r}")
    return key


def _ser_decimal(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("a decimal must be finite")
    d = decimal.Decimal(repr(value)).quantize(decimal.Decimal("0.001"), decimal.ROUND_HALF_EVEN)
    text = f"{abs(d):f}"
    int_part, _, frac = text.partition(".")
    if len(int_part) > 12:
        raise ValueError("a decimal may have at most 12 integer digits")
    frac = frac.rstrip("0") or "0"
    return ("-" if d < 0 else "") + int_part + "." + frac


def serialize_bare_item(value: BareItem) -> str:
    """Serialises one bare item. Raises ``ValueError`` for a value that has no serialisation."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, Date):
        return "@" + serialize_bare_item(int(value))
    if isinstance(value, int):
        if not -_MAX_INT <= value <= _MAX_INT:
            raise ValueError("integer out of range")
        return str(int(value))
    if isinstance(value, float):
        return _ser_decimal(value)
    if isinstance(value, Token):
        if (
            value == ""
            or not (value[0] == "*" or value[0] in _ALPHA)
            or any(c not in _TOKEN_CHARS for c in value)
        ):
            raise ValueError(f"invalid token {str(value)!r}")
        return str(value)
    if isinstance(value, DisplayString):
        out = ['%"']
        for b in value.encode("utf-8"):
            if b in (0x25, 0x22) or b < 0x20 or b > 0x7E:
                out.append(f"%{b:02x}")
            else:
                out.append(chr(b))
        out.append('"')
        return "".join(out)
    if isinstance(value, str):
        if any(c < " " or c > "~" for c in value):
            raise ValueError("a string may hold printable ASCII only")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ":" + base64.b64encode(bytes(value)).decode("ascii") + ":"
    raise ValueError(f"cannot serialise {type(value).__name__} as a structured-field item")


def _ser_params(params: dict[str, BareItem]) -> str:
    out = []
    for key, value in params.items():
        out.append(";" + _ser_key(key))
        if value is not True:
            out.append("=" + serialize_bare_item(value))
    return "".join(out)


def serialize_item(item: Item) -> str:
    """Serialises an Item with its parameters."""
    return serialize_bare_item(item.value) + _ser_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    """Serialises an Inner List with its parameters, e.g. ``("@method" "@path");created=1``."""
    return "(" + " ".join(serialize_item(i) for i in inner.items) + ")" + _ser_params(inner.params)


def _ser_member(member: Member) -> str:
    if isinstance(member, InnerList):
        return serialize_inner_list(member)
    return serialize_item(member)


def serialize_list(members: list[Member]) -> str:
    """Serialises a List."""
    return ", ".join(_ser_member(m) for m in members)


def serialize_dictionary(members: dict[str, Member]) -> str:
    """Serialises a Dictionary (a member whose value is ``True`` is written as a bare key)."""
    out = []
    for key, member in members.items():
        if isinstance(member, Item) and member.value is True:
            out.append(_ser_key(key) + _ser_params(member.params))
        else:
            out.append(_ser_key(key) + "=" + _ser_member(member))
    return ", ".join(out)
