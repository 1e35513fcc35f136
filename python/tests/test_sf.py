"""The structured-field parser against the httpwg structured-field-tests corpus, plus edge cases."""

from __future__ import annotations

import base64
import unittest
from typing import Any

from countersign_verify import VerificationError
from countersign_verify import sf
from tests._support import SF_TESTS, load


def _bare(value: Any) -> Any:
    if isinstance(value, dict):
        kind, v = value["__type"], value["value"]
        if kind == "token":
            return sf.Token(v)
        if kind == "binary":
            return base64.b32decode(v)
        if kind == "date":
            return sf.Date(v)
        if kind == "displaystring":
            return sf.DisplayString(v)
        raise AssertionError(kind)
    return value


def _params(pairs: list) -> dict:
    out: dict = {}
    for k, v in pairs:
        out[k] = _bare(v)
    return out


def _member(m: list) -> Any:
    value, params = m
    if isinstance(value, list):
        return sf.InnerList([_member(i) for i in value], _params(params))
    return sf.Item(_bare(value), _params(params))


def _expected(kind: str, expected: Any) -> Any:
    if kind == "item":
        return _member(expected)
    if kind == "list":
        return [_member(m) for m in expected]
    return {k: _member(m) for k, m in expected}


def _typed(x: Any) -> Any:
    """Makes values comparable by type too (a Token must not equal a String)."""
    if isinstance(x, sf.Item):
        return ("item", _typed(x.value), _typed(x.params))
    if isinstance(x, sf.InnerList):
        return ("inner", [_typed(i) for i in x.items], _typed(x.params))
    if isinstance(x, dict):
        return [(k, _typed(v)) for k, v in x.items()]
    if isinstance(x, list):
        return [_typed(v) for v in x]
    return (type(x).__name__, x)


PARSE = {"item": sf.parse_item, "list": sf.parse_list, "dictionary": sf.parse_dictionary}
SERIALIZE = {
    "item": sf.serialize_item,
    "list": sf.serialize_list,
    "dictionary": sf.serialize_dictionary,
}


class StructuredFieldTests(unittest.TestCase):
    def test_httpwg_corpus(self) -> None:
        files = sorted(SF_TESTS.glob("*.json"))
        self.assertGreater(len(files), 10, "structured-field-tests not found")
        checked = 0
        for path in files:
            for case in load(path):
                with self.subTest(file=path.name, name=case["name"]):
                    kind = case["header_type"]
                    raw = ", ".join(case["raw"])
                    if case.get("must_fail"):
                        with self.assertRaises(VerificationError) as ctx:
                            PARSE[kind](raw)
                        self.assertEqual(ctx.exception.code, "malformed")
                        checked += 1
                        continue
                    try:
                        got = PARSE[kind](raw)
                    except VerificationError:
                        if case.get("can_fail"):
                            checked += 1
                            continue
                        raise
                    self.assertEqual(_typed(got), _typed(_expected(kind, case["expected"])))
                    canonical = case.get("canonical", case["raw"])
                    want = canonical[0] if canonical else ""
                    self.assertEqual(SERIALIZE[kind](got), want)
                    checked += 1
        self.assertGreater(checked, 1000)

    def test_rfc9651_date_and_display_string(self) -> None:
        item = sf.parse_item('@1659578233;a=%"f%c3%bc%c3%bc"')
        self.assertIsInstance(item.value, sf.Date)
        self.assertEqual(item.value, 1659578233)
        self.assertIsInstance(item.params["a"], sf.DisplayString)
        self.assertEqual(item.params["a"], "füü")
        self.assertEqual(sf.serialize_item(item), '@1659578233;a=%"f%c3%bc%c3%bc"')
        for bad in ["@1.5", '%"%C3%BC"', '%"%c3"', "@", '%"abc']:
            with self.subTest(bad=bad), self.assertRaises(VerificationError):
                sf.parse_item(bad)

    def test_unique_dictionary(self) -> None:
        with self.assertRaises(VerificationError) as ctx:
            sf.parse_dictionary("a=1, a=2", unique=True)
        self.assertEqual(ctx.exception.code, "duplicate_header")
        self.assertEqual(sf.serialize_dictionary(sf.parse_dictionary("a=1, a=2")), "a=2")

    def test_non_ascii_and_types(self) -> None:
        for bad in ["\u00e9", "a=\u0100", "\x00"]:
            with self.assertRaises(VerificationError):
                sf.parse_dictionary(bad)
        with self.assertRaises(TypeError):
            sf.parse_item(b"1")  # type: ignore[arg-type]

    def test_serialise_rejects_unserialisable(self) -> None:
        for value in [10**15, "\n", sf.Token("1a"), float("nan"), 1e13, object()]:
            with self.subTest(value=value), self.assertRaises(ValueError):
                sf.serialize_bare_item(value)  # type: ignore[arg-type]
        self.assertEqual(sf.serialize_bare_item(1.0005), "1.0")
        self.assertEqual(sf.serialize_bare_item(-0.0), "0.0")
        self.assertEqual(sf.serialize_bare_item(2.5), "2.5")


if __name__ == "__main__":
    unittest.main()
