"""Checks on what respondents read: double-barrelled, leading and double-negative wording, jargon, length."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Survey
from .clarity import YES_NO
from .findings import Finding, finding
from .praise import NOUN_AFTER as _NOUN_AFTER
from .praise import praise_phrases as _praise_phrases
from .praise import praised
from .vocabulary import (
    CLAUSE_VERBS,
    FIXED_AND_PHRASES,
    JARGON_ACRONYMS,
    JARGON_TERMS,
    NEGATIVE_PREFIXED,
    PRAISE_WORDS,
    UN_WORDS_NOT_NEGATIVE,
)
from .walk import Placed, placed_questions, words
from .walk import plain as _plain

LONG_QUESTION_WORDS = 25
"""Questions longer than this many words are hard to read on a phone (plain-language guidance: under ~20)."""

_CONJUNCTION = re.compile(r"(?P<left>[\w'’-]+)\s+(?P<conj>and/or|and|as well as|&)\s+(?P<right>[\w'’-]+)",
                          re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\b[^,.;:?!]*$", re.IGNORECASE)
_DETERMINERS = frozenset({"the", "a", "an", "our", "your", "its", "their", "this", "that", "these", "those", "my"})

_ALTERNATION = "|".join(PRAISE_WORDS)
_LEADING: tuple[tuple[re.Pattern[str] | None, str], ...] = (
    (re.compile(r"\bhow much (?:did|do|does|will|would) you (?:enjoy|like|love|appreciate|value)\b", re.I),
     "assumes the respondent enjoyed it"),
    (re.compile(r"\b(?:don't|do not|wouldn't|would not|won't|didn't|aren't|can't) you (?:agree|think|feel|say)\b",
                re.I), "pushes the respondent to agree"),
    (re.compile(r"\b(?:isn't|wasn't|is it not) (?:it|that) (?:true|fair|clear)\b", re.I),
     "pushes the respondent to agree"),
    (re.compile(rf"\bhow (?:{_ALTERNATION})\b", re.I), "assumes a favourable answer"),
    (None, "praises the company inside the question"),  # a praising phrase: `_praise_phrases`
    (re.compile(r"\b(?:surely|obviously|of course|as you know|everyone agrees|most (?:of our )?customers)\b", re.I),
     "tells the respondent what the expected answer is"),
)
_HOW_PRAISE_VERB = re.compile(rf"\bhow (?:{_ALTERNATION})\s+(?:was|were|is|are)\s+", re.I)
_HOW_MUCH = re.compile(r"\bhow much (?:did|do|does|will|would) you (?:enjoy|like|love|appreciate|value)\s+", re.I)
_AGREE_THAT = re.compile(r"\b(?:don't|do not|wouldn't|would not|won't) you agree(?: that)?\s+(?P<claim>[^?]+)", re.I)

_NEGATOR = r"(?:\bnot|n't|\bnever|\bcannot)"
_NEGATED_WORD = re.compile(_NEGATOR + r"(?P<gap>(?:\s+[a-z]+){0,3}?)\s+(?P<word>(?:un|dis|in|im|ir|il)[a-z]{3,})\b",
                           re.IGNORECASE)
_NEGATION = re.compile(_NEGATOR + r"\b", re.IGNORECASE)


def check_wording(survey: Survey) -> Iterator[Finding]:
    """All wording checks over every question (and, for jargon, every text a respondent reads)."""
    for placed in placed_questions(survey):
        question = placed.question
        yield from _double_barrelled(placed)
        yield from _leading(placed)
        yield from _double_negative(placed)
        yield from _long_question(placed)
        if question.agreement:
            yield from _negated_statement(placed)
            yield from _question_on_agreement_scale(placed)
    yield from _double_barrelled_promises(survey)
    yield from _jargon(survey)


def _double_barrelled(placed: Placed) -> Iterator[Finding]:
    question = placed.question
    if not question.single_judgement:
        return  # open, number and multi-choice questions legitimately ask about several things at once
    found = _two_things(question.text)
    if found:
        phrase, first, second = found
        yield finding(
            "double_barrelled", f"{placed.path}.text", question.id,
            f"“{phrase}” asks about two things in one question; a low score cannot say which one fell short.",
            f"Ask about “{first}” and “{second}” in two separate questions{_split(question.text, 'questions')}",
            _halves(question.text),
        )


def _double_barrelled_promises(survey: Survey) -> Iterator[Finding]:
    """A brand promise is a row respondents rate, so "We are fast and friendly" is two promises in one."""
    asking = [q.id for q in survey.questions() if q.row_source == "brand_promises"]
    if not asking:
        return
    for index, promise in enumerate(survey.brand_promises):
        found = _two_things(promise.label)
        if found:
            phrase, first, second = found
            yield finding(
                "double_barrelled", f"brand_promises[{index}].label", asking[0],
                f"the promise “{promise.label}” joins two things (“{phrase}”); customers rate it once, so a low "
                "score cannot say which one fell short.",
                f"Make “{first}” and “{second}” two promises{_split(promise.label, 'promises')[:-1]}, or keep "
                "the one that matters.",
            )


def _two_things(text: str) -> tuple[str, str, str] | None:
    """(phrase, first thing, second thing) when "and" joins two things being rated, else None."""
    found = _joined(text)
    return (found[0], found[1], found[2]) if found else None


def _split(text: str, what: str) -> str:
    """The end of a suggestion: the two texts that replace one joining two things (": “How fast was the agent?”
    and “How friendly was the agent?”."), each the text with the joined pair replaced by one of its things; or,
    when a half would still join two things, why no split is offered."""
    found = _joined(text)
    if found is None:
        return "."
    _, first, second, start, end = found
    halves = [text[:start] + thing + text[end:] for thing in (first, second)]
    listed = re.search(r"[\w'’-]+\s*,\s*$", text[:start])  # "fast, clear and friendly": a list of three
    if listed or any(_joined(half) for half in halves):
        return f" (no split is offered: it joins more than two things, so write one of the {what} per thing)."
    return f": “{halves[0]}” and “{halves[1]}”."


def _halves(text: str) -> tuple[str, ...]:
    """The two texts that replace one joining two things, as `_split` words them; none when it offers none."""
    found = _joined(text)
    if found is None:
        return ()
    _, first, second, start, end = found
    halves = tuple(text[:start] + thing + text[end:] for thing in (first, second))
    if praised(text, start, end):
        return ()
    if re.search(r"[\w'’-]+\s*,\s*$", text[:start]) or any(_joined(half) for half in halves):
        return ()
    return halves


def _joined(text: str) -> tuple[str, str, str, int, int] | None:
    """(phrase, first thing, second thing, start, end) of the first pair "and" joins as two things being rated,
    where text[start:end] runs from the first thing to the second ("speed and the accuracy"); else None."""
    for match in _CONJUNCTION.finditer(text):
        left, right = match["left"], match["right"]
        phrase = f"{left} {match['conj']} {right}".lower()
        if any(fixed in text.lower() and phrase in fixed for fixed in FIXED_AND_PHRASES):
            continue
        if _BETWEEN.search(text[: match.start()]):
            continue  # "between ordering and delivery" names one span, not two things
        if left.isdigit() or right.isdigit():
            continue
        if match.start() > 0 and left[:1].isupper() and right[:1].isupper():
            continue  # a proper name such as "Marks and Spencer"
        if right.lower() in CLAUSE_VERBS or right.lower() in _DETERMINERS and _starts_clause(text, match.end()):
            continue
        second, end = right, match.end()
        if second.lower() in _DETERMINERS:
            following = re.match(r"\s+([\w'’-]+)", text[match.end():])
            if following:
                second, end = following.group(1), match.end() + following.end()
        return match.group(0), left, second, match.start(), end
    return None


def _starts_clause(text: str, end: int) -> bool:
    # "… and the agent fixed it": a determiner then a noun then a verb-ish word; rare in short questions,
    # so only a following "you"/"we" is taken as a new clause.
    return bool(re.match(r"\s+\w+\s+(?:you|we)\b", text[end:], re.IGNORECASE))


def _without_praise(text: str) -> str:
    """The text with every praising phrase's adjectives removed ("our helpful and knowledgeable team" → "our
    team"), the determiner and the noun kept."""
    for _, run_start, run_end in reversed(_praise_phrases(text)):
        following = _NOUN_AFTER.match(text, run_end)
        assert following is not None
        text = text[:run_start] + text[following.end() - 1:]
    return text


def _leading(placed: Placed) -> Iterator[Finding]:
    question = placed.question
    text = _plain(question.text)
    for pattern, why in _LEADING:
        if pattern is None:
            phrases = _praise_phrases(text)
            matched = text[phrases[0][0]:phrases[0][2]] if phrases else None
        else:
            match = pattern.search(text)
            matched = match.group(0) if match else None
        if matched is None:
            continue
        suggestion, rewrite = _neutral_rewrite(text, question.agreement)
        yield finding(
            "leading_wording", f"{placed.path}.text", question.id,
            f"“{matched}” {why}, which inflates scores.",
            suggestion, rewrite,
        )
        return


def _neutral_rewrite(text: str, agreement: bool) -> tuple[str, tuple[str, ...]]:
    """The suggestion, and the rewritten text when it is a right one: the praise taken out, or — on an
    agreement scale only — the claim of a "Don't you agree that …" as the statement to agree with."""
    rewritten = _HOW_PRAISE_VERB.sub("how would you rate ", text)
    rewritten = _HOW_MUCH.sub("how would you rate ", rewritten)
    rewritten = _without_praise(rewritten)
    claim = _AGREE_THAT.search(rewritten)
    if claim:
        statement = claim["claim"].strip().rstrip(".")
        statement = f"{statement[:1].upper()}{statement[1:]}."
        return (f"State the claim neutrally as a likert statement: “{statement}” and let the agreement scale carry "
                "both sides.", (statement,) if agreement else ())
    if rewritten != text:
        rewritten = f"{rewritten[:1].upper()}{rewritten[1:]}"
        return f"Neutral wording: “{rewritten}”", (rewritten,)
    return "Rephrase neutrally, e.g. “How would you rate …?”, and let a balanced scale carry both sides.", ()


def _double_negative(placed: Placed) -> Iterator[Finding]:
    question = placed.question
    for match in _NEGATED_WORD.finditer(_plain(question.text)):
        word = match["word"].lower()
        if not _is_negative_word(word):
            continue
        if re.search(r"[,.;:?!]", match.group(0)):
            continue
        positive = _positive_form(word)
        yield finding(
            "double_negative", f"{placed.path}.text", question.id,
            f"“{match.group(0).strip()}” is a double negative; respondents misread it and answer the opposite.",
            f"Say it positively: “{positive}” instead of “{match.group(0).strip()}”.",
        )
        return


def _is_negative_word(word: str) -> bool:
    if word in NEGATIVE_PREFIXED:
        return True
    return word.startswith("un") and not word.startswith(UN_WORDS_NOT_NEGATIVE)


def _positive_form(word: str) -> str:
    for prefix in ("dis", "un", "in", "im", "ir", "il"):
        if word.startswith(prefix):
            return word[len(prefix):]
    return word


def _negated_statement(placed: Placed) -> Iterator[Finding]:
    question = placed.question
    match = _NEGATION.search(_plain(question.text))
    if match is None:
        return
    yield finding(
        "negated_statement", f"{placed.path}.text", question.id,
        "an agreement scale on a negative statement makes respondents disagree with a negative to say something "
        "good, a double negative in effect; it also flips the scale's direction for this item.",
        "State it positively (e.g. “I only had to explain my issue once.”) so agreeing always means a good "
        "experience.",
    )


_INTERROGATIVE = re.compile(
    r"^\s*(?:how|what|which|why|when|where|who|whom|whose|did|do|does|was|were|is|are|have|has|had|can|could|"
    r"would|will|should|shall|may)\b", re.IGNORECASE)
_HOW_ADJECTIVE_WAS_IT = re.compile(r"^\s*how (?P<adjective>[a-z-]+) (?P<verb>was|is) it (?P<rest>to\b[^?]*)\?\s*$",
                                   re.IGNORECASE)


def _question_on_agreement_scale(placed: Placed) -> Iterator[Finding]:
    """A question answered on an agree–disagree scale must be a statement: "How easy was it to …?" cannot be
    agreed with. A grid's text only introduces its rows, which are the statements, so grids are left alone."""
    question = placed.question
    if question.is_grid:
        return
    text = _plain(question.text).strip()
    if not (text.endswith("?") or _INTERROGATIVE.match(text)) or YES_NO.match(text):
        return  # a yes/no question is `yes_no_on_agreement_scale` (clarity.py)
    how = _HOW_ADJECTIVE_WAS_IT.match(text)
    rewrites: tuple[str, ...] = ()
    if how:
        statement = f"It {how['verb'].lower()} {how['adjective'].lower()} {how['rest'].strip()}."
        suggestion = f"Write it as a statement to agree or disagree with: “{statement}”"
        rewrites = (statement,)
    else:
        suggestion = ("Write it as a statement to agree or disagree with (e.g. “It was easy to …”), or keep the "
                      "question and answer it on a scale that fits it (a rating).")
    yield finding(
        "question_on_agreement_scale", f"{placed.path}.text", question.id,
        "the text is a question, but it is answered on an agree–disagree scale: respondents cannot agree or "
        "disagree with a question, and the scale's labels no longer fit it.",
        suggestion, rewrites,
    )


def _long_question(placed: Placed) -> Iterator[Finding]:
    count = len(words(placed.question.text))
    if count > LONG_QUESTION_WORDS:
        yield finding(
            "long_question", f"{placed.path}.text", placed.question.id,
            f"the question is {count} words long (over {LONG_QUESTION_WORDS}); long questions are skimmed on phones.",
            "Keep the question itself short and move context into `help`, or split it.",
        )


# --- jargon ---------------------------------------------------------------------------------------------------

_ACRONYM_PATTERNS = {term: re.compile(rf"(?<![A-Za-z]){term}s?(?![A-Za-z])") for term in JARGON_ACRONYMS}
_TERM_PATTERNS = {
    term: re.compile(r"\b" + re.escape(term).replace(r"\ ", r"[\s-]").replace(r"\-", r"[\s-]?") + r"s?\b",
                     re.IGNORECASE)
    for term in JARGON_TERMS
}


def _respondent_texts(survey: Survey) -> Iterator[tuple[str, str | None, str]]:
    """(path, question id, text) of everything a respondent reads."""
    yield "title", None, survey.title
    if survey.intro:
        yield "intro", None, survey.intro
    for name in ("brand_promises", "touchpoints", "channels"):
        for index, item in enumerate(getattr(survey, name)):
            yield f"{name}[{index}].label", None, item.label
    for s, section in enumerate(survey.sections):
        yield f"sections[{s}].title", None, section.title
        if section.intro:
            yield f"sections[{s}].intro", None, section.intro
    for placed in placed_questions(survey):
        question, path = placed.question, placed.path
        yield f"{path}.text", question.id, question.text
        if question.help:
            yield f"{path}.help", question.id, question.help
        for field, text in question.own_texts():  # choice and scale labels, a follow-up prompt
            yield f"{path}.{field}", question.id, text


def _jargon(survey: Survey) -> Iterator[Finding]:
    for path, question_id, text in _respondent_texts(survey):
        found: list[tuple[str, str]] = []
        for term, pattern in _ACRONYM_PATTERNS.items():
            if pattern.search(text):
                found.append((term, JARGON_ACRONYMS[term]))
        for term, pattern in _TERM_PATTERNS.items():
            match = pattern.search(text)
            # "handle time" is part of "average handle time": report the longer term only
            if match and not any(term in longer.lower() for longer, _ in found):
                found.append((match.group(0), JARGON_TERMS[term]))
        if found:
            names = ", ".join(f"“{term}”" for term, _ in found)
            plain = "; ".join(f"“{term}” → {replacement}" for term, replacement in found)
            yield finding(
                "jargon", path, question_id,
                f"{names}: internal language that customers may not know.",
                f"Use the customer's words: {plain}.",
            )
