"""Work: a person's inbox, and acting on work items (claim, unclaim, reassign, draft, complete)."""
