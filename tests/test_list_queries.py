"""Each list page (and the dashboard) runs the same number of queries for 5 rows as for 50 (pinned here)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import logged_in_client
from tests.factories import (
    CertificationTypeFactory,
    DeliveryCenterFactory,
    FlagFactory,
    IndustryExperienceFactory,
    PilotFactory,
    ProviderCertificationFactory,
    ProviderFactory,
    ServiceLineFactory,
    SuccessMetricFactory,
    UserFactory,
    WorkItemFactory,
)

pytestmark = pytest.mark.django_db


def providers(n):
    line = ServiceLineFactory()
    for _ in range(n):
        provider = ProviderFactory()
        provider.service_lines.add(line)
        DeliveryCenterFactory(provider=provider)
        ProviderCertificationFactory(provider=provider)
        IndustryExperienceFactory(provider=provider)
        PilotFactory(provider=provider)


def work_items(n):
    cert = CertificationTypeFactory()
    for _ in range(n):
        item = WorkItemFactory(owner=UserFactory())
        item.required_certifications.add(cert)
        SuccessMetricFactory(work_item=item)


def pilots(n):
    for _ in range(n):
        pilot = PilotFactory()
        FlagFactory(pilot=pilot)


def flags(n):
    for _ in range(n):
        FlagFactory(acknowledged_by=UserFactory(), acknowledged_at="2026-01-01T00:00Z")


def dashboard(n):
    """Pilots under way in every state, some past their decision date with proof, flags, certificates."""
    import datetime

    from django.utils import timezone

    from pilots.choices import PilotStatus
    from tests.pilots.helpers import measure_weeks, metric, running_pilot

    today = timezone.localdate()
    states = [PilotStatus.RUNNING, PilotStatus.PAUSED, PilotStatus.IN_REVIEW, PilotStatus.PASSED]
    for i in range(n):
        pilot = running_pilot(today=today, status=states[i % 4], ends_on=today - datetime.timedelta(days=i % 3))
        measure_weeks(metric(pilot), today=today, values=["99"] * 4)
        FlagFactory(pilot=pilot, severity="warning")
        ProviderCertificationFactory(provider=pilot.provider, expires_on=today + datetime.timedelta(days=10))


# page, builder, variants of the query string, queries per request
PAGES = [
    (
        "vendors:provider-list",
        providers,
        ["", "?sort=-open_pilots&location_class=offshore&status=prospect", "?_export=csv"],
        13,
    ),
    ("scope:workitem-list", work_items, ["", "?readiness=ready&sort=-volume", "?_export=csv"], 10),
    ("pilots:pilot-list", pilots, ["", "?has_open_flags=true&severity=critical&sort=worst_flag"], 8),
    ("pilots:flag-list", flags, ["", "?state=open&sort=pilot"], 7),
    ("dashboard", dashboard, [""], 18),  # the gate reads open disputes too
]


@pytest.mark.parametrize(("name", "build", "variants", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_list_queries_do_not_grow_with_rows(name, build, variants, expected):
    client = logged_in_client(UserFactory(groups=["editor"]))
    counts = {}
    build(5)
    for size in (5, 50):
        if size == 50:
            build(45)
        for variant in variants:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse(name) + variant)
                if response.streaming:
                    b"".join(response.streaming_content)  # an export reads its rows as it streams
            assert response.status_code == 200
            counts[(size, variant)] = len(queries)
    for variant in variants:
        assert counts[(5, variant)] == counts[(50, variant)], (variant, counts)
    assert counts[(50, variants[0])] == expected, counts
