"""Checks on what respondents read: double-barrelled, leading and double-negative wording, jargon, length."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Survey
from .findings import Finding, finding
from .vocabulary import (
    CLAUSE_VERBS,
    FIXED_AND_PHRASES,
    JARGON_ACRONYMS,
    JARGON_TERMS,
    NEGATIVE_PREFIXED,
    PRAISE_WORDS,
    PROMOTIONAL_WORDS,
    UN_WORDS_NOT_NEGATIVE,
)
from .walk import Placed, placed_questions, words

LONG_QUESTION_WORDS = 25
"""Questions longer than this many words are hard to read on a phone (plain-language guidance: under ~20)."""

_CONJUNCTION = re.compile(r"(?P<left>[\w'’-]+)\s+(?P<conj>and/or|and|as well as|&)\s+(?P<right>[\w'’-]+)",
                          re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\b[^,.;:?!]*$", re.IGNORECASE)
_DETERMINERS = frozenset({"the", "a", "an", "our", "your", "its", "their", "this", "that", "these", "those", "my"})

_ALTERNATION = "|".join(PRAISE_WORDS)
_LEADING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bhow much (?:did|do|does|will|would) you (?:enjoy|like|love|appreciate|value)\b", re.I),
     "assumes the respondent enjoyed it"),
    (re.compile(r"\b(?:don't|do not|wouldn't|would not|won't|didn't|aren't|can't) you (?:agree|think|feel|say)\b",
                re.I), "pushes the respondent to agree"),
    (re.compile(r"\b(?:isn't|wasn't|is it not) (?:it|that) (?:true|fair|clear)\b", re.I),
     "pushes the respondent to agree"),
    (re.compile(rf"\bhow (?:{_ALTERNATION})\b", re.I), "assumes a favourable answer"),
    (re.compile(r"\b(?:our|the|its|\w+'s) (?:" + "|".join(map(re.escape, PROMOTIONAL_WORDS)) + r")\b", re.I),
     "praises the company inside the question"),
    (re.compile(r"\b(?:surely|obviously|of course|as you know|everyone agrees|most (?:of our )?customers)\b", re.I),
     "tells the respondent what the expected answer is"),
)
_HOW_PRAISE_VERB = re.compile(rf"\bhow (?:{_ALTERNATION})\s+(?:was|were|is|are)\s+", re.I)
_HOW_MUCH = re.compile(r"\bhow much (?:did|do|does|will|would) you (?:enjoy|like|love|appreciate|value)\s+", re.I)
_AGREE_THAT = re.compile(r"\b(?:don't|do not|wouldn't|would not|won't) you agree(?: that)?\s+(?P<claim>[^?]+)", re.I)
_PROMO = re.compile(r"\b(?P<det>our|the|its|\w+'s) (?:" + "|".join(map(re.escape, PROMOTIONAL_WORDS)) + r")\s+",
                    re.I)

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
    yield from _double_barrelled_promises(survey)
    yield from _jargon(survey)


def _plain(text: str) -> str:
    """Typographic apostrophes as ASCII ones, so "don’t" matches like "don't"."""
    return text.replace("’", "'").replace("‘", "'")


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
            f"Ask about “{first}” and “{second}” in two separate questions.",
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
                f"Make “{first}” and “{second}” two promises, or keep the one that matters.",
            )


def _two_things(text: str) -> tuple[str, str, str] | None:
    """(phrase, first thing, second thing) when "and" joins two things being rated, else None."""
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
        second = right
        if second.lower() in _DETERMINERS:
            following = re.match(r"\s+([\w'’-]+)", text[match.end():])
            second = following.group(1) if following else second
        return match.group(0), left, second
    return None


def _starts_clause(text: str, end: int) -> bool:
    # "… and the agent fixed it": a determiner then a noun then a verb-ish word; rare in short questions,
    # so only a following "you"/"we" is taken as a new clause.
    return bool(re.match(r"\s+\w+\s+(?:you|we)\b", text[end:], re.IGNORECASE))


def _leading(placed: Placed) -> Iterator[Finding]:
    question = placed.question
    text = _plain(question.text)
    for pattern, why in _LEADING:
        match = pattern.search(text)
        if match is None:
            continue
        yield finding(
            "leading_wording", f"{placed.path}.text", question.id,
            f"“{match.group(0)}” {why}, which inflates scores.",
            _neutral_rewrite(text),
        )
        return


def _neutral_rewrite(text: str) -> str:
    rewritten = _HOW_PRAISE_VERB.sub("how would you rate ", text)
    rewritten = _HOW_MUCH.sub("how would you rate ", rewritten)
    rewritten = _PROMO.sub(lambda m: f"{m['det']} ", rewritten)
    claim = _AGREE_THAT.search(rewritten)
    if claim:
        statement = claim["claim"].strip().rstrip(".")
        return (f"State the claim neutrally as a likert statement: “{statement[:1].upper()}{statement[1:]}.” "
                "and let the agreement scale carry both sides.")
    if rewritten != text:
        return f"Neutral wording: “{rewritten[:1].upper()}{rewritten[1:]}”"
    return "Rephrase neutrally, e.g. “How would you rate …?”, and let a balanced scale carry both sides."


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
