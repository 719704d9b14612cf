#!/usr/bin/env python3
"""Regenerate the binary sample documents (PDF and DOCX) for Archivist.

The text of both documents is defined in this script, so the output is
reproducible. Creation timestamps are pinned to keep the files stable.

Requirements (install into a scratch virtualenv, not the project venv):

    python3 -m venv /tmp/samplegen
    /tmp/samplegen/bin/pip install fpdf2 python-docx
    /tmp/samplegen/bin/python examples/make_sample_docs.py

Writes:
    examples/sample-docs/incidents/INC-2291-warehouse-outage.pdf
    examples/sample-docs/memos/2026-q3-budget-memo.docx
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.shared import Pt
from fpdf import FPDF

HERE = Path(__file__).resolve().parent
OUT = HERE / "sample-docs"
FIXED_DATE = _dt.datetime(2026, 6, 2, 9, 0, 0, tzinfo=_dt.timezone.utc)

# ---------------------------------------------------------------------------
# Incident report (PDF, 3 pages). Latin-1 only: plain quotes and hyphens.
# Each page is a list of (kind, text) where kind is "h" (heading) or "p".
# ---------------------------------------------------------------------------

PDF_TITLE = "Incident Report INC-2291: Rotterdam Warehouse Systems Outage"

PDF_PAGES: list[list[tuple[str, str]]] = [
    [
        ("h", "1. Summary"),
        ("p", "Report ID: INC-2291. Severity: SEV-2. Status: Closed. "
              "Incident commander: Ingrid Vos (Head of Warehouse Operations, Benelux). "
              "Report author: Daan Hoekstra, Site Reliability. Report approved on 28 April 2026."),
        ("p", "On Tuesday 14 April 2026 the warehouse management system at the Halvard Freight "
              "Maasvlakte distribution centre, site code RTM-3, Europaweg 1142, Rotterdam, became "
              "unavailable at 02:13 CEST. Handheld scanners, label printers and the dock door "
              "scheduling screens at RTM-3 all depend on the local WMS cluster, so picking, "
              "put-away and outbound loading stopped across the entire building."),
        ("p", "Service was fully restored at 09:00 CEST the same morning. The total outage "
              "duration was 6 hours and 47 minutes. No data was lost: the last committed "
              "transaction in the WMS database was replayed successfully from the write-ahead "
              "log after the servers came back online."),
        ("h", "Business impact"),
        ("p", "During the outage 1,184 pallets missed their planned outbound slot and 37 "
              "outbound trucks had to be rescheduled to later departure windows. Two customers "
              "with contractual same-day delivery windows, Brouwerij Zeelandia and Nordhavn "
              "Electronics, were notified by the account team before 07:30. Service credits "
              "owed under existing contracts amount to EUR 23,650 in total. Inbound receiving "
              "continued on paper forms for the reefer dock only, so temperature-controlled "
              "freight was not affected."),
        ("p", "Roughly 140 warehouse staff on the night and early shifts were reassigned to "
              "manual tasks such as cycle counting, cleaning and preparing empty pallets while "
              "the systems were down. No safety incidents and no injuries were recorded."),
        ("h", "Scope"),
        ("p", "Only site RTM-3 was affected. The Antwerp Noorderlaan hub and the Hamburg "
              "Waltershof depot run separate WMS clusters and operated normally throughout. "
              "The customer-facing shipment tracking portal stayed online, but it showed stale "
              "scan events for RTM-3 consignments until roughly 09:40 CEST, when the backlog "
              "of queued scan messages finished synchronising."),
        ("p", "This report describes the sequence of events and root cause (page 2) and the "
              "corrective actions agreed at the post-incident review held on 21 April 2026 "
              "(page 3)."),
    ],
    [
        ("h", "2. Timeline (all times CEST, 14 April 2026)"),
        ("p", "01:38 - The chilled-water loop serving server room B on the mezzanine floor loses "
              "flow. Circulation pump CWP-2 has stopped, and the standby pump is not present "
              "because the loop was designed with a single pump."),
        ("p", "01:52 - The room temperature sensor records 31 degrees Celsius. An email alert "
              "is sent to the facilities mailbox, which is not monitored at night."),
        ("p", "02:13 - The intake temperature of the WMS database host wms-rtm-01 reaches "
              "41 degrees Celsius and the server performs an automatic thermal shutdown. The "
              "application servers lose their database connection a few seconds later and "
              "the outage begins."),
        ("p", "02:21 - Night shift supervisor Ruud Kramer calls the IT service desk after all "
              "scanners show connection errors. The on-call engineer is paged at 02:26."),
        ("p", "03:05 - The on-call engineer arrives on site, finds server room B at 44 degrees "
              "Celsius and opens the doors with portable fans as a temporary measure."),
        ("p", "04:40 - A technician from the cooling contractor Koelservice Delta BV arrives and "
              "confirms that pump CWP-2 has a seized motor bearing."),
        ("p", "06:15 - A replacement pump taken from the contractor's van stock is fitted and "
              "chilled-water flow is restored. The room is back below 24 degrees at 07:10."),
        ("p", "07:25 - Servers are powered on in order: storage, database, application tier."),
        ("p", "08:32 - Database recovery completes; integrity checks pass."),
        ("p", "09:00 - Scanners reconnect and operations resume. The incident is declared "
              "resolved at 09:00 and moved to monitoring."),
        ("h", "Root cause"),
        ("p", "The direct cause was the mechanical failure of circulation pump CWP-2 in the "
              "server room cooling system. The pump had been in service since 2014 and its "
              "last maintenance visit took place in September 2024, well beyond the 12-month "
              "interval recommended by the manufacturer. Vibration from the worn bearing had "
              "been audible for several weeks, but nobody logged it as a fault."),
        ("h", "Contributing factors"),
        ("p", "First, the cooling loop had no redundancy. Second, temperature alerts went only "
              "to an unattended mailbox instead of the on-call pager. Third, the RTM-3 WMS has "
              "no failover target, so a single room failure stops the whole site. Detection "
              "time from the first high-temperature reading to a human response was 29 "
              "minutes."),
    ],
    [
        ("h", "3. Corrective actions"),
        ("p", "The post-incident review on 21 April 2026 agreed the following actions. Each "
              "action has a single accountable owner and a due date. Progress is tracked in "
              "the operations risk register under reference RR-0412."),
        ("p", "CA-1: Install a second circulation pump in parallel with CWP-2 and add automatic "
              "changeover, so that one pump can fail without loss of flow. Owner: Pieter "
              "Bakker, Facilities Manager Rotterdam. Deadline: 30 June 2026. Budget: "
              "EUR 18,400, approved by the CFO on 24 April."),
        ("p", "CA-2: Route server room temperature alerts to the infrastructure on-call pager. "
              "The warning threshold will be 27 degrees Celsius and the critical threshold "
              "32 degrees Celsius. Owner: Sanne de Groot, Infrastructure Team Lead. Deadline: "
              "15 May 2026."),
        ("p", "CA-3: Sign a maintenance contract with Koelservice Delta BV covering quarterly "
              "inspection of all cooling pumps at RTM-3, including vibration measurement. "
              "Owner: Pieter Bakker. Deadline: 31 May 2026."),
        ("p", "CA-4: Build a warm-standby WMS replica for RTM-3 hosted in the Antwerp "
              "Noorderlaan data room, with a target recovery time of 45 minutes for a "
              "site-level failure. Owner: Tomasz Wierzbicki, WMS Platform Architect. "
              "Deadline: 31 August 2026."),
        ("p", "CA-5: Update the night shift procedure so that supervisors escalate to the "
              "service desk within 5 minutes of a system-wide scanner failure, and print "
              "paper picking lists for the first two hours of each shift as a fallback. "
              "Owner: Ingrid Vos. Deadline: 15 May 2026."),
        ("p", "CA-6: Review the other eleven Halvard Freight server rooms for single points of "
              "failure in cooling and power, and report findings to the IT steering "
              "committee. Owner: Sanne de Groot. Deadline: 30 September 2026."),
        ("h", "Follow-up"),
        ("p", "Actions CA-2 and CA-5 are considered urgent and will be verified by an unannounced "
              "test during a night shift in May. Remaining actions will be reviewed at the "
              "monthly operations risk meeting. This incident will be closed in the risk "
              "register once CA-1 and CA-4 have been completed and verified by Internal Audit."),
        ("p", "Questions about this report should be sent to Daan Hoekstra, Site Reliability, "
              "at sre@halvardfreight.example."),
    ],
]


class _IncidentPDF(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "B", 9)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, "Halvard Freight - Confidential - INC-2291", align="L")
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="R",
                  new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)


def make_pdf(path: Path) -> None:
    pdf = _IncidentPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(PDF_TITLE)
    pdf.set_author("Halvard Freight Site Reliability")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 15, 20)
    for i, page in enumerate(PDF_PAGES):
        pdf.add_page()
        if i == 0:
            pdf.set_font("Helvetica", "B", 15)
            pdf.multi_cell(0, 8, PDF_TITLE, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        for kind, text in page:
            text.encode("latin-1")  # fail loudly on non-latin-1 characters
            if kind == "h":
                pdf.ln(2)
                pdf.set_font("Helvetica", "B", 12)
                pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.set_font("Helvetica", "", 10.5)
                pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1.5)
        if pdf.get_y() > pdf.h - 15:
            raise RuntimeError(f"PDF page {i + 1} overflows; shorten its text")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


# ---------------------------------------------------------------------------
# Budget memo (DOCX)
# ---------------------------------------------------------------------------

MEMO_META = [
    ("To", "Department heads, Halvard Freight B.V."),
    ("From", "Margit Lindqvist, Chief Financial Officer"),
    ("Date", "2 June 2026"),
    ("Subject", "Q3 2026 operating budget allocation"),
]

MEMO_INTRO = (
    "The executive board approved the third-quarter operating budget at its meeting on "
    "28 May 2026. The total Q3 allocation is EUR 14,200,000, an increase of 3.1 percent "
    "over the Q2 actuals, driven mainly by higher diesel costs and the corrective work that "
    "followed the Rotterdam warehouse outage in April."
)

MEMO_TABLE_HEADER = ["Department", "Q2 2026 actual (EUR)", "Q3 2026 budget (EUR)", "Budget owner"]
MEMO_TABLE_ROWS = [
    ["Operations (warehousing and cross-dock)", "6,712,000", "6,850,000", "Ingrid Vos"],
    ["Fleet and fuel", "3,205,000", "3,420,000", "Henrik Aalto"],
    ["Warehouse facilities", "1,540,000", "1,610,000", "Pieter Bakker"],
    ["IT and infrastructure", "1,262,000", "1,275,000", "Sanne de Groot"],
    ["People and HR", "552,000", "540,000", "Clara Mendes"],
    ["Sales and customer service", "502,000", "505,000", "Olivier Marchand"],
    ["Total", "13,773,000", "14,200,000", ""],
]

MEMO_SECTIONS: list[tuple[str, list[str]]] = [
    ("Key changes compared with Q2", [
        "Fleet and fuel receives the largest increase, EUR 215,000, because the fuel hedge "
        "contract signed in 2025 expires on 30 June and the remaining exposure will be bought "
        "at spot prices. Henrik Aalto will report diesel spend to Finance every two weeks.",
        "Warehouse facilities includes a ring-fenced amount of EUR 18,400 for the redundant "
        "cooling pump at RTM-3. This money may not be reallocated to other facilities work.",
        "People and HR is the only department with a lower budget, reflecting the hiring "
        "freeze for non-operational roles that remains in force until 1 October 2026.",
    ]),
    ("Rules for Q3 spending", [
        "Any single purchase above EUR 40,000 requires a business case signed by the "
        "department head and countersigned by Finance before a purchase order is raised.",
        "Unspent Q3 budget does not roll over into Q4. Departments expecting an underspend "
        "of more than 10 percent should tell the finance business partner by 15 August.",
        "Exceptions to the hiring freeze can only be granted by the CEO, Anneke Halvard.",
    ]),
    ("Capital expenditure", [
        "Capital projects are budgeted separately from the operating figures above. For Q3 "
        "the board approved a capital envelope of EUR 2,950,000, of which EUR 1,800,000 is "
        "reserved for twelve new electric tractor units for the Rotterdam to Duisburg "
        "linehaul, to be delivered in September by the dealer Trucknet Venlo.",
        "A further EUR 640,000 covers the new sortation conveyor at the Hamburg Waltershof "
        "depot, and the remaining EUR 510,000 is a contingency held centrally by Finance. "
        "Release of contingency funds needs approval from both the CFO and the COO, "
        "Bastiaan Smit.",
    ]),
    ("Next steps", [
        "Please submit your monthly phasing for July, August and September in the planning "
        "workbook no later than 19 June 2026. The finance business partner for all "
        "departments this quarter is Yusuf Demir.",
    ]),
]


def make_docx(path: Path) -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)

    doc.add_heading("Memorandum: Q3 2026 Budget", level=0)
    for label, value in MEMO_META:
        p = doc.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        p.add_run(value)

    doc.add_heading("Summary", level=1)
    doc.add_paragraph(MEMO_INTRO)

    doc.add_heading("Budget by department", level=1)
    table = doc.add_table(rows=1, cols=len(MEMO_TABLE_HEADER))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, MEMO_TABLE_HEADER):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in MEMO_TABLE_ROWS:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text

    for heading, paragraphs in MEMO_SECTIONS:
        doc.add_heading(heading, level=1)
        for text in paragraphs:
            doc.add_paragraph(text)

    cp = doc.core_properties
    cp.author = "Margit Lindqvist"
    cp.title = "Q3 2026 Budget Memo"
    cp.created = FIXED_DATE.replace(tzinfo=None)
    cp.modified = FIXED_DATE.replace(tzinfo=None)
    cp.last_modified_by = "Margit Lindqvist"
    cp.revision = 1

    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    doc.save(buf)
    _normalise_zip(buf.getvalue(), path)


def _normalise_zip(data: bytes, path: Path) -> None:
    """Rewrite a DOCX archive with fixed member timestamps so output is byte-stable."""
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 6, 2, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))


def main() -> None:
    pdf_path = OUT / "incidents" / "INC-2291-warehouse-outage.pdf"
    docx_path = OUT / "memos" / "2026-q3-budget-memo.docx"
    make_pdf(pdf_path)
    make_docx(docx_path)
    for p in (pdf_path, docx_path):
        print(f"wrote {p.relative_to(HERE)} ({p.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
