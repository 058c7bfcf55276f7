"""Forms as data: bpmn.io form-js definitions, parsed at deploy, compiled to validators (docs/decisions.md, D4)."""

from engine.forms.definition import Field, FormDefinition, parse_form
from engine.forms.posted import data_from_post, data_path, field_name
from engine.forms.validation import required_message, validate_submission

__all__ = [
    "Field",
    "FormDefinition",
    "data_from_post",
    "data_path",
    "field_name",
    "parse_form",
    "required_message",
    "validate_submission",
]
