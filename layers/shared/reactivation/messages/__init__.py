"""The approved message library (data, rendered by reactivation.domain.messages)."""
