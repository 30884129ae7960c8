"""The weekly digest: what needs each person's attention, built once for the whole portfolio and
then cut per person, and sent exactly once per person and week.

Building is set-based: a fixed number of queries for the portfolio, none per person. Sending
claims a `DigestDelivery` row (user, week start) before the email goes out and marks it sent
after, so a retried, duplicated or concurrent run never sends twice; one failing recipient is
recorded and never stops the others.
"""

import datetime
import logging
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from config.formatting import day
from config.mail import SERVER_DOWN
from vendors.models import ProviderCertification

from .choices import FlagKind
from .gate import GateAnswer, pilots_ready_to_expand
from .lifecycle import UNDER_WAY
from .models import DigestDelivery, Dispute, Flag, Pilot
from .notifications import STALE_CLAIM
from .periods import period_start
from .selectors import decisions_due, expiring_certifications, portfolio_counts

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 100  # every five minutes: more than a working day of mail-server outage


def week_start_for(moment: datetime.datetime | None = None) -> datetime.date:
    """The Monday of the week the digest reports on, in the organisation's time zone."""
    return period_start(timezone.localdate(moment), "weekly")


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


@dataclass
class Portfolio:
    """Everything any digest of this week can show, loaded once."""

    today: datetime.date
    open_flags: list[Flag]
    resolved_flags: list[Flag]  # resolved in the last weeks, filtered per person by their last digest
    decisions_due: list[Pilot]  # overdue first, then the next 14 days
    ready_to_expand: list[tuple[Pilot, GateAnswer]]
    certifications: list[ProviderCertification]
    counts: dict[str, int]
    disputes: list[Dispute] = field(default_factory=list)  # open, oldest first
    cuts: dict = field(default_factory=dict)


def load_portfolio(*, today: datetime.date | None = None, since: datetime.datetime | None = None) -> Portfolio:
    """Read the portfolio once for every digest of the week. `since` bounds the resolved flags
    (the oldest "last digest" among the recipients)."""
    today = today or timezone.localdate()
    since = since or timezone.now() - datetime.timedelta(days=8)
    flags = Flag.objects.select_related("pilot__provider", "pilot__owner", "metric")
    open_flags = list(flags.filter(resolved_at__isnull=True).order_by("-opened_at"))
    resolved = list(flags.filter(resolved_at__gte=since).order_by("-resolved_at"))
    return Portfolio(
        today=today,
        open_flags=open_flags,
        resolved_flags=resolved,
        decisions_due=list(decisions_due(today=today)),
        ready_to_expand=pilots_ready_to_expand(today=today),
        certifications=list(expiring_certifications(today=today)),
        counts=portfolio_counts(today=today),
        disputes=list(
            Dispute.objects.open()
            .filter(measurement__metric__pilot__status__in=UNDER_WAY)
            .select_related(
                "measurement__metric__pilot__provider",
                "measurement__metric__pilot__owner",
                "raised_by",
                "raised_by_contact__provider",
            )
            .order_by("raised_at")
        ),
    )


@dataclass
class Digest:
    user: object
    week_start: datetime.date
    since: datetime.datetime
    new_flags: "Section"
    ongoing_flags: "Section"
    resolved_flags: "Section"
    missing_measurements: "Section"
    decisions_due: "Section"
    ready_to_expand: "Section"
    certifications: "Section"
    disputes: "Section" = None
    counts: dict[str, int] = field(default_factory=dict)
    today: datetime.date | None = None

    @property
    def all_clear(self) -> bool:
        return not any(
            [
                self.new_flags,
                self.ongoing_flags,
                self.resolved_flags,
                self.missing_measurements,
                self.decisions_due,
                self.ready_to_expand,
                self.certifications,
                self.disputes,
            ]
        )

    @property
    def subject(self) -> str:
        if self.all_clear:
            return f"Pilotgate weekly: all clear (week of {day(self.week_start)})"
        critical = self.counts.get("critical", 0)
        parts = [f"{len(self.new_flags)} new flag{'s' if len(self.new_flags) != 1 else ''}"]
        if critical:
            parts.append(f"{critical} critical open")
        if self.decisions_due:
            parts.append(f"{len(self.decisions_due)} decision{'s' if len(self.decisions_due) != 1 else ''} due")
        return f"Pilotgate weekly: {', '.join(parts)} (week of {day(self.week_start)})"


SECTION_LIMIT = 15  # an email stays readable; the rest is a link away


@dataclass
class Section:
    items: list
    more: int = 0  # how many were left out

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items) + self.more

    def __bool__(self):
        return bool(self.items)


class OwnedList:
    """A portfolio-wide list with an index by pilot owner, so each person's cut costs little."""

    def __init__(self, items: list, pilot_of):
        self.items = items
        self.by_owner: dict[int | None, list] = {}
        for item in items:
            self.by_owner.setdefault(pilot_of(item).owner_id, []).append(item)

    def section_for(self, user) -> Section:
        """The person's own pilots first, then the rest of the portfolio; at most SECTION_LIMIT shown."""
        own = self.by_owner.get(user.pk, [])
        shown = own[:SECTION_LIMIT]
        for item in self.items:
            if len(shown) >= SECTION_LIMIT:
                break
            if item not in own:
                shown.append(item)
        return Section(items=shown, more=len(self.items) - len(shown))


def _cuts(portfolio: Portfolio, since: datetime.datetime) -> dict[str, OwnedList]:
    """The portfolio's lists split at `since`, built once per distinct "last digest" time."""
    if since not in portfolio.cuts:
        flags = [f for f in portfolio.open_flags if f.kind != FlagKind.MISSING_DATA]
        by_pilot = lambda f: f.pilot  # noqa: E731 - a key, named for reading
        portfolio.cuts[since] = {
            "new": OwnedList([f for f in flags if f.opened_at >= since], by_pilot),
            "ongoing": OwnedList([f for f in flags if f.opened_at < since], by_pilot),
            "resolved": OwnedList([f for f in portfolio.resolved_flags if f.resolved_at >= since], by_pilot),
            "missing": OwnedList([f for f in portfolio.open_flags if f.kind == FlagKind.MISSING_DATA], by_pilot),
            "due": OwnedList(portfolio.decisions_due, lambda p: p),
            "ready": OwnedList(portfolio.ready_to_expand, lambda pair: pair[0]),
            "disputes": OwnedList(portfolio.disputes, lambda dispute: dispute.measurement.metric.pilot),
        }
    return portfolio.cuts[since]


def digest_for(user, portfolio: Portfolio, *, week_start: datetime.date, since: datetime.datetime) -> Digest:
    """Cut the portfolio for one person: no queries."""
    cuts = _cuts(portfolio, since)
    return Digest(
        user=user,
        week_start=week_start,
        since=since,
        new_flags=cuts["new"].section_for(user),
        ongoing_flags=cuts["ongoing"].section_for(user),
        resolved_flags=cuts["resolved"].section_for(user),
        missing_measurements=cuts["missing"].section_for(user),
        decisions_due=cuts["due"].section_for(user),
        ready_to_expand=cuts["ready"].section_for(user),
        disputes=cuts["disputes"].section_for(user),
        certifications=Section(
            portfolio.certifications[:SECTION_LIMIT], max(len(portfolio.certifications) - SECTION_LIMIT, 0)
        ),
        counts=portfolio.counts,
        today=portfolio.today,
    )


def render_digest(digest: Digest) -> EmailMultiAlternatives:
    context = {
        "digest": digest,
        "user": digest.user,
        "site_url": settings.SITE_URL,
        "dashboard_url": absolute(reverse("dashboard")),
        "settings_url": absolute(reverse("pilots:digest-settings")),
        "flags_url": absolute(reverse("pilots:flag-list")),
    }
    message = EmailMultiAlternatives(
        subject=digest.subject, body=render_to_string("pilots/email/digest.txt", context), to=[digest.user.email]
    )
    message.attach_alternative(render_to_string("pilots/email/digest.html", context), "text/html")
    return message


# --- Sending -----------------------------------------------------------------------------------


@dataclass
class DigestRun:
    sent: int = 0
    skipped: int = 0
    already_done: int = 0
    failed_user_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "skipped": self.skipped,
            "already_done": self.already_done,
            "failed": len(self.failed_user_ids),
            "failed_user_ids": self.failed_user_ids,
        }


def recipients(user_ids: list[int] | None = None):
    """Active people with an email address who have not turned the digest off."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .exclude(digest_preference__weekly_digest=False)
        .select_related("digest_preference")
        .order_by("pk")
    )
    return users.filter(pk__in=user_ids) if user_ids is not None else users


def last_digest_times(user_ids, week_start: datetime.date) -> dict[int, datetime.datetime]:
    return dict(
        DigestDelivery.objects.filter(user__in=user_ids, status=DigestDelivery.Status.SENT, week_start__lt=week_start)
        .values("user")
        .annotate(last=Max("sent_at"))
        .values_list("user", "last")
    )


def _unfinished(week_start: datetime.date, now: datetime.datetime | None = None):
    stale = (now or timezone.now()) - STALE_CLAIM
    return DigestDelivery.objects.filter(
        Q(status=DigestDelivery.Status.FAILED) | Q(status=DigestDelivery.Status.CLAIMED, claimed_at__lt=stale),
        week_start=week_start,
        attempts__lt=MAX_ATTEMPTS,
    )


def unfinished_deliveries(*, week_start: datetime.date) -> list[int]:
    """The people whose digest of this week failed, was abandoned by a sender that died, or was
    never reached by a run that stopped (once the week's run has begun)."""
    users = set(_unfinished(week_start).values_list("user", flat=True))
    if DigestDelivery.objects.filter(week_start=week_start).exists():
        reached = DigestDelivery.objects.filter(week_start=week_start).values("user")
        users |= set(recipients().exclude(pk__in=reached).values_list("pk", flat=True))
    return sorted(users)


def _claim(user, week_start: datetime.date) -> DigestDelivery | None:
    """Take this person's digest of the week, or None when it is sent or being sent already.

    A new row is claimed by inserting it (the unique constraint lets only one run win); a failed
    one is reclaimed by a conditional update, so two runs never both take it.
    """
    try:
        with transaction.atomic():
            return DigestDelivery.objects.create(user=user, week_start=week_start)
    except IntegrityError:
        pass
    # A failed send, or a claim abandoned by a worker that died mid-send, may be taken again.
    reclaimed = (
        _unfinished(week_start)
        .filter(user=user)
        .update(status=DigestDelivery.Status.CLAIMED, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    )
    return DigestDelivery.objects.get(user=user, week_start=week_start) if reclaimed else None


def send_weekly_digests(
    *, week_start: datetime.date | None = None, user_ids: list[int] | None = None, now: datetime.datetime | None = None
) -> DigestRun:
    """Send this week's digest to every recipient (or those in `user_ids`) not yet served."""
    now = now or timezone.now()
    week_start = week_start or week_start_for(now)
    people = list(recipients(user_ids))
    last = last_digest_times([u.pk for u in people], week_start)
    default_since = now - datetime.timedelta(days=7)
    oldest = min([default_since, *last.values()])
    portfolio = load_portfolio(today=timezone.localdate(now), since=oldest)
    run = DigestRun()
    connection = get_connection()
    for user in people:
        delivery = _claim(user, week_start)
        if delivery is None:
            run.already_done += 1
            continue
        digest = digest_for(user, portfolio, week_start=week_start, since=last.get(user.pk, default_since))
        preference = getattr(user, "digest_preference", None)
        if digest.all_clear and preference is not None and preference.skip_when_all_clear:
            DigestDelivery.objects.filter(pk=delivery.pk).update(status=DigestDelivery.Status.SKIPPED)
            run.skipped += 1
            continue
        mine = DigestDelivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at)  # still our claim
        try:
            message = render_digest(digest)
            message.connection = connection
            message.send()
        except SoftTimeLimitExceeded:
            raise  # the task's time is up: the claim goes stale and the resume job takes it
        except Exception as error:  # one recipient's failure is recorded; the others still get theirs
            logger.warning("Digest for user %s failed: %s", user.pk, error.__class__.__name__)
            mine.update(status=DigestDelivery.Status.FAILED, last_error=f"{error.__class__.__name__}: {error}"[:500])
            run.failed_user_ids.append(user.pk)
            if isinstance(error, SERVER_DOWN):
                break
            continue
        mine.update(status=DigestDelivery.Status.SENT, sent_at=timezone.now())
        run.sent += 1
    logger.info("Weekly digests for %s: %s", week_start, run.as_dict())
    return run


def preview_digest(user, *, now: datetime.datetime | None = None) -> Digest:
    """This week's digest for one person, as it would be sent, without claiming or sending it."""
    now = now or timezone.now()
    week_start = week_start_for(now)
    since = last_digest_times([user.pk], week_start).get(user.pk, now - datetime.timedelta(days=7))
    return digest_for(
        user, load_portfolio(today=timezone.localdate(now), since=since), week_start=week_start, since=since
    )
