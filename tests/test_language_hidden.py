"""Language hidden inside masked spans still counts.

Math, code and URLs are masked because they are notation, written in Latin and Greek letters. A
policy rewarded for language consistency could otherwise move its mixed-language reasoning into
`$..$` or backticks and score 1.0: letters of any other script inside a masked span, and the
argument of a text-mode command inside LaTeX, count as if they were bare prose.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from r1reward.verifiers._text import mask_non_language
from r1reward.verifiers.language import language_share, target_language_share

SCRIPT = {"backend": "script"}

EN = "We first compute the derivative and then check both endpoints carefully."
ZH = "我们先求导数，然后检查两个端点。"
RU = "Сначала найдём производную и проверим концы отрезка."

# Spans that mask their body; {h} is the hidden text (no `$`, no newline, no backtick in it).
WRAPPERS = [
    "$x = {h}$",
    "$${h}$$",
    "\\({h}\\)",
    "\\[ {h} \\]",
    "\\begin{{equation}}{h}\\end{{equation}}",
    "\\begin{{align*}} f &= {h} \\end{{align*}}",
    "\\begin{{verbatim}}{h}\\end{{verbatim}}",
    "`{h}`",
    "``{h}``",
    "\n```python\nprint('{h}')\n```\n",
    "\n~~~\n# {h}\nx = 1\n~~~\n",
    "https://zh.wikipedia.org/wiki/{h}",
]
# (target, visible prose, hidden text in another script)
CASES = [
    ("en", EN, ZH),
    ("en", EN, RU),
    ("zh", ZH, RU),
    ("zh", ZH, "이것은 한국어 문장입니다"),
    ("ru", RU, "نحسب المشتقة أولاً"),
    ("ru", RU, "كَتَبَ الطَّالِبُ"),  # harakat stay inside their words
    ("ja", "まず導関数を求めます。", "सबसे पहले व्युत्पन्न निकालें"),  # Devanagari vowel signs
]


def _units(text: str, target: str, **options) -> tuple[int, int]:
    r = language_share(text, target, **options)
    return r.target_units, r.total_units


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize(("target", "prose", "hidden"), CASES)
def test_other_script_inside_a_masked_span_counts_as_bare_prose(wrapper, target, prose, hidden):
    wrapped = f"{prose} {wrapper.format(h=hidden)} {prose}"
    bare = f"{prose} {hidden} {prose}"
    assert _units(wrapped, target, **SCRIPT) == _units(bare, target, **SCRIPT)
    assert target_language_share(wrapped, target, **SCRIPT) < 1.0


def test_chinese_hidden_in_math_lowers_the_english_share_with_the_default_backend():
    # the reported hack: English prose around Chinese reasoning in `$..$` scored 1.0
    text = f"{EN} ${ZH}$ {EN}"
    assert target_language_share(text, "en") == target_language_share(f"{EN} {ZH} {EN}", "en")
    assert target_language_share(text, "en") < 0.8


@pytest.mark.parametrize(
    "math",
    [
        "$\\text{let me think about it}$",
        "$x \\textbf{let me think about it}$",
        "$$\\mbox{let me think about it}$$",
        "\\[ \\text {let me think about it} \\]",
        "\\(\\textrm{let me} + \\textit{think about it}\\)",
        "\\begin{{cases}} 1 & \\text{let me think about it} \\end{{cases}}".replace(
            "{{", "{"
        ).replace("}}", "}"),
        "$\\text{let {me {think}} about it}$",  # nested braces
        "$\\text{let me \\emph{think} about it}$",  # commands inside are masked, not their words
        "$$\\text{let me think about it$$",  # never closed: the rest of the span is prose
    ],
)
def test_text_mode_prose_inside_math_counts(math):
    """`\\text{..}` is prose by LaTeX's own definition: English there is English for a zh target."""
    text = f"{ZH}{math}{ZH}"
    bare = f"{ZH} let me think about it {ZH}"
    assert _units(text, "zh", **SCRIPT) == _units(bare, "zh", **SCRIPT)


@pytest.mark.parametrize(
    "code",
    ["`\\text{hello world}`", "\n```latex\n\\text{hello world}\n```\n", "$\\mathrm{kg} \\cdot ab$"],
)
def test_latin_notation_stays_masked(code):
    # in code a text-mode command is code; in math, Latin letters outside text mode are notation
    assert target_language_share(f"{ZH}{code}{ZH}", "zh", **SCRIPT) == 1.0


def test_latin_and_greek_letters_in_math_stay_neutral():
    masked = mask_non_language("$\\alpha\\beta + ABC + é + αβγ + 𝐯𝐞𝐜$")
    assert not any(ch.isalpha() for ch in masked), masked


@pytest.mark.parametrize(
    "text",
    [
        "$$" + "\\text{" * 100_000 + "$$",
        "$$\\text{" + "{" * 300_000 + "$$",
        "$$" + "\\text{a}" * 100_000 + "$$",
        "$$" + "\\text{\\}" * 100_000 + "$$",
        "$" + "中\\text{" * 100_000 + "$",
        "`" + "中" * 500_000 + "`",
        "".join(f"$x{i}中$ " for i in range(100_000)),
    ],
)
def test_adversarial_hidden_spans_stay_linear(text):
    t0 = time.perf_counter()
    share = target_language_share(text, "en", **SCRIPT)
    assert time.perf_counter() - t0 < 3.0
    assert share is None or 0.0 <= share <= 1.0


HIDDEN = st.sampled_from([ZH, RU, "이것은 한국어 문장입니다", "نحسب المشتقة أولاً", "まず導関数"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([EN, ZH, RU, "12 + 3 = 15."]), min_size=1, max_size=4),
    HIDDEN,
    st.sampled_from(WRAPPERS),
    st.sampled_from(["en", "zh", "ru", "ko", "ar", "ja"]),
    st.randoms(),
)
def test_wrapping_hidden_text_never_changes_the_units(parts, hidden, wrapper, target, rnd):
    at = rnd.randint(0, len(parts))
    wrapped = [*parts[:at], wrapper.format(h=hidden), *parts[at:]]
    bare = [*parts[:at], hidden, *parts[at:]]
    assert _units("\n".join(wrapped), target, **SCRIPT) == _units("\n".join(bare), target, **SCRIPT)
