"""Named errors of the analyzers; each message is one line that says what to do."""


class AnalyzerError(Exception):
    """Base class: the message is shown to the user as it is."""


class NotARepositoryError(AnalyzerError):
    """The path is not a git repository."""


class EmptyRepositoryError(AnalyzerError):
    """The repository has no commits."""


class ShallowRepositoryError(AnalyzerError):
    """The repository is a shallow clone, so its history is cut."""


class MissingRefError(AnalyzerError):
    """A branch, tag or commit named by the user does not exist."""


class CorruptRepositoryError(AnalyzerError):
    """git failed while reading objects of the repository."""


class NoFixesError(AnalyzerError):
    """The history has no bug-fix commits, so no label can be learned."""
