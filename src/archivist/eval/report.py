"""Eval reports (Markdown) and comparisons of two runs (regression gate)."""

from __future__ import annotations

from dataclasses import dataclass

HIGHER_IS_BETTER = ("recall@", "mrr", "ndcg@", "supported_sentence_rate", "citation_validity", "abstain_accuracy",
                    "answer_match", "format_ok")


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def markdown(run: dict, title: str = "Archivist evaluation") -> str:
    """A Markdown report of a run (``EvalRun.to_json()``)."""
    s = run["summary"]
    lines = [f"# {title}", "", "## Summary", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in s.items()]
    lines += ["", "## Why questions failed", "", "| verdict | questions |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(run["breakdown"].items())]
    lines += ["", f"**What to do next:** {run['advice']}", "", "## Questions", "",
              "| id | verdict | first hit | mode | supported | match | question |", "|---|---|---|---|---|---|---|"]
    for q in run["questions"]:
        lines.append(f"| {q['id']} | {q['verdict']} | {_fmt(q['first_hit'])} | {_fmt(q['mode'])} | "
                     f"{_fmt(q['supported_rate'])} | {_fmt(q['answer_match'])} | {q['question'][:80]} |")
    return "\n".join(lines) + "\n"


@dataclass
class Change:
    metric: str
    before: float | None
    after: float | None
    regressed: bool


def compare(a: dict, b: dict, tolerance: float = 0.02) -> list[Change]:
    """Metric changes from run ``a`` to run ``b``; quality metrics that drop by more than ``tolerance``
    (absolute) regress. Latencies are reported, never gated (noisy machines)."""
    out: list[Change] = []
    sa, sb = a["summary"], b["summary"]
    for key in sa.keys() | sb.keys():
        before, after = sa.get(key), sb.get(key)
        if not isinstance(before, (int, float)) and not isinstance(after, (int, float)):
            continue
        gated = key.startswith(HIGHER_IS_BETTER)
        regressed = bool(gated and before is not None and (after is None or after < before - tolerance))
        out.append(Change(key, before, after, regressed))
    return sorted(out, key=lambda c: (not c.regressed, c.metric))
