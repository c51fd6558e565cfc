"""Process exit codes of the `aurora` command (DESIGN.md §2), declared once."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1  # a gate or check failed
    BAD_INPUT = 2  # bad input or configuration: one line on stderr, nothing committed
    KILLED = 3  # halted by the kill switch
    BREAKER = 4  # halted by a circuit breaker
    INTERRUPTED = 130  # SIGINT: stopped at a session boundary, resumable
    TERMINATED = 143  # SIGTERM: stopped at a session boundary, resumable
