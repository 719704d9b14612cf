"""The standard metrics Archivist computes, and the line items their operands are read from.

A question that names a metric ("gross margin in FY2025", "the FY2018 current ratio") is computed from the
table facts of the filing (``answer.compute``) with the formula below; a question that states its own formula
("... is defined as: cash from operations / total current liabilities") is computed with that one instead.
Formulas are written in the language of ``answer.formula``: line items by name, ``+ - * / ^``, numbers,
parentheses, ``average X`` (the year asked and the one before), ``change in X`` (the year asked less the one
before) and ``X@-1`` (the year before the one asked).

``LINE_ITEMS`` says which printed row labels report each line item (general US GAAP and IFRS captions, as in
``retrieve.glossary``), in which statement it is printed (a tie-break between tables that repeat a row), and
whether filings print it as an outflow (``(1,577)``): such an item enters a formula as its magnitude.

Nothing here names a company or a data set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineItem:
    phrases: tuple[str, ...]
    statement: str = ""
    """``income``, ``balance`` or ``cash`` (the statement that prints it), "" when any."""
    outflow: bool = False
    """Printed as an outflow or an expense (``(1,577)`` in some filings, ``1,577`` in others): it enters a
    formula as its magnitude."""


LINE_ITEMS: dict[str, LineItem] = {
    "revenue": LineItem(("revenue", "revenues", "total revenues", "total revenue", "net revenue", "net revenues",
                         "net sales", "total net sales", "sales", "total net revenue", "net operating revenues",
                         "operating revenues", "total net revenues"), "income"),
    "cost of revenue": LineItem(("cost of revenue", "cost of revenues", "cost of sales", "cost of goods sold",
                                 "cogs", "cost of products sold", "total cost of revenue", "total cost of sales",
                                 "cost of goods sold excluding depreciation"), "income", outflow=True),
    "gross profit": LineItem(("gross profit", "gross margin"), "income"),
    "operating income": LineItem(("operating income", "income from operations", "operating profit",
                                  "operating income (loss)", "operating earnings", "total operating income"),
                                 "income"),
    "net income": LineItem(("net income", "net earnings", "net income attributable to", "net profit",
                            "net income (loss)", "net earnings attributable to",
                            "net income attributable to shareholders", "consolidated net income"), "income"),
    "income before taxes": LineItem(("income before income taxes", "earnings before income taxes",
                                     "income before provision for income taxes", "pretax income",
                                     "loss before income taxes", "income (loss) before income taxes",
                                     "(loss) income before income taxes", "(loss)/income before income taxes",
                                     "earnings (loss) before income taxes"), "income"),
    "income tax": LineItem(("provision for income taxes", "income tax expense", "income taxes",
                            "income tax provision", "income tax (expense)/benefit", "income tax (expense) benefit"),
                           "income", outflow=True),
    "interest expense": LineItem(("interest expense", "interest expense, net", "interest costs"), "income",
                                 outflow=True),
    "sg&a": LineItem(("selling, general and administrative", "selling, general and administrative expenses",
                      "sg&a"), "income", outflow=True),
    "r&d": LineItem(("research and development", "research and development expense", "r&d"), "income",
                    outflow=True),
    "depreciation and amortization": LineItem(("depreciation and amortization", "d&a",
                                               "depreciation, depletion and amortization",
                                               "depreciation, amortization and other", "depreciation"), "cash"),
    "operating cash flow": LineItem(("net cash provided by operating activities", "cash from operations",
                                     "operating cash flow", "cash flow from operations",
                                     "net cash from operating activities", "cash provided by operating activities",
                                     "net cash provided by (used in) operating activities",
                                     "cash flows from operating activities", "cash generated from operations"),
                                    "cash"),
    "capital expenditure": LineItem(("capital expenditure", "capital expenditures", "capex",
                                     "purchases of property, plant and equipment",
                                     "purchases of property and equipment", "capital spending",
                                     "additions to property, plant and equipment",
                                     "additions to property and equipment", "payments for property and equipment",
                                     "payments for property, plant and equipment",
                                     "purchases of land, buildings and equipment"), "cash", outflow=True),
    "dividends": LineItem(("dividends paid", "cash dividends paid", "dividends", "cash dividends",
                           "payments of dividends", "dividends paid to shareholders", "cash dividends declared"),
                          "cash", outflow=True),
    "share repurchases": LineItem(("repurchases of common stock", "share repurchases", "purchases of treasury stock",
                                   "repurchase of common stock", "buybacks"), "cash", outflow=True),
    "total assets": LineItem(("total assets",), "balance"),
    "current assets": LineItem(("total current assets", "current assets"), "balance"),
    "current liabilities": LineItem(("total current liabilities", "current liabilities"), "balance"),
    "total liabilities": LineItem(("total liabilities",), "balance"),
    "cash": LineItem(("cash and cash equivalents", "cash and equivalents"), "balance"),
    "short-term investments": LineItem(("short-term investments", "marketable securities",
                                        "short-term marketable securities", "short-term debt securities",
                                        "investments in short-term debt securities"), "balance"),
    "accounts receivable": LineItem(("accounts receivable", "accounts receivable, net", "trade receivables",
                                     "receivables, net", "trade accounts receivable", "receivables",
                                     "net accounts receivable", "net ar", "net receivables",
                                     "accounts and notes receivable", "accounts and notes receivable, net"),
                                    "balance"),
    "inventory": LineItem(("inventory", "inventories", "merchandise inventories", "total inventories"), "balance"),
    "accounts payable": LineItem(("accounts payable", "trade accounts payable", "trade payables",
                                  "accounts payable, trade"), "balance"),
    "pp&e": LineItem(("property, plant and equipment, net", "net property, plant and equipment", "pp&e",
                      "property and equipment, net", "property, plant and equipment",
                      "net property and equipment", "property, plant, and equipment", "ppe", "ppne",
                      "net ppe", "net ppne", "land, buildings and equipment"), "balance"),
    "total debt": LineItem(("total debt", "total borrowings"), "balance"),
    "long-term debt": LineItem(("long-term debt", "long-term debt, net", "long-term debt, excluding current portion",
                                "long-term debt, less current portion", "long-term debt, net of current portion",
                                "long-term debt, less current maturities", "long-term borrowings"), "balance"),
    "current portion of long-term debt": LineItem(("current portion of long-term debt",
                                                   "current maturities of long-term debt",
                                                   "long-term debt due within one year", "current portion of debt",
                                                   "long-term debt, current portion"), "balance"),
    "short-term borrowings": LineItem(("short-term borrowings", "short-term debt", "notes payable",
                                       "loans and notes payable"), "balance"),
    "shareholders equity": LineItem(("total shareholders' equity", "total stockholders' equity",
                                     "shareholders equity", "stockholders equity", "total equity",
                                     "shareholders' equity", "stockholders' equity"), "balance"),
    "ebitda": LineItem(("ebitda",), "income"),
}
"""item -> the row labels that report it. A metric's formula names items by these keys."""


@dataclass(frozen=True)
class Metric:
    names: tuple[str, ...]
    """How questions name it (lower case, words in order)."""
    formulas: tuple[str, ...]
    """Tried in order: the first whose operands are all found is used (``gross profit`` when cost of revenue
    is not printed, and so on)."""
    kind: str = "ratio"
    """``ratio`` (a plain number), ``percent`` (x 100, shown with %), ``amount`` (in the operands' currency)
    or ``days``."""


_TOTAL_DEBT = ("long-term debt + current portion of long-term debt + short-term borrowings",
               "long-term debt + current portion of long-term debt", "long-term debt + short-term borrowings",
               "total debt", "long-term debt")
"""Debt as the balance sheet prints its parts (a filer without short-term borrowings, or without a current
portion, prints no such row), else a row that prints it: a debt note's "Total debt" may be its long-term debt
alone (Walmart's 49,076 leaves out 575 of short-term borrowings); last, long-term debt when it is all the
filer prints (the worked line names the row, so the analyst sees what it was worked from)."""

METRICS: tuple[Metric, ...] = (
    Metric(("gross margin", "gross profit margin"), ("(revenue - cost of revenue) / revenue",
                                                     "gross profit / revenue"), "percent"),
    Metric(("operating margin", "operating income margin", "operating profit margin", "operating income % margin",
            "ebit margin"), ("operating income / revenue",), "percent"),
    Metric(("net margin", "net profit margin", "net income margin"), ("net income / revenue",), "percent"),
    Metric(("ebitda margin", "ebitda % margin"), ("(operating income + depreciation and amortization) / revenue",),
           "percent"),
    Metric(("ebitda less capex",), ("operating income + depreciation and amortization - capital expenditure",),
           "amount"),
    Metric(("ebitda",), ("ebitda", "operating income + depreciation and amortization"), "amount"),
    Metric(("operating cash flow ratio",), ("operating cash flow / current liabilities",)),
    Metric(("current ratio", "working capital ratio"), ("current assets / current liabilities",)),
    Metric(("quick ratio", "acid-test ratio", "acid test ratio"),
           ("(cash + short-term investments + accounts receivable) / current liabilities",
            "(cash + accounts receivable) / current liabilities")),
    Metric(("cash ratio",), ("cash / current liabilities",)),
    Metric(("net working capital", "working capital"), ("current assets - current liabilities",), "amount"),
    Metric(("debt to equity", "debt-to-equity", "debt/equity"),
           tuple(f"({debt}) / shareholders equity" for debt in _TOTAL_DEBT)),
    Metric(("debt to assets", "debt ratio"), ("total liabilities / total assets",)),
    Metric(("equity multiplier",), ("total assets / shareholders equity",)),
    Metric(("fixed asset turnover",), ("revenue / average pp&e",)),
    Metric(("asset turnover", "total asset turnover"), ("revenue / average total assets",)),
    Metric(("inventory turnover",), ("cost of revenue / average inventory",)),
    Metric(("receivables turnover", "receivable turnover"), ("revenue / average accounts receivable",)),
    Metric(("payables turnover",), ("cost of revenue / average accounts payable",)),
    Metric(("days sales outstanding", "dso"), ("365 * average accounts receivable / revenue",), "days"),
    Metric(("days inventory outstanding", "dio", "days of inventory"), ("365 * average inventory / cost of revenue",),
           "days"),
    Metric(("days payable outstanding", "dpo"),
           ("365 * average accounts payable / (cost of revenue + change in inventory)",), "days"),
    Metric(("cash conversion cycle", "ccc"),
           ("365 * average inventory / cost of revenue + 365 * average accounts receivable / revenue"
            " - 365 * average accounts payable / (cost of revenue + change in inventory)",), "days"),
    Metric(("free cash flow", "fcf"), ("operating cash flow - capital expenditure",), "amount"),
    Metric(("capex as a % of revenue", "capex as % of revenue", "capital expenditure as a % of revenue",
            "capex to revenue"), ("capital expenditure / revenue",), "percent"),
    Metric(("retention ratio", "plowback ratio"), ("1 - dividends / net income",)),
    Metric(("dividend payout ratio", "payout ratio"), ("dividends / net income",)),
    Metric(("return on assets", "roa"), ("net income / average total assets",)),
    Metric(("return on equity", "roe"), ("net income / average shareholders equity",)),
    Metric(("interest coverage", "times interest earned"), ("operating income / interest expense",)),
    Metric(("effective tax rate",), ("income tax / income before taxes",), "percent"),
    Metric(("r&d as a % of revenue", "r&d intensity"), ("r&d / revenue",), "percent"),
    Metric(("sg&a as a % of revenue",), ("sg&a / revenue",), "percent"),
    Metric(("cogs % margin", "cogs margin", "cost of goods sold % margin", "cost of goods sold margin",
            "cogs as a % of revenue", "cost of goods sold as a % of revenue", "cost of revenue as a % of revenue",
            "cost of sales as a % of revenue"), ("cost of revenue / revenue",), "percent"),
    Metric(("revenue growth", "revenue growth rate", "total revenue growth", "sales growth"),
           ("(revenue - revenue@-1) / revenue@-1",), "percent"),
    Metric(("operating income growth", "change in operating income", "change in unadjusted operating income"),
           ("(operating income - operating income@-1) / operating income@-1",), "percent"),
    Metric(("net income growth", "change in net income"), ("(net income - net income@-1) / net income@-1",),
           "percent"),
    Metric(("capital expenditure", "capex", "capital expenditures"), ("capital expenditure",), "amount"),
    Metric(("operating cash flow", "cash from operations", "cash flow from operating activities",
            "cash from operating activities"), ("operating cash flow",), "amount"),
    Metric(("cash dividends", "dividends paid", "dividends"), ("dividends",), "amount"),
    Metric(("net property, plant, and equipment", "net property, plant and equipment", "net pp&e"),
           ("pp&e",), "amount"),
    Metric(("accounts payable",), ("accounts payable",), "amount"),
    Metric(("total assets",), ("total assets",), "amount"),
)
"""The metrics computed by name (this table is their documentation; a question may always state its own
formula). The longest name a question contains wins, so "ebitda margin" is not taken for "ebitda" and "fixed
asset turnover" not for "asset turnover"."""

PARTS = {"total debt": _TOTAL_DEBT}
"""Line items worked from their parts: the formulas in order (the first whose operands are all found), the item's
own name where a row printed as the item is read."""

LOOKUPS = frozenset(m.formulas[0] for m in METRICS if m.formulas[0] in LINE_ITEMS)
"""Metrics that are one line item read as printed: when it is not found, the question is answered as any
other (a missing lookup is no reason to refuse), not with "cannot compute"."""
