"""Language hidden inside masked spans still counts.

Math, code and URLs are masked because they are notation, written in Latin and Greek letters. A
policy rewarded for language consistency could otherwise move its mixed-language reasoning into
`$..$` or backticks and score 1.0: letters of any other script inside a masked span, Greek words
of three or more letters, and the sentence ends after them count as if they were bare prose.
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


GREEK = "Πρώτα βρίσκουμε την παράγωγο και ελέγχουμε τα άκρα"


@pytest.mark.parametrize("wrapper", ["${h}$", "`{h}`", "\\[ {h} \\]"])
def test_greek_words_inside_a_span_count_and_greek_variables_do_not(wrapper):
    hidden = f"{EN} {wrapper.format(h=GREEK)} {EN}"
    # words of three or more letters count as bare ones do; two-letter words (τα) are notation
    words = [w for w in GREEK.split() if len(w) >= 3]
    assert _units(hidden, "en", **SCRIPT) == _units(f"{EN} {' '.join(words)} {EN}", "en", **SCRIPT)
    assert target_language_share(hidden, "el", **SCRIPT) > 0.0  # hidden Greek was 0.0 for el
    assert target_language_share(f"{ZH}$αβ + γ$ $\\alpha\\beta$ {ZH}", "zh", **SCRIPT) == 1.0


@pytest.mark.parametrize(
    "text",
    [
        # kanji-only formulas and code comments on lines of their own: honest Japanese
        "面積は次のように表されます：\n$$\\text{面積} = \\text{縦} \\times \\text{横} = 12$$\n"
        "よって答えは12です。",
        "確率は\n$$P(\\text{当選}) = \\frac{3}{10}$$\nとなります。",
        "次のコードで確認します。\n```python\n# 初期化\ntotal = 0\nfor i in range(10):\n"
        "    total += i  # 合計\n```\nよって答えは45です。",
    ],
)
def test_kanji_in_math_and_code_are_japanese_in_a_japanese_text(text):
    # math and code have no sentences: their Han follows the document (kana anywhere: Japanese),
    # not the line a display formula sits on, which has no kana of its own
    assert target_language_share(text, "ja", **SCRIPT) == 1.0
    assert target_language_share(text, "zh", **SCRIPT) == 0.0


def test_han_in_math_is_chinese_in_a_text_without_kana():
    text = f"{ZH}\n$$\\text{{面积}} = \\text{{长}} \\times \\text{{宽}}$$\n{ZH}"
    assert target_language_share(text, "zh", **SCRIPT) == 1.0
    assert target_language_share(text, "ja", **SCRIPT) == 0.0
    assert _units(f"{EN} ${ZH}$ {EN}", "en", **SCRIPT) == _units(f"{EN} {ZH} {EN}", "en", **SCRIPT)


def test_a_full_stop_in_math_is_notation_not_a_sentence_end():
    assert target_language_share("関数 $f(x) = 3.5$ の最小値を求めます。", "ja", **SCRIPT) == 1.0


def test_ukrainian_hidden_in_math_is_identified_as_such():
    ru = "Сначала найдём производную функции и затем проверим значения на концах отрезка"
    uk = "Спочатку знайдемо похідну функції. Потім перевіримо значення на кінцях відрізка."
    text = f"{ru} $${uk}$$ {ru}."
    assert target_language_share(text, "ru") == target_language_share(f"{ru} {uk} {ru}.", "ru")
    assert target_language_share(text, "ru") < 1.0


@pytest.mark.parametrize("word", ["مـرحـبـا", "мʼята"])
def test_modifier_letters_keep_a_hidden_word_whole(word):
    # the tatweel and the modifier apostrophe are Common-script letters inside words
    assert _units(f"{EN} ${word}$ {EN}", "en", **SCRIPT) == _units(
        f"{EN} {word} {EN}", "en", **SCRIPT
    )


@pytest.mark.parametrize(
    "notation",
    [
        "$12\\,\\text{cm}^2$",
        "$f(x) = \\begin{cases} 1 & \\text{if } x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}$",
        "$\\text{lcm}(12, 18) = 36$",
        "$v = 60\\,\\text{km/h}$",
        "$\\textbf{AB} + \\textit{CD}$",
        "`\\text{hello world}`",
        "$\\mathrm{kg} \\cdot ab$",
    ],
)
def test_latin_notation_stays_masked(notation):
    # units, labels and bold vectors in \text are notation to a reader of any language
    assert target_language_share(f"{ZH}{notation}{ZH}", "zh", **SCRIPT) == 1.0


def test_other_script_inside_text_mode_counts():
    assert _units(f"{EN} $\\text{{{ZH}}}$ {EN}", "en", **SCRIPT) == _units(
        f"{EN} {ZH} {EN}", "en", **SCRIPT
    )


def test_latin_and_greek_letters_in_math_stay_neutral():
    masked = mask_non_language("$\\alpha\\beta + ABC + é + αβ + 𝐯𝐞𝐜$")
    assert not any(ch.isalpha() for ch in masked), masked


def test_a_lone_surrogate_never_raises_with_the_language_id_stage():
    # fastText refused a segment with a lone surrogate (TypeError) once it reached the model
    for text in (f"{EN}\ud800 {EN}", f"{EN} $\\text{{we check that it works here\udfff}}$ {EN}"):
        for backend in ("fasttext", "langdetect"):
            share = target_language_share(text, "en", backend=backend)
            assert share is not None and 0.0 <= share <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "$中$ " * 400_000,
        "`中` " * 400_000,
        "```\n中\n```\n" * 200_000,
        "$$" + "中\\text{" * 100_000 + "$$",
        "`" + "中" * 1_000_000 + "`",
        "".join(f"$x{i}αβγ\x00中$ " for i in range(100_000)),
    ],
    ids=lambda text: f"{text[:12]!r}..{len(text)}",
)
def test_adversarial_hidden_spans_stay_fast(text):
    t0 = time.perf_counter()
    share = target_language_share(text, "en", **SCRIPT)
    assert time.perf_counter() - t0 < 2.0
    assert share is None or 0.0 <= share <= 1.0


HIDDEN = st.sampled_from(
    [
        ZH,
        RU,
        "이것은 한국어 문장입니다",
        "نحسب المشتقة أولاً",
        "まず導関数",
        "我们先求导数。然后检查。",
    ]
)


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


@pytest.mark.parametrize(
    ("text", "target"),
    [
        (
            'Then `assert normalize("Привет мир, как дела сегодня утром") == expected` holds '
            "for the input we chose.",
            "en",
        ),
        (
            "We print the greeting with `print('你好世界，今天天气很好，我们出去玩吧')` at the end "
            "of the program here.",
            "en",
        ),
        ("We compute $\\text{Площадь треугольника равна половине}$ then divide by two.", "en"),
        (
            "Поэтому ответ равен пяти, because the derivative is zero at that point and the "
            "function is convex.",
            "ru",
        ),
        ("Donc la réponse est cinq, 因为导数在这一点为零，函数在那里是凸的，所以是最小值。", "fr"),
    ],
)
@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_the_language_id_stage_reads_only_the_target_script_words(text, target, backend):
    # other scripts' words count as non-target in the script stage; left in a segment they
    # swayed the model and honest target-language words were counted against the text too
    # (fastText: the first and third texts en 0.0, every English word moved; langdetect: the
    # fourth ru 0.0)
    judged = language_share(text, target, backend=backend, min_segment_words=3)
    by_script = language_share(text, target, backend="script")
    assert judged.reclassified == 0
    assert judged.share == by_script.share
    assert 0.0 < judged.share < 1.0


@pytest.mark.parametrize(
    "text",
    [
        # German with Greek (neutral single letters) or Cyrillic look-alikes inside its words:
        # taking the look-alikes out cut the words into fragments no model could place, and
        # the German passed as English (1.0)
        "Die Ableιtυng der Funκtιon ιst αn dieser Sτelle gleιch null, αlso lιegt dort eιn "
        "Mιnιmυm vor.",
        "Darαus fοlgt, dαss die Lösυng eindeυtιg bestιmmt ιst υnd keιne weiτeren Fälle "
        "aυftreτen können.",
        "Dаrаus folgt, dаss die Lösung eindeutig bestimmt ist und keine weiteren Fälle "
        "auftreten können.",
    ],
)
@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_a_word_that_mixes_alphabets_reaches_the_model_whole(text, backend):
    assert target_language_share(text, "en", backend=backend) == 0.0


def test_mathematical_letters_are_taken_out_for_other_scripts():
    # 𝐛𝐨𝐥𝐝 letters are Latin words to the script stage: they must not sway the model either
    bold = "".join(chr(0x1D41A + ord(c) - 97) if c.isalpha() else c for c in EN_CLAUSE)
    for english in (EN_CLAUSE, bold):
        text = f"Поэтому ответ равен пяти, {english}."
        judged = language_share(text, "ru", backend="langdetect", min_segment_words=3)
        assert judged.reclassified == 0
        assert judged.share == language_share(text, "ru", backend="script").share
        # and Russian stays Russian for a Ukrainian target
        ukr = language_share(f"Значит ответ пять, {english}.", "uk", min_segment_words=3)
        assert ukr.share == 0.0 and ukr.reclassified == 3


EN_CLAUSE = "because the derivative is zero at that point and the function is convex there"


def test_han_glued_to_english_words_is_taken_out():
    text = "我们用dynamic programming来解决这个问题，then we check the base case of the recursion."
    judged = language_share(text, "en", min_segment_words=3)
    assert judged.reclassified == 0
    assert judged.share == language_share(text, "en", backend="script").share


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 0x10FFFF))
def test_class_sets_match_the_classifier(cp):
    import re

    from r1reward.verifiers import language_scripts as ls

    if 0xD800 <= cp <= 0xDFFF:
        return
    ch = chr(cp)
    import regex

    got = ls.classify(ch)
    # a joiner leaves no class byte, and neither does an invisible character alone
    invisible = regex.match(r"\p{Default_Ignorable_Code_Point}", ch) is not None
    cls = got[0] if got else ls.INVISIBLE if invisible else ls.JOIN
    for c in (cls, ls.SCRIPTS["Latin"], ls.HAN, ls.JOIN, ls.INVISIBLE, ls.OTHER):
        assert bool(re.fullmatch(ls.class_set(frozenset({c})), ch)) == (c == cls), (hex(cp), c)
