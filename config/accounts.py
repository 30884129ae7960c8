"""Password change and reset by email, for every user.

Django's views do the work; what is ours is how the reset email leaves. The request only queues
`config.tasks.send_password_reset` with the address typed in, for any address, so the answer never
tells whether an account exists and never waits on the mail server; the worker looks the users up,
makes the one-time link (the token never passes through the broker) and retries while the mail
server is down. Requests are rate-limited per client address and per email address.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from kombu.exceptions import OperationalError

from .ratelimits import client_address, limited

logger = logging.getLogger(__name__)

RESET_TEMPLATES = {
    "subject_template_name": "registration/password_reset_subject.txt",
    "email_template_name": "registration/password_reset_email.txt",
    "html_email_template_name": "registration/password_reset_email.html",
}


class ResetEmailForm(PasswordResetForm):
    """Sends the email itself and lets a mail-server failure reach the task, which retries;
    Django's form logs it and carries on, which would lose the email."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        text = render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, text, from_email, [to_email])
        message.attach_alternative(render_to_string(html_email_template_name, context), "text/html")
        message.send()
        self.sent += 1

    sent = 0


def link_lifetime() -> str:
    """How long a reset link works, in words ("3 days", "2 hours")."""
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    if hours and hours % 24 == 0:
        return f"{hours // 24} day{'s' if hours != 24 else ''}"
    return f"{max(hours, 1)} hour{'s' if hours > 1 else ''}"


def send_reset_email(email: str) -> int:
    """Email a reset link to each active user with this address and a usable password; returns how
    many were sent (0 for an unknown address, which nobody is told)."""
    form = ResetEmailForm(data={"email": email})
    if not form.is_valid():
        return 0
    site = urlsplit(settings.SITE_URL)
    form.save(
        domain_override=site.netloc,  # the templates link from SITE_URL; Django's save needs a domain
        from_email=settings.DEFAULT_FROM_EMAIL,
        extra_email_context={"site_url": settings.SITE_URL, "link_lifetime": link_lifetime()},
        **RESET_TEMPLATES,
    )
    return form.sent


def reset_limited(request, email: str, *, count: bool) -> bool:
    """Reset emails asked for, per client address and per address typed in (case and spaces aside)."""
    address = client_address(request)
    by_address = limited(request, "password-reset-address", address, settings.PASSWORD_RESET_RATE_ADDRESS, count=count)
    by_email = limited(
        request, "password-reset-email", email.strip().casefold(), settings.PASSWORD_RESET_RATE_EMAIL, count=count
    )
    return by_address or by_email


class PasswordResetView(auth_views.PasswordResetView):
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        from .tasks import queue_password_reset

        email = form.cleaned_data["email"]
        if reset_limited(self.request, email, count=False):
            response = self.render_to_response(self.get_context_data(form=form, too_many=True), status=429)
            response["Retry-After"] = "3600"
            return response
        try:
            queue_password_reset(email)
        except OperationalError:
            logger.warning("Password reset not queued: the broker is unreachable")
            return self.render_to_response(self.get_context_data(form=form, cannot_send=True), status=503)
        reset_limited(self.request, email, count=True)  # only an email on its way counts
        return HttpResponse(status=302, headers={"Location": str(self.success_url)})


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, link_lifetime=link_lifetime())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    """A wrong current password counts against the person (PASSWORD_CHANGE_RATE): an unattended
    session must not become a way to guess it without limit, as sign-in's lockout forbids."""

    success_url = reverse_lazy("password_change_done")

    def post(self, request, *args, **kwargs):
        if limited(request, "password-change", str(request.user.pk), settings.PASSWORD_CHANGE_RATE, count=False):
            form = self.get_form()
            form.add_error(None, "Too many wrong passwords. Please wait an hour, or sign out and reset it by email.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error("old_password"):
            limited(
                self.request, "password-change", str(self.request.user.pk), settings.PASSWORD_CHANGE_RATE, count=True
            )
        return super().form_invalid(form)
