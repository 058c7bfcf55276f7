"""One head: merge the feature branches of the schema (accounts, cases, clocks, break glass, API tokens,
insight, the form library, the timer lease order) so every later revision has a single parent.

Revision ID: 0010_one_head
Revises: 0004_clocks, 0005_break_glass, 0006_api_tokens, 0007_insight, 0008_form_library, 0009_timer_lease_order
"""

from __future__ import annotations

revision = "0010_one_head"
down_revision = ("0004_clocks", "0005_break_glass", "0006_api_tokens", "0007_insight", "0008_form_library",
                 "0009_timer_lease_order")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the merge only joins the branches."""


def downgrade() -> None:
    """Nothing to change: the merge only joins the branches."""
