"""Praise inside a question ("our helpful and knowledgeable team"): found once here, used by the leading-wording
check (wording.py), which removes it, and the paired-qualities checks (wording.py, clarity.py), which offer no
split of a pair that sits inside it."""

from __future__ import annotations

import re

from .vocabulary import PROMOTIONAL_WORDS, QUALITY_WORDS
from .walk import plain

PRAISE_DETERMINER = re.compile(r"\b(?:our|the|its|[A-Za-z]+'s)\s+", re.I)
ADJECTIVE = re.compile(r"[A-Za-z][A-Za-z-]*")
LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.I)
NOUN_AFTER = re.compile(r"\s+(?!(?:and|or)\b)[A-Za-z]", re.I)


def praise_phrases(text: str) -> list[tuple[int, int, int]]:
    """(start, run start, run end) of every praising phrase: a determiner ("our", "the", "Acme's") then a list
    of praising adjectives ("courteous"; "fast, friendly"; "helpful and knowledgeable") before the noun they
    praise, with at least one word of PROMOTIONAL_WORDS; the others may be QUALITY_WORDS."""
    promotional, quality = set(PROMOTIONAL_WORDS), set(QUALITY_WORDS)
    phrases = []
    for determiner in PRAISE_DETERMINER.finditer(text):
        position = run_end = determiner.end()
        words: list[str] = []
        while (word := ADJECTIVE.match(text, position)) and word.group(0).lower() in promotional | quality:
            words.append(word.group(0).lower())
            position = run_end = word.end()
            separator = LIST_SEPARATOR.match(text, position)
            if separator is None:
                break
            position = separator.end()
        if any(word in promotional for word in words) and NOUN_AFTER.match(text, run_end):
            phrases.append((determiner.start(), determiner.end(), run_end))
    return phrases


def praised(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside a praising phrase's adjectives ("our helpful and knowledgeable
    team"): splitting such a pair would keep the praise, so the neutral rewrite, which drops it, is the fix."""
    return any(run_start <= start and end <= run_end for _, run_start, run_end in praise_phrases(plain(text)))
