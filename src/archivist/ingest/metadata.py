"""What a document is: its entity, period and type, read from its first pages and its file name.

Analysts name these in their questions ("3M's FY2018 capital expenditure", "the Q2 10-Q"), and a folder of
filings holds many near-identical documents that differ only in them. Each file gets a ``DocMeta`` at ingest;
it is shown in ``status --json``, written into every passage's context header (keyword index and embedded text)
and matched against the question (``retrieve.focus``). The user corrects it with ``archivist meta``.

Everything here is general text patterns (cover-page phrases of filings, reports and memos, period and type
words in file names); nothing names a company or a data set.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

FIELDS = ("title", "entity", "period", "doc_type")
FIRST_PAGES = 3
"""Pages read for the cover (a filing's cover and its table of contents are within the first three)."""

_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_DATE = re.compile(r"(january|february|march|april|may|june|july|august|september|october|november|december)"
                   r"\s+(\d{1,2}),?\s+((?:19|20)\d\d)", re.IGNORECASE)

# Document types: (canonical name, pattern in the cover text, pattern in the file name's words).
_TYPES: tuple[tuple[str, str, str], ...] = (
    ("10-K", r"\bform\s+10-?k\b|\bannual report pursuant to section 13", r"10-?k"),
    ("10-Q", r"\bform\s+10-?q\b|\bquarterly report pursuant to section 13", r"10-?q"),
    ("8-K", r"\bform\s+8-?k\b|\bcurrent report pursuant to section 13", r"8-?k"),
    ("20-F", r"\bform\s+20-?f\b", r"20-?f"),
    ("proxy statement", r"\bproxy statement\b|\bschedule 14a\b", r"proxy|def-?14a"),
    ("earnings release", r"\b(?:reports?|announces?|reported)\b.{0,80}\b(?:results|earnings)\b"
                         r"|\bearnings release\b", r"earnings|results"),
    ("annual report", r"\bannual report\b", r"annual(?:-?report)?"),
    ("transcript", r"\b(?:earnings call|conference call) transcript\b", r"transcript"),
    ("minutes", r"\bminutes of (?:the )?(?:meeting|board)\b", r"minutes"),
    ("memo", r"^\s*memo(?:randum)?\b", r"memo(?:randum)?"),
)
_COVER_TYPES = [(name, re.compile(cover, re.IGNORECASE | re.MULTILINE)) for name, cover, _ in _TYPES]
_NAME_TYPES = [(name, re.compile(rf"^(?:{word})$", re.IGNORECASE)) for name, _, word in _TYPES]

_REGISTRANT = re.compile(r"\(?\s*exact name of (?:the )?registrant", re.IGNORECASE)
_FISCAL_YEAR = re.compile(r"for the (?:fiscal )?year ended\s*:?\s*" + _DATE.pattern, re.IGNORECASE)
_QUARTER_ENDED = re.compile(r"for the (?:quarterly period|quarter|three months) ended\s*:?\s*" + _DATE.pattern,
                            re.IGNORECASE)
_REPORT_DATE = re.compile(r"date of report[^:\n]*:?\s*(?:\(date of earliest event reported\)\s*)?" + _DATE.pattern,
                          re.IGNORECASE)
_ANNOUNCES = re.compile(r"^(?P<name>[A-Z0-9][\w&.,'’\- ]{1,60}?)\s+(?:\(\w+:\s*[A-Z.]+\)\s+)?"
                        r"(?i:reports|announces|reported|delivers|posts)\b")
_TICKER = re.compile(r"\((?:NYSE|NASDAQ|Nasdaq|NYSE American|LSE|TSX)\s*:\s*([A-Z][A-Z.]{0,5})\)"
                     r"|\b([A-Z]{1,5})\s+(?:The\s+)?(?:New York Stock Exchange|Nasdaq|NASDAQ|NYSE)\b")
_FROM = re.compile(r"^\s*from\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)

# File-name words that say when: 2023, FY2022, FY22, 2023Q2, Q2-2023, 2023-05-20, dated.
_NAME_YEAR = re.compile(r"^(?:fy)?((?:19|20)\d\d)$", re.IGNORECASE)
_NAME_FY_SHORT = re.compile(r"^fy(\d\d)$", re.IGNORECASE)
_NAME_YQ = re.compile(r"^(?:fy)?((?:19|20)\d\d)q([1-4])$|^q([1-4])(?:fy)?((?:19|20)\d\d)$", re.IGNORECASE)
_NAME_DATE = re.compile(r"((?:19|20)\d\d)-(\d\d)-(\d\d)")
_NAME_NOISE = re.compile(r"^(?:dated|final|draft|v\d+|copy|q[1-4])$", re.IGNORECASE)


@dataclass(frozen=True)
class DocMeta:
    """What a document is. Empty strings where nothing was found.

    Attributes:
        title: a readable title.
        entity: the company or organisation it is about ("3M Company").
        period: the fiscal period it covers ("FY2018", "FY2023 Q2") or the date of an event report.
        doc_type: "10-K", "10-Q", "8-K", "earnings release", "memo", ...
        aliases: other names the entity goes by here (the file name's entity word, a ticker).
    """

    title: str = ""
    entity: str = ""
    period: str = ""
    doc_type: str = ""
    aliases: tuple[str, ...] = field(default=())

    def header(self) -> str:
        """The passage context header: "3M Company 10-K FY2018" (empty when nothing is known)."""
        return " ".join(p for p in (self.entity, self.doc_type, self.period) if p)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["aliases"] = list(self.aliases)
        return out

    def corrected(self, overrides: dict[str, str]) -> DocMeta:
        """This metadata with the user's corrections (``archivist meta``) over what was read."""
        known = {k: v for k, v in overrides.items() if k in FIELDS and v is not None}
        if not known:
            return self
        values = {**{k: getattr(self, k) for k in FIELDS}, **known}
        return DocMeta(values["title"], values["entity"], values["period"], values["doc_type"], self.aliases)


def describe(path: Path, pages: list[str], title: str = "") -> DocMeta:
    """The metadata of the document at ``path`` whose first pages read ``pages`` (each page's text)."""
    # PDF covers often set their captions in non-breaking spaces ("Exact\u00a0name\u00a0of\u00a0registrant").
    cover = "\n".join(pages[:FIRST_PAGES]).replace("\u00a0", " ").replace("\u2009", " ")
    named = _from_name(path)
    entity = _entity(cover) or named["entity"]
    doc_type = named["doc_type"] or _doc_type(cover[:3000])  # the name was chosen by a person
    period = named["period"] or _period(cover, doc_type)
    aliases = tuple(dict.fromkeys(a for a in (named["entity"], *_tickers(cover)) if a and a != entity))
    readable = title.strip() if _readable_title(title) else " ".join(p for p in (entity, doc_type, period) if p)
    return DocMeta(readable, entity, period, doc_type, aliases)


def _readable_title(title: str) -> bool:
    # PDF producers often leave a title such as "Document1", "untitled" or the file's own path.
    t = title.strip()
    return bool(t) and len(t) > 3 and not re.fullmatch(r"(?:document|untitled|microsoft word)[\w\s.-]*|[\w-]+\.\w+",
                                                       t, re.IGNORECASE)


def _from_name(path: Path) -> dict[str, str]:
    """Entity, period and type words of a file name such as ``ACME_2023Q2_10Q`` or ``acme-fy22-annual-report``."""
    stem = path.stem
    words = [w for w in re.split(r"[_\s]+|(?<![\d])-|-(?![\d])", stem) if w]
    entity_words: list[str] = []
    period = doc_type = ""
    seen_other = False
    for w in words:
        if m := _NAME_YQ.match(w):
            year, q = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            period = period or f"FY{year} Q{q}"
        elif m := _NAME_YEAR.match(w):
            period = period or f"FY{m.group(1)}"
        elif m := _NAME_FY_SHORT.match(w):
            period = period or f"FY20{m.group(1)}"
        elif _NAME_DATE.search(w) or _NAME_NOISE.match(w):
            pass
        elif kind := next((name for name, rx in _NAME_TYPES if rx.match(w)), ""):
            doc_type = doc_type or kind
        else:
            if not seen_other:
                entity_words.append(w)
            continue
        seen_other = True
    entity = " ".join(entity_words) if seen_other else ""  # a name with no period or type word is just a name
    if not (entity_words or period):
        doc_type = ""  # "annual.pdf", "memo.txt": one word is too little to say what a file is
    if (m := _NAME_DATE.search(stem)) and "Q" not in period:  # a dated report is of its date
        period = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return {"entity": entity, "period": period, "doc_type": doc_type}


def _entity(cover: str) -> str:
    lines = [ln.strip() for ln in cover.splitlines()]
    for i, line in enumerate(lines[:400]):
        if _REGISTRANT.search(line):
            # The registrant's name is the line above the caption (sometimes on the same line, before it).
            before = _REGISTRANT.split(line)[0].strip(" (")
            candidates = [before] if before else []
            candidates += [_small_caps(lines, i)] + [lines[j] for j in range(i - 1, max(-1, i - 4), -1)]
            for k, raw in enumerate(candidates):
                c = _FILE_NUMBER.sub("", _FILE_NUMBER.sub("", raw)).strip(" _")
                if _CORPORATE_ONLY.match(c) and k + 1 < len(candidates) and _plausible_name(candidates[k + 1]):
                    c = f"{candidates[k + 1].strip()} {c}"  # "SQUARE," above "INC.": one name over two lines
                if _plausible_name(c):
                    return _tidy(_one_line_small_caps(c))
    for line in lines[:15]:
        if m := _ANNOUNCES.match(line):
            name = m.group("name").strip(" ,")
            if _plausible_name(name):
                return _tidy(name)
    return ""


_CORPORATE_ONLY = re.compile(r"^(?:inc|incorporated|corp|corporation|co|company|plc|ltd|limited|llc|l\.p|lp|n\.v|"
                             r"s\.a|ag|se)\.?,?$", re.IGNORECASE)
_LONE_CAPITAL = re.compile(r"(?<![\w&.])([A-Z]) (?=[A-Z]{2,})")


def _one_line_small_caps(name: str) -> str:
    """A name in small capitals on one line ("MGM R ESORTS I NTERNATIONAL": each word's large first capital
    apart from the rest) joined: "MGM RESORTS INTERNATIONAL". Only when at least two words are split so, and
    the line is all capitals: initials ("J C PENNEY") are left alone."""
    if not name.isupper() or len(_LONE_CAPITAL.findall(name)) < 2:
        return name
    return _LONE_CAPITAL.sub(r"\1", name)


_FILE_NUMBER = re.compile(r"^.*_{3,}|^.*?commission file (?:no\.|number)\s*:?\s*[\d-]+\.?", re.IGNORECASE)


def _small_caps(lines: list[str], caption: int) -> str:
    """A name set in small capitals, which PDF text gives as fragments on lines of their own ("MGM", "R",
    "ESORTS I", "NTERNATIONAL"): the fragments above the caption joined ("MGM RESORTS INTERNATIONAL")."""
    parts: list[str] = []
    j = caption - 1
    while j >= 0 and lines[j] and len(lines[j]) <= 20 and lines[j].isupper() and len(parts) < 8 \
            and (len(lines[j]) == 1 or _plausible_name(lines[j])):
        parts.insert(0, lines[j])
        j -= 1
    if len(parts) < 3 or not any(re.search(r"(?:^|\s)[A-Z]$", p) for p in parts):
        return ""  # not small capitals: no fragment ends in a lone capital
    out = parts[0]
    for prev, part in zip(parts, parts[1:], strict=False):
        # A lone capital (the large first letter) continues into the next fragment without a space.
        glue = "" if re.search(r"(?:^|\s)[A-Z]$", prev) else " "
        out += glue + part
    return out


def _plausible_name(text: str) -> bool:
    t = text.strip()
    if not (2 <= len(t) <= 80) or not re.search(r"[A-Za-z]", t):
        return False
    if re.search(r"commission file|\(state|incorporation|i\.r\.s\.|employer|form\s+\d|^\W*$|transition"
                 r"|fiscal year|report pursuant|^or$|^(?:the )?(?:company|registrant)$", t, re.IGNORECASE):
        return False
    return sum(ch.isdigit() for ch in t) <= len(t) // 3


def _tidy(name: str) -> str:
    """ "ADOBE SYSTEMS INCORPORATED" -> "Adobe Systems Incorporated"; mixed case is kept as written."""
    name = re.sub(r"\s+", " ", name).strip(" ,;:")
    if name.isupper() and any(ch.isalpha() for ch in name):
        words = []
        for w in name.split(" "):
            # Short all-capital words with a digit or of 2-3 letters are usually initials (3M, MGM, CVS).
            keep = any(ch.isdigit() for ch in w) or (len(w.strip(".,&")) <= 3 and w.strip(".,&").isalpha()
                                                     and w.lower().strip(".,") not in {"inc", "co", "the", "and", "of"})
            words.append(w if keep else w.capitalize())
        name = " ".join(words)
    return name


def _doc_type(cover_head: str) -> str:
    for name, rx in _COVER_TYPES:
        if rx.search(cover_head):
            return name
    return ""


def _period(cover: str, doc_type: str) -> str:
    if m := _FISCAL_YEAR.search(cover):
        return f"FY{m.group(3)}"
    if m := _QUARTER_ENDED.search(cover):
        return f"quarter ended {_iso(m)}"
    if m := _REPORT_DATE.search(cover):
        return _iso(m)
    if doc_type in ("earnings release", "memo", "minutes") and (m := _DATE.search(cover[:2000])):
        return _iso(m)
    return ""


def _iso(m: re.Match) -> str:
    month, day, year = m.groups()[-3:]
    try:
        return date(int(year), _MONTHS[month.lower()], int(day)).isoformat()
    except ValueError:
        return f"{year}"


def _tickers(cover: str) -> list[str]:
    found = []
    for m in _TICKER.finditer(cover[:20000]):
        t = (m.group(1) or m.group(2) or "").strip(".")
        if len(t) >= 2 and t not in found and t not in {"NYSE", "LLC", "INC", "USA", "USD"}:
            found.append(t)
    return found[:3]


def period_years(period: str) -> set[int]:
    """The years a period string names ("FY2023 Q2" -> {2023}; "quarter ended 2022-12-31" -> {2022})."""
    return {int(y) for y in re.findall(r"(?:19|20)\d\d", period)}


def from_pages(blocks: list, limit: int = FIRST_PAGES) -> list[str]:  # noqa: ANN001 - list[Block]
    """The text of a document's first ``limit`` pages (formats without pages: its first 60 blocks, as page 1)."""
    pages: dict[int, list[str]] = {}
    for n, b in enumerate(blocks):
        if (b.page or 1) > limit or (b.page is None and n >= 60):
            break
        pages.setdefault(b.page or 1, []).append(b.text)
    return ["\n".join(pages[p]) for p in sorted(pages)]
