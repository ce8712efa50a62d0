"""Ways a policy could write another language and keep a high target share, found by an
adversarial review, each closed: invisible separators that merge a sentence into one "word",
text spelled out letter by letter, prose in `\\begin{...}`; and letterlike symbols (ℝ, ℕ) that
counted as foreign words in honest math. Bad options and inputs raise ValueError."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from r1reward.verifiers import language_lid
from r1reward.verifiers import language_scripts as ls
from r1reward.verifiers._text import longest_paragraph
from r1reward.verifiers.language import target_language_share, target_language_shares

EN = (
    "We first compute the derivative of the function and then we check where it vanishes so "
    "that we can find the minimum value of the expression"
)
ZH = "我们先计算导数。"
KO = "먼저 도함수를 계산합니다. "


@pytest.mark.parametrize("separator", ["\u200b", "\u3164", "\u2060", "\u00ad", "\u180e"])
@pytest.mark.parametrize(("prefix", "target"), [(ZH, "zh"), (KO, "ko")])
def test_invisible_separators_do_not_merge_a_sentence_into_one_word(separator, prefix, target):
    plain = target_language_share(prefix + EN, target)
    glued = target_language_share(prefix + EN.replace(" ", separator), target)
    assert glued <= plain + 0.1, (plain, glued)


@pytest.mark.parametrize("separator", ["\u200a", "-", "1", "\u00b7"])
def test_text_spelled_letter_by_letter_still_counts(separator):
    # words of six letters or more count (shorter ones are kept apart from point lists such as
    # `A、B、C、D`): far from the 1.0 spelling out scored, above the 0.21 of the plain text
    spelled = target_language_share(ZH + separator.join(EN), "zh")
    assert spelled < 0.4, spelled
    assert target_language_share("设点 A、B、C、D、E 在圆上，且 a+b+c+d=10。", "zh") == 1.0


def test_the_language_model_reads_an_invisible_separator_as_a_space():
    assert language_lid._prepare(EN.replace(" ", "\u200b")) == EN.lower()
    # between single letters it joins, as before: a word joiner in every gap hid French
    assert language_lid._prepare("m\u2060e\u2060r\u2060c\u2060i") == "merci"
    assert target_language_share(EN.replace(" ", "\u200b") + ".", "de") < 0.5


def test_prose_in_an_environment_marker_is_not_masked():
    hidden = target_language_share(ZH + "\\begin{" + EN + "}", "zh")
    assert hidden == target_language_share(ZH + EN, "zh")
    assert target_language_share(ZH + "\\begin{proof}证明完毕。\\end{proof}", "zh") == 1.0


def test_text_in_letterlike_symbols_is_words():
    """`Lℯt mℯ tℎℹnk`: ℯ, ℎ, ℹ stand for Latin letters; made neutral, they cut English apart."""
    look_alike = str.maketrans({"e": "ℯ", "h": "ℎ", "i": "ℹ", "o": "ℴ", "g": "ℊ", "l": "ℓ"})
    prefix = "我们先计算导数。"
    assert target_language_share(prefix + EN.translate(look_alike), "zh") == (
        target_language_share(prefix + EN, "zh")
    )


def test_letterlike_symbols_are_notation_not_words():
    assert target_language_share("Let f: ℝ → ℝ and n ∈ ℕ be given, with ℓ ≥ 1 µm.", "en") == 1.0
    assert target_language_share("设 ℵ₀ 为可数基数，f: ℝ → ℝ。", "zh") == 1.0
    assert target_language_share("设 f: ℝ → ℝ，且 n ∈ ℕ。", "zh") == 1.0


@pytest.mark.parametrize(
    "options",
    [{"min_units": None}, {"min_units": "2"}, {"min_segment_words": 0}, {"lid_confidence": None}],
)
def test_options_of_the_wrong_type_raise_value_error(options):
    with pytest.raises(ValueError):
        target_language_share("hello world", "en", **options)


def test_one_string_is_not_a_batch():
    with pytest.raises(ValueError, match="iterable of texts"):
        target_language_shares("hello", "en")


def test_windows_blank_lines_separate_paragraphs():
    assert longest_paragraph("abc\r\n\r\nde") == longest_paragraph("abc\n\nde") == 3


def _words_by_definition(cls: bytes, c: int) -> int:
    """count_words as its definition reads, one run at a time."""
    only = bytes(b if b == c else ls.NEUTRAL for b in cls)
    runs = [m.group() for m in re.finditer(rb"%s+" % re.escape(bytes([c])), only)]
    n = 0
    for r in runs:
        if len(r) >= ls.LONG_RUN:
            n += len(r) // ls.LETTERS_PER_WORD
        elif len(r) > 1 or c not in ls.SINGLE_NEUTRAL:
            n += 1
    if c in ls.SINGLE_NEUTRAL:  # single letters, one neutral character (no sentence end) apart
        gaps = bytes(b if b in (c, ls.NEUTRAL) else ord("x") for b in cls)
        pattern = rb"(?<!C)C(?: C){%d,}(?!C)" % (ls.SPELLED_RUN - 1)
        for m in re.finditer(pattern.replace(b"C", re.escape(bytes([c]))), gaps):
            letters = (len(m.group()) + 1) // 2
            n += -(-letters // ls.SPELLED_PER_WORD)  # per run
    return n


L, G, B = ord("L"), ord("G"), ord("B")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([L, G, B, ls.NEUTRAL, ls.HAN, ls.MARK]), max_size=80).map(bytes))
def test_word_counts_follow_the_definition(cls):
    for c in (L, G, B):
        assert ls.count_words(cls, c) == _words_by_definition(cls, c), (cls, c)
        # a text's count is the sum of its sentences' counts
        sentences = cls.split(bytes([ls.MARK]))
        assert ls.count_words(cls, c) == sum(ls.count_words(s, c) for s in sentences)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["ab", "cde", " ", "x", "中", "\u200b", "-"]), max_size=60))
def test_shares_stay_in_range_with_separators_and_spelling(parts):
    share = target_language_share("".join(parts), "zh", backend="script")
    assert share is None or 0.0 <= share <= 1.0


CHINESE = "我们先计算函数的导数，然后求出极值点，最后比较端点的函数值得到最小值。"


@pytest.mark.parametrize(
    "text",
    [
        CHINESE[:-1] + "の。",  # one kana per sentence
        "\n".join(["の" + CHINESE.replace("。", "，")] * 4),  # one per line
    ],
)
def test_chinese_with_a_token_kana_is_not_japanese(text):
    assert target_language_share(CHINESE, "ja") == 0.0
    assert target_language_share(text, "ja") < 0.2
    assert target_language_share(text, "zh") > 0.8


def test_japanese_sentences_are_japanese():
    japanese = "よって、最大値は$f(2)=5$である。次に、二次関数の最大値を求める。"
    assert target_language_share(japanese, "ja") == 1.0
    assert target_language_share(japanese, "zh") == 0.0


def test_a_math_environment_nested_in_another_is_masked_with_it():
    """`cases` in `align*` (what models write for piecewise functions) left the rest of the body,
    `\\text{total cost}` included, counted as English."""
    body = (
        "\\begin{align*}\nf(x) &= \\begin{cases} 2x & \\text{if } x < 3 \\\\ 36 & "
        "\\text{otherwise} \\end{cases} \\\\\n\\text{total cost} &= 36\n\\end{align*}"
    )
    assert target_language_share("由题意，分段函数为\n" + body + "\n所以答案是36。", "zh") == 1.0
    # one level only: a third level leaves the outer environment to the marker rule
    deeper = body.replace("2x", "\\begin{matrix} a \\end{matrix}")
    assert target_language_share(deeper, "en", backend="script") is not None


def test_an_unsure_model_counts_a_segment_as_the_target_only_when_the_target_is_plausible():
    from unittest import mock

    from r1reward.verifiers import language

    text = "Wir berechnen zuerst die Ableitung der Funktion."
    for ranked, moved in (
        ((("de", 0.5), ("en", 0.3)), False),  # the target is the model's answer
        ((("en", 0.9),), True),  # another language, confidently
        ((("en", 0.6), ("de", 0.2)), False),  # unsure, and the target is plausible
        ((("en", 0.6), ("nl", 0.2)), True),  # unsure, and the target is not among the answers
        ((("en", 0.4), ("nl", 0.3)), True),  # unsure, leaning away from an implausible target
        ((("en", 0.15),), False),  # unsure, and leaning to no language (below LID_FLOOR)
        ((("hr", 0.43), ("de", 0.099)), False),  # spread over sisters: not LID_LEAN times
        ((), False),  # no answer
    ):
        with mock.patch.object(language, "get_detector", lambda backend, r=ranked: lambda s: r):
            share = target_language_share(text, "de")
        assert share == (0.0 if moved else 1.0), ranked


def test_plain_english_earns_nothing_for_german_or_french():
    """fastText gives this sentence en 0.798: under the old rule (unsure counts as the target)
    it scored 1.0 for a German target."""
    english = "First we compute the derivative of the function and then we check where it vanishes."
    assert target_language_share(english, "de") == 0.0
    assert target_language_share(english, "fr") == 0.0
    assert target_language_share(english, "en") == 1.0


GERMAN = (
    "Zuerst berechnen wir die Ableitung der Funktion. Dann setzen wir die Ableitung gleich null. "
    "Also ist das Minimum bei $x = 2$. Wir prüfen, ob die zweite Ableitung positiv ist. "
    "Damit ist die Aussage bewiesen."
)
FRENCH = (
    "D'abord, nous calculons la dérivée de la fonction. Ensuite, on pose la dérivée égale à zéro. "
    "Donc le minimum est atteint en $x = 2$. La solution de l'équation est unique."
)


@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_honest_german_and_french_keep_full_credit(backend):
    assert target_language_share(GERMAN, "de", backend=backend) == 1.0
    assert target_language_share(FRENCH, "fr", backend=backend) == 1.0


def test_min_target_prob_is_checked():
    with pytest.raises(ValueError, match="min_target_prob"):
        target_language_share("hello world", "en", min_target_prob=2)


@pytest.mark.parametrize("wrap", ["\\({}\\)", "$${}$$", "\\[{}\\]", "$\\text{{{}}}$"])
def test_prose_wrapped_in_math_counts_as_prose(wrap):
    english = "We first compute the derivative of the function and then check where it vanishes"
    plain = target_language_share(ZH + english, "zh")
    assert target_language_share(ZH + wrap.format(english), "zh") == plain < 0.5
    assert target_language_share(wrap.format(english) + ".", "de") == 0.0  # the model reads it


@pytest.mark.parametrize(
    "math",
    [
        "$5\\,\\text{cm}^2$",
        "$x > 0 \\text{ and } y > 0$",
        "$\\max_{i} a_i = \\frac{abc}{2}$",
        "\\begin{align*} f(x) &= \\sin x \\\\ g(x) &= \\text{if } x \\text{ then } y \\end{align*}",
        "$\\text{Area} = \\text{base} \\times \\text{height}$",
    ],
)
def test_notation_in_math_stays_masked(math):
    assert target_language_share(f"设面积为 {math}，则结果成立。", "zh") == 1.0


def _framed(text: str, base: int) -> str:
    return "".join(chr(base + ord(c.upper()) - 65) if c.isalpha() else c for c in text)


@pytest.mark.parametrize("base", [0x1F110, 0x1F130, 0x1F150, 0x1F170])
def test_letters_in_frames_are_latin(base):
    """🄻🄴🅃 (parenthesised, squared, negative circled and squared letters) share their high
    surrogate with emoji; text written in them scored 1.0 for a Chinese target. Regional
    indicators stay neutral: two of them are a flag."""
    prefix = "我们先计算导数。"
    assert target_language_share(prefix + _framed(EN, base), "zh") == target_language_share(
        prefix + EN, "zh"
    )
    assert ls.classify(_framed("let", base)) == ls.classify("let")  # Latin, not another class
    latin = ls.class_set(frozenset({ls.SCRIPTS["Latin"]}))  # the pattern form agrees
    assert re.fullmatch(latin, _framed("l", base)) and not re.fullmatch(latin, "🌟")
    assert target_language_share(_framed(EN, base), "en", backend="script") == 1.0
    emoji = "🌟🎉🃏🀄🇨🇳"  # the same high surrogate, not letters
    assert target_language_share(prefix + emoji, "zh") == 1.0


def test_code_in_a_list_item_is_masked():
    text = (
        "我们先写代码：\n1. 第一步：\n    ```python\n    def compute_the_minimum(values):\n"
        "        return min(values)\n    ```\n所以答案是最小值。"
    )
    assert target_language_share(text, "zh") == 1.0


def test_the_language_model_reads_look_alikes_as_letters():
    assert language_lid._prepare("ʟᴀ sᴏʟᴜᴛɪᴏɴ") == "la solution"
    assert language_lid._prepare("L\u0332o\u0332sung") == "losung"
    for kept in ("tiếng việt có dấu", "नमस्ते दुनिया", "ελληνικά"):  # composed, or not Latin
        assert language_lid._prepare(kept) == kept
    french = "Nous calculons d'abord la dérivée de la fonction puis nous vérifions le minimum."
    assert target_language_share(french.translate(str.maketrans("aeiou", "ᴀᴇɪᴏᴜ")), "en") == 0.0
    german = (
        "Zuerst berechnen wir die Ableitung der Funktion und dann prüfen wir wo sie verschwindet."
    )
    low_lined = "".join(c + "\u0332" if c in "aeiou" else c for c in german)
    assert target_language_share(low_lined, "en") == 0.0


def test_a_script_subtag_the_target_is_not_judged_in_is_refused():
    """`sr-Latn` was judged as Cyrillic Serbian: honest Latin Serbian scored 0.0."""
    with pytest.raises(ValueError, match="Latn is not supported"):
        target_language_share("Prvo računamo izvod funkcije.", "sr-Latn")
    assert target_language_share("Сначала вычислим производную.", "ru-Cyrl") == 1.0
    assert target_language_share("我们先计算导数。", "zh-Hans") == 1.0


def test_terse_math_lines_keep_their_language():
    """After masking, `If , then` is all a line says: the model leans nowhere."""
    lines = (
        "- If $x = 1$, then $y = 3$.\n- If $x = 2$, then $y = 5$.\n- If $x = 3$, then $y = 7$.\n"
    )
    assert target_language_share(lines, "en") == 1.0
    assert (
        target_language_share("So $a = 3$.\nThus $b = 4$.\nHence $c = 5$.\nThen $d = 6$.\n", "en")
        == 1.0
    )


def test_a_language_the_model_spreads_over_its_sisters_keeps_its_share():
    bosnian = (
        "Prvo izračunamo izvod funkcije i izjednačimo ga s nulom. Zatim provjerimo da li je "
        "druga derivacija pozitivna, pa je to minimum funkcije."
    )
    assert target_language_share(bosnian, "bs") >= 0.9


def test_spelled_words_in_many_sentences_never_make_a_share_negative():
    text = "w\u200ai\u200as\u200as\u200ae\u200an. " * 12
    for target in ("de", "en", "zh"):
        share = target_language_share(text, target)
        assert share is None or 0.0 <= share <= 1.0


def test_a_nul_in_a_math_span_is_just_a_character():
    from r1reward.verifiers.language import language_share

    assert language_share("$a\x00b$ $let me think about this problem now$", "en").share is None
    text = "我们先计算导数。$a\x00b$ $x$ 然后" + "\\(" + EN + "\\)"
    assert target_language_share(text, "zh") < 0.5


def test_an_invisible_character_between_words_is_a_space_between_letters_a_joiner():
    assert ls.classify("ab\u200bcd") == ls.classify("ab cd")
    assert ls.classify("m\u2060e\u2060r\u2060c\u2060i") == ls.classify("merci")
    glued = EN.replace(" ", "\u200b")
    assert target_language_share(ZH + glued, "zh") == target_language_share(ZH + EN, "zh")


@pytest.mark.parametrize("joiner", [" ", "，", ", "])
def test_prose_cut_into_small_math_spans_is_read_together(joiner):
    words = EN.split()
    chunks = [" ".join(words[i : i + 3]) for i in range(0, len(words), 3)]
    cut = joiner.join(f"${c}$" for c in chunks)
    assert target_language_share(ZH + cut, "zh") == target_language_share(ZH + EN, "zh")
    # math spans with words between them are read apart
    assert target_language_share("设 $x$, $y$ 为实数，$\\text{if } x > 0$ 且 $y$。", "zh") == 1.0


def test_a_terse_kanji_heavy_japanese_line_is_japanese():
    assert target_language_share("解：判別式D=b²−4ac=16−12=4>0より実数解二個。", "ja") > 0.9


def test_telegraphic_english_earns_little_for_german():
    """Short English lines (`Convert gallons to quarts.`: en 0.33) leaned to English below the
    0.5 majority the rule first asked for, and scored 0.53 for German."""
    lines = [
        "Convert gallons to quarts.", "Convert quarts to pints.", "Next, we convert gallons to quarts.",
        "Finally, we convert quarts to pints.", "Convert the mixed number to an improper fraction.",
        "Multiply both sides by $x$.", "Subtract $3$ from both sides.", "Divide both sides by $2$.",
        "Combine like terms.", "Simplify the fraction.", "Plug in the values.", "Check the answer.",
    ]  # fmt: skip
    text = "\n".join(lines)
    assert target_language_share(text, "de") < 0.2
    assert target_language_share(text, "en") == 1.0


def test_a_geometry_proof_keeps_its_point_names_as_notation():
    proof = (
        "证明：连接 $AD$。\n$$\\begin{aligned} AB &= AC \\\\ BD &= CD \\\\ AD &= AD \\end{aligned}$$\n"
        "由 $\\text{SSS}$ 得 $\\triangle ABD \\cong \\triangle ACD$，所以 $\\angle BAD = \\angle CAD$。"
    )
    assert target_language_share(proof, "zh") == 1.0


@pytest.mark.parametrize("wrap", ["\\mathrm{{{}}}", "\\operatorname{{{}}}", "x_{{{}}}", "1{}"])
def test_words_styled_or_subscripted_one_by_one_still_read_as_prose(wrap):
    cut = " ".join(wrap.format(w) for w in EN.split())
    assert target_language_share(ZH + f"${cut}$", "zh") == target_language_share(ZH + EN, "zh")
