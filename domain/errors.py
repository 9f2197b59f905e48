"""Why a game event is refused. Every guard raises a subclass of GameRuleError."""


class GameRuleError(Exception):
    """An event breaks a rule of its game or sport; ``field`` names the culprit."""

    field: str = ""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field or type(self).field


class UnknownGameError(GameRuleError):
    field = "game_id"


class WrongSportError(GameRuleError):
    field = "sport"


class EventTypeNotInSportError(GameRuleError):
    field = "event_type"


class TeamNotInGameError(GameRuleError):
    field = "team_id"


class MissingTeamError(GameRuleError):
    field = "team_id"


class InvalidPeriodError(GameRuleError):
    field = "period"


class ScoringOutsidePlayError(GameRuleError):
    field = "event_type"


class GameAlreadyStartedError(GameRuleError):
    field = "event_type"


class GameAlreadyFinalError(GameRuleError):
    field = "event_type"


class UnknownReferenceError(GameRuleError):
    field = "references_event_id"


class InvalidRevisionError(GameRuleError):
    field = "references_event_id"


class TeamsChangedError(GameRuleError):
    field = "schedule"


class EventConflictError(GameRuleError):
    """The same ``event_id`` arrived again with different content."""

    field = "event_id"


class ProviderDisagreementError(GameRuleError):
    """Two providers report different plays at one sequence number of a game."""

    field = "sequence_number"
