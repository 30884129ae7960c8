"""Logging filters."""

import logging


class ForbiddenOnOneLine(logging.Filter):
    """A refused request (403) is an everyday event, not a fault: log its line without the
    traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
