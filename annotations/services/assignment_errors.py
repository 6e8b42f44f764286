"""Refusals of the annotator loop; each carries a message meant for the annotator."""


class AssignmentError(Exception):
    """A refused request; ``message`` is meant for the annotator."""

    code = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotInPool(AssignmentError):
    code = "not_in_pool"


class EvaluationClosed(AssignmentError):
    code = "closed"


class LeaseLost(AssignmentError):
    code = "lease_lost"


class AssignmentEnded(AssignmentError):
    code = "ended"


class InvalidAnswer(AssignmentError):
    code = "invalid"
