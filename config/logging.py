"""Logging filters."""

import logging
import re


class ForbiddenOnOneLine(logging.Filter):
    """A refused request (403) is an everyday event, not a fault: log its line without the
    traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class NoLinkSecrets(logging.Filter):
    """A provider link's secret is in the address it opens (once; see portal.views): keep it out of
    every log line, the development server's request lines and Django's 404 warnings included."""

    SECRET = re.compile(r"pgl_[A-Za-z0-9_-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "pgl_" in message:
            record.msg = self.SECRET.sub("pgl_[hidden]", message)
            record.args = ()
        return True
