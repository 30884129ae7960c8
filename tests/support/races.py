"""Requests sent at the same moment from several threads, as double clicks and busy teams do."""

import threading

from django.db import connection
from django.test import Client


def clients_of(user, count: int) -> list[Client]:
    """`count` signed-in browsers of one person; a server error comes back as a 500, not raised."""
    clients = []
    for _ in range(count):
        client = Client(raise_request_exception=False)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        clients.append(client)
    return clients


def race(calls: list) -> list:
    """Run the calls from threads released together; returns what they returned."""
    results, barrier = [], threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(5)
            results.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
