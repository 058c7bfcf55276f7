"""The programme pages through the whole app: who sees what, the header link, a critical friend's question
and the CS lead's answer, the forms (CSRF, every problem shown, nothing stored on bad input) and the
trend's CSV, whose cells never run as spreadsheet formulas."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from engine.processes.deploy import deploy, read_paths
from engine.programme.duties import run_programme_duties
from engine.store.models import WorkItem
from engine.store.programme import Champion, CriticalQuestion, GovernanceMember, PilotReflection
from tests.support.case_data import ROOT
from tests.support.programme import programme_team
from tests.support.web import PASSWORD_HASH, post, sign_in
from web import create_app
from web.programme import _csv

READERS = ("lead", "friend", "chairperson", "root", "boss")
PAGES = ["/programme", "/programme/governance", "/programme/champions", "/programme/values", "/programme/questions",
         "/programme/trend", "/programme/pilots"]


@pytest.fixture
def papp(lite):
    """The app with the shipped routes and the programme's people, who can sign in."""
    programme_team(lite, PASSWORD_HASH)
    return create_app(lite, {"TESTING": True})


def _as(app, name: str):
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _count(svc, model) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("who", [*READERS, "worker"])
def test_the_programme_is_read_by_the_partnership_the_cs_lead_managers_admins_and_critical_friends(papp, who):
    client = _as(papp, who)
    statuses = {path: client.get(path).status_code for path in PAGES}
    assert set(statuses.values()) == ({200} if who in READERS else {403})
    inbox = client.get("/inbox").get_data(as_text=True)
    assert ('href="/programme"' in inbox) == (who in READERS)
    assert client.get("/programme/steps/plan").status_code == (200 if who in ("lead", "root") else 403)


def test_the_roadmap_page_shows_every_step_and_the_lead_sees_its_buttons(papp):
    page = _as(papp, "lead").get("/programme").get_data(as_text=True)
    for title in ("Get the right people on board", "Recruit and train champions", "Agree the values and approach",
                  "Find critical friends", "Map the current system", "RAG rate the system", "Develop a plan",
                  "Test, pilot and review", "RAG rate again and embed"):
        assert title in page
    assert "Call a governance meeting" in page and "Start a system review" in page
    assert "Call a governance meeting" not in _as(papp, "friend").get("/programme").get_data(as_text=True)


def test_a_critical_friend_asks_and_the_cs_lead_answers_on_the_question_page(papp, lite):
    friend = _as(papp, "friend")
    empty = post(friend, "/programme/questions", {"topic": "", "question": " "}, token_from="/programme/questions")
    assert empty.status_code == 422 and "Enter your question" in empty.get_data(as_text=True)
    assert _count(lite, CriticalQuestion) == 0
    asked = post(friend, "/programme/questions", {"topic": "review", "question": "Why is the context tier red?"},
                 token_from="/programme/questions")
    assert asked.status_code == 302
    with lite.db.read() as session:
        question = session.scalar(select(CriticalQuestion.id))
    assert "Send the answer" not in friend.get(f"/programme/questions/{question}").get_data(as_text=True)
    refused = post(friend, f"/programme/questions/{question}", {"question_answer": "Mine"},
                   token_from="/programme/questions")
    assert refused.status_code == 403
    lead = _as(papp, "lead")
    page = lead.get(f"/programme/questions/{question}").get_data(as_text=True)
    assert "Why is the context tier red?" in page and "Send the answer" in page
    blank = post(lead, f"/programme/questions/{question}", {"question_answer": ""}, token_from="/programme")
    assert blank.status_code == 422 and "Enter your answer" in blank.get_data(as_text=True)
    sent = post(lead, f"/programme/questions/{question}", {"question_answer": "Two partners assess contexts."},
                token_from="/programme")
    assert sent.status_code == 302
    for reader in (friend, _as(papp, "chairperson")):
        shown = reader.get("/programme").get_data(as_text=True)
        assert "Why is the context tier red?" in shown and "Two partners assess contexts." in shown


def test_the_cs_leads_task_in_the_inbox_shows_the_question_it_answers(papp, lite):
    friend = _as(papp, "friend")
    post(friend, "/programme/questions", {"topic": "measures", "question": "Who counts <b>bus routes</b>?"},
         token_from="/programme/questions")
    with lite.db.read() as session:
        instance = session.scalar(select(CriticalQuestion.instance_id))
        task = session.scalar(select(WorkItem.id).where(WorkItem.instance_id == instance))
    page = _as(papp, "lead").get(f"/tasks/{task}").get_data(as_text=True)
    assert "Who counts &lt;b&gt;bus routes&lt;/b&gt;?" in page  # shown, and escaped
    assert "The measures and insight" in page and "Asked by" in page


def test_adding_a_member_shows_every_problem_and_needs_the_cs_lead(papp, lite):
    lead = _as(papp, "lead")
    bad = post(lead, "/programme/governance/members", {"name": "", "agency": "nowhere"},
               token_from="/programme/governance")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter the member&#39;s name" in text and "Choose the member&#39;s agency" in text
    assert _count(lite, GovernanceMember) == 0
    other = post(_as(papp, "friend"), "/programme/governance/members", {"name": "Ash", "agency": "police"},
                 token_from="/programme/governance")
    assert other.status_code == 403 and _count(lite, GovernanceMember) == 0
    good = post(lead, "/programme/governance/members", {"name": "Ash Inspector", "agency": "police"},
                token_from="/programme/governance")
    assert good.status_code == 302 and "Ash Inspector" in lead.get("/programme/governance").get_data(as_text=True)


def test_posts_without_the_csrf_token_change_nothing(papp, lite):
    lead = _as(papp, "lead")
    response = lead.post("/programme/champions", data={"name": "Ash", "agency": "police", "team": "North"})
    assert response.status_code == 400 and _count(lite, Champion) == 0


def test_calling_a_meeting_opens_its_first_task(papp):
    response = post(_as(papp, "lead"), "/programme/governance/meetings", {}, token_from="/programme")
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]


def test_the_trend_downloads_as_csv(papp):
    response = _as(papp, "friend").get("/programme/trend?format=csv")
    assert response.mimetype == "text/csv"
    assert next(csv.reader(io.StringIO(response.get_data(as_text=True)))) == ["Domain", "Stage", "Tier",
                                                                               "Direction of travel"]


def test_csv_cells_never_run_as_formulas(papp):
    with papp.test_request_context():
        text = _csv((["=Review", "Rating"], [["=HYPERLINK(\"http://x.invalid\")", "+1"], ["-2", "@SUM(A1)"],
                                             ["\tTab", 3], [None, "Amber"]]), "t").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=Review", "Rating"], ["'=HYPERLINK(\"http://x.invalid\")", "'+1"], ["'-2", "'@SUM(A1)"],
                    ["'\tTab", "3"], ["", "Amber"]]


def test_a_pilots_reflection_page_shows_its_figures_to_those_who_read_the_measures(papp, lite, clock):
    files = read_paths([ROOT / "workflows" / "bpmn" / "critical_friend_question.bpmn",
                        ROOT / "forms" / "programme_question_answer.form"])
    pilot = files["critical_friend_question.bpmn"].replace(b'name="Record the answer"', b'name="Keep the answer"')
    deploy(lite, {**files, "critical_friend_question.bpmn": pilot}, actor="root",
           pilot_rule={"field": "topic", "equals": "review"})
    clock.advance(days=lite.settings.programme.pilot_reflection_days)
    assert run_programme_duties(lite).reflections_asked == 1
    with lite.db.read() as session:
        reflection = session.scalar(select(PilotReflection.id))
    lead = _as(papp, "lead").get(f"/programme/pilots/{reflection}").get_data(as_text=True)
    assert "Reflect on a pilot" in lead and "The pilot's figures beside the current route's" in lead
    assert "Managers, the CS lead, administrators and critical friends see the figures here" not in lead
    member = _as(papp, "chairperson").get(f"/programme/pilots/{reflection}").get_data(as_text=True)
    assert "Managers, the CS lead, administrators and critical friends see the figures here" in member
    assert "Critical friend&#39;s question, version 2" in member  # the route's name, not its id
