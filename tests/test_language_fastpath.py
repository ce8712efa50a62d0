"""The fast paths of masking and classification against the plain regex / set forms."""

from __future__ import annotations

import random
import re

import pytest
from r1reward.verifiers import _text
from r1reward.verifiers import language_scripts as ls

_TOKENS = [
    *("$", "$$", "`", "```", "````", "~~~", "~", "\n", " ", "    ", "\t", "5", "x", "ab"),
    *("\\", "\\$", "\\(", "\\)", "\\[", "\\]", "\\begin{a}", "\\end{a}", "\\frac", "http://a"),
    *("中", "の", "한", "é", "ー", "\u0301", "\n```\n", "\n~~~~\n"),
    *("</think>", "\n</think>\n", "\n </think>\t\n", "</answer>", "\r\n", "<think>"),
]
# the lazy form the possessive `_DOLLAR` replaced
_LAZY_DOLLAR = re.compile(r"\$\$[^$]+\$\$|\$(?![\s$])[^$\n]*?(?<![\s\\])\$(?!\d)")


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_TOKENS) for _ in range(rng.randint(0, 25))) for _ in range(n)]


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Each span replaced by what it keeps (the language in it, tested on its own below)."""
    for start, end in reversed(spans):
        text = text[:start] + _text._Kept().of([text[start:end]])[0] + text[end:]
    return text


_FENCE_RUN = re.compile(r"`{3,}|~{3,}")


def _plain_fences(
    text: str, breaks: tuple[str, ...] = (), reopen: str = ""
) -> list[tuple[int, int]]:
    """The fence rule in its plain form (a regex over all runs, a line-start test per run): a run
    of 3+ backticks or tildes after any spaces or tabs at a line start opens a block (backticks
    only with no backtick after them on the line), closed by a
    line of the same character repeated at least as often and nothing else; a line that is one
    of `breaks` but for whitespace, met while a block is open, ends it unclosed; a block that
    holds `breaks[0]` and then `reopen` gives no span."""
    cuts, pos = [], 0
    for line in text.split("\n"):
        if line.strip() in breaks:
            cuts.append(pos)
        pos += len(line) + 1
    spans: list[tuple[int, int]] = []
    opening: tuple[str, int, int, int] | None = None
    for m in _FENCE_RUN.finditer(text):
        start, end = m.span()
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" \t"):
            continue
        if opening is not None and any(opening[3] <= c < start for c in cuts):
            opening = None
        line_end = text.find("\n", end)
        rest = text[end:line_end] if line_end != -1 else text[end:]
        if opening is None:
            if text[start] == "`" and "`" in rest:
                continue
            opening = (text[start], end - start, line_start, end)
            continue
        if text[start] == opening[0] and end - start >= opening[1] and not rest.strip():
            close = text.find(breaks[0], opening[3], start) if breaks else -1
            if close == -1 or not reopen or text.find(reopen, close + len(breaks[0]), start) == -1:
                spans.append((opening[2], end))
            opening = None
    return spans


@pytest.mark.parametrize("seed", range(3))
def test_fence_spans_follow_the_plain_rule_and_dollar_pattern_the_lazy_regex(seed):
    """`fence_spans` is the one fence rule: the format checker and the language masker use it."""
    dollar = {t.needles: p for t, p, *_ in _text._PASSES}[("$",)]
    for text in _texts(seed, 1500):
        spans = _plain_fences(text)
        assert _text.fence_spans(text) == spans, text
        breaks = ("</think>", "</answer>")
        assert _text.fence_spans(text, breaks) == _plain_fences(text, breaks), text
        got = _text.fence_spans(text, breaks, "<think>")
        assert got == _plain_fences(text, breaks, "<think>"), text
        assert _text._mask_fences(text, _text._Kept()) == _mask_spans(text, spans), text
        assert dollar.sub(" ", text) == _LAZY_DOLLAR.sub(" ", text), text


@pytest.mark.parametrize("seed", range(2))
def test_classify_merges_every_mixed_block(seed):
    hi_table, ambiguous, _ = ls._tables()
    for text in _texts(seed, 500):
        expected = bytes(
            ambiguous[ord(c) >> 8][ord(c) & 0xFF]
            if (ord(c) >> 8) in ambiguous
            else hi_table[ord(c) >> 8]
            for c in text
        ).replace(bytes([ls.JOIN]), b"")
        assert ls.classify(text) == expected, text


_CJK = ["中", "文", "の", "カ", "ー", "한", "ab", "x", " ", ".", "。", "！", "？", "；", "\n", "!"]


def _per_sentence(text: str, lang: str) -> tuple[int, int]:
    """(target, total) units by the per-sentence Han/kana rule, one sentence at a time."""
    target = total = 0
    for sentence in re.split(r"[.!?;。！？；\n]+", text):
        counts = ls.count_classes(ls.classify(sentence))
        total += sum(counts.values())
        kana = ls.KANA in ls.classify(sentence)
        han = counts.get(ls.HAN, 0)
        if lang == "zh":
            target += 0 if kana else han
        else:
            target += counts.get(ls.KANA, 0) + (han if kana else 0)
    return target, total


@pytest.mark.parametrize("seed", range(2))
def test_kana_han_sentence_rule_in_one_pass(seed):
    from r1reward.verifiers.language import language_share

    rng = random.Random(seed)
    for _ in range(400):
        text = "".join(rng.choice(_CJK) for _ in range(rng.randint(0, 30)))
        marked = ls.classify_marked(text)
        assert marked.translate(ls._UNMARK) == ls.classify(text)
        for lang in ("zh", "ja"):
            got = language_share(text, lang, backend="script", masked=True)
            assert (got.target_units, got.total_units) == _per_sentence(text, lang), (text, lang)


_LID_WORDS = ["und", "the", "der", "is", "ab", "x", "é", "Привет", "мир", "中", " ", " ", " "]
_LID_ENDS = [".", "!", "?", ";", "。", "\n", ". ", "..", "\n\n"]


def _fake_detect(sentence: str) -> tuple[tuple[str, float], ...]:
    """Deterministic stand-in for a language-ID model: German when "und" occurs."""
    if "und" in sentence:
        return (("de", 0.95),)
    return (("en", 0.99),) if "the" in sentence else ()


def _lid_per_sentence(text: str, lang: str, min_words: int) -> tuple[int, int, int]:
    """The same-script stage written plainly: classify and count each sentence on its own, then
    cut the sentences with target-script words into segments (a long sentence alone; runs of
    short ones in pieces of at least min_words words, a short rest joining the run's last piece),
    and let the model read only each segment's target-script letters."""
    script = ls.SCRIPTS["Latin"] if lang == "en" else ls.SCRIPTS["Cyrillic"]
    target = total = 0
    runs: list[list[tuple[str, int]]] = [[]]  # runs of short sentences; a long one is a run alone
    for sentence in re.split(r"[.!?;。！？；\n]", text):
        counts = ls.count_classes(ls.classify(sentence))
        total += sum(counts.values())
        n = counts.get(script, 0)
        target += n
        if n >= min_words:
            runs += [[(sentence, n)], []]
        elif n:
            runs[-1].append((sentence, n))
    segments: list[tuple[list[str], int]] = []
    for run in runs:
        pieces: list[tuple[list[str], int]] = []
        texts, words = [], 0
        for sentence, n in run:
            texts.append(sentence)
            words += n
            if words >= min_words:
                pieces.append((texts, words))
                texts, words = [], 0
        if words and pieces:
            pieces[-1] = (pieces[-1][0] + texts, pieces[-1][1] + words)
        segments += pieces
    moved = 0
    for texts, words in segments:
        segment = " ".join(texts)
        own = {b"", b" ", bytes([script])}  # a character of the script, or no letter
        ranked = _fake_detect("".join(c if ls.classify(c) in own else " " for c in segment))
        if ranked and ranked[0][0] != lang:
            moved += words
    return target - moved, total, moved


@pytest.mark.parametrize("seed", range(3))
def test_same_script_segments_in_one_pass_match_the_plain_form(seed, monkeypatch):
    from r1reward.verifiers import language

    monkeypatch.setattr(language, "get_detector", lambda backend: _fake_detect)
    rng = random.Random(seed)
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 6)):
            parts += [rng.choice(_LID_WORDS) + " " for _ in range(rng.randint(0, 9))]
            parts.append(rng.choice(_LID_ENDS))
        text = "".join(parts)
        for lang in ("en", "ru"):
            for min_words in (1, 3, 5):
                got = language.language_share(text, lang, min_segment_words=min_words, masked=True)
                want = _lid_per_sentence(text, lang, min_words)
                assert (got.target_units, got.total_units, got.reclassified) == want, (text, lang)


@pytest.mark.parametrize("seed", range(2))
def test_the_masking_passes_run_exactly_when_their_substrings_occur(seed):
    """A pass's trigger (a regex search for a needle of several characters) says what `in` says."""
    triggers = [t for t, *_ in _text._PASSES] + [_text._ESCAPED_DOLLAR]
    assert any(t.searches for t in triggers)  # the regex form is exercised
    for text in [*_texts(seed, 2000), "www.", "a://b", "x\\$", "ww.w", ":/"]:
        for trigger in triggers:
            assert trigger(text) == any(n in text for n in trigger.needles), (text, trigger.needles)
