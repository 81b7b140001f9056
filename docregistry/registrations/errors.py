"""The refusals of a move, in a leaf module: the services and the register both raise them."""


class TransitionError(Exception):
    """A move that may not happen; ``message`` is for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class AlreadyHandled(TransitionError):
    """Someone else moved the application first."""


class NotAllowed(TransitionError):
    """This user may not make this move on this application."""
