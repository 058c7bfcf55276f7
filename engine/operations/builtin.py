"""Operations every installation has. Safeguarding topics live in their own modules by area."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import engine.operations.plans  # noqa: F401  (plan topics register on import)
import engine.operations.safeguarding  # noqa: F401  (safeguarding topics register on import)
import engine.operations.subject_access  # noqa: F401  (subject access topics register on import)
from engine.runtime.operations import OPERATIONS, OperationContext


@OPERATIONS.register("demo_lookup")
def demo_lookup(ctx: OperationContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Demo/test topic: says whether the instance's case reference is already known."""
    return {"known_to_services": bool(ctx.case_ref)}
