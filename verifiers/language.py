"""Language consistency of a chain of thought: the share of its words in the target language.

DeepSeek-R1 adds a reward equal to "the proportion of target language words in the CoT". Whole-
text language ID is wrong on short, math-heavy or mixed text (fastText lid.176 calls
`设 $f(x)=…$，则…` Italian) and per-word language ID is biased to English, so the share is decided
by writing system first, and a language-ID model only separates languages that share a script.

Definition of `target_language_share(text, target)`:

1. Text judged: the given text. For a completion use `cot_language_share`, which judges the chain
   of thought as `think.check_format` parses it (the think block; everything before `</think>`
   when `<think>` was pre-filled; the `reasoning_content` field of a message).
2. Masked (not language): closed fenced code blocks (the format checker's rule: a fence that is
   never closed is not code, so it and the text after it stay text); inline code; LaTeX math
   `$..$` (Pandoc's rule, so prices like "$5 and $6" stay prose), `$$..$$`, `\\(..\\)`,
   `\\[..\\]`, `\\begin{env}..\\end{env}`; any other LaTeX command (`\\frac`, `\\boxed`); URLs.
   A masked span keeps the language in it, in place, so that a policy cannot hide another script
   in math or code: letters of scripts other than Latin and Greek, Greek runs of three or more
   letters, and the sentence ends after them (notation and code are written in Latin letters and
   Greek runs of one or two letters; Latin words in them, `\\text{cm}` included, stay masked),
   except in math that reads as prose (`_text.PROSE_WORDS`: 8 distinct words of 3+ letters, no
   command names or point names, in a span or a run of spans with no word between them), which
   keeps its text. The Han of masked spans is Japanese in a text that has kana anywhere, else
   Chinese: math and code have no sentences of their own.
3. Units, by Unicode script of the remaining letters: each Han character and each Kana character
   is one unit (`ー` and voicing marks join the kana before them); each maximal run of letters of
   any other script is one word (combining marks stay inside words: Devanagari vowel signs,
   Arabic harakat, NFD Vietnamese; invisible characters too, except between two runs of two or
   more letters, where they are the space they stand for); a one-letter Latin or Greek run (x,
   n, α) is neutral, as are digits, punctuation and symbols; a letterlike symbol is the Latin or
   Greek letter it stands for (ℯ is e; ℝ alone is a one-letter run). A run of `LONG_RUN` (20) or
   more letters counts one word per `LETTERS_PER_WORD` (6): words run together, or a script
   written without spaces (Thai, Lao, Khmer, Myanmar); `SPELLED_RUN` (6) or more one-letter
   Latin or Greek runs with one neutral character between each (no sentence end) are a word
   spelled out, one word per `SPELLED_PER_WORD` (5) letters, rounded up per run (see
   `language_scripts`). Han in a sentence whose kana make at least an eighth of its Han and kana
   is Japanese, other Han is Chinese (sentences end at . ! ? ; 。！？； or a newline).
4. Target units: units in the target's script (zh: Han; ja: Han and Kana; ko: Hangul; ru:
   Cyrillic; ar: Arabic; hi: Devanagari; en/de/fr/es/pt/vi/...: Latin; see `TARGET_SCRIPTS`).
5. Same-script check (backends "fasttext", default, and "langdetect"; skipped by "script"): when
   other languages share the target's script, the text is cut into segments and each is
   identified; its target-script words count as non-target when the model says another language
   with probability at least `lid_confidence` (0.8), or when it is unsure, gives the target less
   than `min_target_prob` (0.1) and leans to another language (at least `LID_FLOOR`, 0.2, and
   `LID_LEAN`, 5, times the target's probability): an unsure model used to count as the target,
   so plain English scored up to 0.81 for a German target ("First we compute the derivative
   ...": en 0.798, de 0.003), 0.16 on average over real English chains of thought. Segments,
   over the sentences that have words in the target's script (others are skipped): a sentence
   with at least `min_segment_words` such words is a segment alone; consecutive shorter
   sentences are merged until the segment has `min_segment_words` words, and the short rest of
   such a run joins its last segment (a run with fewer words in all is too short to identify).
   The model reads a segment without the words of other scripts, counted in step 3 already (a
   Russian string quoted in English code made the English around it Russian); a word that mixes
   alphabets stays whole (look-alike letters must not cut German into fragments that pass as
   English); Han and Kana are always taken out (`_other_letters`). The target is the model's own
   label for it when the model has one (lid.176: `ckb`, `nn`, `ug`), else the model's label for
   the language it is a form of (`nb`, `nn` -> `no`; `fil` -> `tl`), read from the model's label
   set (`language_lid.labels`). A target the backend cannot name at all (lid.176: `ha`, `ig`,
   `zu`, `xh`, `ti`; langdetect: `ckb`, `ms`, `bs`, ...) skips this stage: its script decides,
   since the model would call its text a neighbour (Tigrinya `am`).
6. share = target units / all units, in [0, 1]; None when there are fewer than `min_units` units
   (nothing to judge: empty, or only math and code).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import language_scripts as ls
from ._text import has_code_block, longest_paragraph, split_non_language
from .language_lid import BACKENDS, ModelUnavailable, Ranked, get_detector
from .language_lid import labels as lid_labels

__all__ = [
    "TARGET_SCRIPTS",
    "LanguageShare",
    "ModelUnavailable",
    "cot_language_share",
    "has_code_block",
    "is_mixed_language",
    "language_share",
    "longest_paragraph",
    "normalize_target",
    "target_language_share",
    "target_language_shares",
]

MAX_CHARS = 2_000_000  # longer texts are judged on their first MAX_CHARS characters

_L, _C, _A, _D = (ls.SCRIPTS[s] for s in ("Latin", "Cyrillic", "Arabic", "Devanagari"))
_LATIN_LANGS = (
    *("en", "de", "fr", "es", "pt", "it", "nl", "vi", "id", "ms", "tr", "pl", "cs", "sk", "sl"),
    *("hr", "bs", "ro", "hu", "sv", "da", "no", "nb", "nn", "fi", "et", "lv", "lt", "sq", "ca"),
    *("gl", "eu", "af", "sw", "tl", "fil", "is", "ga", "cy", "mt", "az", "uz", "ha", "yo", "ig"),
    *("zu", "xh", "so", "eo", "la", "lb", "oc", "br", "fy"),
)
_SCRIPT_LANGS: dict[int, Sequence[str]] = {
    _L: _LATIN_LANGS,
    _C: ["ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg", "tt", "ba", "cv"],
    _A: ["ar", "fa", "ur", "ps", "ug", "sd", "ckb"],
    _D: ["hi", "mr", "ne", "sa", "mai"],
    ls.SCRIPTS["Bengali"]: ["bn", "as"],
    ls.SCRIPTS["Hebrew"]: ["he", "yi"],
    ls.SCRIPTS["Greek"]: ["el"],
    ls.SCRIPTS["Hangul"]: ["ko"],
    ls.SCRIPTS["Thai"]: ["th"],
    ls.SCRIPTS["Lao"]: ["lo"],
    ls.SCRIPTS["Khmer"]: ["km"],
    ls.SCRIPTS["Myanmar"]: ["my"],
    ls.SCRIPTS["Georgian"]: ["ka"],
    ls.SCRIPTS["Armenian"]: ["hy"],
    ls.SCRIPTS["Tamil"]: ["ta"],
    ls.SCRIPTS["Telugu"]: ["te"],
    ls.SCRIPTS["Kannada"]: ["kn"],
    ls.SCRIPTS["Malayalam"]: ["ml"],
    ls.SCRIPTS["Gujarati"]: ["gu"],
    ls.SCRIPTS["Gurmukhi"]: ["pa"],
    ls.SCRIPTS["Oriya"]: ["or"],
    ls.SCRIPTS["Sinhala"]: ["si"],
    ls.SCRIPTS["Ethiopic"]: ["am", "ti"],
    ls.SCRIPTS["Tibetan"]: ["bo"],
}
# Language -> script class byte. zh and ja are special-cased (Han/Kana sentence rule).
TARGET_SCRIPTS: dict[str, int] = {
    lang: cls for cls, langs in _SCRIPT_LANGS.items() for lang in langs
} | {"zh": ls.HAN, "ja": ls.KANA}
# Scripts written by several languages: a language-ID model must separate them.
_SHARED = frozenset(cls for cls, langs in _SCRIPT_LANGS.items() if len(langs) > 1)
_SENTENCE_END = re.compile(f"[{re.escape(ls.SENTENCE_END)}]")  # one split per end character
# Our code -> the language it is a written form of, used only when a model lacks our code.
_FORM_OF = {"nb": "no", "nn": "no", "fil": "tl"}


@cache
def _lid_label(lang: str, backend: str) -> str | None:
    """The backend's label for target `lang`, or None when the backend cannot name it."""
    names = lid_labels(backend)
    if lang in names:
        return lang
    form = _FORM_OF.get(lang)
    return form if form in names else None


@dataclass(frozen=True, slots=True)
class LanguageShare:
    """What the share was computed from. `share` is None when there were too few units."""

    share: float | None
    target_units: int
    total_units: int
    reclassified: int = 0  # target-script words moved to non-target by the language-ID stage
    truncated: bool = False


def normalize_target(target: str) -> str:
    """The language code a target names (`zh-CN` -> `zh`); ValueError for one we cannot judge."""
    if not isinstance(target, str):
        raise ValueError(f"target must be a language code like 'en' or 'zh', not {target!r}")
    lang, *subtags = target.strip().lower().replace("_", "-").split("-")
    if lang not in TARGET_SCRIPTS:
        raise ValueError(f"unsupported target language {target!r}; known: {sorted(TARGET_SCRIPTS)}")
    for tag in subtags:  # a script other than the one the language is judged in: say so
        script = _SCRIPT_SUBTAGS.get(tag)
        if script is not None and script != TARGET_SCRIPTS[lang]:
            usual = next(n for n, c in ls.SCRIPTS.items() if c == TARGET_SCRIPTS[lang])
            raise ValueError(
                f"target {target!r}: {lang} is judged in the {usual} script; "
                f"{tag.title()} is not supported for it"
            )
    return lang


# ISO 15924 script subtags of targets (`sr-Latn`, `zh-Hans`) and the class each names
_SCRIPT_SUBTAGS = {
    "latn": ls.SCRIPTS["Latin"],
    "cyrl": ls.SCRIPTS["Cyrillic"],
    "arab": ls.SCRIPTS["Arabic"],
    "deva": ls.SCRIPTS["Devanagari"],
    "grek": ls.SCRIPTS["Greek"],
    "hebr": ls.SCRIPTS["Hebrew"],
    "kore": ls.SCRIPTS["Hangul"],
    "hang": ls.SCRIPTS["Hangul"],
    "hans": ls.HAN,
    "hant": ls.HAN,
    "hani": ls.HAN,
    "jpan": ls.KANA,
}


def _target_units(counts: dict[int, int], lang: str, japanese_han: bool) -> int:
    if lang == "zh":
        return 0 if japanese_han else counts.get(ls.HAN, 0)
    if lang == "ja":
        return counts.get(ls.KANA, 0) + (counts.get(ls.HAN, 0) if japanese_han else 0)
    return counts.get(TARGET_SCRIPTS[lang], 0)


def language_share(
    text: str,
    target: str,
    *,
    backend: str = "fasttext",
    min_units: int = 1,
    min_segment_words: int = 5,
    lid_confidence: float = 0.8,
    min_target_prob: float = 0.1,
    masked: bool = False,
) -> LanguageShare:
    """The share with the counts behind it (see the module docstring for the definition)."""
    if (min_units, min_segment_words, lid_confidence, min_target_prob) != _DEFAULT_OPTIONS:
        _check_options(min_units, min_segment_words, lid_confidence, min_target_prob)
    lang = normalize_target(target)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, not {type(text).__name__}")
    truncated = len(text) > MAX_CHARS
    if truncated:
        text = text[:MAX_CHARS]
    span_han = 0  # Han characters of masked spans: Japanese in a text with kana, else Chinese
    if not masked:
        text, span_han = split_non_language(text)
    script = TARGET_SCRIPTS[lang]
    marked = ls.classify_marked(text)
    counts = ls.count_classes(marked)  # sentence ends in it: no rule crosses one
    kana = ls.KANA in marked
    cjk_mixed = kana and ls.HAN in marked  # the Han of the prose, by sentence
    if span_han:
        counts[ls.HAN] = counts.get(ls.HAN, 0) + span_han
    need_lid = (
        backend != "script"
        and script in _SHARED
        and counts.get(script, 0) >= min_segment_words
        and _lid_label(lang, backend) is not None
    )
    if not need_lid:
        if not cjk_mixed:
            target_n = _target_units(counts, lang, japanese_han=kana)
        elif lang in ("zh", "ja"):
            # the sentence rule without a pass per sentence: units never straddle a sentence
            # end (ends are neutral), so the sentences' counts add up to the text's counts
            han_ja = ls.han_in_kana_sentences(marked) + span_han
            if lang == "zh":
                target_n = counts.get(ls.HAN, 0) - han_ja
            else:
                target_n = counts.get(ls.KANA, 0) + han_ja
        else:
            target_n = counts.get(script, 0)
        return _result(target_n, sum(counts.values()), 0, min_units, truncated)
    detect = get_detector(backend)
    label = _lid_label(lang, backend)
    moved = 0
    for segment, words in _segments(marked, text, script, min_segment_words):
        if _other_language(detect(segment), label, lid_confidence, min_target_prob):
            moved += words
    # counts add up over sentences, so moved <= counts[script]; the bound keeps a share in [0, 1]
    moved = min(moved, counts[script])
    return _result(counts[script] - moved, sum(counts.values()), moved, min_units, truncated)


def _segments(marked: bytes, text: str, script: int, min_words: int) -> list[tuple[str, int]]:
    """The segments the same-script stage identifies, as (text, words in `script`), in order.

    A sentence with at least `min_words` words is a segment alone. Consecutive shorter sentences
    are merged until the segment has `min_words` words; the rest of such a run that stays short
    joins the run's last segment, and a run with fewer words in all is not identified. Sentences
    without words in the script are left out and do not end a run.
    """
    # Sentences of the class string (split at MARK) line up one to one with the text's pieces
    # split at each sentence end, since every end character is one MARK byte.
    only_script = bytes((ls.NEUTRAL, script))
    segments: list[tuple[str, int]] = []
    run: list[str] = []  # short sentences not yet in a segment
    run_words = 0
    last = -1  # index of the current run's last segment, -1 when it has none
    for s_cls, sentence in zip(
        marked.split(ls._BYTES[ls.MARK]), _SENTENCE_END.split(text), strict=True
    ):
        if script not in s_cls:
            continue
        words = ls.count_words(s_cls, script)
        if not words:
            continue
        if s_cls.translate(None, only_script):  # other scripts' letters: counted already
            sentence = _other_letters(script).sub(" ", sentence)
        if words < min_words:
            run.append(sentence)
            run_words += words
            if run_words >= min_words:
                segments.append((" ".join(run), run_words))
                last, run, run_words = len(segments) - 1, [], 0
            continue
        if run and last >= 0:
            _extend(segments, last, run, run_words)
        run, run_words, last = [], 0, -1
        segments.append((sentence, words))
    if run and last >= 0:
        _extend(segments, last, run, run_words)
    return segments


@cache
def _other_letters(script: int) -> re.Pattern[str]:
    """Letters of classes other than `script` (with the marks in them) that are not part of a
    word with letters of `script`. The script stage counts them as non-target already; left in
    a segment they would sway the model's answer on the target-script words around them
    (Cyrillic in a quoted string made English "ru"). A word that mixes alphabets stays whole:
    Greek or Cyrillic look-alikes inside German words cut it into fragments the model could not
    place, so German passed as English. Han and Kana, written without spaces, are never part of
    another script's word (`我们用dynamic programming来解`: the model reads the English). The
    classes are those of `language_scripts` (mathematical alphanumerics are Latin)."""
    inside = ls.class_set(frozenset({ls.JOIN, ls.INVISIBLE}))
    cjk = ls.class_set(ls.PER_CHAR)
    word = ls.class_set(frozenset({*ls.WORD_CLASSES, ls.JOIN, ls.INVISIBLE}))  # letters, marks
    other = frozenset(ls.WORD_CLASSES) - {script}
    # One set first, so `re` skips to candidates in C (a pattern that opens with a group or a
    # lookaround tries every position: 3x slower); then what the first character was decides:
    # Han or Kana, or another alphabet's letter with no word letter before it.
    return re.compile(
        rf"{ls.class_set(other | ls.PER_CHAR)}(?:(?<={cjk}){inside}*(?:{cjk}{inside}*)*"
        rf"|(?<!{word}.){inside}*(?:{ls.class_set(other)}{inside}*)*(?!{word}))"
    )


def _extend(segments: list[tuple[str, int]], i: int, run: list[str], words: int) -> None:
    text, n = segments[i]
    segments[i] = (" ".join((text, *run)), n + words)


def _other_language(ranked: Ranked, label: str, confidence: float, min_target: float) -> bool:
    """Whether the model's answer puts a segment in another language than `label` (step 5)."""
    if not ranked or ranked[0][0] == label:
        return False  # no answer (nothing to read), or the target
    top = ranked[0][1]
    if top >= confidence:
        return True
    # unsure: another language only if the model finds the target implausible and leans to the
    # other one, LID_LEAN times the target and at least LID_FLOOR (the terse skeleton of a math
    # line, "If , then", leans nowhere, and lid.176 spreads Bosnian over hr/sh/bs: hr 0.43 is not
    # five times bs 0.099; terse English, "Convert gallons to quarts.", en 0.33, leans to en)
    target = next((p for c, p in ranked if c == label), 0.0)
    return target < min_target and top >= LID_FLOOR and top >= LID_LEAN * target


_DEFAULT_OPTIONS = (1, 5, 0.8, 0.1)
LID_FLOOR = 0.2
LID_LEAN = 5.0


def _check_options(
    min_units: Any, min_segment_words: Any, lid_confidence: Any, min_target_prob: Any = 0.1
) -> None:
    """ValueError for an option of the wrong type or range (a None or a string would otherwise
    fail deep inside, or compare as no number should)."""

    def integer(x: Any) -> bool:
        return isinstance(x, numbers.Integral) and not isinstance(x, bool)

    if not integer(min_units) or min_units < 0:
        raise ValueError(f"min_units must be an int >= 0, not {min_units!r}")
    if not integer(min_segment_words) or min_segment_words < 1:
        raise ValueError(f"min_segment_words must be an int >= 1, not {min_segment_words!r}")
    if (
        isinstance(lid_confidence, bool)
        or not isinstance(lid_confidence, numbers.Real)
        or not 0.0 <= lid_confidence <= 1.0
    ):
        raise ValueError(f"lid_confidence must be a number in [0, 1], not {lid_confidence!r}")
    if (
        isinstance(min_target_prob, bool)
        or not isinstance(min_target_prob, numbers.Real)
        or not 0.0 <= min_target_prob <= 1.0
    ):
        raise ValueError(f"min_target_prob must be a number in [0, 1], not {min_target_prob!r}")


def _result(
    target_n: int, total: int, moved: int, min_units: int, truncated: bool
) -> LanguageShare:
    share = target_n / total if total >= max(min_units, 1) else None
    return LanguageShare(share, target_n, total, moved, truncated)


def target_language_share(text: str, target: str, **options: Any) -> float | None:
    """Share of target-language units in `text`, in [0, 1]; None when too little text to judge.

    Options: backend ("fasttext" | "langdetect" | "script"), min_units, min_segment_words,
    lid_confidence, min_target_prob. Bad options or a non-str text raise ValueError.
    """
    return language_share(text, target, **options).share


def target_language_shares(
    texts: Iterable[str], target: str | Sequence[str], **options: Any
) -> list[float | None]:
    """Batch form: one share per text; `target` is one language or one per text."""
    if isinstance(texts, str):  # would be judged character by character
        raise ValueError("texts must be an iterable of texts, not one str")
    texts = list(texts)
    targets = [target] * len(texts) if isinstance(target, str) else list(target)
    if len(targets) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(targets)} targets")
    return [language_share(t, g, **options).share for t, g in zip(texts, targets, strict=True)]


def cot_language_share(
    completion: Any, target: str, *, prefilled_think: Any = "auto", **options: Any
) -> float | None:
    """Share for a completion's chain of thought (as `check_format` parses it); None if it has
    no chain of thought or too little text in it."""
    from .think import extract_cot

    cot = extract_cot(completion, prefilled_think=prefilled_think)
    return None if cot is None else target_language_share(cot, target, **options)


def is_mixed_language(text: str, target: str, *, threshold: float = 0.95, **options: Any) -> bool:
    """Rejection-sampling filter: True when less than `threshold` of the judged units are in the
    target language (text with nothing to judge is not mixed)."""
    share = target_language_share(text, target, **options)
    return share is not None and share < threshold
