"""Words for synthetic data: invented names and places, and the sentences of accounts, notes and feedback.

Everything here is made up for ``liaison generate``; no name or story belongs to a real person. Sentences are
built from parts, so a million cases read differently enough for search and the text measures to do real work.
"""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Abena", "Alfie", "Amira", "Anders", "Aoife", "Arjun", "Beatriz", "Bram", "Caius", "Callum", "Chioma",
    "Clara", "Dalia", "Declan", "Dorota", "Eamon", "Elif", "Elspeth", "Emre", "Esme", "Fenna", "Finlay",
    "Gaia", "Gideon", "Greta", "Hamza", "Harriet", "Hollis", "Idris", "Ines", "Isla", "Jago", "Jun",
    "Kasia", "Keane", "Kofi", "Lale", "Leif", "Lowri", "Maeve", "Malik", "Marisol", "Mateo", "Mina",
    "Nadia", "Niamh", "Nils", "Oona", "Osian", "Pavel", "Petra", "Quinn", "Rafe", "Rania", "Rosalind",
    "Rohan", "Saoirse", "Selin", "Soren", "Tamsin", "Teodor", "Thea", "Ulla", "Vesna", "Wilf", "Yara",
    "Yusra", "Zadie", "Zeno", "Zuri",
)  # fmt: skip
FAMILY_NAMES = (
    "Abernethy", "Adeyemi", "Ashdown", "Bellweather", "Blackmore", "Brannigan", "Castellano", "Chowdhury",
    "Colquhoun", "Dargavel", "Devereux", "Dunmore", "Ekwueme", "Elsworth", "Farrant", "Fennimore",
    "Gallimore", "Glendinning", "Haverford", "Holloway", "Iredale", "Jablonski", "Kavanagh", "Kettlewell",
    "Lachance", "Llewellyn", "Mabry", "Marwick", "Mendelsohn", "Nakamura", "Northcote", "Oduya", "Okafor",
    "Pemberton", "Penhaligon", "Quennell", "Radcliffe", "Ravensworth", "Sandoval", "Sedgewick", "Sinclair",
    "Tennant", "Thistlewood", "Underhill", "Vasquez", "Wainwright", "Westergaard", "Whitcombe", "Yardley",
    "Zeller",
)  # fmt: skip
STREETS = (
    "Mill Lane", "Station Road", "Orchard Way", "Church Street", "Harbour View", "Beech Grove", "Kiln Close",
    "Meadow Rise", "Quarry Hill", "Willow Court", "Ferry Road", "Tannery Row",
)  # fmt: skip
UK_TOWNS = (("Millbridge", "MB"), ("Ashcombe", "AC"), ("Northwold", "NW"), ("Kelby", "KB"), ("Sandmouth", "SM"))
US_TOWNS = (("Port Carrow", "NY"), ("Elm Falls", "NY"), ("Brookhaven Mills", "NJ"), ("Cedar Point", "CT"))
RELATIONSHIPS = ("daughter", "son", "wife", "husband", "partner", "mother", "father", "sister", "friend", "carer")
ACCESSIBILITY = ("Large print letters, please", "Uses a hearing aid: phone calls are hard", "Wheelchair user")
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605",
)

# What happened, by HCAT category: (issue summary, a sentence of the account).
ISSUES: dict[str, tuple[tuple[str, str], ...]] = {
    "quality": (
        ("Wound dressing not changed", "The dressing on the wound was not changed for three days and it became sore."),
        ("Pain relief delayed", "Pain relief was asked for several times and took hours to arrive."),
        ("Test results not acted on", "The blood test results were back but nobody acted on them for a week."),
        ("Missed deterioration", "The family felt the patient was getting worse and the staff did not see it."),
        ("Medication given late", "Regular tablets were given late on most evenings of the stay."),
    ),
    "safety": (
        ("Fall on the ward", "The patient fell getting to the toilet at night; the bed rails had been left down."),
        ("Wrong medication dose", "A tablet was given at twice the prescribed dose and only noticed the next day."),
        ("Infection after procedure", "An infection followed the procedure and nobody explained the risk."),
        ("Pressure sore", "A pressure sore developed during the admission and was found by the family."),
        ("Discharged too soon", "The patient was sent home unwell and was readmitted two days later."),
    ),
    "environment": (
        ("Ward not clean", "The bay and the toilets were not cleaned over the weekend."),
        ("Noise at night", "The ward was so noisy at night that the patient could not sleep."),
        ("Car parking", "There were no parking spaces and the appointment was nearly missed."),
        ("Cold food", "Meals arrived cold and the special diet was not provided."),
        ("Broken equipment", "The call bell at the bed did not work for the whole stay."),
    ),
    "institutional_processes": (
        ("Appointment cancelled twice", "The clinic appointment was cancelled twice at short notice."),
        ("Referral lost", "The referral was lost and the wait started again from the beginning."),
        ("Long wait in the department", "The wait in the department was over six hours with no update."),
        ("Letter sent to wrong address", "The appointment letter went to an old address."),
        ("Billing error", "A bill arrived for treatment that should not have been charged."),
    ),
    "listening": (
        ("Concerns dismissed", "When the family raised worries they were told everything was fine."),
        ("Not involved in decisions", "Decisions about the care were made without asking the patient."),
        ("Request ignored", "A request to speak to the consultant was never passed on."),
    ),
    "communication": (
        ("No explanation of diagnosis", "Nobody explained the diagnosis in words the patient could follow."),
        ("Conflicting information", "Different staff gave different answers about the plan and the discharge date."),
        ("Results not shared", "The results were not shared and the patient had to chase them for weeks."),
        ("Phone calls not returned", "Messages left for the team were not returned."),
        ("Interpreter not arranged", "No interpreter was booked although one had been asked for."),
    ),
    "respect_rights": (
        ("Rude manner", "A member of staff was abrupt and spoke over the patient."),
        ("Privacy not respected", "A personal conversation took place in front of other patients."),
        ("Dignity during personal care", "The patient was left uncovered while waiting for help."),
        ("Consent not sought", "A procedure went ahead before it had been properly explained."),
    ),
}
CATEGORY_WEIGHTS = {
    "communication": 22,
    "quality": 20,
    "institutional_processes": 16,
    "safety": 11,
    "environment": 10,
    "listening": 11,
    "respect_rights": 10,
}
OPENINGS = (
    "I am writing about my {who}'s recent care in {dept}.",
    "I want to raise what happened to my {who} in {dept}.",
    "I am unhappy with the care I received in {dept}.",
    "I need to tell you about my experience in {dept} last month.",
    "My {who} was treated in {dept} and I have concerns.",
)
WANTS = (
    "An apology and an explanation of what went wrong.",
    "To know that this will not happen to anyone else.",
    "A meeting with the consultant to go through the care.",
    "An explanation and a change in how the ward does this.",
    "Nothing more than for someone to listen and put it right.",
)
COMPLIMENTS = (
    "The staff in {dept} were kind, calm and explained everything. Thank you all.",
    "I want to thank the team in {dept} for the care my {who} received.",
    "Everyone in {dept} went out of their way to help; please pass on our thanks.",
)
ENQUIRIES = (
    "How can I get a copy of my {who}'s records from {dept}?",
    "Who should I speak to about visiting times in {dept}?",
    "Can you tell me how to move an appointment in {dept}?",
)

FINDINGS = {
    "upheld": "The records and statements bear out what was described; the care fell short here.",
    "partly_upheld": "Part of what was described is borne out by the records; part is not.",
    "not_upheld": "The records and statements show that the care given was appropriate.",
    "unable": "The records no longer allow this to be looked into fairly.",
}
HOW_CONSIDERED = (
    "Read the notes, took statements from the staff involved and spoke to the complainant.",
    "Reviewed the records and the rota, and met the ward manager and the consultant.",
    "Looked at the records, listened to the call recordings and asked the department for a statement.",
)
LEARNING = {
    "upheld": "Shared at the team's safety huddle; the ward manager is changing the practice.",
    "partly_upheld": "Discussed with the staff involved and at the department's governance meeting.",
    "not_upheld": "",
    "unable": "",
}
NOTES = (
    "Spoke to the ward manager, who will find out what happened.",
    "Asked for the notes of the admission.",
    "Complainant emailed more detail about the dates.",
    "Checked the rota for the nights in question.",
    "Waiting for the consultant's comments.",
    "Drafted the outline of the response.",
)
CALLS = (
    "Called the complainant to talk through their concerns.",
    "Complainant rang to ask for an update.",
    "Called to agree what the response will cover.",
    "Left a message and called back later; talked it through.",
)
QUESTIONS = "Please tell us what happened, from the records and the staff involved, and what you would change."
STATEMENTS = (
    "We have reviewed the records and spoken to the staff on duty. Our account follows, with what we will change.",
    "The department has looked into this with the staff involved. We accept some of what is described.",
    "Statements were taken from the nurse in charge and the doctor on call. Their accounts are attached below.",
)
WITHDRAWALS = (
    "The complainant rang to say the matter had been sorted out with the ward.",
    "Withdrawn: the complainant no longer wishes to pursue it.",
)
REOPEN_REASONS = (
    "The complainant wrote back with questions the response did not answer.",
    "The complainant disagreed with the findings and sent new information.",
)
AGREEMENTS = "Agreed by phone with the complainant: the investigation needs statements from two teams."
CLOSING_NOTES = ("Response accepted; no further contact.", "Nothing further needed.", "")

# Feedback: parts of comments with the themes they carry (the labels of liaison.feedback.analysis.labels).
GOOD: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the nurses were kind and took time to explain everything", ("Staff manner & personal attributes",)),
    ("the doctor listened and answered all our questions", ("Staff listening, understanding & involving patients",)),
    ("I was seen on time", ("Timeliness of care",)),
    ("the ward was spotless", ("Cleanliness, tidiness & infection control",)),
    ("the food was hot and there was a choice for my diet", ("Food & drink provision & facilities",)),
    ("the physio gave me exercises I can do at home", ("Information provision & guidance",)),
    ("the reception staff were friendly and helpful", ("Staff manner & personal attributes",)),
    ("they kept my family informed every day", ("Being kept informed, clarity & consistency of information",)),
    ("the transport arrived on time both ways", ("Transport to/ from services",)),
    ("my pain was well controlled", ("Pain management",)),
)  # fmt: skip
_INFORMED = "Being kept informed, clarity & consistency of information"
BAD: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("I waited hours and nobody told me why", ("Timeliness of care", _INFORMED)),
    ("the toilets were not cleaned all weekend", ("Cleanliness, tidiness & infection control",)),
    ("nobody called back about my results", ("Contacting services",)),
    ("my appointment letter arrived after the appointment", ("Appointment arrangements",)),
    ("the staff seemed rushed and there were not enough of them", ("Number & deployment of staff",)),
    ("I was sent home at night with no word on my tablets", ("Discharge", "Supplying & understanding medication")),
    ("the receptionist was rude to my mother", ("Staff manner & personal attributes",)),
    ("there was nowhere to park", ("Environment & Facilities",)),
    ("the call bell went unanswered for forty minutes", ("Staff responsiveness",)),
    ("my referral was lost twice", ("Referals & continuity of care",)),
)  # fmt: skip
GOOD_STARTS = ("Excellent care:", "Thank you,", "Very good.", "Really pleased:", "")
BAD_STARTS = ("Not good enough:", "Disappointed,", "Poor experience.", "Very unhappy:", "")
MIXED_JOIN = " but "
POSITIVE = "Positive experience & gratitude"
NEGATIVE = "Negative experience & dissatisfaction"
FEEDBACK_QUESTION = "What was good, and what could we do better?"


def _int(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(FAMILY_NAMES)}"


def address(rng: random.Random, uk: bool) -> str:
    number, street = _int(rng, 1, 180), rng.choice(STREETS)
    if uk:
        town, area = rng.choice(UK_TOWNS)
        return f"{number} {street}\n{town}\n{area}{_int(rng, 1, 19)} {_int(rng, 1, 9)}{rng.choice('ABDEFGHJ')}X"
    town, state = rng.choice(US_TOWNS)
    return f"{number} {street}\n{town}, {state} {_int(rng, 10000, 10999)}"


def phone(rng: random.Random, uk: bool) -> str:
    # Drama numbers: Ofcom's 01632 960xxx and the North American 555-01xx ranges are never assigned.
    if uk:
        return f"01632 960{_int(rng, 0, 999):03d}"
    return f"(555) 01{_int(rng, 0, 99):02d}-{_int(rng, 0, 9999):04d}"


def email_for(name: str, rng: random.Random) -> str:
    first, _, family = name.lower().partition(" ")
    return f"{first}.{family}{_int(rng, 1, 99)}@example.com"


def account(rng: random.Random, sentences: list[str], who: str, dept: str) -> str:
    opening = rng.choice(OPENINGS).format(who=who, dept=dept)
    return " ".join([opening, *sentences])


def feedback_comment(rng: random.Random, score: int) -> tuple[str, list[str], int | None]:
    """A comment for an FFT score (1 very good … 5 very poor, 6 don't know), its themes and its sentiment."""
    if score == 6 or rng.random() < 0.22:
        return "", [], None
    if score <= 2:
        part, themes = rng.choice(GOOD)
        text = f"{rng.choice(GOOD_STARTS)} {part}.".strip()
        return text[0].upper() + text[1:], [*themes, POSITIVE], score
    if score == 3:
        good, good_themes = rng.choice(GOOD)
        bad, bad_themes = rng.choice(BAD)
        text = f"{good[0].upper()}{good[1:]}{MIXED_JOIN}{bad}."
        return text, sorted({*good_themes, *bad_themes}), 3
    part, themes = rng.choice(BAD)
    text = f"{rng.choice(BAD_STARTS)} {part}.".strip()
    return text[0].upper() + text[1:], [*themes, NEGATIVE], score
