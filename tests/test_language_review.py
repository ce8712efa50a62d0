"""Review of the think-format and language-consistency verifiers: reward hacks and wrong scores
found by reading them as a policy under RL would, each with the input that showed it."""

from __future__ import annotations

import pytest
from r1reward.verifiers import think
from r1reward.verifiers.think import check_format, format_score

# ---------------------------------------------------------------- invisible "reasoning"
# Characters that render as nothing (zero-width space, word joiner, BOM, soft hyphen, bidi and
# variation controls, Hangul and Braille blanks). str.strip() keeps them, so a think block of
# only these was "reasoning" and earned full credit for skipping it.
INVISIBLE = [
    "\u200b",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e\u200f",
    "\u202a\u202c",
    "\u2066\u2069",
    "\u3164",
    "\u115f\u1160",
    "\uffa0",
    "\u2800",
    "\ufe0f",
    "\u034f",
    " \u200b\n\u200d ",
    # not in the strip set, found by what is left: astral format characters (tags, musical and
    # Egyptian format controls, shorthand overlaps), astral variation selectors, control
    # characters and a lone combining mark
    "\U000e0020",
    "\U000e0100",
    "\U0001d173",
    "\U00013430",
    "\U0001bca0",
    "\x00\x01",
    "\u0301",
    "\u200b\U000e0020\x7f",
]


@pytest.mark.parametrize("blank", INVISIBLE)
def test_invisible_thinking_is_empty_thinking(blank):
    for text, opts in (
        (f"<think>{blank}</think>42", {}),
        (f"<think>\n{blank}\n</think>\n<answer>42</answer>", {"answer_tags": "required"}),
        (f"{blank}</think>42", {"prefilled_think": True}),
        ({"reasoning_content": blank, "content": "42"}, {}),
    ):
        v = check_format(text, **opts)
        assert think.EMPTY_THINK in v.problems, (text, v)
        assert v.score <= 0.5
        if isinstance(text, str):  # (the reasoning-field path has no allow_empty_think)
            assert check_format(text, allow_empty_think=True, **opts).ok


@pytest.mark.parametrize("blank", INVISIBLE)
def test_invisible_answer_is_empty_answer(blank):
    for text in (f"<think>r</think>{blank}", f"<think>r</think><answer>{blank}</answer>"):
        v = check_format(text)
        assert think.EMPTY_ANSWER in v.problems and v.score < 1.0, (text, v)


def test_invisible_characters_around_real_text_are_blank():
    v = check_format("\ufeff<think>\u200breason\u200b</think>\u2060 42 \u200b")
    assert v.ok and v.reasoning == "reason" and v.answer == "42"
    strict = "<think>r</think>\u200b<answer>4</answer>\u200b"
    assert check_format(strict, strict=True).ok


def test_blank_set_holds_every_whitespace_character():
    import sys

    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert spaces <= set(think._BLANK)
    assert all(
        not c.isprintable()
        or c in "\u3164\u115f\u1160\uffa0\u2800"
        or c.isspace()
        or __import__("unicodedata").category(c) in ("Cf", "Mn")
        for c in think._BLANK
    )
    assert format_score("<think>r</think>42") == 1.0


# ---------------------------------------------------------------- language: masked spans
from r1reward.verifiers._text import mask_non_language  # noqa: E402
from r1reward.verifiers.language import language_share, target_language_share  # noqa: E402

ZH = "我们先计算导数。"  # 7 Han units
EN = "Let me compute the derivative first and then check the endpoints carefully"  # 12 words
EN_WORDS = 12


@pytest.mark.parametrize(
    "env", ["proof", "itemize", "enumerate", "quote", "center", "theorem", "solution", "document"]
)
def test_a_text_environment_is_not_masked_whole(env):
    # every \begin{..}..\end{..} was masked with its body, so English prose in a proof or a list
    # scored 1.0 for zh; only math and verbatim environments are not language
    text = f"{ZH}\\begin{{{env}}}\n\\item {EN}\n\\end{{{env}}}"
    r = language_share(text, "zh", backend="script")
    assert (r.target_units, r.total_units) == (7, 7 + EN_WORDS), text


@pytest.mark.parametrize(
    "env",
    ["align", "align*", "equation", "gather*", "cases", "pmatrix", "array", "eqnarray", "verbatim"],
)
def test_math_and_verbatim_environments_stay_masked(env):
    body = "f(x) &= \\sin x + \\cos x \\\\ g(x) &= \\max(a, b) \\text{ where ab holds }"
    text = f"{ZH}\\begin{{{env}}}{body}\\end{{{env}}}"
    assert target_language_share(text, "zh") == 1.0, text


def test_a_table_column_spec_is_not_a_word():
    text = f"{ZH}\\begin{{tabular}}{{|c|c|}} 1 & 2 \\\\ 3 & 4 \\end{{tabular}}"
    assert target_language_share(text, "zh") == 1.0
    assert mask_non_language("\\begin{tabular}{lcr}a").strip() == "a"


# ---------------------------------------------------------------- look-alike letters
def _styled(text: str, upper: int, lower: int) -> str:
    return "".join(
        chr(upper + ord(c) - 65) if c.isupper() else chr(lower + ord(c) - 97) if c.islower() else c
        for c in text
    )


@pytest.mark.parametrize(
    ("upper", "lower"),
    [(0x1D400, 0x1D41A), (0x1D608, 0x1D622), (0x1D670, 0x1D68A), (0x24B6, 0x24D0)],
    ids=["math-bold", "sans-italic", "monospace", "circled"],
)
def test_look_alike_latin_letters_are_latin_words(upper, lower):
    # mathematical alphanumerics and circled letters were neutral (symbols, not letters), so an
    # English chain of thought in 𝐛𝐨𝐥𝐝 or ⓒⓘⓡⓒⓛⓔⓓ letters scored zh share 1.0
    text = ZH + _styled(EN, upper, lower)
    r = language_share(text, "zh", backend="script")
    assert (r.target_units, r.total_units) == (7, 7 + EN_WORDS), text
    # one styled letter is a variable, neutral as x is
    assert target_language_share(ZH + _styled("x y", upper, lower), "zh") == 1.0


# ---------------------------------------------------------------- language: invisible separators
FRENCH = "Nous calculons la somme des deux nombres et nous obtenons le résultat final"
SEPARATORS = ["\u200b", "\u2060", "\u00ad", "\u200c", "\U000e0020", "\U000e0100", "\u034f"]


@pytest.mark.parametrize("sep", SEPARATORS)
def test_invisible_separators_do_not_hide_foreign_words(sep):
    """An invisible character between every letter used to cut words into one-letter runs,
    which are neutral: foreign text counted as nothing (zh share 1.0) and fastText could not
    read it (en share 1.0)."""
    hidden = sep.join(FRENCH)
    assert target_language_share("好 " + hidden, "zh") == target_language_share(
        "好 " + FRENCH, "zh"
    )
    assert target_language_share("好 " + hidden, "zh") < 0.1
    plain = target_language_share("Let me think. " + FRENCH, "en")
    assert plain < 0.5
    assert target_language_share("Let me think. " + hidden, "en") == plain


def test_math_alphanumerics_are_read_by_the_language_model():
    """Latin look-alikes count as Latin words; the model reads them as the letters they are."""
    bold = "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in FRENCH.lower())
    assert target_language_share("Let me think. " + bold, "en") < 0.5
    assert target_language_share("Let me think. " + bold, "fr") > 0.5


def test_hangul_fillers_are_no_words():
    assert target_language_share("\u3164" * 20 + " hello world", "ko") == 0.0


def test_a_url_masks_only_url_characters():
    """Chinese puts no space after a URL: `\\S+` masked the whole paragraph after `www.`."""
    chinese = "我们先计算两个数的和然后得到答案"
    for prefix in ("www.", "http://", "https://example.com/a?b=1&c=%20"):
        text = f"Let me think. {prefix}{chinese} So the answer is 5."
        assert target_language_share(text, "en") < 0.5, prefix
    assert "example" not in mask_non_language("see https://example.com/a_b?c=1#d ok")
    assert target_language_share("see https://zh.example.com/path 我们", "zh") == 2 / 3
