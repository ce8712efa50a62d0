"""The language-ID stage remembers its answers per segment: the same answers, only faster."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from r1reward.verifiers import language_lid
from r1reward.verifiers.language import target_language_shares

from .conftest import load_shared_jsonl

SENTENCES = [
    "Therefore, the value of x is the answer we wanted.",
    "Simplifying both sides of the equation, we get the following.",
    "Wir vereinfachen beide Seiten der Gleichung und erhalten das Ergebnis.",
    "Nous simplifions les deux côtés de l'équation et obtenons le résultat.",
    "Упрощая обе части уравнения, мы получаем следующее.",
]


@pytest.mark.parametrize("backend", ["fasttext", "langdetect"])
def test_a_remembered_answer_is_the_models_answer(backend):
    detect = language_lid.get_detector(backend)
    uncached = {
        "fasttext": language_lid._fasttext_prepared,
        "langdetect": language_lid._langdetect_prepared,
    }[backend]
    language_lid.clear_caches()
    for sentence in SENTENCES:
        first = detect(sentence)
        before = detect.cache_info().hits
        # the same segment, spaced and cased differently, is the same prepared text: remembered
        again = detect("  " + sentence.upper().replace(" ", "\n "))
        assert detect.cache_info().hits == before + 1
        assert first == again == uncached(language_lid._prepare(sentence))


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=80))
def test_any_segment_gets_the_uncached_answer(segment):
    detect = language_lid.get_detector("fasttext")
    assert detect(segment) == language_lid._fasttext_prepared(language_lid._prepare(segment))
    assert detect(segment) == language_lid._fasttext_prepared(language_lid._prepare(segment))


def test_long_segments_are_not_kept():
    detect = language_lid.get_detector("fasttext")
    language_lid.clear_caches()
    long = " ".join(SENTENCES * 40)
    assert len(long) > language_lid.CACHE_MAX_CHARS
    detect(long)
    detect(long)
    assert detect.cache_info().currsize == 0


def test_shares_of_real_chains_of_thought_do_not_depend_on_the_cache():
    from r1reward.verifiers.think import extract_cot

    rows = load_shared_jsonl("data/math/qwen25_math_cot_800.jsonl")[:80]  # 10 problems x 8
    cots = [extract_cot(r["completion"]) or r["completion"] for r in rows]
    cold = []
    for cot in cots:  # each CoT with nothing remembered
        language_lid.clear_caches()
        cold.append(target_language_shares([cot], "en")[0])
    language_lid.clear_caches()
    warm = target_language_shares(cots, "en")
    assert warm == cold
    assert language_lid._fasttext_detect.cache_info().hits > 0  # these CoTs repeat sentences


@pytest.mark.parametrize(("setting", "kept"), [("0", 0), ("12", 12), ("junk", 1 << 15)])
def test_the_cache_size_is_a_setting(setting, kept):
    """R1REWARD_LID_CACHE (read at import) sets how many segments a process keeps; 0 keeps
    none, and a malformed value keeps the default rather than failing."""
    import os
    import subprocess
    import sys

    code = (
        "from r1reward.verifiers import language_lid as l\n"
        "d = l.get_detector('fasttext')\n"
        "a = d('this is an english sentence for the test'); b = d('this is an english sentence for the test')\n"
        "print(d.cache_info().maxsize, a == b)\n"
    )
    env = {**os.environ, "R1REWARD_LID_CACHE": setting}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == [str(kept), "True"], out.stderr
