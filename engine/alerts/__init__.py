"""What people are told: in-app notifications (reminders, escalations, breaches) and who to tell."""
