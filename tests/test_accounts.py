"""Password change and reset by email: the email through a real SMTP server, its one-time link,
the same answer for any address, rate limits, and a mail server that is down."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from config.accounts import send_reset_email
from config.celery import app
from config.mail import SERVER_DOWN
from config.models import ApiToken
from config.tokens import token_create

from .factories import UserFactory
from .smtp import free_port, send_mail_through, smtp_server

pytestmark = pytest.mark.django_db
RESET = reverse("password_reset")


def reset_link(message) -> str:
    text = message.get_payload()[0].get_payload(decode=True).decode()
    return re.search(r"http://testserver(/accounts/password/reset/\S+/)", text).group(1)


@pytest.fixture
def mailbox(settings):
    with smtp_server() as (mailbox, port):
        send_mail_through(settings, port)
        yield mailbox


@pytest.fixture
def tasks_run_here():
    """The view queues its task; here it runs in this process (a real worker does in the browser test)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_reset_email_carries_a_one_time_link_that_sets_a_new_password(mailbox):
    user = UserFactory(username="olivia", email="Olivia@Example.com", first_name="Olivia", groups=["viewer"])
    token_create(user=user, name="BI tool")
    assert send_reset_email("olivia@example.com") == 1  # the address matches whatever its case
    [message] = mailbox.to("Olivia@Example.com")
    assert message["Subject"] == "Reset your Pilotgate password"
    html = message.get_payload()[1].get_payload(decode=True).decode()
    assert '<html lang="en">' in html and "Choose a new password" in html
    link = reset_link(message)

    client = Client()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "olivia", "new_password2": "olivia"})
    assert weak.status_code == 200 and "too similar" in weak.content.decode()
    done = client.post(set_url, {"new_password1": "a-new-Passphrase-42", "new_password2": "a-new-Passphrase-42"})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")

    assert Client().login(username="olivia", password="a-new-Passphrase-42")
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    used_again = Client().get(link, follow=True)
    assert "This link no longer works" in used_again.content.decode()


def test_unknown_inactive_and_passwordless_accounts_get_no_email(mailbox):
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    sso = UserFactory(username="sso", email="sso@example.com")
    sso.set_unusable_password()
    sso.save()
    for address in ("nobody@example.com", "gone@example.com", "sso@example.com"):
        assert send_reset_email(address) == 0
    assert mailbox.messages == []


def test_any_address_gets_the_same_answer_and_only_an_account_gets_mail(mailbox, tasks_run_here):
    UserFactory(username="omar", email="omar@example.com")
    answers = [Client().post(RESET, {"email": address}) for address in ("omar@example.com", "nobody@example.com")]
    assert [(a.status_code, a["Location"]) for a in answers] == [(302, reverse("password_reset_done"))] * 2
    assert [m["To"] for m in mailbox.messages] == ["omar@example.com"]
    assert "for 3 days" in Client().get(reverse("password_reset_done")).content.decode()


def test_a_bad_address_is_a_field_error_and_sends_nothing(mailbox, tasks_run_here):
    response = Client().post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mailbox.messages == []


def test_reset_emails_are_limited_per_address_asked_for(settings, mailbox, tasks_run_here):
    settings.PASSWORD_RESET_RATE_EMAIL = "2/h"
    UserFactory(username="pia", email="pia@example.com")
    statuses = [Client().post(RESET, {"email": "PIA@example.com"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mailbox.messages) == 2
    assert Client().post(RESET, {"email": "other@example.com"}).status_code == 302


def test_an_unreachable_mail_server_is_an_error_the_task_retries_on(settings):
    UserFactory(username="raj", email="raj@example.com")
    send_mail_through(settings, free_port())  # nothing listens there
    with pytest.raises(SERVER_DOWN):
        send_reset_email("raj@example.com")


def test_a_signed_in_user_changes_their_password():
    user = UserFactory(username="mia", groups=["editor"])
    token_create(user=user, name="Script")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and 'lang="en"' in page.content.decode()
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "Fresh-pass-991", "new_password2": "Fresh-pass-991"},
    )
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in wrong.content.decode()
    changed = client.post(
        reverse("password_change"),
        {"old_password": "secret-pass-123", "new_password1": "Fresh-pass-991", "new_password2": "Fresh-pass-991"},
    )
    assert changed.status_code == 302 and changed["Location"] == reverse("password_change_done")
    assert client.get(reverse("dashboard")).status_code == 200  # still signed in here
    user.refresh_from_db()
    assert user.check_password("Fresh-pass-991")
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert Client().get(reverse("password_change")).status_code == 302  # anonymous: to sign in


def test_guessing_the_current_password_is_limited_per_person(settings):
    settings.PASSWORD_CHANGE_RATE = "2/h"
    client = Client()
    client.force_login(UserFactory(username="guessed"))
    wrong = {"old_password": "nope", "new_password1": "Fresh-pass-991", "new_password2": "Fresh-pass-991"}
    statuses = [client.post(reverse("password_change"), wrong).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    right = {**wrong, "old_password": "secret-pass-123"}
    refused = client.post(reverse("password_change"), right)
    assert refused.status_code == 429 and "Too many wrong passwords" in refused.content.decode()
