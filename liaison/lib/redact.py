"""Taking people out of free text: emails, phone and NHS numbers, MRNs, postcodes, dates and names.

Two readers need it. The hiring drills turn a closed case into a training scenario; the case tells us the
names to take out. The feedback dashboard shows executives example comments; no record names the people a
comment mentions, so names that follow a title ("Mrs Jane Doe", "Dr Patel") are taken out as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)(\+?\d[\d ()\-]{6,}\d)(?!\w)")
# Ten digits, written 3-3-4 or run together: an NHS number. Taken before phone numbers so it is not
# called a phone number; a UK phone number has eleven digits and does not match.
NHS_NUMBER = re.compile(r"(?<![\w-])\d{3} ?\d{3} ?\d{4}(?![\w-])")
MRN = re.compile(r"\b(?:[A-Z]{2,4}-?\d{6,10})\b")
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
US_ZIP = re.compile(r"\b[A-Z]{2} \d{5}(?:-\d{4})?\b")
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
DATES = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS})\.?(?: \d{{4}})?\b", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS}) \d{{4}}\b", re.IGNORECASE),
]
TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sister|Nurse|Prof)\.?"
# A title, then one to three capitalised words: "Mrs Jane Doe", "Dr. O'Neill", "nurse Kelly", "my sister Anne".
# Only the words that are titles in lower case too ("nurse") are read in any case: "I miss Christmas" is no name.
_TITLED_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|(?i:sister|nurse|doctor))\.?(?: [A-Z][\w'\-]*[a-zA-Z]){1,3}\b(?:'s)?"
)


def name_tokens(name: str) -> list[str]:
    """The parts of a name worth taking out on their own (not initials or short particles)."""
    return [t for t in re.split(r"[\s\-']+", name) if len(t) >= 3 and t[0].isupper()]


def replace_name(text: str, name: str, placeholder: str) -> str:
    """The whole name (with any title) first, then each part on its own ("Mrs Okafor", "Ada")."""
    if not name.strip():
        return text
    text = re.sub(rf"(?:{TITLES} )?{re.escape(name.strip())}", placeholder, text, flags=re.IGNORECASE)
    for token in name_tokens(name):
        text = re.sub(rf"(?:{TITLES} )?\b{re.escape(token)}\b(?:'s)?", placeholder, text, flags=re.IGNORECASE)
    return text


def address_lines(value: str) -> list[str]:
    return [line.strip(" ,") for line in re.split(r"[\n,]", value or "") if len(line.strip(" ,")) >= 4]


def redact_identifiers(
    text: str, *, emails: Iterable[str] = (), addresses: Iterable[str] = (), mrns: Iterable[str] = ()
) -> str:
    """Emails, addresses, postcodes, MRNs, dates, NHS and phone numbers: the known values given, then any
    text shaped like one. Names are the caller's part, after this (a name can sit inside an email)."""
    for value in emails:
        if value:
            text = text.replace(value, "[email]")
    text = EMAIL.sub("[email]", text)
    for address in addresses:
        for line in address_lines(address):
            text = re.sub(re.escape(line), "[address]", text, flags=re.IGNORECASE)
    text = UK_POSTCODE.sub("[postcode]", text)
    text = US_ZIP.sub("[postcode]", text)
    for mrn in mrns:
        if mrn:
            text = re.sub(re.escape(mrn), "[MRN]", text, flags=re.IGNORECASE)
    text = MRN.sub("[MRN]", text)
    for pattern in DATES:
        text = pattern.sub("[date]", text)
    text = NHS_NUMBER.sub("[NHS number]", text)
    return PHONE.sub("[phone]", text)


def redact_comment(text: str, *, names: Iterable[str] = ()) -> str:
    """A free-text comment with nobody in it, for readers who may see what was said but not who said it
    or about whom: the identifiers above, the ``names`` we know of (the respondent's), and titled names."""
    text = redact_identifiers(text)
    for name in names:
        text = replace_name(text, name, "[name]")
    return _TITLED_NAME.sub("[name]", text)
