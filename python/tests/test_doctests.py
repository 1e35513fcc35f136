"""Runs the examples in the package's docstrings."""

from __future__ import annotations

import doctest
import unittest

import countersign_verify
from countersign_verify import base, nonces


def load_tests(
    loader: unittest.TestLoader, tests: unittest.TestSuite, pattern: str | None
) -> unittest.TestSuite:
    tests.addTests(doctest.DocTestSuite(countersign_verify))
    tests.addTests(doctest.DocTestSuite(base))
    tests.addTests(doctest.DocTestSuite(nonces))
    return tests
