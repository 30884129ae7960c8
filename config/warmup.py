"""Ready a web process before its first request.

Every request leaves reference cycles (model instances and the querysets that cache them) that only
the collector's oldest generation frees, and each such pass walks every object the process holds:
Django, its apps and their modules, some 130,000 of them. Importing the URLconf (and so every view)
up front and then freezing what exists moves all of that out of the collector's sight, so those
passes cost a few milliseconds rather than about a hundred. Python recommends the same before a
pre-forking server forks its workers.
"""

import gc

from django.urls import get_resolver


def prepare_process() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports every URLconf and view now, not on the first request
    gc.collect()  # what is garbage already need not be kept for ever
    gc.freeze()
