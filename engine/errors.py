"""Domain errors with stable codes; the web layer and the CLI map them in one place each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FrontdoorError(Exception):
    """Base of every error a person or a partner system may see; ``code`` is a stable contract."""

    code = "error"
    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form used by the CLI's --json output and the API's problem+json body."""
        return {"code": self.code, "message": self.message, **self.details}


@dataclass(frozen=True)
class Problem:
    """One deploy-time validation problem, tied to the BPMN/DMN/form element it concerns."""

    element_id: str
    message: str
    file: str = ""
    kind: str = "error"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {"element_id": self.element_id, "message": self.message, "file": self.file}


class InvalidProcess(FrontdoorError):
    """A deploy was rejected; ``problems`` lists every problem found, not just the first."""

    code = "invalid_process"
    status = 422

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = problems
        super().__init__(message or f"{len(problems)} problem(s) found; nothing was deployed")

    def to_dict(self) -> dict[str, Any]:
        """Every problem, in file/element order."""
        return {"code": self.code, "message": self.message, "problems": [p.to_dict() for p in self.problems]}


class InvalidFormData(FrontdoorError):
    """Submitted data failed the form's rules; ``errors`` maps a field key to its messages."""

    code = "invalid_form_data"
    status = 422

    def __init__(self, errors: dict[str, list[str]], message: str = "The form has errors") -> None:
        self.errors = errors
        super().__init__(message, errors=errors)


class TaskAlreadyCompleted(FrontdoorError):
    """Someone else finished the work item first."""

    code = "task_already_completed"
    status = 409


class Conflict(FrontdoorError):
    """A concurrent change won (stale version, work item claimed by someone else)."""

    code = "conflict"
    status = 409


class NotPermitted(FrontdoorError):
    """The actor may not do this; access checks fail closed."""

    code = "not_permitted"
    status = 403


class NotFound(FrontdoorError):
    """No such thing (or the actor may not know it exists)."""

    code = "not_found"
    status = 404


class ExpressionError(FrontdoorError):
    """An expression could not be parsed or was refused by the safe evaluator."""

    code = "invalid_expression"
    status = 422


class WorkflowFailed(FrontdoorError):
    """A workflow step raised; everything was rolled back. ``element_id`` names the BPMN element."""

    code = "workflow_failed"
    status = 422


class InvalidSetting(FrontdoorError):
    """A setting from the environment that cannot be used; the process refuses to start."""

    code = "invalid_setting"
    status = 500
