"""Words that plainly praise or plainly complain about care, listed here for the polarity features.

Written for this project from the words patients and families use on comment cards, in emails and in survey
answers. A listed word counts +1 (praise) or −1 (complaint); every other word takes its polarity from the word
vectors (``text.PolarityBlock``). The list is what lets a comment from another hospital, in words the training
trusts never used ("disgraceful", "a shambles", "filthy"), read the way a person would read it.

Only words whose polarity hardly depends on the sentence are here: "late" is a complaint about a clinic and
praise for nothing, "clean" is praise; "cold" (food, or a manner), "patient" (mostly the noun) and "worried"
(often the start of a story that ends well) are left to the model.
"""

from __future__ import annotations

PRAISE_WORDS = frozenset(
    (
        *("excellent", "exceptional", "outstanding", "superb", "fantastic", "fabulous", "marvellous", "wonderful"),
        *("brilliant", "amazing", "awesome", "incredible", "terrific", "great", "good", "lovely", "nice", "best"),
        *("perfect", "faultless", "flawless", "impeccable", "exemplary", "super", "splendid"),
        *("kind", "kindness", "kindly", "gentle", "gently", "caring", "compassionate", "compassion", "considerate"),
        *("thoughtful", "sympathetic", "empathetic", "welcoming", "friendly", "cheerful"),
        *("pleasant", "polite", "courteous", "respectful", "attentive", "helpful", "supportive"),
        *("reassuring", "reassured", "reassurance", "comforting", "calm", "calming", "professional"),
        *("efficient", "organised", "organized", "prompt", "promptly", "quick", "quickly", "swift", "punctual"),
        *("thorough", "clear", "clearly", "informative", "knowledgeable", "competent", "skilled", "dedicated"),
        *("clean", "spotless", "tidy", "comfortable", "safe", "smooth", "easy", "accessible", "relaxed"),
        *("thank", "thanks", "thankyou", "thankful", "grateful", "gratitude", "appreciate", "appreciated"),
        *("pleased", "happy", "delighted", "satisfied", "impressed", "glad", "relieved", "enjoyed", "love", "loved"),
        *("recommend", "recommended", "praise", "credit", "heroes", "angels", "stars", "superstars", "gem"),
        *("listened", "listens", "explained", "cared", "valued", "respected", "dignity"),
    )
)

COMPLAINT_WORDS = frozenset(
    (
        *("awful", "terrible", "horrible", "horrendous", "dreadful", "appalling", "atrocious", "abysmal", "diabolical"),
        *("shocking", "disgusting", "disgraceful", "disgrace", "shameful", "outrageous", "unacceptable", "worst"),
        *("poor", "poorly", "bad", "badly", "rubbish", "useless", "hopeless", "pathetic", "substandard", "inadequate"),
        *("rude", "rudeness", "abrupt", "arrogant", "condescending", "patronising", "patronizing", "dismissive"),
        *("disrespectful", "unkind", "uncaring", "unhelpful", "unprofessional", "unfriendly", "impolite", "hostile"),
        *("aggressive", "sarcastic", "callous", "insensitive", "ignorant", "incompetent", "careless"),
        *("negligent", "negligence", "neglect", "neglected", "neglectful", "ignored", "ignoring", "belittled"),
        *("humiliated", "humiliating", "degrading", "undignified", "unsafe", "dangerous", "chaotic", "chaos"),
        *("shambles", "mess", "disorganised", "disorganized", "shambolic", "farce", "joke", "nightmare", "ordeal"),
        *("dirty", "filthy", "grubby", "smelly", "stinking", "unclean", "unhygienic", "squalid", "grim"),
        *("disappointed", "disappointing", "disappointment", "upset", "upsetting", "distressed", "distressing"),
        *("angry", "furious", "frustrated", "frustrating", "annoyed", "annoying", "appalled", "horrified", "disgusted"),
        *("traumatic", "traumatised", "embarrassed", "embarrassing", "ridiculous", "scandalous"),
        *("complain", "complaint", "complaints", "unhappy", "dissatisfied", "unsatisfactory", "fault", "failed"),
        *("failure", "failures", "failing", "mistake", "mistakes", "error", "errors", "lost", "wrong", "wrongly"),
        *("delay", "delays", "delayed", "overdue", "cancelled", "forgotten", "forgot", "misdiagnosed", "refused"),
        *("uncomfortable", "painful", "agony", "suffering", "suffered", "struggle", "struggled", "struggling"),
        *("noisy", "cramped", "crowded", "overcrowded", "chase", "chased", "chasing", "rebook", "rebooked"),
    )
)

# Two words that praise or complain together where neither does alone. A negation before a phrase turns it
# around as it does a word ("not on time").
PRAISE_PHRASES = frozenset(
    (
        *("on time", "same day", "same week", "at ease", "looked after", "above and", "and beyond", "went above"),
        *("well organised", "well run", "well informed", "well done", "very quickly", "no wait", "no waiting"),
        *("thank you", "many thanks", "top notch", "spot on"),
    )
)
COMPLAINT_PHRASES = frozenset(
    (
        *("let down", "fobbed off", "passed around", "waste of", "too long", "too late", "left waiting"),
        *("kept waiting", "still waiting", "no one", "no answer", "no response", "no reply", "no explanation"),
        *("no help", "no care", "no communication", "no information", "no dignity", "no respect", "no apology"),
        *("no idea", "no water", "hours late", "hour late", "on hold", "sent away", "turned away", "messed up"),
        *("too loud", "too noisy", "too hot", "too cold", "too busy"),
    )
)

POLARITY = {
    **{word: 1.0 for word in PRAISE_WORDS | PRAISE_PHRASES},
    **{word: -1.0 for word in COMPLAINT_WORDS | COMPLAINT_PHRASES},
}
