"""The exchange calendar a snapshot's dates are sessions of, when nothing names another.

A module of its own so that light readers (`aurora status`, the evening's
quick answers, the CLI's option defaults) name the default without loading
``data.sessions`` (numpy, pyarrow, exchange-calendars).
"""

DEFAULT_CALENDAR = "XNYS"
