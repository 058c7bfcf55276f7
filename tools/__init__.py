"""Developer tools for frontdoor (diagram layout and similar)."""
