"""Count language units by writing system, in C-speed passes over a per-character class string.

Every character gets one class byte: a script (Latin, Han, Kana, Cyrillic, ...), a *joiner*
(combining marks, `ー`: deleted, so they stay inside the word they sit in), *invisible*
(zero-width space, joiners, soft hyphen: a word break between two runs of two or more letters,
else deleted as a joiner) or *neutral* (digits, punctuation, symbols, space). Units are then
counted with bytes methods only:
- each Han character and each Kana character is one unit (`ー`, voicing marks join the kana
  before them and are not units);
- each maximal run of letters of any other script is one word, one per LETTERS_PER_WORD letters
  from LONG_RUN on;
- a one-letter Latin or Greek run (a variable: x, n, α) is neutral, unless it is one of
  SPELLED_RUN or more spelling a word out.

Why bytes tricks: a regex match per word costs ~100 ns in CPython, a 2 KB chain of thought has
~400 words, and the batch target is 20 µs per chain. So the text is encoded as UTF-16 once; its
high bytes (256-code-point blocks) give the class by one `bytes.translate`, and only the blocks
that mix classes (ASCII, CJK punctuation + kana, ...) need the low byte, merged with big-integer
AND/OR. The class table is built lazily (about 0.1 s, once per process) from Unicode script
properties of the `regex` module, so `import` stays light.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

NEUTRAL = 0x20  # space: bytes.split() separates words on it
JOIN = 0x7F  # deleted before counting
INVISIBLE = 0x7E  # an invisible character: a word break between two words, else deleted
HAN, KANA = ord("H"), ord("K")

# Script name (as the `regex` module spells it in \p{...}) -> class byte. Letters of any other
# script get OTHER. Order matters only for readability.
SCRIPTS: dict[str, int] = {
    "Latin": ord("L"),
    "Greek": ord("G"),
    "Cyrillic": ord("C"),
    "Armenian": ord("R"),
    "Hebrew": ord("E"),
    "Arabic": ord("A"),
    "Devanagari": ord("D"),
    "Bengali": ord("N"),
    "Gurmukhi": ord("P"),
    "Gujarati": ord("U"),
    "Oriya": ord("Y"),
    "Tamil": ord("I"),
    "Telugu": ord("W"),
    "Kannada": ord("Q"),
    "Malayalam": ord("M"),
    "Sinhala": ord("S"),
    "Thai": ord("T"),
    "Lao": ord("l"),
    "Tibetan": ord("b"),
    "Myanmar": ord("m"),
    "Georgian": ord("J"),
    "Hangul": ord("B"),
    "Ethiopic": ord("e"),
    "Khmer": ord("k"),
    "Han": HAN,
    "Hiragana": KANA,
    "Katakana": KANA,
}
OTHER = ord("O")
PER_CHAR = frozenset({HAN, KANA})
SINGLE_NEUTRAL = frozenset({SCRIPTS["Latin"], SCRIPTS["Greek"]})
_BYTES = tuple(bytes([b]) for b in range(256))
WORD_CLASSES = tuple(sorted({c for c in SCRIPTS.values() if c not in PER_CHAR} | {OTHER}))
_NOT_WORD = bytes(b for b in range(256) if b not in WORD_CLASSES)  # deleting them keeps words


@dataclass(frozen=True, slots=True)
class Units:
    """Language units in a text, by class byte (see SCRIPTS); no entry means zero."""

    counts: dict[int, int]
    kana: bool  # any kana at all (decides whether Han reads as Japanese)

    def get(self, cls: int) -> int:
        return self.counts.get(cls, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _char_class(ch: str, script_of, ignorable, common) -> int:
    cat = unicodedata.category(ch)
    # Invisible characters (default-ignorable: zero-width space and joiners, soft hyphen, word
    # joiner, bidi marks, variation selectors, Hangul fillers) join, as marks do, except between
    # two runs of two or more letters, where they stand for the space they replace
    # (`_classify`): as separators everywhere they would cut a word into one-letter runs, which
    # are neutral, so foreign text with one between every letter would not count at all; as
    # joiners everywhere, one for every space made a sentence one word; as letters (a Hangul
    # filler is one) they would be words no one can see.
    if ignorable(ch):
        return INVISIBLE
    if cat[0] == "M":
        return JOIN
    if cat[0] != "L":
        return NEUTRAL
    script = script_of(ch)
    if cat == "Lm" and script is None:  # ー, ｰ: Common-script length marks join their word
        return JOIN
    if script is None and common(ch):  # letterlike symbols: ℝ, ℕ, ℓ, ℯ, µ, ℵ
        # the Latin or Greek letter a symbol stands for, so that text written in them (`ℯ`
        # for e) is words, while one alone (ℝ, ℓ) is a one-letter run, neutral as x is; others
        # (ℵ, a Hebrew letter) are notation
        folded = script_of(unicodedata.normalize("NFKC", ch)[:1] or " ")
        return SCRIPTS[folded] if folded in ("Latin", "Greek") else NEUTRAL
    return SCRIPTS.get(script, OTHER) if script else OTHER


@lru_cache(maxsize=1)
def _tables() -> tuple[bytes, dict[int, bytes], bytes]:
    """(class by high byte, {ambiguous high byte: class by low byte}, ASCII table)."""
    import regex  # heavy-ish import only on first use

    probe = regex.compile("|".join(f"(?P<{n}>\\p{{{n}}})" for n in SCRIPTS))

    def script_of(ch: str) -> str | None:
        m = probe.match(ch)
        return m.lastgroup if m else None

    ignorable = regex.compile(r"\p{Default_Ignorable_Code_Point}").match
    common = regex.compile(r"\p{Common}").match

    hi_table = bytearray(256)
    ambiguous: dict[int, bytes] = {}
    for hi in range(256):
        if 0xD8 <= hi <= 0xDF:  # surrogates: handled below
            continue
        chars = [chr(hi << 8 | lo) for lo in range(256)]
        row = bytes(_char_class(ch, script_of, ignorable, common) for ch in chars)
        # Unassigned code points never occur in real text: they must not make a block ambiguous
        # (a Han row with a few unassigned slots would cost a merge per chain of thought).
        assigned = {c for c, ch in zip(row, chars, strict=True) if unicodedata.category(ch) != "Cn"}
        if len(assigned) <= 1:
            hi_table[hi] = assigned.pop() if assigned else NEUTRAL
        else:
            ambiguous[hi] = row
    # Astral characters arrive as surrogate pairs. High surrogates D840-D8BF start planes 2-3
    # (CJK extensions B-F: Han); the rest of the astral range (emoji, math alphanumerics) is
    # neutral. Low surrogates join, so a pair counts once.
    # D835 is U+1D400-1D7FF, Mathematical Alphanumeric Symbols (Common script, so neutral by
    # the rule above): look-alike Latin and Greek letters (𝐛𝐨𝐥𝐝, 𝘪𝘵𝘢𝘭𝘪𝘤, 𝚖𝚘𝚗𝚘), so they are
    # Latin words, or a chain of thought written in them would be neutral (one styled letter is
    # a variable, neutral as x is).
    latin = SCRIPTS["Latin"]
    ambiguous[0xD8] = bytes(
        HAN if 0x40 <= lo < 0xC0 else latin if lo == 0x35 else NEUTRAL for lo in range(256)
    )
    # Circled and parenthesized letters (U+249C-24E9) are symbols too: Latin look-alikes.
    row = bytearray(ambiguous.get(0x24, bytes([hi_table[0x24]]) * 256))
    row[0x9C:0xEA] = bytes([latin]) * (0xEA - 0x9C)
    ambiguous[0x24] = bytes(row)
    hi_table[0x24] = 0  # a mixed block's row is OR-ed into zeros
    for hi in (0xD9, 0xDA):
        hi_table[hi] = NEUTRAL
    # DB40 is U+E0000-E03FF: tag characters and variation selectors 17-256, invisible (format
    # and marks), so they join like their BMP kin; the rest of the row is private use.
    ambiguous[0xDB] = bytes(JOIN if lo == 0x40 else NEUTRAL for lo in range(256))
    hi_table[0xDB] = 0
    for hi in (0xDC, 0xDD, 0xDE, 0xDF):
        hi_table[hi] = JOIN
    return bytes(hi_table), ambiguous, ambiguous[0][:128] + bytes(128)


@cache
def _select(hi: int) -> bytes:
    """Translate table mapping byte `hi` to 0xFF and every other byte to 0x00."""
    return bytes(0xFF if b == hi else 0 for b in range(256))


@cache
def _only(cls: int) -> bytes:
    """Translate table keeping class `cls` and turning every other byte into whitespace (a space;
    a tab for a sentence end, MARK, so that no run of letters spelled out crosses it)."""
    return bytes(b if b == cls else 0x09 if b == MARK else NEUTRAL for b in range(256))


SENTENCE_END = ".!?;\u3002\uff01\uff1f\uff1b\n"  # . ! ? ; 。！？； newline
MARK = ord("|")  # class byte of a sentence end in `classify_marked` (neutral otherwise)
_UNMARK = bytes(NEUTRAL if b == MARK else b for b in range(256))


@lru_cache(maxsize=2)
def _table_set(marked: bool) -> tuple[bytes, dict[int, bytes], bytes, bytes]:
    """(class by high byte, mixed blocks' rows, ASCII table, high bytes that are not mixed);
    `marked`: sentence ends get MARK instead of NEUTRAL (their blocks are mixed already)."""
    hi_table, ambiguous, ascii_table = _tables()
    if marked:
        ambiguous = dict(ambiguous)
        ascii_row = bytearray(ascii_table)
        for ch in SENTENCE_END:
            hi, lo = ord(ch) >> 8, ord(ch) & 0xFF
            row = bytearray(ambiguous[hi])
            row[lo] = MARK
            ambiguous[hi] = bytes(row)
            if hi == 0:
                ascii_row[lo] = MARK
        ascii_table = bytes(ascii_row)
    delete = bytes(b for b in range(256) if b not in ambiguous)
    return hi_table, ambiguous, ascii_table, delete


def classify(text: str) -> bytes:
    """One class byte per character (joiners already deleted)."""
    return _classify(text, *_table_set(False))


def classify_marked(text: str) -> bytes:
    """`classify` with sentence ends (SENTENCE_END) as MARK: `.translate(_UNMARK)` of it is
    `classify(text)`, and splitting it at MARK gives each sentence's class string."""
    return _classify(text, *_table_set(True))


def _classify(
    text: str, hi_table: bytes, ambiguous: dict[int, bytes], ascii_table: bytes, delete: bytes
) -> bytes:
    if text.isascii():
        return text.encode("ascii").translate(ascii_table)
    raw = text.encode("utf-16-le", "surrogatepass")
    hi, lo = raw[1::2], raw[0::2]
    merged = int.from_bytes(hi.translate(hi_table), "little")
    # the mixed blocks present: set() of the bytes would make an int object per character
    blocks = hi.translate(None, delete)
    enclosed = 0xD8 in blocks and b"\x3c\xd8" in raw  # a character of U+1F000-1F3FF
    while blocks:
        block = blocks[0]
        part = int.from_bytes(lo.translate(ambiguous[block]), "little")
        merged |= part & int.from_bytes(hi.translate(_select(block)), "little")
        blocks = blocks.translate(None, _BYTES[block])  # bytes.replace is several times slower
    if enclosed:  # after the rows are merged: it replaces the class its row gave
        merged = _enclosed_letters(merged, hi, lo)
    out = merged.to_bytes(len(hi), "little").translate(None, _BYTES[JOIN])
    if INVISIBLE in out:
        out = _word_break().sub(b" ", out).translate(None, _BYTES[INVISIBLE])
    return out


@cache
def _word_break():
    """Invisible characters between two runs of two or more letters of an alphabet (after the
    joiners are gone): a word break there."""
    import re

    letter = b"[" + b"".join(re.escape(_BYTES[c]) for c in WORD_CLASSES) + b"]"
    return re.compile(
        rb"(?<=%s%s)%s+(?=%s%s)" % (letter, letter, re.escape(_BYTES[INVISIBLE]), letter, letter)
    )


def _enclosed_letters(merged: int, hi: bytes, lo: bytes) -> int:
    """`merged` with the enclosed Latin letters of U+1F100-1F1FF (🄰 🅐 🅰 🄛) made Latin: their high
    surrogate, D83C, is shared with emoji, so its row cannot tell them apart; the low
    surrogate's (DD, a letter's low byte) does. Look-alike Latin: text written in them would
    otherwise be no words at all."""
    high = int.from_bytes(hi.translate(_select(0xD8)), "little")
    high &= int.from_bytes(lo.translate(_select(0x3C)), "little")
    low = int.from_bytes(hi.translate(_select(0xDD)), "little")
    low &= int.from_bytes(lo.translate(_enclosed_latin()), "little")
    at = high & (low >> 8)  # a D83C whose next unit is a letter's low surrogate
    if not at:
        return merged
    latin = int.from_bytes(bytes([SCRIPTS["Latin"]]) * len(hi), "little")
    return (merged & ~at) | (latin & at)


@cache
def _enclosed_latin() -> bytes:
    """Translate table: the low byte of U+1F1xx -> 0xFF when that character is a Latin letter in
    a frame (parenthesised, circled, squared, negative)."""

    def latin(cp: int) -> bool:
        name = unicodedata.name(chr(cp), "")
        # not the regional indicators: two of them are a flag (🇨🇳), an emoji in honest text
        return "LATIN CAPITAL LETTER" in name or "LATIN SMALL LETTER" in name

    return bytes(0xFF if latin(0x1F100 + lo) else 0 for lo in range(256))


@cache
def class_set(classes: frozenset[int]) -> str:
    """A regex character set (`[...]`, for `re`) of the code points whose class is in `classes`:
    the classification as a pattern, for the rare pass that must cut the text itself. An astral
    character has the class of its high surrogate (`classify` joins the low one), a framed
    letter the Latin class (`_enclosed_letters`)."""
    hi_table, ambiguous, _ = _tables()

    def class_of(unit: int) -> int:
        hi = unit >> 8
        return ambiguous[hi][unit & 0xFF] if hi in ambiguous else hi_table[hi]

    ranges: list[tuple[int, int]] = []

    def add(first: int, last: int) -> None:
        if ranges and ranges[-1][1] == first - 1:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((first, last))

    for unit in range(0x10000):
        if 0xD800 <= unit <= 0xDBFF:  # a high surrogate: the 1024 code points it starts
            if class_of(unit) in classes:
                first = 0x10000 + ((unit - 0xD800) << 10)
                add(first, first + 0x3FF)
        elif not 0xDC00 <= unit <= 0xDFFF and class_of(unit) in classes:
            add(unit, unit)
    if SCRIPTS["Latin"] in classes:  # the framed letters `_enclosed_letters` makes Latin
        ranges += [(0x1F100 + lo, 0x1F100 + lo) for lo, x in enumerate(_enclosed_latin()) if x]
    ranges.sort()
    return "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


# Japanese writes its particles and endings in kana: an eighth or more of a sentence's Han and
# kana units, usually half. Chinese with one の per sentence scored 1.0 for a Japanese target.
KANA_PER_HAN = 7  # a sentence's Han is Japanese when kana * KANA_PER_HAN >= Han


def han_in_kana_sentences(marked: bytes) -> int:
    """Han units in sentences written in Japanese (kana at least an eighth of their Han and kana),
    from a `classify_marked` string."""
    han = 0
    for sentence in marked.translate(None, _NOT_CJK_OR_MARK).split(_BYTES[MARK]):
        kana = sentence.count(KANA)  # the rest of the sentence is Han
        if kana and kana * (KANA_PER_HAN + 1) >= len(sentence):
            han += len(sentence) - kana
    return han


_NOT_CJK_OR_MARK = bytes(b for b in range(256) if b not in (HAN, KANA, MARK))


def count_classes(cls: bytes) -> dict[int, int]:
    """Units by class from a class string: Han/Kana per character, other scripts per run."""
    counts: dict[int, int] = {}
    for c in PER_CHAR:
        n = cls.count(c)
        if n:
            counts[c] = n
    # the word classes present, by deleting one class at a time (usually one or two are left)
    rest = cls.translate(None, _NOT_WORD)
    present = set()
    while rest:
        present.add(rest[0])
        rest = rest.translate(None, _BYTES[rest[0]])
    for c in WORD_CLASSES:
        if c in present:
            n = count_words(cls, c)
            if n:
                counts[c] = n
    return counts


# A run of letters this long is no word but words run together (glued without spaces: an English
# sentence made one "word" raised a Chinese target's share from 0.13 to 0.70) or a script
# written without spaces (Thai): it counts one word per LETTERS_PER_WORD.
LONG_RUN = 20
LETTERS_PER_WORD = 6
# One-letter runs, six or more in a row with one neutral character between each (not a
# sentence end), are text spelled out letter by letter (`h e l l o` with hair spaces, hyphens or
# digits between): they count one word per SPELLED_PER_WORD letters, where a one-letter run (a
# variable) is neutral. Every rule stays inside a sentence, so a text's counts are the sum of its
# sentences' (`language.language_share` relies on it).
SPELLED_RUN = 6  # not 4: points and variables listed in prose (`A、B、C、D`) are no words
SPELLED_PER_WORD = 5


def count_words(cls: bytes, c: int) -> int:
    """Words of word class `c` (not Han or Kana) in a class string (plain or marked): one per run
    of its letters, with the exceptions above (each found by one substring test in the usual
    text; the spelled-out one only where SPELLED_RUN one-letter runs could make one)."""
    only = cls.translate(_only(c))
    runs = only.split()
    if c not in SINGLE_NEUTRAL:
        n = len(runs)
    else:
        singles = runs.count(_BYTES[c])
        n = len(runs) - singles
        if singles >= SPELLED_RUN:
            gaps = cls.translate(_gaps(c))
            if _spelled(c) in gaps:
                for run in _spelled_runs(c).findall(gaps):  # rounded per run: additive
                    n += -(-(len(run) + 1) // 2 // SPELLED_PER_WORD)
    if _BYTES[c] * LONG_RUN in only:
        n += sum(len(r) // LETTERS_PER_WORD - 1 for r in runs if len(r) >= LONG_RUN)
    return n


@cache
def _spelled(c: int) -> bytes:
    return b" ".join([_BYTES[c]] * SPELLED_RUN)


@cache
def _gaps(cls: int) -> bytes:
    """Translate table keeping class `cls` and neutral characters, every other byte "x": a single
    neutral character between two letters is then a single space (a sentence end is no gap)."""
    return bytes(b if b in (cls, NEUTRAL) else ord("x") for b in range(256))


@cache
def _spelled_runs(c: int):
    """One-letter runs of class `c` spelled out (see SPELLED_RUN), in a `_gaps(c)` string."""
    import re

    one = re.escape(_BYTES[c])
    return re.compile(rb"(?<!%s)%s(?: %s){%d,}(?!%s)" % (one, one, one, SPELLED_RUN - 1, one))


def units(text: str) -> Units:
    """Count the language units of an already masked text."""
    cls = classify(text)
    return Units(count_classes(cls), KANA in cls)


def add(counts: Iterable[dict[int, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for c in counts:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    return total
