"""Properties of the language share (hypothesis): range, invariance to math/code, pure text."""

from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from r1reward.verifiers import language
from r1reward.verifiers.language import language_share, target_language_share
from r1reward.verifiers.think import check_format

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TARGETS = st.sampled_from(["en", "zh", "ja", "ko", "ru", "ar", "hi", "de"])

# Words of one script each; joined by spaces (or by nothing for Han, which counts per character).
LATIN = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzéüñ"), min_size=2, max_size=9)
CYRILLIC = st.text(st.sampled_from("абвгдежзиклмнопрстуфхцчшыэюя"), min_size=2, max_size=9)
HANGUL = st.text(st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=4)
HAN = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=6)
ARABIC = st.text(st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"), min_size=2, max_size=8)
PURE = {
    "ru": CYRILLIC,
    "ko": HANGUL,
    "zh": HAN,
    "ar": ARABIC,
}
MATH = st.sampled_from(
    [
        "$x^2 + y^2 = z^2$",
        "$$\\int_0^1 f(x)\\,dx = \\frac{1}{2}$$",
        "\\(a + b\\)",
        "\\[ \\sum_{k=1}^n k = \\frac{n(n+1)}{2} \\]",
        "\\begin{align} f(t) &= \\sin t \\end{align}",
        "`print('hello world')`",
        "\n```python\ndef answer(question):\n    return 'forty two'\n```\n",
        "https://example.org/some/path?query=words",
        "\\frac{a}{b}",
    ]
)


def prose(words):
    return st.lists(words, min_size=1, max_size=12).map(" ".join)


ANY_TEXT = st.lists(
    st.one_of(prose(LATIN), prose(CYRILLIC), prose(HAN), prose(HANGUL), MATH, st.text(max_size=30)),
    max_size=6,
).map(" ".join)


@SETTINGS
@given(ANY_TEXT, TARGETS)
def test_share_is_none_or_in_unit_interval(text, target):
    share = target_language_share(text, target, backend="script")
    assert share is None or 0.0 <= share <= 1.0


@SETTINGS
@given(st.text(max_size=200), TARGETS)
def test_arbitrary_unicode_never_raises(text, target):
    share = target_language_share(text, target, backend="script")
    assert share is None or 0.0 <= share <= 1.0


@SETTINGS
@given(
    st.lists(
        st.one_of(prose(LATIN), prose(CYRILLIC), prose(HAN), prose(HANGUL)), min_size=1, max_size=5
    ),
    st.lists(MATH, min_size=1, max_size=5),
    TARGETS,
    st.randoms(),
)
def test_unchanged_when_math_or_code_spans_are_inserted(parts, spans, target, rnd):
    # Spans go between parts, surrounded by spaces (so they do not glue two words together).
    plain = " ".join(parts)
    mixed = list(parts)
    for span in spans:
        mixed.insert(rnd.randint(0, len(mixed)), span)
    text = " ".join(f" {p} " for p in mixed)
    assert target_language_share(text, target, backend="script") == target_language_share(
        plain, target, backend="script"
    )


@SETTINGS
@given(st.data())
def test_pure_target_is_one_and_other_script_is_zero(data):
    target = data.draw(st.sampled_from(sorted(PURE)))
    words = PURE[target]
    text = data.draw(prose(words))
    assert target_language_share(text, target, backend="script") == 1.0
    other = data.draw(st.sampled_from(sorted(set(PURE) - {target})))
    assert target_language_share(text, other) == 0.0


@SETTINGS
@given(prose(LATIN))
def test_pure_latin_is_one_for_en_by_script_and_zero_for_other_scripts(text):
    assert target_language_share(text, "en", backend="script") == 1.0
    for other in ("zh", "ru", "ko", "hi"):
        assert target_language_share(text, other) == 0.0


@SETTINGS
@given(st.text(max_size=300))
def test_check_format_never_raises_and_score_matches(text):
    v = check_format(text)
    assert 0.0 <= v.score <= 1.0
    assert (v.score == 1.0) == bool(v)


def _sentences(min_words, max_words):
    words = st.lists(LATIN, min_size=min_words, max_size=max_words).map(" ".join)
    return st.lists(words, min_size=1, max_size=6)


@SETTINGS
@given(_sentences(5, 9))
def test_sentences_long_enough_are_identified_alone(sentences):
    seen = []

    def detect(segment):
        seen.append(segment.strip())
        return (("fr", 0.99),)

    with mock.patch.object(language, "get_detector", lambda backend: detect):
        r = language_share(". ".join(sentences) + ".", "en", masked=True)
    assert seen == sentences
    assert r.share == 0.0 and r.reclassified == r.total_units


def _latin_parity(segment):
    """A stand-in detector that depends only on the segment's Latin letters."""
    letters = sum(c.isascii() and c.isalpha() for c in segment)
    return ((("de" if letters % 2 else "en"), 0.99),)


@SETTINGS
@given(
    _sentences(1, 7), st.lists(st.one_of(prose(HAN), MATH), min_size=1, max_size=4), st.randoms()
)
def test_sentences_without_target_words_do_not_change_the_segments(sentences, others, rnd):
    plain = ". ".join(sentences) + "."
    mixed = [f"{p}." for p in sentences]
    for other in others:  # masked before sentences are cut: a URL's dots end no sentence
        mixed.insert(rnd.randint(0, len(mixed)), f"{other}\n")
    text = " ".join(mixed)
    with mock.patch.object(language, "get_detector", lambda backend: _latin_parity):
        want = language_share(plain, "en").reclassified
        assert language_share(text, "en").reclassified == want
