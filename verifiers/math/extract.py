"""Find the final answer in a model completion or a reference.

Priority, highest first: the last `\\boxed{}`/`\\fbox{}` (boxes at the very end joined only by
"and" or commas are one answer: `\\boxed{2} and \\boxed{3}` is `2, 3`), an answer anchor ("the
final answer is", "Answer:", "答案是", "réponse :", ...), the last markdown bold with a digit, the
last math span, and, as the last resort, the last number in the text. When the completion has a
`</think>`, only the text after it is searched (unless that is empty); when that text has an
`<answer>` tag (R1-Zero's format), only the last non-empty tag's content is.

`extraction="marked"` keeps only the answers a completion marks as final, as R1 requires ("the
final answer in a specified format, e.g. within a box") and verl's math and GSM8K scorers read
them: a box, the content of an `<answer>` tag (searched with every rule above), GSM8K's `#### 72`.
The fallbacks read prose, where a number the policy happened to write can match the reference.

All patterns are linear-time; brace matching is a single scan, so a megabyte of braces is cheap.
"""

from __future__ import annotations

from typing import Literal, get_args

import regex

BoxMode = Literal["last", "first", "all"]
Extraction = Literal["flexible", "marked"]
EXTRACTIONS: tuple[str, ...] = get_args(Extraction)

_BOX = regex.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_SPAN_JOIN_GAP = regex.compile(
    r"^(?:[\s.,;&()]|\\[()\[\]]|and|or|\\text\{\s*(?:and|or)\s*\}|\\q?quad|\\,)*$"
)
_DISJUNCTION = regex.compile(r"(?<![\p{L}])(?:or|oder|ou|или)(?![\p{L}])|或", regex.IGNORECASE)
_BOX_JOIN_GAP = regex.compile(
    r"^(?:[\s$.,;&]|\\[()\[\]]|and|or|\\text\{\s*(?:and|or)\s*\}|\\q?quad|\\,)*$"
)

# GSM8K's `#### 72` (verl's GSM8K prompt asks for it); a markdown heading is not one, worded
# (`#### Step 2`) or numbered (`#### 2. Solve`, `#### 1) Setup`)
_GSM8K_MARK = r"####(?![ \t]*\d+[.)][ \t])(?=[ \t]*[-−$\\\d])"
_GSM8K_ANCHOR = regex.compile(_GSM8K_MARK)
# Answer anchors in the major languages of math datasets. The answer follows the anchor.
_ANCHOR = regex.compile(
    r"(?:"
    + _GSM8K_MARK
    + r"|(?:final|correct)\s+answer(?:\s+is|\s+would\s+be|\s+should\s+be)?\s*[:：]?"
    r"|(?<![A-Za-z])answer\s*(?:is|would\s+be|should\s+be|will\s+be|=)\s*[:：]?"
    r"|(?<![A-Za-z])answer\s*[:：]"
    r"|最终答案(?:是|为)?\s*[:：]?|答案(?:是|为|应该是)?\s*[:：]?|答\s*[:：]|所以答案是"
    r"|答えは|答え\s*[:：]|解答\s*[:：]"
    r"|정답은|답은|답\s*[:：]"
    r"|réponse(?:\s+finale)?\s*(?:est|:)\s*:?"
    r"|respuesta(?:\s+final)?\s*(?:es|:)\s*:?"
    r"|resposta(?:\s+final)?\s*(?:é|:)\s*:?"
    r"|risposta(?:\s+finale)?\s*(?:è|:)\s*:?"
    r"|antwort\s*(?:ist|lautet|:)\s*:?|ergebnis\s*(?:ist|lautet|:)"
    r"|ответ(?:\s*(?:равен|будет|:|—|-))?"
    r"|(?:الإجابة|الجواب)(?:\s*(?:هي|هو|:))?"
    r"|उत्तर\s*(?:है|:)"
    r"|đáp\s+án(?:\s+là|\s*:)?"
    r"|cevap\s*(?::|olarak)"
    r")",
    regex.IGNORECASE,
)
_SEGMENT_END = regex.compile(r"\n\s*\n|\n|。|(?<!\d)\.(?=\s|$)|(?<=\d)\.(?=\s|$)")
_MATH_DELIMITED = regex.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<!\\)\$(.+?)(?<!\\)\$", regex.DOTALL
)
_BOLD = regex.compile(r"\*\*([^*\n]{1,200}?)\*\*")
# Markdown emphasis around an anchored answer (`**Answer:** 4`, `**Answer: 4**`, `*Answer: 4*`,
# `**Answer:** **4**`, `**Final Answer**: 4`): its markers are no part of the answer. No answer
# starts with `*` or `_`; a closing run of stars is emphasis unless it follows `^`, `_` or a
# backslash (`z^*`, `K_*`), and a closing run of underscores only when the segment opened with
# one (`x_` stays).
_LEADING_EMPHASIS = regex.compile(r"^[*_\s]+(?:[:：]\s*)?")  # and the anchor's colon after it
_CLOSING_STARS = regex.compile(r"(?<![\^_\\*])\*{1,3}$")
_CLOSING_UNDERSCORES = regex.compile(r"(?<![\\_])_{1,2}$")


def _unemphasised(segment: str) -> str:
    opened_with_underscore = segment.startswith("_")
    segment = _LEADING_EMPHASIS.sub("", segment)
    segment = _CLOSING_STARS.sub("", segment)
    if opened_with_underscore:
        segment = _CLOSING_UNDERSCORES.sub("", segment)
    return segment.strip()


# A run of math-looking text: numbers, operators, LaTeX commands and lone letters.
_MATH_RUN = regex.compile(
    r"(?:\\[A-Za-z]+\*?|\d|[-+*/^_=()\[\]{}|!<>.,:'%√π∞×÷·]"
    r"|(?<![\p{L}])[A-Za-z](?![\p{L}])|[ \t])+"
)
# A number in prose; never one inside a LaTeX argument such as the `1` of an unclosed `\frac{1}{`.
_NUMBER = regex.compile(r"(?<![{^_\d.,A-Za-z])-?\d+(?:[.,]\d+)*(?:\s*/\s*\d+)?(?![}^_\d])")
# In "Final Answer: The volume of $V$ is 120", the answer follows the last copula.
_COPULA = regex.compile(
    r"(?<![\p{L}])(?:is|are|equals|was|be|est|ist|es|é|是|为)(?![\p{L}])", regex.IGNORECASE
)
# R1-Zero's answer tags; an `<answer>` left open at the end (a `</answer>` stop string is cut off
# by the sampler) runs to the end of the text.
_ANSWER_TAG = regex.compile(r"<answer>(.*?)(?:</answer>|\Z)", regex.DOTALL)
_CHAT_TOKEN = regex.compile(r"<\|(?:im_end|im_start|endoftext|eot_id|end_of_text)\|>")
_HAS_DIGIT_OR_CMD = regex.compile(r"\d|\\[A-Za-z]")

# A multiple-choice letter answer, alone or followed by its text: "C", "(C)", "C. Cecile".
CHOICE_RE = regex.compile(r"^\s*\(?([A-J])\)?(?=$|[\s.:)。、，,]|\P{Latin})")
_STANDALONE_CHOICE = regex.compile(r"(?<![\p{L}\d])\(?([A-J])\)?(?![\p{L}\d])")
# Letters listed as alternatives ("B or C", "(A), (B)", "B/C"): a hedge, never one choice.
_CHOICE_LIST = regex.compile(
    r"(?<![\p{L}\d])\(?[A-J]\)?\s*(?:[,/&;、，]|(?<![\p{L}])(?:or|and|und|oder|ou|et|или|и|或者|或|和)"
    r"(?![\p{L}]))\s*\(?[A-J]\)?(?![\p{L}\d])"
)
_CHOICE_PREFIX = regex.compile(r"^\s*(?:(?:option|choice|answer)\s*[:：]?\s*)?", regex.IGNORECASE)


def match_brace(text: str, open_at: int) -> int:
    """Index of the `}` closing the `{` at `open_at`, or -1. Escaped braces do not count."""
    depth = 0
    i, n = open_at, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def find_boxes(text: str) -> list[tuple[int, int, str]]:
    """Every `\\boxed{...}`, `\\boxed 5` or `\\fbox{...}` as (start, end, content)."""
    boxes = []
    pos = 0
    while True:
        m = _BOX.search(text, pos)
        if m is None:
            return boxes
        i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "{":
            close = match_brace(text, i)
            if close < 0:  # unbalanced: everything after the box is suspect, stop here
                return boxes
            boxes.append((m.start(), close + 1, text[i + 1 : close].strip()))
            pos = close + 1
        else:  # `\boxed 5`: one token
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in "$":
                j += 1
            if j > i:
                boxes.append((m.start(), j, text[i:j].rstrip(".,;")))
            pos = max(j, m.end())


def _unnest(box: tuple[int, int, str]) -> tuple[int, int, str]:
    """`\\boxed{\\boxed{2}}` is `2`; at most three levels, since each is a scan of the box."""
    for _ in range(3):
        if not box[2].startswith(("\\boxed", "\\fbox")):
            break
        inner = find_boxes(box[2])
        if len(inner) != 1 or inner[0][0] != 0 or inner[0][1] != len(box[2]):
            break
        box = (box[0], box[1], inner[0][2])
    return box


def _boxed_answer(text: str, mode: BoxMode) -> str | None:
    boxes = find_boxes(text)
    boxes = [_unnest(b) for b in boxes if b[2]]
    boxes = [b for b in boxes if b[2]]
    if not boxes:
        return None
    if mode == "first":
        return boxes[0][2]
    if mode == "all":
        return ", ".join(b[2] for b in boxes)
    parts = [boxes[-1]]
    for prev in reversed(boxes[:-1]):
        if _BOX_JOIN_GAP.match(text[prev[1] : parts[-1][0]]):
            parts.append(prev)
        else:
            break
    return ", ".join(dict.fromkeys(b[2] for b in reversed(parts)))  # a repeated box counts once


def _first_math_run(segment: str) -> str | None:
    for m in _MATH_RUN.finditer(segment):
        run = m.group().strip(" \t.,:;")
        if run and _HAS_DIGIT_OR_CMD.search(run):
            return run
    return None


def _anchored_segment(text: str, anchor: regex.Pattern = _ANCHOR) -> str | None:
    last = None
    for last in anchor.finditer(text):  # noqa: B007 - we want the last anchor
        pass
    if last is None:
        return None
    rest = text[last.end() :].lstrip()
    end = _SEGMENT_END.search(rest)
    segment = (rest[: end.start()] if end else rest).strip()
    return _unemphasised(segment) if "*" in segment or "_" in segment else segment


def _answer_in_segment(segment: str) -> str | None:
    """The answer after an anchor. Alternatives it names ("$2$ or $3$", "2 or maybe 3") are all
    returned, as a list, so a hedge is never read as its first option."""
    copulas = list(_COPULA.finditer(segment))
    if copulas and not _MATH_DELIMITED.fullmatch(segment.strip()):
        tail = segment[copulas[-1].end() :]
        if _HAS_DIGIT_OR_CMD.search(tail) or "$" in tail:
            segment = tail
    m = _MATH_DELIMITED.search(segment)
    if m:
        span = next(g for g in m.groups() if g is not None).strip()
        spans = [span if _reads_as_math(span) else (_first_math_run(span) or span)]
        for nxt in _MATH_DELIMITED.finditer(segment, m.end()):
            if not _SPAN_JOIN_GAP.match(segment[m.end() : nxt.start()]):
                break
            spans.append(next(g for g in nxt.groups() if g is not None).strip())
            m = nxt
        return ", ".join(spans)
    m = _BOLD.search(segment)
    if m:
        segment = m.group(1)
    if _reads_as_math(segment):
        return segment.strip().rstrip(".").strip(" $") or None
    if _DISJUNCTION.search(segment):
        runs = [r for r in (x.group().strip(" \t.,:;") for x in _MATH_RUN.finditer(segment)) if r]
        runs = [r for r in runs if _HAS_DIGIT_OR_CMD.search(r)]
        if len(runs) > 1:
            return ", ".join(runs)
    return _first_math_run(segment)


_WORD = regex.compile(r"(?<![\\\p{L}])(?!(?:exp|sqrt|sin|cos|tan|log|ln|pi)(?!\p{L}))\p{L}{3,}")
_COMMAND_WITH_ARG = regex.compile(r"\\[A-Za-z]+(?:\{[^{}]*\})?")


def _reads_as_math(text: str) -> bool:
    """No words outside LaTeX commands: the whole text is the answer, e.g. `x^2 + 1`."""
    return len(text) <= 300 and not _WORD.search(_COMMAND_WITH_ARG.sub("", text))


def answer_region(completion: str) -> str:
    """The part of a completion where the final answer lives: after `</think>` when present."""
    # every chat token starts with "<|": a test spares the regex scan (~7 us on a 3 KB
    # completion, paid in the trainer for each math item) when there is none; one character
    # first, a memchr, ten times cheaper than the two-character search it usually spares
    has_token = "|" in completion and "<|" in completion
    chat_token = _CHAT_TOKEN.search(completion) if has_token else None
    if chat_token:  # a model that ran on into the next turn: what follows is not its answer
        completion = completion[: chat_token.start()]
    cut = completion.rfind("</think>")
    if cut >= 0:
        after = completion[cut + len("</think>") :]
        if after.strip():
            return after
    return completion


def _tag_content(text: str) -> str | None:
    """The content of the last non-empty `<answer>` tag, or None: in the R1-Zero format the tag
    holds the answer, so `<answer>x^2+1</answer>` is `x^2+1`, never its last number `1`."""
    if "<answer>" not in text:  # one substring test on the common path
        return None
    found = None
    for m in _ANSWER_TAG.finditer(text):
        if m.group(1).strip():
            found = m.group(1)
    return found


def _searched(completion: str) -> tuple[str, bool]:
    """(the text the answer is searched in, whether it is an answer tag's content)."""
    region = answer_region(completion) if completion else ""
    tagged = _tag_content(region)
    return (region, False) if tagged is None else (tagged, True)


def extract_answer(
    completion: str, *, boxed: BoxMode = "last", extraction: Extraction = "flexible"
) -> str | None:
    """The final answer text of a completion, or None when there is nothing answer-like (with
    `extraction="marked"`: nothing marked as the answer, see the module docstring)."""
    text, tagged = _searched(completion)
    if not text.strip():  # empty, or nothing before a chat token that ends the turn
        return None
    found = _boxed_answer(text, boxed)
    if found:
        return found
    if extraction == "marked" and not tagged:
        segment = _anchored_segment(text, _GSM8K_ANCHOR)
        return _answer_in_segment(segment) if segment else None
    segment = _anchored_segment(text)
    if segment:
        found = _answer_in_segment(segment)
        if found:
            return found
    if _reads_as_math(text.strip()):
        return text.strip()
    for m in reversed(list(_BOLD.finditer(text))):
        if _HAS_DIGIT_OR_CMD.search(m.group(1)):
            return _first_math_run(m.group(1)) or m.group(1).strip()
    spans = list(_MATH_DELIMITED.finditer(text))
    if spans:
        span = next(g for g in spans[-1].groups() if g is not None).strip()
        return span if _reads_as_math(span) else (_first_math_run(span) or span)
    numbers = _NUMBER.findall(text)
    if numbers:
        return numbers[-1]
    return None


def extract_reference(reference: str) -> str | None:
    """The answer in a reference: a bare LaTeX answer is taken whole (`7\\pi` is never `7`)."""
    if not reference or not reference.strip():
        return None
    text = reference.strip()
    if "####" in text:  # GSM8K's answer column: the worked solution, then "#### 72"
        text = text.rpartition("####")[2].strip() or text
    found = _boxed_answer(text, "last")
    if found:
        return found
    segment = _anchored_segment(text)
    if segment:
        return _answer_in_segment(segment) or segment
    return text


_TEXT_WRAPPER = regex.compile(r"\\(?:text|textbf|mathrm|mathbf|textrm)\s*\{([^{}]*)\}")


def reference_choice(reference: str) -> str | None:
    """The letter when a reference is a multiple-choice answer ("C", "(D) Alina", "C Cecile")."""
    reference = _TEXT_WRAPPER.sub(r"\1", reference).strip().strip("$")
    m = CHOICE_RE.match(reference)
    if m is None:
        return None
    rest = reference[m.end() :].strip()
    # "C" alone, or a letter followed by its option text; never a formula like "A + B".
    if rest and regex.match(r"[-+*/^=<>_\\\d]", rest):
        return None
    return m.group(1)


def _listed(text: str, m: regex.Match) -> bool:
    """Whether the letter `m` found is one of several listed as alternatives."""
    return any(
        lm.start() <= m.start() < lm.end() for lm in _CHOICE_LIST.finditer(text, overlapped=True)
    )


def _boxed_choice(boxed: str) -> str | None:
    """The letter of a boxed choice: `B`, `(B)`, `\\text{(B) 12}`, `Option B`; one letter only,
    so `B, C`, `BCD`, `B \\text{ or } C` and `\\text{not B}` choose nothing."""
    content = _TEXT_WRAPPER.sub(r"\1", boxed).strip().strip("$")
    content = content[_CHOICE_PREFIX.match(content).end() :]
    m = CHOICE_RE.match(content)
    if m is None:
        return None
    others = {o.group(1) for o in _STANDALONE_CHOICE.finditer(content, m.end())}
    return m.group(1) if others <= {m.group(1)} else None


def extract_choice(completion: str, *, extraction: Extraction = "flexible") -> str | None:
    """The chosen letter of a multiple-choice completion; None when it lists several letters
    (with `extraction="marked"`: also when it neither boxes a letter nor answers in a tag)."""
    text, tagged = _searched(completion)
    boxed = _boxed_answer(text, "last")
    if boxed:
        return _boxed_choice(boxed)
    if extraction == "marked" and not tagged:
        return None
    segment = _anchored_segment(text)
    if segment:  # after "the answer is", a letter is the choice: "A because ..." is A
        m = _STANDALONE_CHOICE.search(segment)
        if m:
            return None if _listed(segment, m) else m.group(1)
    m = CHOICE_RE.match(text)
    if m and not _prose_word(text, m):
        return None if _listed(text, m) else m.group(1)
    found = [f for f in _STANDALONE_CHOICE.finditer(text) if not _prose_word(text, f)]
    return None if not found or _listed(text, found[-1]) else found[-1].group(1)


# A bare `I` or `A` that opens a sentence and goes on with a lower-case word: "I hope this
# helps", "A careful reader", "I'm sure". Without an anchor, the fallbacks above must not read
# the pronoun or the article as a choice (MMLU-Pro has options A-J); "A is correct", "I." and
# "so I pick A because ..." still choose.
_PROSE_AFTER = regex.compile(
    r"['’]\p{L}|\s+(?!(?:is|was|seems|appears|remains|fits|matches)\b)\p{Ll}"
)
_SENTENCE_START = regex.compile(r"(?:^|[.!?。！？:\n])[\s*_\"“(]*$")


def _prose_word(text: str, m: regex.Match) -> bool:
    """Whether the letter found is the word "I" or "A" of the prose, not a choice."""
    letter = m.group(1)
    if letter not in "AI" or m.group(0) != letter:  # a parenthesised letter is a choice
        return False
    if _SENTENCE_START.search(text, max(0, m.start() - 40), m.start()) is None:
        return False
    return _PROSE_AFTER.match(text, m.end()) is not None
