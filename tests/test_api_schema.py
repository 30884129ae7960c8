"""Schemathesis against the live schema: generated requests to every operation, as an editor's
token, find no server error and no response that breaks the schema. `SCHEMATHESIS_EXAMPLES`
raises the number of requests per operation for a long attack run."""

import datetime
import os
from decimal import Decimal

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.tokens import token_create
from tests.factories import FlagFactory, MeasurementFactory, UserFactory
from tests.pilots.helpers import metric, monday, running_pilot

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))


@pytest.fixture
def api_schema(live_server):
    today = timezone.localdate()
    pilot = running_pilot(today=today, weeks_running=4)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98"))
    MeasurementFactory(metric=m, period_start=monday(today) - datetime.timedelta(weeks=1), value=Decimal("97"))
    FlagFactory(pilot=pilot, metric=m)
    _, secret = token_create(user=UserFactory(groups=["editor"]), name="schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", headers=headers)
    schema.config.headers = headers
    return schema


def test_no_server_error_and_every_response_matches_the_schema(api_schema, live_server):
    headers = api_schema.config.headers
    failures, operations, answered = [], 0, []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case):
            response = case.call_and_validate(
                base_url=live_server.url, headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )
            answered.append(response.status_code)

        try:
            call()
        except Exception as error:  # each operation's failure, reported together
            failures.append(f"{operation.label}: {str(error)[:3000]}")
    assert failures == []
    assert operations >= 15
    # Authenticated and answered: many requests succeed (random ids are mostly 404s), none is refused as anonymous.
    assert 401 not in answered and sum(200 <= status < 300 for status in answered) > len(answered) / 10
