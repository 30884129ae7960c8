import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_viewer_reads_everything_and_changes_nothing():
    user = UserFactory(groups=["viewer"])
    for perm in [
        "vendors.view_provider",
        "scope.view_workitem",
        "pilots.view_pilot",
        "pilots.view_flag",
        "vendors.view_industry",
    ]:
        assert user.has_perm(perm), perm
    for perm in [
        "vendors.add_provider",
        "vendors.change_provider",
        "scope.change_workitem",
        "pilots.add_measurement",
        "pilots.change_flag",
    ]:
        assert not user.has_perm(perm), perm


def test_editor_writes_domain_data_but_not_reference_data():
    user = UserFactory(groups=["editor"])
    for perm in [
        "vendors.add_provider",
        "vendors.change_providercertification",
        "scope.add_workitem",
        "scope.add_score",
        "pilots.change_pilot",
        "pilots.add_measurement",
        "pilots.change_flag",
        "pilots.add_decision",
        "vendors.view_industry",
    ]:
        assert user.has_perm(perm), perm
    for perm in [
        "vendors.change_industry",
        "vendors.add_certificationtype",
        "vendors.delete_serviceline",
        "auth.change_user",
    ]:
        assert not user.has_perm(perm), perm


def test_groups_cover_every_domain_model():
    from django.apps import apps

    viewer = set(Group.objects.get(name="viewer").permissions.values_list("codename", flat=True))
    for model in apps.get_models():
        if model._meta.app_label in {"vendors", "scope", "pilots"} and not model.__name__.startswith("Historical"):
            personal = model._meta.model_name in {"digestpreference", "digestdelivery"}
            assert (f"view_{model._meta.model_name}" in viewer) != personal, model
