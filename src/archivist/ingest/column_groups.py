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
from collections.abc import Callable, Collection, Iterator, Sequence
from functools import lru_cache
from statistics import median

from archivist.ingest.quarterly import MONTH_DAY, PERIOD, one_year, sectioned

Layout = Sequence[Sequence[tuple[float, float, float]]]
"""Per line of a page, per character of it: (left, right, height) of its box on the page; a line whose boxes are
unknown has none."""

Boxes = Callable[[Collection[int]], Layout]
"""Reads the layout of the lines asked (by index) of one page, when a table needs it: reading boxes costs, and
most pages need none."""

GAP = 0.8
"""A gap wider than this many character heights parts two names on one line (a word space is about a third)."""

_BLANK_ASIDES = re.compile(r"\([^)]*\)")
_NOT_A_NAME = re.compile(r"\b(?:ended|years?|months|weeks|quarters?|thousands|millions|billions|change)\b|%|\d",
                         re.IGNORECASE)
"""Words over a group that name its span, unit or a change ("Fiscal Year", "Year Ended December 31,", "% Change"),
not what its figures are."""


def grouped(columns: tuple[str, ...], lines: Sequence[str], above: Sequence[int], layout: Layout | None,
            at: int | None) -> tuple[tuple[str, ...], set[int]]:
    """``columns`` named by the groups printed over them, and the indexes of the lines that print the names (no
    title of the table); ``columns`` and no line when they come in no groups or not every group is named.
    ``above``: the indexes of the header lines over the table's first row, in order; ``at``: the one of them the
    columns' periods are printed on (``tables._period_line``'s)."""
    groups = _groups(columns)
    if layout is None or len(groups) < 2 or (centres := _period_heads(columns, lines, layout, at)) is None:
        return columns, set()  # no boxes (another format), no groups, or not one period a column
    pitch = median(b - a for a, b in zip(centres, centres[1:], strict=False))
    if pitch <= 0 or any(b <= a for a, b in zip(centres, centres[1:], strict=False)):
        return columns, set()
    spans = [(centres[g[0]], centres[g[-1]]) for g in groups]
    names: list[list[str]] = [[] for _ in groups]
    used: set[int] = set()
    for k, runs in _header_runs(lines, [k for k in above if k < at][::-1], layout, centres[0], pitch):
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


def in_groups(columns: tuple[str, ...]) -> bool:
    """Whether ``columns`` come in groups (a period repeated: ``2020 2019 2020 2019``) that names may tell apart."""
    return len(_groups(columns)) >= 2


def _period_heads(columns: tuple[str, ...], lines: Sequence[str], layout: Layout, at: int | None) \
        -> list[float] | None:
    """Where each of ``columns``' periods is printed on line ``at`` (the middle of its span); None when the line's
    periods are not the columns' ("2022 vs. 2021" is one column, two periods) or its boxes are unknown."""
    if at is None or at >= len(layout):
        return None
    bare = _BLANK_ASIDES.sub(lambda m: " " * len(m.group(0)), lines[at])  # same length: the boxes index it
    found = list(PERIOD.finditer(bare))
    boxes = layout[at]
    if len(found) != len(columns) or len(boxes) < len(lines[at].rstrip()):
        return None
    return [(boxes[m.start()][0] + boxes[m.end() - 1][1]) / 2 for m in found]


def _header_runs(lines: Sequence[str], lines_up: Sequence[int], layout: Layout, first: float, pitch: float) \
        -> Iterator[tuple[int, list[tuple[float, float, str]]]]:
    """The runs of the header lines ``lines_up`` (the closest to the rows first) that may name the columns of
    figures, the first of which stands at ``first``: up to a line whose boxes are unknown or that prints a
    sentence or a caption across the columns (above the names)."""
    for k in lines_up:
        boxes = layout[k] if k < len(layout) else ()
        if len(boxes) < len(lines[k].rstrip()):
            return
        runs = _runs(lines[k], boxes)
        if any(x0 < first - pitch and x1 > first - pitch / 2 for x0, x1, _t in runs):
            return
        yield k, runs


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
                           r"fifty[- ]three|\d{1,2})[- ](?:months?|weeks?)|quarters?|fiscal|years?|ended|"
                           r"ending|first|second|third|fourth|full|q[1-4]|as\s+of|at|vs)\b\.?", re.IGNORECASE)


_NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/(?:\d{2,4})?")


@lru_cache(maxsize=4096)  # a filing prints a handful of column headers over thousands of figures
def group_of(column: str) -> str:
    """The name of the group a column belongs to (``Pension Benefits`` of ``Pension Benefits 2020``), its period
    set aside; "" for a column named by its period alone (``2020``, ``Three Months Ended June 30, 2023``)."""
    text = _PERIOD_WORDS.sub(" ", PERIOD.sub(" ", MONTH_DAY.sub(" ", _NUMERIC_DATE.sub(" ", column))))
    text = _LEADING.sub("", _DANGLING.sub("", " ".join(text.split()))).strip(" ,:")
    return text if re.search(r"[A-Za-z]{2}", text) else ""


def in_sections(columns: Sequence[str]) -> bool:
    """Whether a table's rows of other years may follow under year lines of their own ("2021" / rows: its
    columns shift to that year, ``quarterly.in_section``): one year's quarters, or one year's columns named each
    (a segment note's "USCS 2022 | CS 2022 | ... | Consolidated 2022")."""
    return sectioned(columns) or (all(group_of(c) for c in columns) and one_year(columns) is not None)


def periods_of(columns: Sequence[str]) -> tuple[str, ...]:
    """The periods of columns named each under their period (``named``), each once, in order (``2022``, ``2021``
    of ``Income 2022 | Shares 2022 | Income 2021 | Shares 2021``); () when the columns are periods alone, or
    groups of periods (``Pension 2022 | Pension 2021 | Other 2022 | Other 2021``: a row of two figures may be
    either group's)."""
    changes = [c for c in columns if CHANGE.search(c)]
    if changes and len(changes) < len(columns) and not any(group_of(c) for c in columns if c not in changes):
        # Periods with a change's column beside them (``beside``): a row printing one figure a period is theirs.
        return tuple(c for c in columns if c not in changes)
    out: list[str] = []
    for column in columns:
        group = group_of(column)
        period = column[len(group):].strip() if group and column.startswith(group) else column
        if period in out and out[-1] != period:
            return ()  # a period again after another: groups of periods
        if period not in out:
            out.append(period)
    return tuple(out) if len(out) < len(columns) and all(group_of(c) for c in columns) else ()


_DANGLING = re.compile(r"(?:(?:^|[\s,:]+)(?:of|as|at|for|in|on))+[\s,:]*$", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:of|as|at|for|in|on|to)\b[\s,:]*)+", re.IGNORECASE)
"""What a name keeps of its period once the period is set aside ("Letters of Credit" of "Letters of Credit of
December 31: 2021")."""
WHOLE = re.compile(r"^(?:total|consolidated)\b", re.IGNORECASE)
"""A group of columns whose figures are the whole's (``Total``, ``Consolidated``, ``Consolidated Totals``), not a
part's."""


_MONTH = re.compile(r"\b(?:january|february|march|april|june|july|august|september|october|november|december)\b",
                    re.IGNORECASE)
_FIGURE = re.compile(r"\d|^[—–-]{1,2}$")
_NAME_TAIL = re.compile(r"(?:\s*\([^)]*$|\s*\([a-z\d]\)$|[\s,:;$€£¥*]+$)")
"""What a name's last line may end in that is no part of it: a unit's opening "(in" wrapped to the next line
("Number of shares (in" / "thousands)"), a currency sign printed over the figures, a comma."""


def named(columns: tuple[str, ...], lines: Sequence[str], above: Sequence[int], rows: Sequence[int], width: int,
          layout: Layout, at: int | None) -> tuple[tuple[str, ...], set[int]]:
    """Columns named by what is printed over each column of figures, when the table's rows print more figures
    (``width``) than it has periods (``columns``): a segment note's "Digital Media | Digital Experience |
    Publishing | Total" under "Fiscal 2022", a consolidating statement's "Parent | Guarantor Subsidiaries | ... |
    Consolidated", "Notes Payable | Weighted-Average Interest Rate" under each of two dates. Each column is named
    ``<name> <period>`` (``Digital Media Fiscal 2022``); ``rows``: the indexes of the rows that print ``width``
    figures, whose figures' boxes place the columns; ``at``: the line the periods are printed on (several
    periods: each heads the columns closest to it). Returns ``columns`` and no line when a column has no name, two
    columns of one period share a name, or the figures do not stand in columns."""
    unchanged: tuple[tuple[str, ...], set[int]] = (columns, set())
    if not columns or width <= len(columns) or width % len(columns):
        return unchanged
    if len(columns) == 1 and re.search(r"[A-Za-z]{3,}", group_of(columns[0])):
        return unchanged  # the period read from a name's words ("% of total segment net" / "sales in 2020")
    centres = _figure_columns(lines, rows, width, layout)
    if centres is None:
        return unchanged
    pitch = median(b - a for a, b in zip(centres, centres[1:], strict=False))
    names: list[list[str]] = [[] for _ in centres]
    used: set[int] = set()
    for k, runs in _header_runs(lines, above[::-1], layout, centres[0], pitch):
        if runs and all(x1 >= centres[0] - pitch / 2 for _x0, x1, _t in runs):
            used.add(k)  # a line printed over the columns alone (their names, periods, units): no title
        for x0, x1, text in runs:
            if x1 < centres[0] - pitch / 2 or PERIOD.search(text) or not re.search(r"[A-Za-z]{2}", text):
                continue  # a label's caption, a period, a currency sign or a dash
            over = [j for j, c in enumerate(centres) if x0 - pitch / 4 <= c <= x1 + pitch / 4]
            j = min(range(len(centres)), key=lambda j: abs(centres[j] - (x0 + x1) / 2))
            if len(over) > 1 or abs(centres[j] - (x0 + x1) / 2) > 0.4 * pitch:
                continue  # a name over several columns (they are named below it), or over none
            if MONTH_DAY.search(text) or _MONTH.search(text):
                if any(" ".join(d.split()) not in " ".join(" ".join(columns).split())
                       for d in MONTH_DAY.findall(text) or _MONTH.findall(text)):
                    return unchanged  # a column of its own date ("Balance at" / "January 1,"): no one period
                continue
            if _NOT_A_NAME.search(text):
                continue  # a span, a unit, a change
            names[j].insert(0, text)
    named_as = [_NAME_TAIL.sub("", " ".join(" ".join(n).split())).strip(" ,").lstrip("$€£¥ ") for n in names]
    periods = _periods_of(columns, lines, layout, at, centres)
    if periods is None or not all(named_as):
        return unchanged
    each = [[named_as[j] for j in range(width) if periods[j] == p] for p in range(len(columns))]
    if len(set(each[0])) < len(each[0]) or any(names != each[0] for names in each):
        # Two columns of one period named alike tell them not apart; periods whose columns are named otherwise
        # are no periods of these columns (a statement of equity's components, its years' rows below).
        return unchanged
    return tuple(f"{named_as[j]} {columns[periods[j]]}" for j in range(width)), used


def _figure_columns(lines: Sequence[str], rows: Sequence[int], width: int, layout: Layout) -> list[float] | None:
    """Where each of ``width`` columns of figures stands (the middle of its widest figure's span), read from the
    figures' boxes of ``rows``; None when the figures do not stand in columns."""
    lefts: list[list[float]] = [[] for _ in range(width)]
    rights: list[list[float]] = [[] for _ in range(width)]
    for k in rows:
        boxes = layout[k] if k < len(layout) else ()
        if len(boxes) < len(lines[k].rstrip()):
            continue
        figures = [(x0, x1) for x0, x1, text in _runs(lines[k], boxes) if _FIGURE.search(text)]
        if len(figures) < width:
            continue  # two figures printed close together: one run
        for j, (x0, x1) in enumerate(figures[-width:]):
            lefts[j].append(x0)
            rights[j].append(x1)
    if not all(rights) or len(rights[0]) < 2:
        return None
    centres = [(min(a) + median(b)) / 2 for a, b in zip(lefts, rights, strict=True)]
    if any(b <= a for a, b in zip(centres, centres[1:], strict=False)):
        return None
    # A column's figures stand within its pitch (right-aligned): rows whose figures wander were no columns.
    pitch = min(b - a for a, b in zip(centres, centres[1:], strict=False)) if width > 1 else 0.0
    if width > 1 and any(max(r) - min(r) > pitch / 2 for r in rights):
        return None
    return centres


def _periods_of(columns: tuple[str, ...], lines: Sequence[str], layout: Layout, at: int | None,
                centres: list[float]) -> list[int] | None:
    """Which of ``columns`` (periods) heads each column of figures: the one printed closest above it, in equal
    groups in order; every column the one period when there is one. None when they cannot be told."""
    if len(columns) == 1:
        return [0] * len(centres)
    if (heads := _period_heads(columns, lines, layout, at)) is None:
        return None
    periods = [min(range(len(heads)), key=lambda p: abs(heads[p] - c)) for c in centres]
    group = len(centres) // len(columns)
    return periods if periods == [j // group for j in range(len(centres))] else None


CHANGE = re.compile(r"\bchange\b|\bchg\b|\bvs\.?(?!\w)|\bversus\b|\bincrease\b|\bdecrease\b|\bvariance\b|"
                    r"(?<!\d)(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d(?!\d)", re.IGNORECASE)
"""A column of changes between periods ("% Change 2022-2021", "Increase (Decrease)"), not of a period's figures."""


def _periods_and_changes(line: str, periods: int) -> bool:
    """Whether ``line`` prints ``periods`` periods and the names of changes beside them, nothing else ("2020 2019
    $ Change % Change")."""
    bare = _BLANK_ASIDES.sub(" ", line)
    if len(PERIOD.findall(bare)) != periods or not CHANGE.search(bare):
        return False
    return not re.search(r"[A-Za-z]{2,}", CHANGE.sub(" ", PERIOD.sub(" ", bare)).replace("$", " "))


def beside(columns: tuple[str, ...], lines: Sequence[str], above: Sequence[int], rows: Sequence[int], width: int,
           layout: Layout, at: int | None) -> tuple[tuple[str, ...], set[int]]:
    """Columns of changes printed beside the periods' columns, their names wrapped under the periods' line ("2022
    2021 2020" / "% Change" / "2022-2021"): each period names the column of figures under it, each other column
    is named by what is printed over it, which must name a change. Returns ``columns`` and no line otherwise."""
    unchanged: tuple[tuple[str, ...], set[int]] = (columns, set())
    if not columns or width <= len(columns):
        return unchanged
    if at is None:  # the periods printed on one line with the changes' names ("2020 2019 $ Change % Change")
        at = next((k for k in reversed(above) if _periods_and_changes(lines[k], len(columns))), None)
    centres = _figure_columns(lines, rows, width, layout)
    heads = _period_heads(columns, lines, layout, at)
    if centres is None or heads is None:
        return unchanged
    pitch = min(b - a for a, b in zip(centres, centres[1:], strict=False))
    under = [min(range(width), key=lambda j, h=h: abs(centres[j] - h)) for h in heads]
    if len(set(under)) < len(under) or under != sorted(under) \
            or any(abs(centres[j] - h) > 0.4 * pitch for j, h in zip(under, heads, strict=True)):
        return unchanged  # the periods do not stand each over a column of figures
    names: dict[int, list[str]] = {j: [] for j in range(width) if j not in under}
    used: set[int] = set()
    for k, runs in _header_runs(lines, above[::-1], layout, centres[0], pitch):
        for x0, x1, text in runs:
            j = min(range(width), key=lambda j: abs(centres[j] - (x0 + x1) / 2))
            if j in names and abs(centres[j] - (x0 + x1) / 2) <= 0.4 * pitch \
                    and sum(x0 - pitch / 4 <= c <= x1 + pitch / 4 for c in centres) == 1:
                names[j].insert(0, text)
                used.add(k)
    named_as = {j: " ".join(" ".join(n).split()) for j, n in names.items()}
    if not all(CHANGE.search(n) and len(n.split()) <= 6 for n in named_as.values()):
        return unchanged  # a column beside the periods that is no change ("2021 Target Allocation")
    return tuple(columns[under.index(j)] if j in under else named_as[j] for j in range(width)), used
