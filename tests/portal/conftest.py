from decimal import Decimal

import pytest

from tests.factories import ContactFactory, UserFactory
from tests.pilots.helpers import metric, running_pilot

from .helpers import TODAY


@pytest.fixture
def pilot_and_contact():
    owner = UserFactory(groups=["editor"], email="owner@example.com", first_name="Olive", last_name="Owner")
    pilot = running_pilot(today=TODAY, weeks_running=6, weeks_left=0, ends_on=TODAY, owner=owner)
    accuracy = metric(pilot, name="Refund accuracy", unit="%", target=Decimal("98"), min_samples=4)
    contact = ContactFactory(provider=pilot.provider, name="Priya Provider", email="priya@provider.example")
    return pilot, accuracy, contact
