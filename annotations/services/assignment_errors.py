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


class EvaluationStopped(EvaluationClosed):
    """The evaluation's stopping rule was met (docs/sequential.md): no new pairs are
    handed out; answers to leases already held are still stored."""

    code = "stopped"


class Paused(AssignmentError):
    """An admin (or the quality checks) paused the annotator in this evaluation."""

    code = "paused"


class QuotaDone(AssignmentError):
    """The annotator has rated as many pairs as their quota allows."""

    code = "quota_done"

    def __init__(self, message: str = "You have done your share: thank you!"):
        super().__init__(message)


class LeaseLost(AssignmentError):
    code = "lease_lost"


class AssignmentEnded(AssignmentError):
    code = "ended"


class InvalidAnswer(AssignmentError):
    """A bad value in an answer: ``field`` names it, ``reason`` says what is wrong;
    the message reads "field: reason"."""

    code = "invalid"

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class PairsBusy(AssignmentError):
    """Every pair open to the annotator is locked by other clicks right now.

    Raised at once by a lease that must not wait, and by one that waited its retries
    out: pairs are still open, so "nothing left" would be untrue (and, for a
    client that stops on it, would leave a pair short of its N ratings).
    """

    code = "busy"

    def __init__(
        self,
        message: str = "Every open pair is being handed out right now; try again in a moment.",
    ):
        super().__init__(message)
