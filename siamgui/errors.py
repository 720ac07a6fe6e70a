"""One base class for every failure a user can cause, and the one translator per front end.

Anything raised as a :class:`UserError` carries the sentence a user reads (a missing file, a
silent clip, a model without a card, a read-only gallery); the UI shows it in place, the CLI
prints it as one line and exits non-zero. Every other exception is a programming error and is
reported as one ("Unexpected error ..."), never dressed up as the user's fault.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure caused by the input or the environment, with a message meant for the user."""


def user_message(exc: BaseException) -> str:
    """The sentence to show for ``exc``: its own for user errors, a plain 'Unexpected error' otherwise."""
    if isinstance(exc, UserError):
        return str(exc).strip() or type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        name = getattr(exc, "filename", None)
        return f"{name}: file not found" if name else (str(exc).strip() or "file not found")
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"Unexpected error ({type(exc).__name__}{': ' + first if first else ''})"


def is_expected(exc: BaseException) -> bool:
    """True for failures a user can cause (shown without a traceback)."""
    return isinstance(exc, (UserError, FileNotFoundError))


# Exit codes of every command (README, "Exit codes"): 0 done; 1 only for a bug in SiamGUI; 2 for
# a user error (a bad file, option, value or environment), refused before or instead of the work;
# 3 when a command handled some files and refused others, saying how many of each.
EXIT_BUG = 1
EXIT_USER_ERROR = 2
EXIT_PARTIAL = 3


def partial_exit(done: int, refused: int) -> int:
    """0 when nothing was refused, 3 when some files were handled and others refused, 2 when
    every one was refused (then nothing came out of the command but errors)."""
    if not refused:
        return 0
    return EXIT_PARTIAL if done else EXIT_USER_ERROR
