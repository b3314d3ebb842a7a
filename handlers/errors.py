"""Errors raised by product logic and translated at the edge."""


class KoubeiError(Exception):
    """Base of every error the product raises on purpose."""


class NotAllowed(KoubeiError):
    """The actor may not do this (e.g. a customer tapping a staff button)."""


class InvalidAnswer(KoubeiError):
    """An answer that does not fit the question; the customer is asked again."""
