"""State changes of providers: every status change is a named transition of `vendors.lifecycle`,
recorded in the provider's history with who made it and why."""

from django.core.exceptions import ValidationError
from django.db import transaction

from config.fields import delete_unreferenced_file
from config.lifecycle import save_status

from .choices import ProviderStatus
from .lifecycle import BEFORE_PILOTING, LIFECYCLE
from .models import Provider, ProviderCertification


def _move(provider: Provider, *, status: str, by, reason: str) -> Provider:
    return save_status(provider, status=status, by=by, reason=reason)


def _locked(provider: Provider) -> Provider:
    return Provider.objects.select_for_update().get(pk=provider.pk)


@transaction.atomic
def provider_perform(*, provider: Provider, action: str, by=None, reason: str = "") -> Provider:
    """A transition people make: shortlist, activate, block (with a reason), unblock, offboard,
    reconsider. The others follow from pilots and have their own functions below."""
    if action not in LIFECYCLE or not LIFECYCLE[action].manual:
        raise ValidationError(f"There is no provider action called '{action}'.")
    provider = _locked(provider)
    transition = LIFECYCLE.require(action, provider)
    if action == "block":
        if not reason.strip():
            raise ValidationError({"blocked_reason": "Say why the provider is blocked."})
        provider.blocked_reason = reason.strip()
    elif action == "unblock":
        provider.blocked_reason = ""
    cause = f": {reason.strip()}" if reason.strip() else ""
    return _move(provider, status=transition.target, by=by, reason=f"{transition.done.capitalize()}{cause}")


def _follow(provider: Provider, action: str, *, by, cause: str) -> Provider:
    """Take a transition that follows from a pilot, when the provider's status allows it; a provider
    already further along (e.g. approved when a later stage starts) stays where it is."""
    provider = _locked(provider)
    if LIFECYCLE.allows(action, provider.status):
        _move(provider, status=LIFECYCLE[action].target, by=by, reason=cause)
    return provider


@transaction.atomic
def provider_shortlist_for(*, provider: Provider, by=None, cause: str) -> Provider:
    """A prospect shortlisted for a work item is shortlisted."""
    return _follow(provider, "shortlist", by=by, cause=cause)


@transaction.atomic
def provider_mark_piloting(*, provider: Provider, by=None, cause: str = "Pilot started") -> str:
    """A pilot with the provider started; returns the status it had before, for a later stop."""
    before = _locked(provider).status
    _follow(provider, "start_piloting", by=by, cause=cause)
    return before


@transaction.atomic
def provider_approve(*, provider: Provider, by=None, cause: str) -> Provider:
    """A pilot with the provider passed its gate and grew: the provider is approved."""
    return _follow(provider, "approve", by=by, cause=cause)


@transaction.atomic
def provider_activate(*, provider: Provider, by=None, cause: str) -> Provider:
    """The relationship is established (a stage at full share, or the owner says so)."""
    provider = _follow(provider, "approve", by=by, cause=cause)
    return _follow(provider, "activate", by=by, cause=cause)


@transaction.atomic
def provider_restore(*, provider: Provider, status: str, by=None, cause: str) -> Provider:
    """A stopped pilot returns its provider to the status it had before piloting, unless another
    pilot still keeps it piloting (the caller says so by not calling) or it has moved on since."""
    provider = _locked(provider)
    if provider.status == ProviderStatus.PILOTING and status in BEFORE_PILOTING:
        _move(provider, status=status, by=by, reason=cause)
    return provider


def evidence_discard_on_commit(name: str) -> None:
    """Delete a replaced or removed evidence file once the change is committed, unless another
    certification still points at it (a rolled-back change keeps its file)."""
    field = ProviderCertification._meta.get_field("evidence")
    transaction.on_commit(lambda: delete_unreferenced_file(field, name))
