"""The word lists the wording and scale checks use, kept in one place so they can be reviewed and extended.

Each list is deliberately short and specific: a linter that flags well-written questions gets ignored.
"""

from __future__ import annotations

JARGON_ACRONYMS: dict[str, str] = {
    "SLA": "the response time we promised",
    "FCR": "whether it was sorted out the first time you contacted us",
    "AHT": "how long the call took",
    "NPS": "(leave metric names out of questions)",
    "CSAT": "(leave metric names out of questions)",
    "CES": "(leave metric names out of questions)",
    "KPI": "(leave internal targets out of questions)",
    "CRM": "(leave internal systems out of questions)",
    "IVR": "the automated phone menu",
    "SKU": "product",
    "CX": "your experience",
    "TAT": "how long it took",
    "ACW": "(leave internal call steps out of questions)",
}
"""Internal acronyms, matched in capitals only, with a plain-language replacement."""

JARGON_TERMS: dict[str, str] = {
    "ticket": "request (or 'your question')",
    "escalation tier": "a specialist",
    "tier 1": "our first support team",
    "tier 2": "a specialist",
    "tier 3": "a specialist",
    "omnichannel": "all the ways you contact us",
    "omni-channel": "all the ways you contact us",
    "touchpoint": "step (name it: ordering, delivery, billing …)",
    "first contact resolution": "sorted out the first time you contacted us",
    "average handle time": "how long the call took",
    "handle time": "how long the call took",
    "service level": "the response time we promised",
    "churn": "leave us",
    "upsell": "offer you more",
    "cross-sell": "offer you other products",
    "deflection": "(describe what the customer did instead)",
    "case number": "reference number",
    "stock keeping unit": "product",
}
"""Internal words and phrases, matched in any case (plural -s included), with a plain replacement."""

PRAISE_WORDS = (
    "great", "wonderful", "amazing", "excellent", "fantastic", "awesome", "outstanding", "superb", "brilliant",
    "delightful", "terrific", "marvellous", "marvelous", "perfect", "incredible", "exceptional", "lovely",
    "enjoyable",
)
"""Adjectives that assume a favourable answer after "how" ("how great was …")."""

PROMOTIONAL_WORDS = (
    "award-winning", "world-class", "industry-leading", "best-in-class", "market-leading", "excellent",
    "amazing", "wonderful", "fantastic", "outstanding", "exceptional", "friendly", "helpful", "dedicated",
    "courteous", "knowledgeable", "polite", "caring", "attentive", "expert", "first-class", "top-notch",
    "superb", "brilliant", "great", "lovely",
)
"""Praise of the company inside a question ("our award-winning support", "our courteous staff"), alone or in a
list ("our fast, friendly staff", "our helpful and knowledgeable team")."""

QUALITY_WORDS = (
    "fast", "quick", "speedy", "efficient", "reliable", "professional", "skilled", "experienced", "responsive",
    "easy", "simple", "convenient", "seamless", "clear", "prompt", "modern", "trusted",
)
"""Adjectives that praise only beside a word of PROMOTIONAL_WORDS ("our fast, friendly staff"): alone they may
describe a product ("our fast delivery" is an option, not a compliment)."""

FIXED_AND_PHRASES = frozenset({
    "terms and conditions", "pros and cons", "back and forth", "up and running", "by and large", "now and then",
    "here and there", "more and more", "again and again", "safe and sound", "trial and error", "black and white",
    "on and off", "over and above",
    # who a recommendation goes to: one audience, not two things rated ("…recommend Acme to friends and family?")
    "friends and family", "family and friends", "friends and colleagues", "colleagues and friends",
    "friend and colleague", "friends and relatives",
})
"""Idioms with "and" that name one thing, not two."""

FIXED_OR_PHRASES = frozenset({
    "friend or colleague", "friends or colleagues", "friend or family member", "friends or family",
    "family or friends", "colleague or friend", "friend or relative", "more or less", "sooner or later",
    "one way or another", "either way",
})
"""Fixed phrases with "or" that name one thing ("…recommend us to a friend or colleague?")."""

EVALUATIVE_ADJECTIVES = frozenset({
    "fast", "quick", "speedy", "prompt", "timely", "slow", "friendly", "helpful", "polite", "courteous", "rude",
    "knowledgeable", "competent", "professional", "efficient", "reliable", "accurate", "clear", "easy", "simple",
    "convenient", "affordable", "cheap", "expensive", "clean", "tidy", "safe", "comfortable", "quiet", "modern",
    "responsive", "attentive", "caring", "patient", "honest", "fair", "transparent", "useful", "relevant",
    "accessible", "available", "consistent", "secure", "fresh", "tasty", "warm", "welcoming", "thorough",
    "understandable", "informative", "intuitive", "smooth", "flexible", "personal", "respectful",
})
"""Adjectives that rate a quality: two of them joined by a comma ("fast, friendly service") or by "or" ("polite or
helpful") ask about two things."""

OPPOSITE_PAIRS = frozenset({
    ("fast", "slow"), ("quick", "slow"), ("cheap", "expensive"), ("easy", "difficult"), ("easy", "hard"),
    ("good", "bad"), ("better", "worse"), ("polite", "rude"), ("safe", "unsafe"),
})
"""Pairs that are the two ends of one scale ("fast or slow"), not two things."""

VAGUE_WORDS = frozenset({
    "experience", "experiences", "everything", "things", "thing", "it", "overall", "rating", "rate", "score",
    "feedback", "thoughts", "opinion", "opinions", "impression", "impressions", "today", "recently", "time",
    "general", "generally", "us", "we", "all", "in", "with", "your", "our", "the", "a", "an", "of", "this", "that",
    "how", "what", "was", "were", "is", "are", "did", "do", "does", "would", "you", "go", "went", "think", "feel",
    "about", "please", "give", "tell", "rated", "so", "far", "me", "my", "i", "any", "and", "or", "on", "for",
    "to", "last", "recent", "here",
})
"""Words that do not say what is being rated. A rated question with nothing else ("How was your experience?",
"Rating", "How did we do?", "What do you think?") is vague. Any other word ("…with delivery?", "How satisfied are
you…", "How likely…", "Overall satisfaction", "How was your visit?") names what is asked."""


CLAUSE_VERBS = frozenset({"tell", "rate", "let", "explain", "describe", "then", "please", "answer", "select", "choose"})
"""Words after "and" that start an instruction, not a second thing being rated."""

UN_WORDS_NOT_NEGATIVE = (
    "under", "until", "unless", "unit", "union", "unique", "univers", "uniform", "unif", "unanim",
    "unsubscribe", "unlock", "unpack", "uninstall", "undo", "unload", "unplug", "unbox", "unwrap", "unzip", "unmute",
)
"""Words beginning with "un" that do not negate (prefixes of them)."""

NEGATIVE_PREFIXED = frozenset({
    "disagree", "dissatisfied", "dislike", "displeased", "disappointed", "dishonest", "disrespectful",
    "disorganised", "disorganized", "disloyal", "inconvenient", "incorrect", "inaccurate", "inconsistent",
    "ineffective", "inefficient", "incompetent", "inadequate", "insufficient", "impolite", "impossible",
    "impatient", "impractical", "irrelevant", "irresponsible", "illogical", "illegible",
})
"""Negative words formed with dis-/in-/im-/ir-/il-; listed because most words with those letters are not negative."""

OPT_OUT_LABELS = (
    "don't know", "dont know", "do not know", "not applicable", "n/a", "na", "prefer not to say",
    "no opinion", "not sure", "can't say", "cannot say", "does not apply", "not relevant",
)
"""Choice labels that sit outside an evaluative scale and are ignored when counting its sides."""

NEUTRAL_LABELS = (
    "neither", "neutral", "fair", "average", "ok", "okay", "acceptable", "adequate", "mixed", "so-so",
    "about the same", "about right", "moderate", "moderately",
)
NEGATIVE_LABEL_WORDS = (
    "poor", "bad", "terrible", "awful", "horrible", "dreadful", "dissatisfied", "unsatisfied", "unhappy",
    "unlikely", "difficult", "hard", "disagree", "unhelpful", "worse", "worst", "unacceptable", "inadequate",
    "unclear", "slow", "very slow",
)
POSITIVE_LABEL_WORDS = (
    "excellent", "outstanding", "exceptional", "superb", "good", "great", "satisfied", "happy", "likely", "easy",
    "agree", "helpful", "better", "best", "clear", "fast", "perfect", "delighted",
)
