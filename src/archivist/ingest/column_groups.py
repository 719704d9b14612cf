"""Groups of columns named by what is printed over them, read by where it is printed on the page.

A note prints "Pension Benefits" and "Other Benefits" over ``2020 2019 2020 2019``, a segment note "Total Assets"
and "Capital Spending" over ``2021 2020 2021 2020 2019``. Read as text, the line above the years is one caption
("Pension Benefits Other Benefits") and the columns are years alone: each row gave two FY2020 figures of one
label (a pension plan's service cost and the retiree plans'), and nobody could tell which was which. By the
characters' positions (a PDF's character boxes, ``Layout``), each name printed over a group of columns names
them: ``Pension Benefits 2020``, ``Other Benefits 2020``. A name printed over two groups ("Pension" over "U.S."
and "International") heads both; a name wrapped over lines ("Retiree Medical and" / "Life Insurance Plans") is
read whole.

The columns are named only when every group gets a name; otherwise they stay as they were. Only the layout is
read: no company, statement or dataset is named here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import median

from archivist.ingest.quarterly import MONTH_DAY, PERIOD, only_periods

Layout = Sequence[Sequence[tuple[float, float, float]]]
"""Per line of a page, per character of it: (left, right, height) of its box on the page; a line whose boxes are
unknown has none."""

GAP = 0.8
"""A gap wider than this many character heights parts two names on one line (a word space is about a third)."""

_YEARS = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_BLANK_ASIDES = re.compile(r"\([^)]*\)")
_NOT_A_NAME = re.compile(r"\b(?:ended|years?|months|weeks|quarters?|thousands|millions|billions|change)\b|%|\d",
                         re.IGNORECASE)
"""Words over a group that name its span, unit or a change ("Fiscal Year", "Year Ended December 31,", "% Change"),
not what its figures are."""


def repeats(line: str) -> bool:
    """Whether ``line`` is a header line of periods printing one period twice (``2020 2019 2020 2019``): the
    columns come in groups (a cheap test, so that character boxes are read only for pages that need them)."""
    if len(_YEARS.findall(line)) < 4 or not only_periods(line):  # most lines print fewer than four years
        return False
    years = [m.group(0) for m in PERIOD.finditer(line)]
    return len(years) >= 4 and len(set(years)) < len(years)


def grouped(columns: tuple[str, ...], lines: Sequence[str], above: Sequence[int], layout: Layout | None,
            at: int | None) -> tuple[tuple[str, ...], set[int]]:
    """``columns`` named by the groups printed over them, and the indexes of the lines that print the names (no
    title of the table); ``columns`` and no line when they come in no groups or not every group is named.
    ``above``: the indexes of the header lines over the table's first row, in order; ``at``: the one of them the
    columns' periods are printed on (``tables._period_line``'s)."""
    if layout is None or at is None or at >= len(layout):
        return columns, set()  # no character boxes (a page without repeated periods, another format)
    groups = _groups(columns)
    if len(groups) < 2:
        return columns, set()
    bare = _BLANK_ASIDES.sub(lambda m: " " * len(m.group(0)), lines[at])  # same length: the boxes index it
    found = list(PERIOD.finditer(bare))
    boxes = layout[at]
    if len(found) != len(columns) or len(boxes) < len(lines[at].rstrip()):
        return columns, set()  # "2022 vs. 2021" is one column, two periods
    centres = [(boxes[m.start()][0] + boxes[m.end() - 1][1]) / 2 for m in found]
    pitch = median(b - a for a, b in zip(centres, centres[1:], strict=False))
    if pitch <= 0 or any(b <= a for a, b in zip(centres, centres[1:], strict=False)):
        return columns, set()
    spans = [(centres[g[0]], centres[g[-1]]) for g in groups]
    names: list[list[str]] = [[] for _ in groups]
    used: set[int] = set()
    for k in [k for k in above if k < at][::-1]:  # the closest line first
        boxes = layout[k] if k < len(layout) else ()
        if len(boxes) < len(lines[k].rstrip()):
            break
        runs = _runs(lines[k], boxes)
        if any(x0 < centres[0] - pitch and x1 > centres[0] - pitch / 2 for x0, x1, _t in runs):
            break  # a sentence or a caption across the columns: above the groups' names
        named = False
        for x0, x1, text in runs:
            if x1 < centres[0] - pitch / 2 or _NOT_A_NAME.search(text) or MONTH_DAY.search(text):
                continue  # a label's caption left of the columns ("December 31:"), a span, a unit
            if not any(x0 - pitch / 2 <= c <= x1 + pitch / 2 for c in centres):
                continue  # over no column of figures: a column of text between the groups ("Location of ...")
            if (union := _over(spans, (x0 + x1) / 2, pitch)) is None:
                continue
            for g in range(union[0], union[1] + 1):
                names[g].insert(0, text)
            named = True
        if named:
            used.add(k)
    named_as = [" ".join(" ".join(n).split()) for n in names]
    if not all(named_as) or len(set(named_as)) < len(named_as):
        return columns, set()  # a group without a name, or two named alike: the names tell no column apart
    out = []
    for name, members in zip(named_as, groups, strict=True):
        out += [f"{name} {columns[j]}" for j in members]
    return tuple(out), used


def _groups(columns: tuple[str, ...]) -> list[list[int]]:
    """The indexes of ``columns`` in groups: a group ends where the next column repeats one of it."""
    groups: list[list[int]] = []
    for j, column in enumerate(columns):
        if not groups or column in {columns[i] for i in groups[-1]}:
            groups.append([])
        groups[-1].append(j)
    return groups


def _runs(line: str, boxes: Sequence[tuple[float, float, float]]) -> list[tuple[float, float, str]]:
    """The words of ``line`` in runs parted by wide gaps: (left, right, text) each."""
    runs: list[tuple[float, float, str]] = []
    start: int | None = None
    last = 0
    right = height = 0.0
    for i, ch in enumerate(line.rstrip()):
        if ch.isspace():
            continue
        x0, x1, h = boxes[i]
        height = max(height, h)
        if start is not None and x0 - right > GAP * height:
            runs.append((boxes[start][0], right, line[start:last + 1].strip()))
            start = None
        if start is None:
            start = i
        right, last = x1, i
    if start is not None:
        runs.append((boxes[start][0], right, line[start:last + 1].strip()))
    return runs


def _over(spans: list[tuple[float, float]], centre: float, pitch: float) -> tuple[int, int] | None:
    """The groups (first, last) a name centred at ``centre`` is printed over: those whose columns' middle is
    closest to it, each further group costing a quarter of a column's pitch (a name over the middle group of
    three is centred over all three as well); None when none is within three quarters of a pitch."""
    best: tuple[float, int, int] | None = None
    for i in range(len(spans)):
        for j in range(i, len(spans)):
            off = abs((spans[i][0] + spans[j][1]) / 2 - centre)
            if off <= 0.75 * pitch and (best is None or off + 0.25 * pitch * (j - i) < best[0]):
                best = (off + 0.25 * pitch * (j - i), i, j)
    return None if best is None else (best[1], best[2])


_PERIOD_WORDS = re.compile(r"\b(?:(?:three|six|nine|twelve|thirteen|twenty[- ]six|thirty[- ]nine|fifty[- ]two|"
                           r"fifty[- ]three|\d{1,2})[- ](?:months?|weeks?)|quarters?|(?:fiscal\s+)?years?|ended|"
                           r"ending|first|second|third|fourth|full|q[1-4]|as\s+of|at|vs)\b\.?", re.IGNORECASE)


_NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/(?:\d{2,4})?")


def group_of(column: str) -> str:
    """The name of the group a column belongs to (``Pension Benefits`` of ``Pension Benefits 2020``), its period
    set aside; "" for a column named by its period alone (``2020``, ``Three Months Ended June 30, 2023``)."""
    text = _PERIOD_WORDS.sub(" ", PERIOD.sub(" ", MONTH_DAY.sub(" ", _NUMERIC_DATE.sub(" ", column))))
    return " ".join(text.split()).strip(" ,")
