"""User-facing errors.

Anything a user can fix (their data, their config) raises a ``CoprodError`` whose message names
the file, column, key or value. The Snakemake adapters print only that message to the console and
keep the full traceback in the rule's log, so a user never sees a bare traceback for a mistake of
theirs. Unexpected exceptions still show in the log in full.
"""


class CoprodError(Exception):
    """A problem with the user's input that they can fix; the message says what and where.

    ``argument``: the argument of a library call that was wrong (the engine's errors name their
    arguments, and the message then starts ``"<argument>: "``), so that a caller who took the
    value from elsewhere names it as its own user knows it (:meth:`renamed`: the pipeline says
    ``design.fay_rho`` where the engine says ``rho``).
    """

    def __init__(self, *args: object, argument: str | None = None) -> None:
        super().__init__(*args)
        self.argument = argument

    def renamed(self, name: str) -> "CoprodError":
        """The same error (same class, no argument) with its leading argument name replaced by
        ``name``: for a caller that re-raises it in its own vocabulary."""
        text = str(self)
        if self.argument and text.startswith(f"{self.argument}: "):
            text = f"{name}: {text[len(self.argument) + 2:]}"
        return type(self)(text)


class ConfigError(CoprodError):
    """The configuration or codebook is wrong (a key, a type, an impossible value)."""


class DataError(CoprodError):
    """A data file does not fit the codebook (missing column, unknown code, wrong type, no rows)."""


class ModelError(CoprodError):
    """A model cannot be estimated as asked (for example, collinear terms)."""


def clip(value, limit: int = 80) -> str:
    """A value as quoted in a one-line message: at most ``limit`` characters, then how long it
    was (a 1 MB cell must not become a 1 MB "line")."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def console(exc, limit: int = 1000) -> str:
    """An error's message as the console shows it: each line at most ``limit`` characters (a
    name or value nobody cut still cannot flood the terminal; the log keeps it whole)."""
    return "\n".join(clip(line, limit) for line in str(exc).splitlines())
