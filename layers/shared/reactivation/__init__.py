"""Patient reactivation: find the gaps in patients' care, contact them, route replies, report."""
