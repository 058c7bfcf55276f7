"""The partnership's measures (docs/domain.md): what each counts and how, in plain English."""

from __future__ import annotations

from dataclasses import dataclass

# Element ids of the shipped routes that the measures read (workflows/bpmn/*.bpmn).
CHILD_DECISION = "task_threshold_decision"
CHILD_ASSESSMENT = "task_cfa"
CONFERENCES = {
    "task_icpc": "Initial child protection conference",
    "task_first_review_conference": "First review child protection conference",
    "task_review_conference": "Review child protection conference",
    "task_cin_review": "Child in need review",
    "task_early_help_review": "Early Help review",
    "ut_convene_conference": "Context Conference convened",
}
CONTEXT_DECISION = "ut_decide_threshold"
CONTEXT_PLANS = ("ut_context_conference", "ut_panel_owned_plan")
PLAN_ACTIONS = ("ut_deliver_action_first", "ut_deliver_action_later")
REMEASURES = ("ut_remeasure_first", "ut_remeasure_later")
CONTEXT_CLOSE = "ut_close_context"

# The level a child with extra-familial harm is held at, from the manager's threshold decision.
EFH_LEVELS = {
    "nfa": "No further action", "advice": "Advice and signposting", "early_help": "Early Help",
    "cfa": "Child in Need (assessment)", "strategy": "Child Protection (strategy discussion)",
    "efh_pathway": "Extra-familial harm pathway",
}


@dataclass(frozen=True)
class Measure:
    """One measure: ``kind`` is "rate" (share meeting a test), "duration" (working days) or "count"."""

    key: str
    title: str
    kind: str
    process_id: str
    how: str
    yes_means: str = ""
    label_name: str = ""
    detail_name: str = ""


MEASURES: tuple[Measure, ...] = (
    Measure("referral_decision", "Referral decisions within 1 working day", "rate", "child_referral",
            "Child referrals whose threshold decision task was completed in the period. Met when it was completed "
            "no later than the same time on the first working day after the referral was received (bank holidays "
            "and local closure days are not working days). Working Together 2023.",
            "decided within 1 working day", "Decision"),
    Measure("re_referral", "Re-referrals within 12 months", "rate", "child_referral",
            "Child referrals received in the period. A re-referral is one about a child whose previous referral was "
            "decided (or, if never decided, received) 12 months or less before. National figure: 22% in 2024.",
            "re-referral", "Source"),
    Measure("assessment_45wd", "Assessments within 45 working days", "rate", "child_referral",
            "Child and family assessments completed in the period. Met when completed no later than 45 working "
            "days after the referral was received. Working Together 2023.",
            "within 45 working days", "Assessment outcome"),
    Measure("conference_on_time", "Conferences and reviews on time", "rate", "child_referral",
            "Conference and review tasks completed in the period that had a due date (set by the timescale that "
            "applied). Met when completed by that due date.",
            "on time", "Meeting"),
    Measure("context_referrals", "Contexts referred, by type and source agency", "count", "context_referral",
            "Referrals about contexts received in the period, by the context's type and the referrer's agency.",
            "", "Context type", "Source agency"),
    Measure("context_decision_time", "Time from context referral to decision", "duration", "context_referral",
            "Context threshold decisions made in the period: working days from the referral being received to the "
            "decision task being completed (median and 90th percentile). Met when within the local timescale.",
            "within the local timescale", "Route"),
    Measure("safety_plans", "Contexts with a safety plan", "rate", "context_referral",
            "Context Conferences and panels held in the period. Met when they agreed a Context Safety Plan.",
            "plan agreed", "Lead agency"),
    Measure("plan_actions", "Plan actions done on time, by agency", "rate", "context_referral",
            "Safety plan actions finished in the period (delivered, or cancelled when the review came). Met when "
            "recorded as done by the action's due date.",
            "done on time", "Agency"),
    Measure("goals_met", "Goals met at closure", "rate", "context_referral",
            "Contexts closed in the period. Met when the closure reason was that the goals were met.",
            "goals met", "Closure reason"),
    Measure("remeasured_change", "Re-measured change", "rate", "context_referral",
            "Goals re-measured in the period (one count per goal re-measured). Met when the result was better "
            "than at baseline. Detail says whether the measure was of change or of effort.",
            "better", "Direction", "Change or effort"),
    Measure("repeat_context_referrals", "Repeat context referrals", "rate", "context_referral",
            "Referrals about contexts received in the period. A repeat is a referral about a context that was "
            "already referred in the 12 months before, or one the front door matched to a known context.",
            "repeat", "Context type"),
    Measure("efh_level", "Level at which children with extra-familial harm are held", "count", "child_referral",
            "Threshold decisions made in the period on child referrals carrying an extra-familial harm code "
            "(EFH-*), by the level decided: Early Help, Child in Need, Child Protection or the extra-familial "
            "pathway.", "", "Level"),
)
STEP_MEASURE = "step_time"  # every completed task: working days at the step and breaches of its due date
BY_KEY = {m.key: m for m in MEASURES}
