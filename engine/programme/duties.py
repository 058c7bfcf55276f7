"""What the scheduler's tick does for the programme: training renewal reminders, asking for pilot reflections
and carrying out pilot decisions. Each is due work in the database, claimed so it happens once
(docs/decisions.md, D7)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select

from engine.programme.champions import raise_renewal_reminders, renewals_due_query
from engine.programme.pilot_decision import carry_out_decisions
from engine.programme.reflections import ask_for_reflections, reflections_due_query
from engine.runtime.services import Services
from engine.store.programme import PilotReflection


@dataclass(frozen=True)
class ProgrammeDuties:
    """What one run did."""

    training_reminders: int = 0
    reflections_asked: int = 0
    decisions_carried_out: int = 0

    @property
    def total(self) -> int:
        """Everything done."""
        return self.training_reminders + self.reflections_asked + self.decisions_carried_out


def programme_due_query(svc: Services) -> Select:
    """One row when anything of the programme is due now (part of the tick's single idle check)."""
    pending = select(PilotReflection.id).where(PilotReflection.outcome_status == "pending")
    return select(1).where(or_(exists(renewals_due_query(svc)), exists(reflections_due_query(svc)),
                               exists(pending)))


def run_programme_duties(svc: Services, limit: int = 100) -> ProgrammeDuties:
    """Raise due reminders, ask for due reflections and carry out recorded decisions, at most ``limit`` each."""
    return ProgrammeDuties(raise_renewal_reminders(svc, limit), ask_for_reflections(svc, limit),
                           carry_out_decisions(svc, limit))
