"""Forgotten password in Chromium: the sign-in page's link, the email sent by a real Celery worker
through a real SMTP server, the one-time link, a new password, signing in with it; then changing
it again from the account menu on a phone."""

import re

import pytest

from tests.factories import UserFactory
from tests.smtp import smtp_server
from tests.worker import celery_worker, wait_for

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_user_resets_a_forgotten_password_by_email_and_changes_it_later(browser, page, screenshot):
    UserFactory(username="nadia", email="nadia@buyer.example", first_name="Nadia", groups=["editor"])
    with smtp_server() as (mailbox, port), celery_worker(TEST_EMAIL_URL=f"smtp://127.0.0.1:{port}"):
        page.goto("/")
        page.click("text=Forgotten your password?")
        page.fill("#id_email", "nadia@buyer.example")
        page.click("button:has-text('Email me a link')")
        page.wait_for_selector("h1:has-text('Check your email')")
        assert wait_for(lambda: mailbox.to("nadia@buyer.example"), timeout=60), "no email arrived"
    [message] = mailbox.to("nadia@buyer.example")
    text = message.get_payload()[0].get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", text)[1]

    page.goto(link)
    page.wait_for_selector("h1:has-text('Choose a new password')")
    page.fill("#id_new_password1", "Harbour-lights-77")
    page.fill("#id_new_password2", "Harbour-lights-78")
    page.click("button:has-text('Set my password')")
    assert "The two password fields didn’t match." in page.inner_text(".field.has-error")
    page.fill("#id_new_password1", "Harbour-lights-77")
    page.fill("#id_new_password2", "Harbour-lights-77")
    page.click("button:has-text('Set my password')")
    page.click("a:has-text('Sign in')")
    sign_in(page, "nadia", "Harbour-lights-77")

    page.set_viewport_size({"width": 390, "height": 844})
    page.click("button.menu-toggle")
    page.click("#site-menu a:has-text('Password')")
    page.fill("#id_old_password", "Harbour-lights-77")
    page.fill("#id_new_password1", "Quiet-meadow-2026")
    page.fill("#id_new_password2", "Quiet-meadow-2026")
    screenshot("password-change-phone")
    page.click("button:has-text('Change password')")
    page.wait_for_selector("h1:has-text('Your password is changed')")
    page.goto(link)  # the emailed link was used, and the password changed since
    page.wait_for_selector("h1:has-text('This link no longer works')")
