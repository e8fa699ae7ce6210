"""Words that name what a comment is about, listed here for each theme, so that a theme can be found in words
the training comments never used.

Written for this project from how patients and families write about care: a comment about a "hoist", a
"commode" or a "walking frame" is about equipment at any hospital, whether or not the two training trusts'
patients ever wrote those words. Each theme's words count together (``topic_grams`` gives one token per word
found, named by its theme), so a word seen once in training, or never, carries the weight its theme learned
from all of its words. A word ending in ``*`` stands for every word that starts so ("organis*": organised,
organisation); a plain word also matches with an "s" on the end. Phrases are whole words in order.

The lists say what a comment is about, not whether it praises or complains: "wait" is about timeliness
whether the wait was short or long. The two themes that are about the whole experience (gratitude,
dissatisfaction) list the words that say so. "Not assigned" and "Labelling not possible" have no words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

THEME_WORDS: Mapping[str, Sequence[str]] = {
    "Organisation & efficiency": (
        *("organis*", "organiz*", "disorganis*", "disorganiz*", "efficien*", "inefficien*", "chaos", "chaotic"),
        *("shambles", "admin", "administration", "administrative", "paperwork", "bureaucra*", "system", "process*"),
        *("well run", "badly run", "run well", "mix up", "mixup", "well organised", "poorly organised"),
    ),
    "Funding & use of financial resources": (
        *("funding", "funded", "funds", "fundrais*", "money", "cost*", "budget*", "cuts", "cutback*", "underfund*"),
        *("afford*", "paid for", "pay for", "paying", "charge", "charged", "expensive", "waste of", "wasting"),
        *("resources", "parking fee*", "fees", "pounds", "financ*", "investment*", "invested", "nhs money", "tax"),
        *("taxes", "taxpayer*"),
    ),
    "Staff manner & personal attributes": (
        *("kind*", "friendly", "unfriendly", "polite*", "impolite", "rude*", "caring", "uncaring", "compassion*"),
        *("gentle", "gently", "gentleness", "lovely", "nice", "pleasant", "courteous", "respectful*"),
        *("disrespect*", "manner*", "attitude*", "warm*", "cheerful", "smil*", "arrogant", "abrupt", "dismissive"),
        *("condescend*", "patronis*", "sympathetic", "empath*", "approachable", "welcoming", "considerate"),
        *("thoughtful", "hostile", "bedside manner"),
    ),
    "Number & deployment of staff": (
        *("understaff*", "short staffed", "short of staff", "staffing", "staff shortage*", "shortage of"),
        *("not enough staff", "more staff", "enough staff", "overstretched", "stretched", "agency staff"),
        *("bank staff", "locum*", "overworked", "rushed off", "so busy", "too busy", "very busy", "one nurse"),
        *("few staff", "lack of staff"),
    ),
    "Staff responsiveness": (
        *("respond*", "responsive", "unresponsive", "ignored", "ignoring", "buzzer", "call bell", "came straight"),
        *("came quickly", "attended to", "attentive", "took ages to come", "no one came", "nobody came"),
        *("promptly", "acted quickly", "dealt with quickly", "on hand", "always there", "there when"),
    ),
    "Staff continuity": (
        *("same nurse", "same doctor", "same person", "same worker", "same therapist", "same staff", "same people"),
        *("different nurse*", "different doctor*", "different staff", "different person", "different people"),
        *("someone new", "new worker", "changed worker*", "change of worker", "continuity", "keep changing"),
        *("kept changing", "consistent staff", "familiar face*", "saw the same", "see the same"),
        *("different every time", "left the service", "keeps changing"),
    ),
    "Competence & training": (
        *("competen*", "incompeten*", "professional*", "unprofessional", "skill*", "unskilled", "trained"),
        *("training", "untrained", "knowledg*", "experienced", "inexperienc*", "qualified", "unqualified"),
        *("expert*", "capable", "knew what", "know what they", "mistake*", "errors", "careless*", "student*"),
        *("trainee*",),
    ),
    "Unspecified communication": (*("communicat*", "miscommunicat*", "poor communication", "good communication"),),
    "Staff listening, understanding & involving patients": (
        *("listen*", "heard", "understood", "understanding", "involv*", "included", "inclusive", "my views"),
        *("my wishes", "my opinion*", "choice*", "decision*", "consulted", "took time", "take time", "taking time"),
        *("time for me", "feel heard", "felt heard", "valued", "treated me as", "as a person", "as an individual"),
        *("non judgemental", "judged", "judgemental"),
    ),
    "Information directly from staff during care": (
        *("explain*", "explanation*", "told me", "told us", "informed me", "answered", "questions", "reassur*"),
        *("advice", "advised", "talked through", "talked me through", "went through", "what was happening"),
        *("what they were doing", "every step"),
    ),
    "Information provision & guidance": (
        *("leaflet*", "information", "info", "guidance", "website", "online", "booklet*", "written", "signpost*"),
        *("instructions", "advice line", "details of", "how to"),
    ),
    "Being kept informed, clarity & consistency of information": (
        *("kept informed", "keep informed", "keep me informed", "kept me informed", "not informed", "update*"),
        *("no one told", "nobody told", "conflicting", "contradict*", "mixed messages", "unclear", "confusing"),
        *("inconsisten*", "not told", "never told", "kept up to date", "no idea", "not know what", "didn't know"),
    ),
    "Contacting services": (
        *("phone*", "telephone*", "call", "calls", "called", "calling", "rang", "ring", "ringing", "answerphone"),
        *("voicemail", "email*", "contact*", "get through", "got through", "switchboard", "on hold", "engaged"),
        *("111", "999", "call back", "callback", "rang back", "call handler*", "operator*"),
    ),
    "Appointment arrangements": (
        *("appointment*", "booked", "booking*", "book in", "rebook*", "reschedul*", "cancel*", "postpone*"),
        *("slot*", "clinic", "dates", "letter*", "waiting list", "arrange*", "re arrange*"),
    ),
    "Appointment method": (
        *("face to face", "video*", "zoom", "teams", "virtual*", "online appointment", "telephone appointment*"),
        *("phone appointment*", "in person", "home visit*", "remote*", "by phone", "over the phone"),
        *("telephone consultation*",),
    ),
    "Timeliness of care": (
        *("wait*", "quick*", "fast", "prompt*", "delay*", "late", "lateness", "on time", "long time", "hours"),
        *("hour", "minutes", "mins", "soon", "swift*", "slow*", "speed*", "immediate*", "straight away"),
        *("took ages", "ages", "arrived", "arrival", "response time", "waiting time*", "waiting list", "weeks"),
        *("months",),
    ),
    "Pain management": (
        # How pain was eased, not every mention of it: most comments with "pain" say why an ambulance was called.
        *("painkiller*", "pain relief", "pain killer*", "pain control", "pain management", "manage my pain"),
        *("managed my pain", "in pain", "in agony", "analges*", "morphine", "paracetamol", "ibuprofen", "codeine"),
        *("gas and air", "entonox", "anaesthetic", "numbing", "comfortable as possible"),
    ),
    "Diagnosis & triage": (
        *("diagnos*", "misdiagnos*", "triage*", "assess*", "examined", "examin*", "checked over", "checks"),
        *("tests", "scan*", "x ray", "xray", "blood test*", "symptom*", "not serious", "observations", "obs"),
        *("ecg",),
    ),
    "Referals & continuity of care": (
        *("referr*", "refer", "referral*", "passed on", "handed over", "handover", "transferred", "follow up"),
        *("followup", "aftercare", "after care", "ongoing care", "signposted", "other services", "next steps"),
        *("discharged from", "waiting list"),
    ),
    "Discharge": (
        *("discharg*", "sent home", "going home", "leave hospital", "leaving hospital", "released", "sent me home"),
        *("allowed home",),
    ),
    "Care plans": (
        *("care plan*", "care planning", "plan", "plans", "planning", "my plan", "treatment plan", "crisis plan"),
        *("goals", "cpa", "review meeting*", "ward round*"),
    ),
    "Patient records": (
        *("record*", "notes", "file", "files", "history", "on the system", "my details", "computer*", "documented"),
        *("documentation", "written down", "on record", "data"),
    ),
    "Cleanliness, tidiness & infection control": (
        *("clean*", "unclean", "dirty", "filth*", "tidy", "untidy", "tidiness", "hygien*", "unhygien*", "spotless"),
        *("dust*", "mess", "messy", "smelly", "infection*", "hand wash*", "handwash*", "hand gel", "gel", "masks"),
        *("mask", "ppe", "sterile", "washed", "immaculate"),
    ),
    "Provision of medical equipment": (
        *("equipment", "wheelchair*", "stretcher*", "hoist*", "zimmer", "walking frame", "walker*", "crutch*"),
        *("aids", "oxygen", "machine*", "monitor", "heart monitor", "device*", "commode*", "mattress*", "splint*"),
        *("dressing*", "bed", "beds"),
    ),
    "Service location": (
        *("location*", "located", "far away", "distance", "miles", "close to home", "near home", "nearby", "local"),
        *("out of area", "out of town", "parking", "park", "car park", "directions", "find the", "hard to find"),
        *("easy to find", "access"),
    ),
    "Transport to/ from services": (
        *("transport*", "ambulance*", "taxi*", "driver*", "crew*", "pick up", "picked up", "pickup", "collect*"),
        *("dropped", "drop off", "journey*", "vehicle*", "van", "bus", "buses", "car", "lift", "ride"),
        *("took me home", "brought me home", "take me home", "return home", "get home"),
    ),
    "Electronic entertainment": (
        *("tv", "tvs", "television*", "telly", "wifi", "wi fi", "internet", "charger*", "games console*"),
        *("console", "xbox", "playstation", "ps4", "netflix", "radio", "music", "dvd*", "tablet computer", "ipad*"),
        *("laptop*", "films", "film", "movie*", "sky", "freeview", "phone signal"),
    ),
    "Mental Health Act": (
        *("section", "sectioned", "section 2", "section 3", "section 17", "s17", "detained", "detention", "mha"),
        *("mental health act", "tribunal*", "hospital manager*", "informal", "leave", "section papers", "rights"),
    ),
    "Equality, Diversity & Inclusion": (
        *("race", "racis*", "racial", "discriminat*", "religio*", "faith", "pray*", "chaplain*", "spiritual*"),
        *("cultur*", "language", "interpreter*", "translat*", "gender", "lgbt*", "gay", "trans", "transgender"),
        *("sexuality", "disabilit*", "disabled", "deaf", "blind", "autism", "autistic", "equality", "unequal"),
        *("divers*", "inclus*", "prejudice*", "accent*", "ethnic*", "muslim", "halal", "pronoun*", "neurodiver*"),
        *("adhd", "learning disabilit*"),
    ),
    "Admission": (
        *("admission*", "admit*", "admitted", "came onto the ward", "came in", "first day", "first night"),
        *("induction", "arrived on the ward", "when i arrived", "on arrival", "welcomed me", "settle in"),
        *("settled in",),
    ),
    "Environment & Facilities": (
        *("environment*", "facilit*", "building*", "room", "rooms", "ward", "wards", "bedroom*", "toilet*"),
        *("bathroom*", "shower*", "furniture", "decor*", "temperature", "heating", "noisy", "quiet", "space"),
        *("spacious", "cramped", "lift", "lifts", "lighting", "garden*", "lounge*", "waiting room*"),
        *("waiting area*", "seating", "seats", "chairs", "comfortable", "uncomfortable", "old", "modern"),
        *("refurb*", "decorated", "laundry", "lockers", "crowded"),
    ),
    "Supplying & understanding medication": (
        *("medication*", "medicine*", "meds", "tablet", "tablets", "pill", "prescri*", "pharmac*", "dose*"),
        *("dosage*", "injection*", "depot*", "side effect*", "drug*", "inhaler*", "antibiotic*", "clozapine"),
        *("insulin",),
    ),
    "Activities & access to fresh air": (
        *("activit*", "fresh air", "outside", "garden*", "walk", "walks", "groups", "group", "sessions", "bored"),
        *("boredom", "nothing to do", "things to do", "gym", "exercis*", "sport*", "art", "arts", "craft*"),
        *("games", "cooking", "outing*", "trips", "day trip*", "smoking", "smoke*", "cigarette*", "vape*"),
        *("leisure", "pool table", "ot"),
    ),
    "Food & drink provision & facilities": (
        *("food*", "meal*", "breakfast*", "lunch*", "dinner*", "tea", "teas", "coffee*", "drink*", "snack*"),
        *("menu*", "cook*", "chef*", "kitchen*", "portion*", "hungry", "water", "sandwich*", "fruit*", "toast"),
        *("diet*", "vegetarian", "vegan", "halal", "takeaway*", "cuppa"),
    ),
    "Sensory experience": (
        *("noise*", "noisy", "loud*", "quiet*", "smell*", "smelly", "bright", "dark", "cold", "hot"),
        *("temperature*", "sleep*", "asleep", "disturbed", "woke", "woken", "lights", "lighting", "too warm"),
        *("freezing",),
    ),
    "Impact of treatment/ care": (
        *("better", "improv*", "recover*", "progress*", "helped me", "help me", "changed my life", "life changing"),
        *("saved my life", "saved his life", "saved her life", "feel better", "felt better", "back on my feet"),
        *("confidence", "confident", "independen*", "wellbeing", "well being", "worse", "made a difference"),
        *("difference", "coping", "cope", "turned my life"),
    ),
    "Interaction with family/ carers": (
        *("family", "families", "relative", "carer*", "husband", "wife", "partner", "son", "daughter", "mum"),
        *("mother", "dad", "father", "parent*", "children", "child", "kids", "visit", "visits", "visitor*"),
        *("visiting", "next of kin", "loved one*", "grandson", "granddaughter", "nan", "grandad", "brother"),
        *("sister",),
    ),
    "Negative experience & dissatisfaction": (
        *("disappoint*", "dissatisf*", "unhappy", "upset*", "angry", "anger", "frustrat*", "awful", "terrible"),
        *("appalling", "disgust*", "disgrace*", "shocking", "horrible", "horrendous", "dreadful", "worst"),
        *("unacceptable", "let down", "let me down", "complain*", "never again", "not happy", "fed up"),
    ),
    "Positive experience & gratitude": (
        *("thank*", "thanks", "thankyou", "grateful", "gratitude", "appreciat*", "excellent", "brilliant"),
        *("amazing", "fantastic", "wonderful", "great", "good", "outstanding", "superb", "perfect", "faultless"),
        *("happy", "pleased", "satisfied", "impressed", "recommend*", "best", "keep up the good work", "well done"),
        *("could not fault", "couldn't fault", "cannot fault", "can't fault"),
    ),
}


class TopicMatcher:
    """Finds the listed words and phrases of each theme in a comment's words (as ``text._WORD`` splits them)."""

    def __init__(self, words: Mapping[str, Sequence[str]]) -> None:
        self.themes = list(words)
        self._exact: dict[str, set[int]] = {}
        self._prefix: dict[str, set[int]] = {}
        # First word -> (the words after it, whether the last one is a prefix, theme).
        self._phrases: dict[str, list[tuple[tuple[str, ...], bool, int]]] = {}
        for theme, entries in enumerate(words.values()):
            for entry in entries:
                stem = entry.rstrip("*")
                open_ended = entry.endswith("*")
                parts = stem.split()
                if len(parts) > 1:
                    self._phrases.setdefault(parts[0], []).append((tuple(parts[1:]), open_ended, theme))
                elif open_ended:
                    self._prefix.setdefault(stem, set()).add(theme)
                else:
                    self._exact.setdefault(stem, set()).add(theme)
                    self._exact.setdefault(f"{stem}s", set()).add(theme)
        self._lengths = sorted({len(p) for p in self._prefix})
        self._cache: dict[str, tuple[int, ...]] = {}

    def _word(self, token: str) -> tuple[int, ...]:
        found = self._cache.get(token)
        if found is None:
            themes = set(self._exact.get(token, ()))
            for n in self._lengths:
                if n > len(token):
                    break
                themes.update(self._prefix.get(token[:n], ()))
            found = tuple(sorted(themes))
            if len(self._cache) >= 100_000:
                self._cache.clear()
            self._cache[token] = found
        return found

    def themes_of(self, tokens: Sequence[str]) -> list[int]:
        """One theme index per listed word or phrase found (a word in several themes' lists counts for each)."""
        found: list[int] = []
        n = len(tokens)
        for i, token in enumerate(tokens):
            found.extend(self._word(token))
            for rest, open_ended, theme in self._phrases.get(token, ()):
                end = i + 1 + len(rest)
                if end > n:
                    continue
                last = tokens[end - 1]
                if tuple(tokens[i + 1 : end - 1]) == rest[:-1] and (
                    last.startswith(rest[-1]) if open_ended else last in (rest[-1], f"{rest[-1]}s")
                ):
                    found.append(theme)
        return found


MATCHER = TopicMatcher(THEME_WORDS)
