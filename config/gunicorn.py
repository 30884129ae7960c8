"""The production web server: `gunicorn -c python:config.gunicorn` (see the README's deploy section).

Read from the environment: HOST and PORT (where to listen), WEB_CONCURRENCY (worker processes,
default 2), WEB_THREADS (threads per worker, default 1), WEB_TIMEOUT (seconds before a stuck
worker is replaced, default 30), FORWARDED_ALLOW_IPS (the proxies whose X-Forwarded-* headers
are trusted, default 127.0.0.1).
"""

import os

from gunicorn import glogging

from config.logging import NoLinkSecrets

wsgi_app = "config.wsgi:application"
bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]  # noqa: S104 - behind a proxy
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# Recycle a worker now and then, so slow growth in one process never becomes an outage.
max_requests = 5000
max_requests_jitter = 500


class RedactingLogger(glogging.Logger):
    """Gunicorn's request and error lines without provider-link secrets (the address a link opens
    holds its secret once, before the redirect)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            for handler in log.handlers:
                handler.addFilter(NoLinkSecrets())


logger_class = RedactingLogger
