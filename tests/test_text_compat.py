"""Python 3.10's `re` has no possessive quantifiers, so there the math masks are built without
them: both forms must find the same spans."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from r1reward.verifiers import _text

needs_possessive = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="this Python's re has no possessive quantifiers"
)
PIECES = st.sampled_from(["$", "$$", " ", "\n", "\\", "x", "1", "=", "\\$", "ab"])


@needs_possessive
@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_dollar_math_spans_agree_without_possessive_quantifiers(text):
    possessive = re.compile(_text.dollar_math("+"))
    greedy = re.compile(_text.dollar_math(""))
    assert [m.span() for m in greedy.finditer(text)] == [
        m.span() for m in possessive.finditer(text)
    ]


def test_dollar_math_compiles_on_this_python():
    # the form the module uses here (on 3.10 the possessive one does not compile at all)
    assert re.compile(_text._DOLLAR).sub(" ", "costs $5 and $6, but $x^2$ is math") == (
        "costs $5 and $6, but   is math"
    )
