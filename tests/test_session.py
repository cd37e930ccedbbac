"""The intake session driven from code: no terminal, no files (tests/data/packs/mini)."""

from __future__ import annotations

from nmt_assess.models import Ruleset
from nmt_assess.session import Confirm, IntakeSession, Page, Question


def _question_id(session: IntakeSession) -> str:
    prompt = session.prompt()
    assert isinstance(prompt, Question)
    return prompt.finding.id


def test_screening_comes_first_with_its_heading(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    first = session.prompt()
    assert isinstance(first, Question) and first.finding.id == "age" and first.heading
    assert session.answer("40").kind == "answered"
    page = session.prompt()
    assert isinstance(page, Page)
    assert [f.id for f in page.findings] == ["a"]
    assert (page.number, page.pages, page.lines) == (1, 1, (("   1. A?",),))


def test_prompt_is_stable_until_answered(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    assert session.prompt() is session.prompt()


def test_an_invalid_answer_is_re_asked_with_the_same_message(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    reply = session.answer("200")
    assert (reply.kind, reply.message, reply.again) == ("retry", "200 is outside 0 to 120", True)
    assert _question_id(session) == "age"
    session.answer("40")
    reply = session.answer("maybe")
    assert reply.message == "Type numbers such as 1,4, or none."


def test_a_page_answer_sets_every_question_on_it(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    session.answer("40")
    session.answer("none")
    assert session.findings == {"age": 40, "a": False}


def test_back_undoes_the_last_answer_and_asks_it_again(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    session.answer("40")
    assert session.answer("b").kind == "back"
    assert session.findings == {}
    assert _question_id(session) == "age"


def test_back_with_nothing_answered_asks_the_same_question(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    assert session.answer("b").kind == "nothing_back"
    assert _question_id(session) == "age"


def test_why_explains_without_moving_on(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    reply = session.answer("?")
    assert reply.kind == "explain" and reply.finding is not None and reply.finding.id == "age"
    assert _question_id(session) == "age"


def test_an_urgent_flag_is_raised_at_once_and_offers_to_stop(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    session.answer("70")
    reply = session.answer("1")
    assert [flag.id for flag in reply.raised] == ["old_a"]
    assert session.prompt() == Confirm("urgent")
    assert [flag.id for flag in session.raised()] == ["old_a"]
    session.answer("y")
    assert session.finished and session.prompt() is None


def test_declining_to_stop_goes_on_asking(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    session.answer("70")
    session.answer("1")
    assert session.answer("n").kind == "declined"
    assert isinstance(session.prompt(), Question)


def test_done_finishes_and_the_answers_make_an_intake(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    session.client_id = "S-1"
    session.answer("40")
    assert session.answer("done").kind == "finished"
    assert session.prompt() is None
    intake = session.intake()
    assert (intake.id, dict(intake.findings)) == ("S-1", {"age": 40})
    assert "age: 40" in session.document_text()


def test_full_mode_asks_in_catalog_order_to_the_end(mini: Ruleset) -> None:
    session = IntakeSession(mini, adaptive=False)
    session.answer("40")
    session.answer("none")
    asked = []
    while (prompt := session.prompt()) is not None:
        assert isinstance(prompt, Question)
        asked.append(prompt.finding.id)
        session.answer("s")
    assert asked == ["c", "pain", "kind", "where", "b"]  # c: a screening check; b: an examination
    assert session.finished


def test_client_only_skips_the_therapists_checks(mini: Ruleset) -> None:
    session = IntakeSession(mini, client_only=True, adaptive=False)
    session.answer("40")
    session.answer("none")
    asked = []
    while (prompt := session.prompt()) is not None:
        asked.append(prompt.finding.id)  # type: ignore[union-attr]
        session.answer("s")
    assert "c" not in asked


def test_review_offers_each_answer_and_enter_keeps_it(mini: Ruleset) -> None:
    session = IntakeSession(mini)
    session.findings.update({"pain": 4, "b": True})
    session.review()
    prompt = session.prompt()
    assert isinstance(prompt, Question) and prompt.keeping and prompt.kept == 4
    assert session.answer("").kind == "kept"
    session.answer("n")
    assert session.prompt() is None
    assert session.findings == {"pain": 4, "b": False}
