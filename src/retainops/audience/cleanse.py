"""Normalising what people type about themselves: names, e-mails, phones, addresses.

Each function takes a raw value (anything a file holds) and gives the form the
identity resolution compares: lower case without accents or punctuation,
e-mails with the provider's own equivalences, phones in E.164 (with the
`phonenumbers` library, in the source's default country when the number has
no prefix), addresses with the usual abbreviations spelled one way. An empty
or unusable value becomes "" (compared as missing, never as equal).
"""

import re
import unicodedata
from functools import lru_cache

import phonenumbers

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "herr", "frau", "mme", "m"}
_GMAIL = {"gmail.com", "googlemail.com"}
# Street words spelled one way, so "Hauptstr." meets "Hauptstrasse".
_ADDRESS_WORDS = {
    "str": "strasse",
    "straße": "strasse",
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "pl": "platz",
    "no": "",
    "nr": "",
}


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def fold(value: object) -> str:
    """Lower case, accents removed (ß as ss), punctuation as spaces, spaces single."""
    return _fold_text(_text(value))


@lru_cache(maxsize=200_000)
def _fold_text(text: str) -> str:
    if not text.isascii():
        text = text.replace("ß", "ss").replace("ẞ", "ss")
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", text.lower())).strip()


@lru_cache(maxsize=200_000)
def normalise_name(value: str) -> tuple[str, str, str]:
    """(full name, first name, last name), folded, titles dropped; "Last, First" read
    as "First Last"."""
    raw = _text(value)
    if "," in raw:
        last, _, first = raw.partition(",")
        raw = f"{first} {last}"
    words = [w for w in fold(raw).split(" ") if w and w not in _TITLES]
    if not words:
        return "", "", ""
    first = words[0]
    last = words[-1] if len(words) > 1 else ""
    return " ".join(words), first, last


@lru_cache(maxsize=200_000)
def normalise_email(value: str) -> str:
    """Lower case; for Gmail, dots and +tags of the local part dropped; "" unless it
    looks like an address."""
    text = _text(value).lower()
    if text.count("@") != 1:
        return ""
    local, domain = text.split("@")
    if not local or "." not in domain or " " in text:
        return ""
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


@lru_cache(maxsize=200_000)
def normalise_phone(value: str, country: str = "DE") -> str:
    """The number in E.164 (+4930123456), read in `country` when it has no prefix;
    "" when it is not a possible number."""
    text = _text(value)
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, country.upper() or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=200_000)
def normalise_address(value: str) -> tuple[str, str]:
    """(address, postcode): folded with street words spelled one way; the postcode is
    the first group of 4 or 5 digits (or a UK-style outward code) found."""
    folded = fold(_text(value).replace("str.", "strasse ").replace("Str.", "strasse "))
    words = []
    for word in folded.split(" "):
        if word.endswith("str") and len(word) > 3:
            word = word[:-3] + "strasse"
        words.append(_ADDRESS_WORDS.get(word, word))
    address = " ".join(w for w in words if w)
    match = re.search(r"\b(\d{4,5})\b", address)
    postcode = match.group(1) if match else ""
    if not postcode:
        uk = re.search(r"\b([a-z]{1,2}\d[a-z\d]?)\s*\d[a-z]{2}\b", address)
        postcode = uk.group(1) if uk else ""
    return address, postcode
