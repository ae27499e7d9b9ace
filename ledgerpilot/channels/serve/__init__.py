"""``ledgerpilot serve``: one process with the schedule, the Discuss bot, the webhook receiver and the approval page."""
