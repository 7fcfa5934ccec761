"""Detects contact and payment details that would take a deal off Guildhall before an order is paid.

Buyers and sellers who swap phone numbers, emails, links, messaging handles or bank details before paying through
escrow lose the platform's protection, and the platform loses the deal. `scan` finds those details, `mask` hides
them and `warning_for` tells the sender why.

Invariants that callers rely on:
- Pure and offline: no database, no network, no Django settings needed (the report script runs without them);
  Django is used only, and lazily, for the default allowed hosts and for translating the placeholder and warning.
- Every pattern is precompiled and every repetition is bounded, so a scan is linear in the message length and a
  hostile message cannot make it backtrack catastrophically.
- A finding's `start`/`end` index the original text, even when it was found in a de-obfuscated copy ("jo at gmail
  dot com"), so masking hides exactly what the sender typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers

Kind = Literal["email", "phone", "link", "handle", "payment"]
KINDS: tuple[Kind, ...] = ("email", "phone", "link", "handle", "payment")


def _(message: str) -> str:
    """Marks a string for `makemessages`; it is translated when used, in the reader's language (see `_translated`)."""
    return message


PLACEHOLDER = _("[contact details hidden]")
WARNING = _("For your safety, keep payments and contact on Guildhall until an order is paid. We hid: %(items)s.")
KIND_LABELS: dict[str, str] = {
    "email": _("an email address"),
    "phone": _("a phone number"),
    "link": _("a link to another site"),
    "handle": _("a messaging or social media handle"),
    "payment": _("an off-platform payment request"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    start: int
    end: int
    matched_text: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The findings of one message, in text order. A tuple, not a list, so that the result stays immutable."""

    findings: tuple[Finding, ...] = ()

    @property
    def leaked(self) -> bool:
        return bool(self.findings)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        found = {finding.kind for finding in self.findings}
        return tuple(kind for kind in KINDS if kind in found)


# --- Django, only when it is there ------------------------------------------------------------------------------


def _django_ready() -> bool:
    try:
        from django.apps import apps
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is a project dependency
        return False
    return settings.configured and apps.ready


def _translated(message: str) -> str:
    if not _django_ready():
        return message
    from django.utils.translation import gettext

    return gettext(message)


def _default_allowed_hosts() -> tuple[str, ...]:
    """settings.ALLOWED_HOSTS plus the host of settings.SITE_URL; `*` is a Host-header rule, not a link rule."""
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover
        return ()
    if not settings.configured:
        return ()
    hosts = list(getattr(settings, "ALLOWED_HOSTS", []) or [])
    site_host = urlsplit(str(getattr(settings, "SITE_URL", "") or "")).hostname
    if site_host:
        hosts.append(site_host)
    return tuple(hosts)


def _normalised_hosts(hosts: Iterable[str]) -> tuple[str, ...]:
    cleaned = []
    for host in hosts:
        host = host.strip().lower().lstrip(".").strip("[]")
        if host and host != "*":
            cleaned.append(host)
    return tuple(cleaned)


def _is_allowed_host(host: str, allowed: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".").strip("[]")
    return any(host == allowed_host or host.endswith("." + allowed_host) for allowed_host in allowed)


# --- A copy of the text that remembers where each character came from ------------------------------------------


class _View:
    """Text rewritten by substitutions, with each character's span in the original text."""

    __slots__ = ("text", "starts", "ends")

    def __init__(self, text: str, starts: list[int], ends: list[int]) -> None:
        self.text, self.starts, self.ends = text, starts, ends

    @classmethod
    def of(cls, text: str) -> _View:
        return cls(text, list(range(len(text))), list(range(1, len(text) + 1)))

    def sub(self, pattern: re.Pattern[str], replacement: str | Callable[[re.Match[str]], str]) -> _View:
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        position = 0
        for match in pattern.finditer(self.text):
            begin, end = match.span()
            if begin == end:
                continue
            pieces.append(self.text[position:begin])
            starts.extend(self.starts[position:begin])
            ends.extend(self.ends[position:begin])
            piece = replacement(match) if callable(replacement) else replacement
            if piece:
                pieces.append(piece)
                starts.extend([self.starts[begin]] * len(piece))
                ends.extend([self.ends[end - 1]] * len(piece))
            position = end
        pieces.append(self.text[position:])
        starts.extend(self.starts[position:])
        ends.extend(self.ends[position:])
        return _View("".join(pieces), starts, ends)

    def original_span(self, begin: int, end: int) -> tuple[int, int]:
        return self.starts[begin], self.ends[end - 1]


# --- Shared vocabulary ---------------------------------------------------------------------------------------------

_I = re.IGNORECASE
# Top-level domains accepted for bare domains ("jomakes.shop"). Short ones that are English or Spanish words
# ("it", "in", "us", "is", "at", "be", "to", "no", "do", "go", "me") are left out; wa.me and friends are named.
_TLDS = (
    "com|net|org|info|biz|io|co|uk|es|de|fr|nl|ie|eu|ca|au|nz|pt|mx|ar|cl|br|ru|cn|pl|ch|se|dk|fi|be|at|"
    "ly|gl|gle|ee|gg|ai|tv|fm|xyz|shop|store|online|site|website|app|dev|page|link|art|design|studio|club|"
    "blog|top|tk|us|cat|gal"
)
_TLD_SET = frozenset(_TLDS.split("|"))
# After "dot"/"punto" (or "[.]") only the common ones count: "el punto de cruz" is not a German domain.
_SPOKEN_TLDS = {"com", "net", "org", "info", "io", "co", "uk", "es", "shop", "store", "online", "site", "app", "ee"}
_MAIL_PROVIDERS = "gmail|googlemail|hotmail|yahoo|outlook|icloud|protonmail|proton|btinternet|aol|gmx|yandex"
_STOPWORDS = {
    "a", "an", "the", "my", "your", "our", "this", "that", "it", "its", "i", "i'm", "im", "me", "you", "we", "be",
    "is", "am", "are", "was", "at", "on", "in", "of", "to", "polka", "bullet", "full", "el", "la", "lo", "los",
    "las", "un", "una", "mi", "tu", "su", "de", "del", "que", "y", "buen", "punto", "es", "soy", "as", "by",
}  # fmt: skip


_SENTENCE_BREAK = re.compile(r"[.!?\n]")
# "No worries, whatsapp me" and "don't hesitate to call" are not refusals.
_NEGATION = re.compile(
    r"\b(?:not|never|won'?t|do[ \t]not|can'?t|cannot|shouldn'?t|wouldn'?t|rather[ \t]not|nunca|"
    r"don'?t(?![ \t]{1,3}(?:hesitate|forget))|"
    r"no(?=[ \t]{1,3}[a-z])(?![ \t]{1,3}(?:problem|problemo|prob|probs|worries|worry|rush|bother|hurry|pressure)\b))\b",
    _I,
)


def _negated(text: str, start: int) -> bool:
    """True when the clause before `start` says not to do it ("I won't move to WhatsApp")."""
    # One character of the finding comes along, so that "No cash on collection" sees its "No" as a refusal.
    clause = _SENTENCE_BREAK.split(text[max(0, start - 40) : start + 1])[-1]
    return bool(_NEGATION.search(clause))


def _sentence_around(text: str, start: int, end: int) -> str:
    before = _SENTENCE_BREAK.split(text[max(0, start - 80) : start])[-1]
    after = _SENTENCE_BREAK.split(text[end : end + 80])[0]
    return before + text[start:end] + after


# --- Email ---------------------------------------------------------------------------------------------------------

_SPACED_LETTERS = re.compile(r"(?<=(?<!\S)\S)[ \t](?=\S(?!\S))")
_SPLIT_PROVIDER = re.compile(r"\b(g|hot|google)[ \t]{1,2}(mail)\b", _I)
_BRACKETED_AT = re.compile(r"[\[({<][ \t]{0,2}(?:at|arroba|a|@|＠)[ \t]{0,2}[\])}>]", _I)
_BRACKETED_DOT = re.compile(r"[\[({<][ \t]{0,2}(?:dot|punto|\.)[ \t]{0,2}[\])}>]", _I)
_SPOKEN_AT = re.compile(r"(?<=\w)[ \t]{1,3}(?:at|arroba)[ \t]{1,3}(?=\w)", _I)
_SPOKEN_DOT = re.compile(r"(?<=\w)[ \t]{1,3}(?:dot|punto)(?:[ \t]{1,3}(?=\w)|(?=(?:com|net|org|es)\b))", _I)
_SPACED_AT = re.compile(r"[ \t]{0,3}[@＠﹫]{1,3}[ \t]{0,3}")
_SPACED_DOT = re.compile(r"(?<=\w)(?:[ \t]{1,3}\.{1,3}[ \t]{0,3}|\.{1,3}[ \t]{1,3}|\.{2,3})(?=\w)")
_EMAIL = re.compile(
    r"(?<![\w.%+\-])([a-z0-9][a-z0-9._%+\-]{0,63})@((?:[a-z0-9][a-z0-9\-]{0,62}\.){1,6})([a-z]{2,24})"
    r"(?![\w\-])",
    _I,
)
_EMAIL_PROVIDER_ONLY = re.compile(r"(?<![\w.%+\-])([a-z0-9][a-z0-9._%+\-]{1,63})@(" + _MAIL_PROVIDERS + r")\b", _I)
_EMAIL_ON_PROVIDER = re.compile(
    r"(?<![\w.%+\-])([a-z0-9][a-z0-9._\-]{2,40})[ \t]{1,3}on[ \t]{1,3}(?:" + _MAIL_PROVIDERS + r")\b", _I
)
# "my gmail is samfoster.crafts", "hotmail is best for me: luke_w_88"
_EMAIL_BY_NAME = tuple(
    re.compile(pattern, _I)
    for pattern in (
        r"\b(?:my|mi)[ \t]{1,3}(?:" + _MAIL_PROVIDERS + r"|e-?mail|correo)(?:[ \t]{1,3}(?:address|is|es))?"
        r"[ \t]{0,3}(?:is|es|:|=)[ \t]{0,3}[a-z][\w\-]{0,39}[._\d][\w.\-]{0,39}",
        r"\b(?:" + _MAIL_PROVIDERS + r")\b[^.!?\n:]{0,30}:[ \t]{0,3}[a-z][\w\-]{0,39}[._\d][\w.\-]{0,39}",
    )
)


def _email_view(text: str) -> _View:
    view = _View.of(text)
    view = view.sub(_SPACED_LETTERS, "")
    view = view.sub(_SPLIT_PROVIDER, lambda match: match.group(1) + match.group(2))
    view = view.sub(_BRACKETED_AT, "@")
    view = view.sub(_BRACKETED_DOT, ".")
    view = view.sub(_SPOKEN_AT, "@")
    view = view.sub(_SPOKEN_DOT, ".")
    view = view.sub(_SPACED_AT, "@")
    return view.sub(_SPACED_DOT, ".")


def _find_emails(text: str, allowed: tuple[str, ...]) -> list[Finding]:
    findings = []
    view = _email_view(text)
    # The typed text first: in "reach me at m.ruiz@ucm.es" the spoken "at" would otherwise swallow the address.
    for match in _EMAIL.finditer(text):
        if not _is_allowed_host(match.group(2) + match.group(3), allowed):
            findings.append(Finding("email", match.start(), match.end(), match.group(0)))
    for match in _EMAIL.finditer(view.text):
        start, end = view.original_span(*match.span())
        local, domain, tld = match.group(1), match.group(2) + match.group(3), match.group(3).lower()
        literal = text[start:end] == match.group(0)
        typed_tld = match.group(3)
        if not literal and (
            tld not in _TLD_SET
            or not (typed_tld.islower() or typed_tld.isupper())  # "there at 5. Com is..." is two sentences
            or local.lower() in _STOPWORDS
            or domain.split(".")[0].lower() in _STOPWORDS
        ):
            continue
        # "photos at imgur.com/a/x" is a link somewhere, not an address.
        if not literal and view.text[match.end() : match.end() + 1] == "/":
            continue
        if _is_allowed_host(domain, allowed):
            continue
        findings.append(Finding("email", start, end, text[start:end]))
    # "benji.makes at gmail": a provider is domain enough.
    for match in _EMAIL_PROVIDER_ONLY.finditer(view.text):
        if match.group(1).lower() not in _STOPWORDS:
            start, end = view.original_span(*match.span())
            findings.append(Finding("email", start, end, text[start:end]))
    for pattern in _EMAIL_BY_NAME:
        for match in pattern.finditer(text):
            findings.append(Finding("email", match.start(), match.end(), match.group(0)))
    for match in _EMAIL_ON_PROVIDER.finditer(text):
        if match.group(1).lower() not in _STOPWORDS:
            findings.append(Finding("email", match.start(), match.end(), match.group(0)))
    return findings


# --- Links ---------------------------------------------------------------------------------------------------------

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"']{1,2000}|(?<![\w@.\-])www\.[^\s<>\"']{1,2000}", _I)
_BARE_DOMAIN = re.compile(
    r"(?<![\w@.\-])((?:[a-z0-9][a-z0-9\-]{0,62}\.){1,6}(" + _TLDS + r"))(?![\w\-])(/[^\s<>\"']{0,2000})?",
    _I,
)
# ".me" is a word too, so only the known short hosts (wa.me, t.me) or an address with a path (etsy.me/3ab).
_NAMED_SHORT_LINK = re.compile(
    r"(?<![\w@.\-])(?:(?:wa|t|m|paypal)\.me\b(?:/[^\s<>\"']{0,2000})?"
    r"|(?:[a-z0-9][a-z0-9\-]{0,62}\.){1,4}me/[^\s<>\"']{1,2000})",
    _I,
)
_SPACED_DOT_IN_LINK = re.compile(r"(?<=\w)[ \t]{1,3}\.[ \t]{1,3}(?=\w)")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def _link_view(text: str) -> _View:
    view = _View.of(text)
    view = view.sub(_BRACKETED_DOT, ".")
    view = view.sub(_SPOKEN_DOT, ".")
    return view.sub(_SPACED_DOT_IN_LINK, ".")


def _host_of(url: str) -> str:
    if "://" not in url:
        url = "http://" + url
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _find_links(text: str, allowed: tuple[str, ...]) -> list[Finding]:
    findings = []
    view = _link_view(text)
    taken: list[tuple[int, int]] = []
    for match in _URL.finditer(view.text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        taken.append((match.start(), match.start() + len(url)))
        if _is_allowed_host(_host_of(url), allowed):
            continue
        start, end = view.original_span(match.start(), match.start() + len(url))
        findings.append(Finding("link", start, end, text[start:end]))
    for match in _NAMED_SHORT_LINK.finditer(view.text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if any(begin <= match.start() < end for begin, end in taken):
            continue
        taken.append((match.start(), match.start() + len(url)))
        start, end = view.original_span(match.start(), match.start() + len(url))
        findings.append(Finding("link", start, end, text[start:end]))
    for match in _BARE_DOMAIN.finditer(view.text):
        if any(begin <= match.start() < end for begin, end in taken):
            continue
        host, tld = match.group(1), match.group(2)
        labels = host.split(".")
        start, end = view.original_span(*match.span(1))
        spoken = text[start:end] != host
        if spoken:
            if tld.lower() not in _SPOKEN_TLDS or len(labels[0]) < 3 or labels[0].lower() in _STOPWORDS:
                continue
        # "tomorrow.Shop opens" is a missing space, not a domain: a typed domain's ending is lowercase.
        elif not (tld.islower() or host.isupper()):
            continue
        if _is_allowed_host(host, allowed):
            continue
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        start, end = view.original_span(match.start(), match.start() + len(url))
        findings.append(Finding("link", start, end, text[start:end]))
    return findings


# --- Messaging handles ---------------------------------------------------------------------------------------------

_MESSAGING = (
    r"(?:whats[ \t]?app|watsapp|whatsap|wasap|wassap|wsp|telegram|signal|skype|discord|we[ \t]?chat|viber|kik|"
    r"imessage|facetime|snap(?:chat)?|line[ \t]id|(?:fb[ \t])?messenger|tele|(?-i:WA))"
)
_SOCIAL = r"(?:insta(?:gram)?|ig|the[ \t]gram|facebook|fb|tik[ \t]?tok|twitter|threads|tg)"
_PLATFORM = r"(?:" + _MESSAGING + "|" + _SOCIAL + ")"
_HANDLE_TOKEN = r"@?[a-z][\w.\-#]{1,39}"
# "my Instagram is private": what follows "is" describes the account instead of naming it.
_NOT_A_HANDLE = (
    r"(?:private|public|down|blocked|banned|new|old|full|closed|dead|broken|empty|inactive|deleted|gone|hacked|not|"
    r"a|an|the|mostly|just|only|where|how|all|about|great|better|worse|slow|so|too|very|privada|p[uú]blica|nueva)"
)
_CONTACT_VERBS = (
    r"(?:message|msg|text|txt|dm|pm|add|find|follow|contact|reach|call|ping|hit|look|search|chat|talk|speak|write|"
    r"catch|get[ \t]hold[ \t]of)"
)
_HANDLE_PATTERNS = tuple(
    re.compile(pattern, _I)
    for pattern in (
        # "whatsapp me", "kik me: woodandwool", "snap me"
        r"\b(?:whats[ \t]?app|watsapp|wasap|telegram|snap(?:chat)?|viber|kik|skype|facetime|imessage)[ \t]{1,3}"
        r"(?:me|us)\b(?:[ \t]{0,2}[:,\-][ \t]{0,2}" + _HANDLE_TOKEN + r")?",
        # "message me on WhatsApp", "add me on snap: jojo_99", "Find me on Instagram @woodandwool_uk"
        r"\b" + _CONTACT_VERBS + r"(?:[ \t]{1,3}(?:me|us))?(?:[ \t]{1,3}up)?[ \t]{1,3}(?:on|at|via|through|over|in|by)"
        r"[ \t]{1,3}(?:my[ \t]{1,3})?" + _PLATFORM + r"\b(?:[ \t]{0,2}[:,]?[ \t]{0,2}@[\w.\-]{2,39})?",
        # "let's move this chat to telegram", "Can we continue on whatsapp?"
        r"\b(?:continue|move|switch|take|carry[ \t]on|chat|talk|speak|easier|quicker|faster|send|message|"
        r"contact|reach)\b[^.!?\n]{0,25}?"
        r"\b(?:on|to|via|over|through)[ \t]{1,3}" + _MESSAGING + r"\b",
        # "my insta is jo.makes", "mi insta es @ana.teje", "my telegram is @benbakes", "mi whatsapp es 612..."
        r"\b(?:my|mi|our)[ \t]{1,3}" + _PLATFORM + r"(?:[ \t]{1,3}(?:handle|username|user[ \t]?name|id|name|account|"
        r"number|n[uú]mero))?(?:[ \t]{0,3}(?:is|es|:|=|\-)|['’]s)(?![ \t]{1,3}" + _NOT_A_HANDLE + r"\b)"
        r"(?:[ \t]{0,3}(?!\d)" + _HANDLE_TOKEN + r")?",
        # "IG: @clay.by.claire", "Skype: jo.smith", "telegram @jomakes", "Discord: jomakes#4821"
        r"\b" + _PLATFORM + r"(?:[ \t]{1,3}(?:handle|username|id|name))?(?:[ \t]{0,3}[:=][ \t]{0,3}@?|[ \t]{1,3}@)"
        r"[a-z][\w.\-#]{1,39}",
        # "I'm @jomakes on telegram"
        r"@[\w.\-]{2,39}[ \t]{1,3}(?:on|in|via|at)[ \t]{1,3}" + _PLATFORM + r"\b",
        # "follow @jomakes"
        r"\b(?:follow|add|find|dm|message|search(?:[ \t]for)?|look[ \t]up)(?:[ \t]{1,3}me)?(?:[ \t]{1,3}at)?"
        r"[ \t]{1,3}@[\w.\-]{2,39}",
        # "handle is potterypeople", "username jojo_99", "my ID is lily_chen88"
        r"\b(?:handle|username|user[ \t]name|my[ \t]id)(?:[ \t]{1,3}is|[ \t]{0,2}:)[ \t]{1,3}@?[a-z][\w.\-#]{1,39}",
        r"\b(?:handle|username)[ \t]{1,3}@?[a-z][\w.\-]{0,38}[\d_.][\w.\-]{0,38}",
        # "I'm on Viber", "we're on signal"
        r"\b(?:i'?m|i[ \t]am|we'?re|we[ \t]are)[ \t]{1,3}on[ \t]{1,3}" + _MESSAGING + r"\b",
        # "Do you have WhatsApp?", "are you on telegram?"
        r"\b(?:do|are|have)[ \t]{1,3}(?:you|u)[ \t]{1,3}(?:got[ \t]{1,3}|have[ \t]{1,3}|on[ \t]{1,3}|use[ \t]{1,3})"
        + _MESSAGING
        + r"\b",
        # "mi usuario de instagram es @lana.crochet", "my account on insta is x"
        r"\b(?:usuario|cuenta|perfil|nombre|account|profile)[ \t]{1,3}(?:de|en|on)[ \t]{1,3}" + _PLATFORM + r"\b"
        r"(?:[ \t]{1,3}(?:es|is|:))?(?:[ \t]{0,3}@?[a-z][\w.\-]{1,39})?",
        # "search for WoodworkDave on Facebook", "look for jo.makes on insta"
        r"\b(?:search|look|find)(?:[ \t]{1,3}(?:for|up))?[ \t]{1,3}(?!(?:it|this|that|them|more|us|me|you)\b)"
        r"@?[a-z][\w.\-]{2,39}[ \t]{1,3}on[ \t]{1,3}" + _PLATFORM + r"\b",
        # an @handle next to a platform's name, either way round
        r"\b" + _PLATFORM + r"\b[^.!?\n@]{0,40}?@[a-z][\w.\-]{2,39}",
        r"@[a-z][\w.\-]{2,39}\b[^.!?\n@]{0,40}?\b" + _PLATFORM + r"\b",
        # "take this to dms on insta", "same username on the gram", "I'm jomakes everywhere", "my @ is jomakes"
        r"\bdms?\b[^.!?\n]{0,15}?\b(?:on|in|via)[ \t]{1,3}" + _SOCIAL + r"\b",
        r"\bsame[ \t]{1,3}(?:user[ \t]?name|handle|@|name[ \t]{1,3}(?:on|everywhere|as[ \t]here|across))\b",
        r"\b(?:i'?m|i[ \t]am|we'?re|we[ \t]are)[ \t]{1,3}@?[a-z][\w.\-]{2,39}[ \t]{1,3}"
        r"(?:everywhere|on[ \t](?:all|every|most))\b",
        r"\bmy[ \t]{1,3}@[ \t]{0,2}(?:is|['’]s|:)(?:[ \t]{0,3}[a-z][\w.\-]{1,39})?",
        # "add me: snap jojo_99": a platform followed by a handle-shaped name
        r"\b(?:snap(?:chat)?|insta(?:gram)?|ig|telegram|tiktok|kik|discord|skype|twitter|wechat|viber)[ \t]{1,3}@?[a-z]"
        r"[\w\-]{0,38}[_\d.][\w.\-]{0,38}",
        # "whatsapp +44 7700 900 987", "telegram: 07700..."
        # (Not "WA": "Seattle, WA 98101" is a state and a ZIP code.)
        r"\b" + _MESSAGING.replace("|(?-i:WA)", "") + r"(?:[ \t]{1,3}(?:number|no|num|n[uú]mero))?"
        r"(?:[ \t]{1,3}(?:is|es))?[ \t]{0,3}[:\-]?[ \t]{0,3}(?=\+?\d)",
        # Spanish: "mándame un whatsapp", "escríbeme por telegram", "búscame en instagram como tejidosana"
        r"\b(?:m[aá]ndame|env[ií]ame|escr[ií]beme|h[aá]blame|ll[aá]mame|b[uú]scame|agr[eé]game|s[ií]gueme|"
        r"contacta(?:me)?|cont[aá]ctame)[ \t]{1,3}(?:un[ \t]{1,3}|por[ \t]{1,3}|al[ \t]{1,3}|en[ \t]{1,3}|a[ \t]{1,3}"
        r"|v[ií]a[ \t]{1,3})(?:mi[ \t]{1,3})?(?:mensaje[ \t]{1,3}(?:por|al|en)[ \t]{1,3})?" + _PLATFORM + r"\b"
        r"(?:[ \t]{1,3}como[ \t]{1,3}@?[\w.\-]{2,39})?(?:[,:]?[ \t]{0,3}soy[ \t]{1,3}@?[\w.\-]{2,39})?",
    )
)


_MESSAGING_MENTION = re.compile(
    r"\b(?:whats[ \t]?app|watsapp|whatsap|wasap|wassap|telegram|we[ \t]?chat|viber|kik|snapchat|skype|imessage)\b(?!-)",
    _I,
)
# Talk about Guildhall itself: "reply here", "only through Guildhall", "the checkout".
_ON_PLATFORM = re.compile(
    r"\b(?:here|guildhall|checkout|escrow|on[ \t]the[ \t](?:site|app)|through[ \t]the[ \t](?:site|app)|por[ \t]aqu[ií]|"
    r"la[ \t]web)\b",
    _I,
)


def _mentioned(text: str, pattern: re.Pattern[str], kind: Kind) -> list[Finding]:
    """A bare mention counts unless its clause refuses it or its sentence is about Guildhall itself."""
    findings = []
    for match in pattern.finditer(text):
        if _negated(text, match.start()) or _ON_PLATFORM.search(_sentence_around(text, match.start(), match.end())):
            continue
        findings.append(Finding(kind, match.start(), match.end(), match.group(0)))
    return findings


def _find_handles(text: str) -> list[Finding]:
    findings = _mentioned(text, _MESSAGING_MENTION, "handle")
    view = _View.of(text).sub(_SPACED_LETTERS, "")
    for pattern in _HANDLE_PATTERNS:
        for match in pattern.finditer(view.text):
            start, end = view.original_span(*match.span())
            if _negated(text, start):
                continue
            findings.append(Finding("handle", start, end, text[start:end]))
    return findings


# --- Off-platform payment ------------------------------------------------------------------------------------------

_PAY_APPS = (
    r"(?:pay[ \t]?pal|venmo|cash[ \t]?app|zelle|revolut|wise|bizum|western[ \t]union|moneygram|skrill|payoneer|"
    r"monzo|crypto|bitcoin|btc|usdt|ethereum|interac|e-?transfer)"
)
_BANK = (
    r"(?:bank[ \t]{1,3}(?:transfer|deposit|wire)|wire(?:[ \t]transfer)?|bacs|faster[ \t]payments?|direct[ \t]deposit|"
    r"transferencia(?:[ \t]bancaria)?)"
)
_PAY_WORD = r"(?:pay|paid|paying|payment|pagar|pago|pagas|pagues|p[aá]game|pagame)"
_PLATFORM_PLACE = (
    r"(?:the[ \t]{1,3}|this[ \t]{1,3}|of[ \t]{1,3}the[ \t]{1,3}|la[ \t]{1,3}|el[ \t]{1,3})?"
    r"(?:site|app|platform|guildhall|website|web|plataforma|aplicaci[oó]n|p[aá]gina|checkout|escrow)"
)
_CHECKOUT_TALK = re.compile(r"\bcheckout\b", _I)
_EVASION = re.compile(r"\b(?:instead|outside|off|direct(?:ly)?|avoid|skip|save|fees?|cheaper|rather|fuera)\b", _I)
_PAY_VIA = re.compile(
    r"\b(?:pay|paid|paying)\b(?:[ \t]{1,3}(?:me|you|us|him|her|it|them|for[ \t]it|the[ \t]\w{2,12}))?"
    r"(?:[ \t]{1,3}\w{1,12}){0,3}[ \t]{1,3}(?:via|by|with|through|thru|on|using|over|in|into|per|as)[ \t]{1,3}"
    r"(?:the[ \t]{1,3}|a[ \t]{1,3}|my[ \t]{1,3})?(?:" + _PAY_APPS + "|" + _BANK + r")\b",
    _I,
)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?)\b")
_SAID_IBAN = re.compile(r"\biban\W{0,3}$", _I)
_PAYMENT_PATTERNS = tuple(
    re.compile(pattern, _I)
    for pattern in (
        # "Venmo me $40", "can you Revolut me", "zelle me"
        r"\b(?:pay[ \t]?pal|venmo|cash[ \t]?app|zelle|revolut|bizum|monzo)[ \t]{1,3}(?:me|us)\b",
        # "PayPal F&F", "paypal friends and family", "the PayPal gift option"
        r"\bpay[ \t]?pal[ \t]{1,3}(?:friends?[ \t]{0,3}(?:and|&|n)[ \t]{0,3}family|f[ \t]?&[ \t]?f|ff|"
        r"gift(?:[ \t]option)?|personal)\b",
        r"\b(?:friends?[ \t]{0,3}(?:and|&)[ \t]{0,3}family|f[ \t]?&[ \t]?f)\b(?=[^.!?\n]{0,30}\bpay[ \t]?pal\b)",
        # "send the money directly", "transfer the payment straight to me"
        r"\b(?:send|transfer|wire|give)[ \t]{1,3}(?:me[ \t]{1,3})?(?:the[ \t]{1,3}|your[ \t]{1,3})?"
        r"(?:money|payment|cash|funds|amount|deposit)[ \t]{1,3}(?:directly|direct|straight)\b",
        # "wire the money to my account", "send payment to my paypal: benbakes"
        r"\b(?:send|transfer|wire|pay|deposit)\b[^.!?\n]{0,30}?\bto[ \t]{1,3}my[ \t]{1,3}(?:bank|account|paypal|"
        r"venmo|revolut|wallet|cash[ \t]?app|zelle|monzo)\b(?:[ \t]{0,2}[:\-][ \t]{0,2}@?[\w.\-]{2,39})?",
        # "pay outside the site", "do the payment off the app", "me pagas fuera de la web", "send money outside"
        r"\b(?:" + _PAY_WORD + r"|money|cash)\b[^.!?\n]{0,20}?\b(?:outside|off|fuera[ \t]de|por[ \t]fuera[ \t]de)"
        r"[ \t]{1,3}" + _PLATFORM_PLACE + r"\b",
        # "pay cash instead of through the site", "paid me directly than through Guildhall"
        r"\b(?:" + _PAY_WORD + r"|money|cash)\b[^.!?\n]{0,60}?\b(?:instead[ \t]of|rather[ \t]than|than)[ \t]{1,3}"
        r"(?:paying[ \t]{1,3})?(?:through|on|via|with|using)[ \t]{1,3}" + _PLATFORM_PLACE + r"\b",
        # "pay me directly", "págame directamente"
        r"\b(?:pay|paid|paying|p[aá]game|pagarme)(?:[ \t]{1,3}(?:me|you|us))?[ \t]{1,3}(?:directly|direct|"
        r"directamente|in[ \t]cash[ \t]outside)\b(?![ \t]{1,3}(?:through|on|via|with|in|at)[ \t]{1,3}"
        r"(?:guildhall|the[ \t](?:site|app|checkout|platform)))",
        # "págame por bizum", "hazme un bizum", "hazme una transferencia"
        r"\b(?:p[aá]game|pagame|p[aá]gamelo|paga(?:me)?)[ \t]{1,3}(?:por|con|en|v[ií]a|mediante|a[ \t]trav[eé]s[ \t]de)"
        r"[ \t]{1,3}(?:" + _PAY_APPS + "|" + _BANK + r")\b",
        r"\bhaz(?:me)?[ \t]{1,3}(?:un|una)[ \t]{1,3}(?:bizum|transferencia|ingreso)\b",
        # "I take venmo or zelle", "we accept bank transfer"
        r"\b(?:i|we)(?:'d)?[ \t]{1,3}(?:only[ \t]{1,3})?(?:take|accept|prefer|use|do|can[ \t]do|can[ \t]take)[ \t]{1,3}"
        r"(?:" + _PAY_APPS + "|" + _BANK + r")\b",
        # "If you do it outside Guildhall", "let's take this off the app"
        r"\boutside[ \t]{1,3}(?:of[ \t]{1,3})?" + _PLATFORM_PLACE + r"\b",
        r"\b(?:take|do|move|deal|trade|sell|buy|finish|complete)\b[^.!?\n]{0,20}?\boff[ \t]{1,3}"
        + _PLATFORM_PLACE
        + r"\b",
        # "cash in hand", "cash on collection", "no need to go through the app"
        r"\bcash[ \t]{1,3}(?:in[ \t]hand|on[ \t](?:collection|pick-?up|delivery)|when[ \t]you[ \t](?:collect|come)|"
        r"in[ \t]person|en[ \t]mano|al[ \t]recoger)\b",
        r"\bno[ \t]{1,3}need[ \t]{1,3}to[ \t]{1,3}(?:go|pay|book|order|buy)[ \t]{1,3}(?:through|via|on|with)[ \t]{1,3}"
        + _PLATFORM_PLACE
        + r"\b",
        # UK bank details: "my bank: Barclays, 20-32-06, 43918273"
        r"\b\d{2}-\d{2}-\d{2}[ \t]{0,2}[,;/]?[ \t]{0,2}\d{8}\b",
        r"\b(?:my|mi)[ \t]{1,3}bank[ \t]{0,2}[:\-]",
        r"\bpay[ \t]?pal\.me\b",
        # "I'll sell it to you direct", "no need for the site", "pay me when you pick it up", "Venmo is @lucy"
        r"\b(?:sell|buy|deal|trade|sort)\b[^.!?\n]{0,25}?\bdirect(?:ly)?\b(?![ \t]{1,3}(?:through|on|via)[ \t]{1,3}"
        r"(?:guildhall|the[ \t](?:site|app|checkout)))",
        r"\bno[ \t]{1,3}need[ \t]{1,3}(?:for|to[ \t]use)[ \t]{1,3}" + _PLATFORM_PLACE + r"\b",
        r"\bpay(?:[ \t]{1,3}(?:me|you|us))?[ \t]{1,3}(?:when|once|on|at)[ \t]{1,3}(?:you[ \t]{1,3}|i[ \t]{1,3})?"
        r"(?:pick|collect|come|pickup|collection|delivery)",
        r"\b(?:venmo|pay[ \t]?pal|cash[ \t]?app|revolut|zelle|bizum)(?:['’]s|[ \t]{1,3}is|[ \t]{0,2}:)[ \t]{0,3}"
        r"@?[a-z][\w.\-]{1,39}",
        # "Western Union works for me"
        r"\b(?:western[ \t]union|moneygram)\b",
        # "use zelle to my number"
        r"\b(?:use|via|through|using)[ \t]{1,3}(?:pay[ \t]?pal|venmo|cash[ \t]?app|zelle|revolut|bizum|wise)\b",
        # "Venmo @ben-bakes", "cashapp $jomakes", "my paypal is benbakes"
        r"\b(?:venmo|pay[ \t]?pal|cash[ \t]?app|revolut|zelle)(?:[ \t]{1,3}me)?(?:[ \t]{1,3}at)?[ \t]{0,3}[:@$]"
        r"[ \t]{0,2}[a-z][\w.\-]{1,39}",
        r"\b(?:my|mi)[ \t]{1,3}(?:pay[ \t]?pal|venmo|cash[ \t]?app|revolut|zelle|bizum|wise)\b(?:[ \t]{0,3}(?:is|es|:)"
        r"[ \t]{0,3}@?[\w.\-]{2,39})?",
        # Bank details: "my bank details", "send you the account number", "te paso el IBAN", "número de cuenta"
        r"\b(?:my|mis|mi|our)[ \t]{1,3}(?:bank(?:ing)?|account)[ \t]{1,3}(?:details|info|number|no)\b",
        r"\b(?:send|give|text|pass|email|dm)[ \t]{1,3}(?:you[ \t]{1,3})?(?:my|the|our)[ \t]{1,3}(?:bank[ \t]details|"
        r"account[ \t](?:number|details|no)|sort[ \t]?code|iban)\b",
        r"\b(?:te[ \t]{1,3}paso|te[ \t]{1,3}env[ií]o|te[ \t]{1,3}mando|mi|el)[ \t]{1,3}(?:iban|n[uú]mero[ \t]de[ \t]"
        r"cuenta|cuenta[ \t]bancaria)\b",
        r"\bn[uú]mero[ \t]{1,3}de[ \t]{1,3}cuenta\b",
        r"\b(?:my|your|the|send|our)[ \t]{1,3}iban\b(?![ \t]{1,3}(?:field|setting|box|form))",
        r"\biban[ \t]{0,3}(?:is|:|number)",
        # "sort code 20-00-00", "sort 60-16-13", "account 55779911", "acc no 31926819"
        r"\bsort(?:[ \t]?code)?[ \t]{0,3}(?:is[ \t]{1,3}|:[ \t]{0,3}|[ \t])\d{2}[ \t\-]?\d{2}[ \t\-]?\d{2}\b",
        r"\b(?:my|mi)[ \t]{1,3}sort[ \t]?code\b",
        r"\b(?:acc(?:ount)?|a/c)\.?(?:[ \t]{0,3}(?:no\.?|number|num|#))?[ \t]{0,3}(?:is[ \t]{1,3}|:[ \t]{0,3}|[ \t])"
        r"\d{6,10}\b",
    )
)


def _iban_checksum_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


_PAYMENT_MENTION = re.compile(
    r"\b(?:venmo|zelle|cash[ \t]?app|revolut|bizum|monzo|western[ \t]union|moneygram|skrill|payoneer|crypto|bitcoin|"
    r"btc|usdt|ethereum|bank[ \t]transfers?|wire[ \t]transfer|transferencia|pay[ \t]?pal|f[ \t]?&[ \t]?f|"
    r"goods[ \t](?:and|&)[ \t]services|(?:bank|banking|account|paypal|payment)[ \t](?:details|email|info))\b",
    _I,
)
_FRIENDS_AND_FAMILY = re.compile(r"\bfriends[ \t]{0,3}(?:and|&|n)[ \t]{0,3}family\b", _I)
_PAYPAL_TALK = re.compile(r"\b(?:pay[ \t]?pal|goods[ \t](?:and|&)[ \t]services|fees?)\b", _I)


def _find_payments(text: str) -> list[Finding]:
    findings = _mentioned(text, _PAYMENT_MENTION, "payment")
    if _PAYPAL_TALK.search(text):
        findings += _mentioned(text, _FRIENDS_AND_FAMILY, "payment")
    for match in _PAY_VIA.finditer(text):
        if _negated(text, match.start()):
            continue
        sentence = _sentence_around(text, match.start(), match.end())
        # "I tried to pay with PayPal but the checkout only takes cards" talks about Guildhall's own checkout.
        if _CHECKOUT_TALK.search(sentence) and not _EVASION.search(sentence):
            continue
        findings.append(Finding("payment", match.start(), match.end(), match.group(0)))
    for pattern in _PAYMENT_PATTERNS:
        for match in pattern.finditer(text):
            if not _negated(text, match.start()):
                findings.append(Finding("payment", match.start(), match.end(), match.group(0)))
    for match in _IBAN.finditer(text):
        candidate = match.group(1)
        said_iban = _SAID_IBAN.search(text[max(0, match.start() - 8) : match.start()])
        if _iban_checksum_ok(candidate) or said_iban:
            findings.append(Finding("payment", match.start(), match.end(), candidate))
    return findings


# --- Phone numbers -------------------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "nil": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7",
    "ocho": "8", "nueve": "9",
}  # fmt: skip
_WEAK_ZERO_WORDS = {"o", "oh"}
_NEXT_IS_NUMBER = re.compile(r"[ \t,.\-]{1,3}(?:[0-9]|" + "|".join(_NUMBER_WORDS) + r")\b", _I)
_GLUED_PART = re.compile(r"[0-9]|" + "|".join(sorted(_NUMBER_WORDS.keys() - {"o"}, key=len, reverse=True)), _I)
_GLUED = re.compile(r"(?:" + _GLUED_PART.pattern + r"){2,20}", _I)


def _glued_digit(part: re.Match[str]) -> str:
    return _NUMBER_WORDS.get(part.group(0).lower(), part.group(0))


_REPEATERS = {"double": 2, "triple": 3, "doble": 2}
_POWERS = {"hundred": "00", "thousand": "000"}
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_WORD = re.compile(r"[^\W_]+")
_DIGITISH = re.compile(r"[0-9OoIl]*[0-9][0-9OoIl]*")
_GAP = re.compile(r"[ \t\u00a0]{0,3}(?:[.\-\u2013\u2014/]|\(|\)|\)[ \t]?\(|)[ \t\u00a0]{0,3}")
_WORD_GAP = re.compile(r"[ \t\u00a0]{0,3}[,.\-\u2013\u2014]?[ \t\u00a0]{0,3}")
_CONTACT_WORDS = re.compile(
    r"\b(?:call|ring|text|txt|phone|mobile|mob|cell|tel|telephone|ph|whats[ \t]?app|sms|bell|reach|contact|digits|"
    r"num|number|numbers|n[uú]mero|ll[aá]mame|llama|m[oó]vil|tel[eé]fono|tlf|mensaje)\b",
    _I,
)
_STRONG_CONTACT_WORDS = re.compile(
    r"\b(?:call|ring|text|txt|phone|mobile|mob|cell|tel|whats[ \t]?app|sms|ll[aá]mame|m[oó]vil|tel[eé]fono)\b", _I
)
_REFERENCE_WORDS = re.compile(
    r"(?:\b(?:orders?|pedidos?|ref|reference|invoice|factura|tracking|track|isbn|serial|sn|model|sku|part|listing|"
    r"item|lot|case|ticket|booking|reserva|id|code|c[oó]digo|receipt|parcel|account|acc|iban|sort)\b|#|n[º°])",
    _I,
)
_MONEY_BEFORE = re.compile(r"[£$€¥][ \t]?$")
_UNIT_AFTER = re.compile(
    r"^[ \t]?(?:cm|mm|m|km|kg|g|ml|l|inch|inches|ft|x|%|€|£|\$|euros?|pounds?|quid|dollars?|pcs|units|px|"
    r"gb|mb|mah|w|v)\b",
    _I,
)
# Shapes that are dates, times, ZIP+4 codes, year ranges or price lists, never phone numbers.
_NOT_A_PHONE = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}(?:[ \t]{1,3}\d{1,2}[.:]\d{2})?"
    r"|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}"
    r"|\d{1,2}[.:]\d{2}[ \t]{0,3}[\-\u2013][ \t]{0,3}\d{1,2}[.:]\d{2}"
    r"|\d{5}-\d{4}"
    r"|(?:19|20)\d{2}[ \t]{0,3}[\-\u2013/ ][ \t]{0,3}(?:19|20)\d{2}"
    r"|\d{1,4}[.,]\d{2}(?:[ \t]{1,3}\d{1,4}[.,]\d{2}){1,20}"
)


_LEADING_PLUS = re.compile(r"(?:\+|\(|\+[ \t]?\()[ \t]?$")
_CLAUSE_BREAK = re.compile(r"[!?\n]|\.[ \t]")
_SPANISH_GROUPING = re.compile(r"\d{3}(?:[ .\-]?\d{3}){2}|\d{3}(?:[ .\-]\d{2}){3}")


@dataclass(slots=True)
class _NumberRun:
    start: int
    end: int
    digits: str = ""
    groups: list[str] | None = None
    words: int = 0
    lookalikes: int = 0
    only_digit_tokens: bool = True


def _number_runs(text: str) -> list[_NumberRun]:
    """Maximal runs of digits, number words and lookalikes ("O77OO nine 00") joined by phone-like separators."""
    runs: list[_NumberRun] = []
    run: _NumberRun | None = None
    repeat = 1
    previous_end = 0
    previous_was_word = False
    for match in _WORD.finditer(text):
        token = match.group(0)
        lower = token.lower()
        digits: str | None = None
        is_word = False
        if _DIGITISH.fullmatch(token):
            digits = token.translate(_LOOKALIKES)
        elif _GLUED.fullmatch(token) and any(char.isdigit() for char in token):
            digits, is_word = _GLUED_PART.sub(_glued_digit, token), True
        elif lower in _NUMBER_WORDS:
            digits, is_word = _NUMBER_WORDS[lower], True
        elif lower in _POWERS and run is not None and match.start() - previous_end <= 2:
            digits, is_word = _POWERS[lower], True
        elif lower in _REPEATERS:
            gap = text[previous_end : match.start()]
            if run is not None and not _GAP.fullmatch(gap):
                runs.append(run)
                run = None
            repeat = _REPEATERS[lower]
            if run is None:
                run = _NumberRun(match.start(), match.start(), groups=[])
            previous_end = match.end()
            continue
        if digits is None:
            if run is not None:
                runs.append(run)
            run, repeat = None, 1
            continue
        gap = text[previous_end : match.start()]
        joins = run is not None and (
            _GAP.fullmatch(gap) or ((is_word or previous_was_word) and _WORD_GAP.fullmatch(gap))
        )
        if run is not None and not joins:
            runs.append(run)
            run = None
        if run is None:
            run = _NumberRun(match.start(), match.end(), groups=[])
        if is_word and lower in _WEAK_ZERO_WORDS and not run.digits and repeat == 1:
            # "o"/"oh" counts only inside a number: "Oh, five stars" is not a zero.
            nxt = text[match.end() : match.end() + 12]
            if not _NEXT_IS_NUMBER.match(nxt):
                runs.append(run)
                run, repeat = None, 1
                continue
        value = digits * repeat
        run.digits += value
        run.groups.append(value)
        run.end = match.end()
        run.words += is_word
        run.lookalikes += sum(char in "OoIl" for char in token) if not is_word else 0
        run.only_digit_tokens &= not is_word
        repeat = 1
        previous_end = match.end()
        previous_was_word = is_word
    if run is not None:
        runs.append(run)
    return [run for run in runs if run.digits]


def _ascending_list(groups: list[str]) -> bool:
    """ "Sizes 8 10 12 14 16", "rows 1 2 3 4 5 6 7": counting up is a list, not a number."""
    if len(groups) < 3 or any(len(group) > 3 or (group.startswith("0") and group != "0") for group in groups):
        return False
    values = [int(group) for group in groups]
    return all(later > earlier for earlier, later in zip(values, values[1:], strict=False))


def _find_phones(text: str) -> list[Finding]:
    findings = []
    for run in _number_runs(text):
        start, end = run.start, run.end
        leading = _LEADING_PLUS.search(text[max(0, start - 3) : start])
        if leading:
            start -= len(leading.group(0))
        if end < len(text) and text[end] == ")":
            end += 1
        raw = text[start:end]
        digits = run.digits
        international = raw.startswith("+") or (digits.startswith("00") and len(digits) >= 11)
        if len(digits) < 7 or len(digits) > 15:
            continue
        if run.only_digit_tokens and (_NOT_A_PHONE.fullmatch(raw.strip("()+ ")) or _ascending_list(run.groups)):
            continue
        if _MONEY_BEFORE.search(text[max(0, start - 2) : start]) or _UNIT_AFTER.match(text[end : end + 8]):
            continue
        before = text[max(0, start - 40) : start]
        clause_before = _CLAUSE_BREAK.split(before)[-1]
        after = text[end : end + 25]
        # "order #10432 10433", "model number 4471 2209 18": a reference, unless "call" comes after it.
        references = list(_REFERENCE_WORDS.finditer(clause_before))
        if references and not _STRONG_CONTACT_WORDS.search(clause_before[references[-1].end() :]):
            continue
        obfuscated = run.words >= 2 or run.lookalikes >= 1 or (len(run.groups) >= 7 and max(map(len, run.groups)) == 1)
        contact = bool(_CONTACT_WORDS.search(before) or _CONTACT_WORDS.search(after))
        if international:
            national = "+" + digits[2:] if digits.startswith("00") else "+" + digits
            try:
                plausible = phonenumbers.is_possible_number(phonenumbers.parse(national, None))
            except phonenumbers.NumberParseException:
                plausible = False
            if not plausible and not (contact or obfuscated):
                continue
        elif len(digits) >= 14:
            if not contact:
                continue
        elif len(digits) <= 9 and not (obfuscated or contact or _spanish_mobile(raw, digits)):
            continue
        findings.append(Finding("phone", start, end, raw))
    return findings


def _spanish_mobile(raw: str, digits: str) -> bool:
    """Spanish numbers have nine digits, mobiles start with 6 or 7: "612 345 678", "612 34 56 78"."""
    return len(digits) == 9 and digits[0] in "67" and bool(_SPANISH_GROUPING.fullmatch(raw))


# --- Public API ----------------------------------------------------------------------------------------------------


def scan(text: str, *, allowed_hosts: Iterable[str] | None = None) -> ScanResult:
    """Finds contact and payment details in a private message.

    `allowed_hosts` are Guildhall's own hosts (subdomains included): links and emails there are not leaks. By
    default they are settings.ALLOWED_HOSTS and the host of settings.SITE_URL when Django is configured, else none.
    """
    if not text:
        return ScanResult()
    allowed = _normalised_hosts(_default_allowed_hosts() if allowed_hosts is None else allowed_hosts)
    found = [
        *_find_emails(text, allowed),
        *_find_links(text, allowed),
        *_find_phones(text),
        *_find_payments(text),
        *_find_handles(text),
    ]
    return ScanResult(_without_duplicates(found))


def _without_duplicates(findings: list[Finding]) -> tuple[Finding, ...]:
    """Drops findings inside a same-kind finding, and contact details inside an email or a link ("gmail.com" in an
    address, the digits of wa.me/4477...): what the sender is told about is the whole thing. A payment request
    inside a link (paypal.me/...) is kept: it is news of its own."""
    ordered = sorted(findings, key=lambda finding: (finding.start, -finding.end, KINDS.index(finding.kind)))
    kept: list[Finding] = []
    # Sorted by start, a finding lies inside an earlier one exactly when that one ends at or after it: the
    # furthest end so far per kind (and over emails and links) decides, in one pass.
    furthest_end = dict.fromkeys(KINDS, -1)
    furthest_container_end = -1
    for finding in ordered:
        if furthest_end[finding.kind] >= finding.end:
            continue
        if finding.kind != "payment" and furthest_container_end >= finding.end:
            continue
        kept.append(finding)
        furthest_end[finding.kind] = max(furthest_end[finding.kind], finding.end)
        if finding.kind in ("email", "link"):
            furthest_container_end = max(furthest_container_end, finding.end)
    return tuple(kept)


def mask(text: str, result: ScanResult, *, placeholder: str | None = None) -> str:
    """The message with every finding replaced by a placeholder; findings that overlap or touch share one."""
    if not result.findings:
        return text
    replacement = _translated(PLACEHOLDER) if placeholder is None else placeholder
    spans: list[list[int]] = []
    for finding in sorted(result.findings, key=lambda finding: finding.start):
        # "my IBAN is GB29 ..." is one placeholder, not two side by side.
        if spans and not text[spans[-1][1] : finding.start].strip(" \t:,-"):
            spans[-1][1] = max(spans[-1][1], finding.end)
        else:
            spans.append([finding.start, finding.end])
    pieces = []
    position = 0
    for start, end in spans:
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def warning_for(result: ScanResult) -> str | None:
    """What the sender is told when something was hidden, or None when nothing was."""
    if not result.findings:
        return None
    items = ", ".join(_translated(KIND_LABELS[kind]) for kind in result.kinds)
    return _translated(WARNING) % {"items": items}
