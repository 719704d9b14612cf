"""Answers: citations from what was retrieved, invented markers removed, unsupported flagged, abstention."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import FakeGenerator

from archivist.answer.grounding import split_sentences, strip_markers
from archivist.answer.service import NOT_FOUND

RUNBOOK = ("# Zephyr backup runbook\n\nThe Zephyr backup service listens on port 7431 and writes snapshots "
           "to the vault every six hours.\n\nIf a snapshot fails twice in a row, page the storage on-call engineer.\n")
RETENTION = ("Client contracts are retained for eleven years after termination.\n"
             "Draft memos are deleted after ninety days.\n")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "zephyr-runbook.md").write_text(RUNBOOK)
    (d / "retention.txt").write_text(RETENTION)
    return d


def _ask(services_factory, docs: Path, reply: str, question: str, **kw):  # noqa: ANN202
    gen = FakeGenerator(reply)
    services = services_factory(gen)
    services.store.add_folder(docs)
    services.indexer().index_all()
    return services.answerer().ask(question, **kw), gen


def _schema() -> dict:
    return json.loads(resources.files("archivist").joinpath("schemas/ask.json").read_text())


def test_supported_answer_cites_the_right_passage(services_factory, docs: Path) -> None:
    answer, gen = _ask(services_factory, docs, "The Zephyr backup service listens on port 7431 [1].",
                       "What port does the Zephyr backup service listen on?")
    assert not answer.abstained and answer.mode == "generated"
    assert answer.sentences[0].supported
    cited = answer.citations[answer.sentences[0].passage - 1]
    assert cited.path.endswith("zephyr-runbook.md") and "7431" in cited.text
    assert cited.line_start is not None and cited.line_start >= 1
    assert "[1]" in gen.prompts[0][-1]["content"]  # passages were numbered for the model
    jsonschema.validate(answer.to_json(), _schema())


def test_invented_markers_are_removed_and_reported(services_factory, docs: Path) -> None:
    answer, _ = _ask(services_factory, docs, "The Zephyr backup service listens on port 7431 [9].",
                     "What port does the Zephyr backup service listen on?")
    assert answer.invented_markers == [9]
    assert "[9]" not in answer.answer
    assert "9" in answer.note


def test_unsupported_sentence_is_flagged(services_factory, docs: Path) -> None:
    reply = ("The Zephyr backup service listens on port 7431 [1]. "
             "The quarterly budget for marketing grew by 300 percent in Brazil.")
    answer, _ = _ask(services_factory, docs, reply, "What port does the Zephyr backup service listen on?")
    flags = [s.supported for s in answer.sentences]
    assert flags == [True, False]
    assert "[unsupported]" in answer.answer
    jsonschema.validate(answer.to_json(), _schema())


def test_wrong_number_is_not_supported(services_factory, docs: Path) -> None:
    answer, _ = _ask(services_factory, docs, "The Zephyr backup service listens on port 8080.",
                     "What port does the Zephyr backup service listen on?")
    assert not any(s.supported for s in answer.sentences if "8080" in s.text)


def test_absent_fact_abstains_with_closest_passages(services_factory, docs: Path) -> None:
    answer, gen = _ask(services_factory, docs, "The ferry flies at Mach 3 [1].",
                       "What is the airspeed of the lunar ferry between Oslo and Titan?")
    assert answer.abstained and answer.answer == NOT_FOUND and answer.mode == "abstained"
    assert gen.prompts == []  # no model call on weak evidence
    jsonschema.validate(answer.to_json(), _schema())


def test_model_saying_not_found_abstains(services_factory, docs: Path) -> None:
    answer, _ = _ask(services_factory, docs, "Not found in the documents.",
                     "What port does the Zephyr backup service listen on?")
    assert answer.abstained


def test_entirely_unsupported_answer_falls_back_to_quotes(services_factory, docs: Path) -> None:
    answer, _ = _ask(services_factory, docs, "Penguins enjoy jazz music in Antarctica.",
                     "What port does the Zephyr backup service listen on?")
    assert answer.mode == "extractive" and not answer.abstained
    assert "not supported" in answer.note
    assert any("7431" in s.text for s in answer.sentences)


def test_extractive_mode_quotes_passages_without_a_model(services_factory, docs: Path) -> None:
    answer, gen = _ask(services_factory, docs, "should not be called",
                       "How long are client contracts retained?", extractive=True)
    assert gen.prompts == []
    assert answer.mode == "extractive"
    assert "eleven years" in answer.sentences[0].text
    source = answer.citations[answer.sentences[0].passage - 1]
    assert source.path.endswith("retention.txt")
    assert answer.sentences[0].text.strip("“”") in source.text
    jsonschema.validate(answer.to_json(), _schema())



def test_the_quotes_reuse_the_question_vector_of_the_search(services_factory, docs: Path,
                                                            fake_embedder) -> None:  # noqa: ANN001
    # The question is embedded once: scoring the quote candidates takes its vector from the search.
    services = services_factory(FakeGenerator("should not be called"))
    services.store.add_folder(docs)
    services.indexer().index_all()
    asked: list[str] = []
    embed = fake_embedder.embed_batch
    fake_embedder.embed_batch = lambda texts: (asked.extend(texts), embed(texts))[1]
    answer = services.answerer().ask("How long are client contracts retained?", extractive=True)
    assert "eleven years" in answer.sentences[0].text
    assert asked.count("How long are client contracts retained?") == 1

def test_prompt_stays_within_the_token_budget(services_factory, tmp_path: Path) -> None:
    from archivist.settings import Settings

    d = tmp_path / "many"
    d.mkdir()
    for i in range(12):
        (d / f"report-{i}.txt").write_text(f"Zephyr port report {i}. " + "filler words here " * 60)
    settings = Settings.load(None)
    settings.answer.context_tokens = 300
    settings.retrieval.top_k = 12
    gen = FakeGenerator("The Zephyr port report mentions filler words [1].")
    services = services_factory(gen, settings=settings)
    services.store.add_folder(d)
    services.indexer().index_all()
    services.answerer().ask("Zephyr port report filler")
    user = gen.prompts[0][-1]["content"]
    passages = user.split("\nQuestion:")[0]
    assert gen.count_tokens(passages) <= 300 + 20
    assert "[1]" in passages


def test_sentence_splitting_and_marker_parsing() -> None:
    assert split_sentences("Port 7431 is used [1]. Snapshots run every 6 hours [2].\n- A bullet") == [
        "Port 7431 is used [1].", "Snapshots run every 6 hours [2].", "A bullet"]
    assert strip_markers("It is 7431 [1, 3].") == ("It is 7431.", [1, 3])


def test_an_invented_clause_makes_the_sentence_unsupported(services_factory, docs: Path) -> None:
    reply = ("The Zephyr backup service listens on port 7431, which was chosen by the Berlin architecture "
             "board in 1997.")
    answer, _ = _ask(services_factory, docs, reply, "What port does the Zephyr backup service listen on?")
    assert [(s.supported, s.continues) for s in answer.sentences] == [(True, False), (False, True)]
    assert answer.answer.startswith("The Zephyr backup service listens on port 7431 [1], which was chosen")
    assert answer.answer.endswith("[unsupported]")


def test_clause_splitting() -> None:
    from archivist.answer.grounding import clauses

    assert clauses("The pump failed, which had run for 10 years.") == ["The pump failed", "which had run for 10 years."]
    assert clauses("Port 7431, which is open.") == ["Port 7431, which is open."]


def test_a_team_format_survives_the_check_bullets_and_section_labels(services_factory, docs: Path) -> None:
    reply = ("Summary:\nThe Zephyr backup service listens on port 7431 [1].\nFindings:\n"
             "- It writes snapshots to the vault every six hours [1].\n- The service is run by the moon council.")
    answer, _ = _ask(services_factory, docs, reply, "What port does the Zephyr backup service listen on?")
    assert answer.mode == "generated"
    lines = answer.answer.splitlines()
    assert lines[0] == "Summary:" and lines[2] == "Findings:"  # labels shown as written, never [unsupported]
    assert lines[1].startswith("The Zephyr backup service listens on port 7431") and lines[1].endswith("[1].")
    assert lines[3].startswith("- It writes snapshots") and lines[4].startswith("- The service is run by")
    assert lines[4].endswith("[unsupported]")  # a list item is still checked on its own
    labels = [s for s in answer.sentences if s.label]
    assert [s.text for s in labels] == ["Summary:", "Findings:"] and not any(s.supported for s in labels)
    jsonschema.validate(answer.to_json(), _schema())


def test_extractive_quotes_never_just_repeat_a_title_or_heading(services_factory, tmp_path: Path) -> None:
    from fpdf import FPDF

    folder = tmp_path / "reports"
    folder.mkdir()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.set_title("Rotterdam Warehouse Pump Failure Report")
    pdf.add_page()
    for line in ("Rotterdam Warehouse Pump Failure Report", "", "Circulation pump CWP-2 failed on 14 April.",
                 "Its bearings had seized after ten years in service."):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(folder / "report.pdf"))
    answer, _ = _ask(services_factory, folder, "unused", "Which pump failed at the Rotterdam warehouse?",
                     extractive=True)
    quotes = [s.text.strip("“”") for s in answer.sentences]
    assert quotes and not any(q.startswith("Rotterdam Warehouse Pump Failure Report") for q in quotes), quotes
    assert any("CWP-2" in q for q in quotes)  # the title names the document; it answers nothing


@pytest.mark.parametrize("heading", ["# Zephyr backup service runbook", "### Zephyr backup service runbook ###",
                                     "Zephyr backup service runbook\n=============================",
                                     "Zephyr backup service runbook\n---"],
                         ids=["atx", "atx-closed", "setext-1", "setext-2"])
def test_extractive_quotes_never_open_with_a_markdown_heading(services_factory, tmp_path: Path, heading: str) -> None:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "zephyr.md").write_text(f"{heading}\nThe Zephyr backup service listens on port 7431 and writes "
                                      "snapshots to the vault every six hours.\n")
    answer, _ = _ask(services_factory, folder, "unused", "Which port does the Zephyr backup service listen on?",
                     extractive=True)
    quotes = [s.text.strip("“”") for s in answer.sentences]
    assert any("7431" in q for q in quotes), quotes
    assert not any(q.startswith(("#", "Zephyr backup service runbook")) or "===" in q or "---" in q
                   for q in quotes), quotes
    assert quotes[0].startswith("The Zephyr backup service listens on port 7431"), quotes
    assert "Zephyr backup service runbook" in answer.citations[0].text  # the passage itself keeps its heading


def test_an_answer_that_opens_with_a_bullet_keeps_it(services_factory, docs: Path) -> None:
    reply = ("- The Zephyr backup service listens on port 7431 [1].\n"
             "- It writes snapshots to the vault every six hours [1].")
    answer, _ = _ask(services_factory, docs, reply, "What port does the Zephyr backup service listen on?")
    assert answer.mode == "generated"
    lines = answer.answer.splitlines()
    assert len(lines) == 2 and all(line.startswith("- ") for line in lines), answer.answer
    assert answer.sentences[0].lead == "\n- "  # in ask --json too, so other front ends lay it out alike

def test_an_unsupported_bulleted_answer_falls_back_to_quotes_laid_out_as_bullets(services_factory, docs: Path) -> None:
    reply = "- The moon council runs the backup service [1].\n- Penguins audit it every week [1]."
    answer, _ = _ask(services_factory, docs, reply, "What port does the Zephyr backup service listen on?")
    assert answer.mode == "extractive" and "quoting them instead" in answer.note
    lines = answer.answer.splitlines()
    assert lines and all(line.startswith("- “") for line in lines), answer.answer  # the team's bullets stay
    assert any("7431" in line for line in lines)

    prose, _ = _ask(services_factory, docs, "The moon council runs the backup service [1].",
                    "What port does the Zephyr backup service listen on?")
    assert prose.mode == "extractive" and not prose.answer.startswith("- ")  # prose stays prose

def test_plain_prose_is_rendered_on_one_line_as_before(services_factory, docs: Path) -> None:
    answer, _ = _ask(services_factory, docs, "The Zephyr backup service listens on port 7431 [1]. "
                     "It writes snapshots to the vault every six hours [1].",
                     "What port does the Zephyr backup service listen on?")
    assert "\n" not in answer.answer and answer.answer.count("[1]") == 2


def test_the_quoted_draft_comes_before_the_model_and_the_checked_answer_replaces_it(services_factory,
                                                                                    docs: Path) -> None:
    events: list[tuple[str, object]] = []
    answer, _ = _ask(services_factory, docs, "The Zephyr backup service listens on port 7431 [1].",
                     "What port does the Zephyr backup service listen on?",
                     on_draft=lambda draft: events.append(("draft", draft)),
                     on_token=lambda piece: events.append(("token", piece)))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "draft" and kinds.count("draft") == 1 and "token" in kinds
    draft = events[0][1]
    assert draft.mode == "extractive" and "7431" in draft.answer and draft.citations  # true, cited, at once
    assert answer.mode == "generated" and answer is not draft


def test_no_draft_when_quoting_is_the_answer_or_nothing_is_found(services_factory, docs: Path) -> None:
    drafts: list[object] = []
    answer, _ = _ask(services_factory, docs, "unused", "What port does the Zephyr backup service listen on?",
                     extractive=True, on_draft=drafts.append)
    assert answer.mode == "extractive" and drafts == []
    answer, _ = _ask(services_factory, docs, "unused", "airspeed of the lunar ferry between Oslo and Titan",
                     on_draft=drafts.append)
    assert answer.abstained and drafts == []


def test_an_unsupported_answer_falls_back_to_the_quotes_already_shown(services_factory, docs: Path) -> None:
    drafts: list = []
    answer, _ = _ask(services_factory, docs, "The moon council runs the backup service [1].",
                     "What port does the Zephyr backup service listen on?", on_draft=drafts.append)
    assert answer.mode == "extractive" and "not supported" in answer.note
    assert len(drafts) == 1 and answer.answer == drafts[0].answer  # what was read first stays, now as the answer
    assert answer.timings_ms["total_ms"] >= answer.timings_ms["draft_ms"]


def test_an_answer_mostly_unsupported_falls_back_to_quotes_even_with_one_supported_phrase(
        services_factory, docs: Path) -> None:
    reply = ("The Zephyr backup service listens on port 7431 [1]. Its penguins enjoy jazz on Tuesdays. "
             "The moon council audits it every leap year. Diesel heating failed in Brazil in 2019.")
    answer, _ = _ask(services_factory, docs, reply, "What port does the Zephyr backup service listen on?")
    assert answer.mode == "extractive" and "Most of the model's answer was not supported" in answer.note
    assert "penguins" not in answer.answer and any("7431" in s.text for s in answer.sentences)


INCIDENT = ("# INC-7 warehouse outage report\n\n"
            "The warehouse outage on the Tuesday stopped picking and loading across the whole warehouse.\n"
            "The outage report was approved by the warehouse operations board after its review.\n"
            "The direct cause was the failure of pump CWP-2 in the cooling system.\n"
            "The board met on 28 April to approve the report.\n")


@pytest.mark.parametrize(("question", "quoted"), [
    ("What caused the warehouse outage?", "pump CWP-2"),
    ("When was the outage report approved?", "28 April"),
    ("When did the board approve the report?", "28 April"),
])
def test_the_first_quote_states_the_kind_of_answer_asked_for(services_factory, tmp_path: Path, question: str,
                                                            quoted: str) -> None:
    # One passage: its sentences are quoted best first. The ones repeating the question's words answer nothing;
    # the one stating a cause (or a date) does.
    d = tmp_path / "incidents"
    d.mkdir()
    (d / "inc-7.md").write_text(INCIDENT)
    answer, _ = _ask(services_factory, d, "unused", question, extractive=True)
    assert quoted in answer.sentences[0].text, [s.text for s in answer.sentences]


@pytest.mark.parametrize(("question", "kind"), [
    ("What caused the warehouse outage in April?", "cause"),
    ("Why did revenue fall in 2023?", "cause"),
    ("What was the root cause of INC-2291?", "cause"),
    ("How long are daily restore points kept?", "duration"),
    ("How many hours did the outage last?", "duration"),
    ("When did the outage start?", "date"),
    ("What percentage of staff received the e-mail?", "percentage"),
    ("How many employees received the phishing email?", "count"),
    ("What is the hotel cost cap per night?", "amount"),
    ("Who was the incident commander?", "person"),
    ("What is the FY2018 capital expenditure amount for 3M?", "amount"),
    ("Which dock is the only reefer dock?", None),
])
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: str | None) -> None:
    from archivist.answer.kinds import expected

    assert expected(question) == kind


@pytest.mark.parametrize(("kind", "sentence", "carries"), [
    ("cause", "The direct cause was the failure of pump CWP-2.", True),
    ("cause", "Sales fell due to lower volumes.", True),
    ("cause", "This report describes the root cause (page 2).", False),
    ("cause", "Given our strong start to the year, we now expect revenue to rise 8 percent.", True),
    ("cause", "The increase was driven by higher prices.", True),
    ("cause", "Net income attributable to Acme rose to 1,200.", False),  # whose income, not why
    ("duration", "The outage lasted 6 hours and 47 minutes.", True),
    ("duration", "The outage affected site RTM-3.", False),
    ("date", "The report was approved on 28 April 2026.", True),
    ("date", "The system became unavailable at 02:13 CEST.", True),
    ("date", "The pump failed.", False),
    ("percentage", "Costs rose 3.1 percent.", True),
    ("count", "In 2026 the plan changed.", False),
    ("count", "212 employees received it.", True),
    ("amount", "The cap is EUR 165 a night.", True),
    ("person", "The incident commander was Ingrid Vos.", True),
])
def test_which_sentences_carry_that_kind(kind: str, sentence: str, carries: bool) -> None:
    from archivist.answer.kinds import carries as carries_kind

    assert carries_kind(kind, sentence) is carries


def test_a_quote_stating_the_cause_leads_even_from_a_later_passage(services_factory, tmp_path: Path) -> None:
    d = tmp_path / "incidents"
    d.mkdir()
    (d / "inc-8.md").write_text(
        "# INC-8 warehouse outage report\n\n"
        "The warehouse outage on the Tuesday stopped picking and loading across the whole warehouse.\n"
        "This report describes the warehouse outage and its root cause.\n\n"
        "## Root cause\n\n"
        "The direct cause was the failure of pump CWP-2 in the cooling system.\n")
    answer, _ = _ask(services_factory, d, "unused", "What caused the warehouse outage?", extractive=True)
    assert len({s.passage for s in answer.sentences}) == 2  # quotes from both passages
    assert "pump CWP-2" in answer.sentences[0].text and answer.sentences[0].passage == 1
    assert answer.citations[0].text.count("CWP-2")  # [1] is the passage stating the cause


def test_a_why_question_is_answered_by_a_sentence_not_a_table_row(services_factory, tmp_path: Path) -> None:
    # The statement table's rows share the question's words ("Acme", "full year", "guidance") and one says
    # "attributable to"; the reason is a sentence of the release that shares fewer.
    d = tmp_path / "release"
    d.mkdir()
    (d / "acme-q1.md").write_text(
        "# Acme first quarter results\n\n"
        "| Measure | Q1 2023 | Full year guidance |\n|---|---|---|\n"
        "| Net income attributable to Acme | (55) % | 4 |\n"
        "| Acme full year guidance raised, core EPS | 7.27 | 7.20 |\n\n"
        "## Outlook\n\n"
        "Given our strong start to the year, we now expect organic revenue to increase 8 percent.\n")
    answer, _ = _ask(services_factory, d, "unused", "As of FY2023Q1, why did Acme raise full year guidance?",
                     extractive=True)
    assert not answer.abstained
    assert "strong start" in answer.sentences[0].text
    assert not any("attributable" in s.text or "7.27" in s.text for s in answer.sentences), answer.answer


def test_a_tables_header_line_of_periods_is_never_a_quote() -> None:
    from archivist.answer.service import quote_candidates
    from archivist.index.store import ChunkRow
    from archivist.retrieve.hybrid import Hit

    text = ("Year Ended December 31 (Millions, except per share amounts) 2022 2021 2020\n"
            "Discount revenue $ 30,739 $ 24,563 $ 19,435\nNet card fees 6,070 5,195 4,664")
    row = ChunkRow(id=1, file_id=1, path=Path("/docs/acme.pdf"), folder_id=1, text=text, prefix="", page=96,
                   line_start=1, line_end=3, heading="Statements of Income (in millions) | 2022 | 2021 | 2020",
                   kind="pdf")
    assert [s for _i, s in quote_candidates([Hit(row, 0.03, 0.5, 0.5)])] == [
        "Discount revenue $ 30,739 $ 24,563 $ 19,435", "Net card fees 6,070 5,195 4,664"]


def test_a_tables_rows_are_quoted_one_by_one_when_its_columns_name_no_period() -> None:
    # A roll-forward's columns are the liability's parts: its heading names no period, and its rows are still
    # rows, never run together into one "sentence" of forty figures.
    from archivist.answer.service import quote_candidates
    from archivist.index.store import ChunkRow
    from archivist.retrieve.hybrid import Hit

    text = ("Severance Asset Impairments Other Costs Total\n"
            "Liability as of December 28, 2019 $ 128 $ — $ 21 $ 149\n2022 restructuring charges 243 33 135 411\n"
            "Cash payments (138) — (117) (255)\nLiability as of December 31, 2022 $ 233 $ — $ 39 $ 272")
    row = ChunkRow(id=1, file_id=1, path=Path("/docs/acme.pdf"), folder_id=1, text=text, prefix="", page=79,
                   line_start=1, line_end=5, heading="Restructuring (in millions)", kind="pdf")
    quotes = [s for _i, s in quote_candidates([Hit(row, 0.03, 0.5, 0.5)])]
    assert all(line in quotes for line in text.split("\n")[1:])
    assert not any("$ 149" in q and "411" in q for q in quotes)


@pytest.mark.parametrize(("question", "kind"), [
    ("Does Acme have an improving gross margin? If gross margin is not a useful metric, explain why.", None),
    ("As of FY2023Q1, why did Acme raise full year guidance?", "cause"),
    ("What drove the gross margin change in FY2022?", "cause"),
])
def test_only_the_questions_own_ask_counts_not_its_instructions(question: str, kind: str | None) -> None:
    from archivist.answer.kinds import expected

    assert expected(question) == kind
