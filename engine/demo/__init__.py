"""The fictional demo: its cast (agencies and people), the shipped routes deployed, and stories that
leave children and contexts at different stages of their routes (``frontdoor demo``)."""
