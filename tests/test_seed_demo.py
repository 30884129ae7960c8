import io

import pytest
from django.apps import apps
from django.core.management import call_command

from pilots.choices import PilotStatus
from pilots.models import Measurement, Pilot
from scope.models import WorkItem
from scope.readiness import readiness_problems
from vendors.choices import CertificationStatus, LocationClass
from vendors.models import DeliveryCenter, Provider, ProviderCertification

pytestmark = pytest.mark.django_db


def row_counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"vendors", "scope", "pilots", "auth"}
    }


def test_seed_demo_is_realistic_and_idempotent():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "editor / pilotgate-editor" in out.getvalue()
    first = row_counts()

    assert 25 <= Provider.objects.count() <= 40
    assert {c.location_class for c in DeliveryCenter.objects.all()} == set(LocationClass.values)
    statuses = {c.status for c in ProviderCertification.objects.all()}
    assert {CertificationStatus.EXPIRING, CertificationStatus.EXPIRED, CertificationStatus.VALID} <= statuses
    assert 12 <= WorkItem.objects.count() <= 20
    assert {w.kind for w in WorkItem.objects.all()} == {"process", "knowledge"}
    assert any(readiness_problems(w) for w in WorkItem.objects.all())
    assert 8 <= Pilot.objects.count() <= 12
    assert len({p.status for p in Pilot.objects.all()}) >= 6
    running = Pilot.objects.filter(status=PilotStatus.RUNNING)
    for pilot in running:
        weeks = Measurement.objects.filter(metric__pilot=pilot).values("period_start").distinct().count()
        assert 7 <= weeks <= 16, (pilot, weeks)

    call_command("seed_demo", stdout=io.StringIO())
    assert row_counts() == first


def test_if_empty_leaves_existing_data_alone():
    Provider.objects.create(name="Own data Ltd", headquarters_country="GB")
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "already has data" in out.getvalue()
    assert Provider.objects.count() == 1


def test_scale_builds_bulk_volumes_once(settings):
    from pilots import demo

    settings.DEBUG = False
    original = dict(demo.PER_SCALE)
    demo.PER_SCALE.update(providers=50, work_items=10, pilots=20, periods=4)
    try:
        call_command("seed_demo", "--scale", "1", stdout=io.StringIO())
        assert Provider.objects.filter(name__startswith="Scale provider").count() == 50
        assert Measurement.objects.filter(metric__pilot__name__startswith="Scale").count() == 20 * 5 * 4
        call_command("seed_demo", "--scale", "1", stdout=io.StringIO())
        assert Pilot.objects.filter(name__startswith="Scale").count() == 20
    finally:
        demo.PER_SCALE.clear()
        demo.PER_SCALE.update(original)
