"""Every page of the app, on a desktop and a phone, as an editor and as a viewer, checked with
axe-core (WCAG 2.1 A and AA rules): no violation of impact critical or serious, and no page that
scrolls sideways.

The pages are every URL the permission test knows that answers a signed-in person with HTML
(the admin and the API excepted), filled with the demo portfolio so tables, charts, formsets
and badges are all on show."""

import os
from collections import defaultdict

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from pilots.choices import PilotStatus
from pilots.demo import seed_demo
from pilots.models import Flag, Pilot
from scope.models import Candidate, WorkItem
from tests.test_url_permissions import EDITOR, VIEWER, all_patterns, rule_for, url_for
from vendors.models import Provider, ProviderCertification

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = {"critical", "serious"}
# Pages that are not for a signed-in person's browser, or end the session.
SKIPPED = {"logout", "login", "health"}


def demo_objects() -> dict:
    pilot = Pilot.objects.filter(status=PilotStatus.RUNNING, metrics__measurements__isnull=False).distinct().first()
    return {
        "provider": pilot.provider,
        "item": pilot.work_items.first() or WorkItem.objects.first(),
        "pilot": pilot,
        "flag": Flag.objects.filter(pilot=pilot).first() or Flag.objects.first(),
        "cert": ProviderCertification.objects.filter(provider=pilot.provider).first(),
        "candidate": Candidate.objects.first(),
    }


def pages_for(role: str, objects: dict) -> list[str]:
    urls = []
    for name, route, converters in all_patterns():
        if name.startswith(("admin:", "api:")) or name in SKIPPED or "evidence" in name:
            continue
        rule = rule_for(name)
        if rule and rule[role][0] == 200:
            urls.append(url_for(name, route, converters, objects))
    return sorted(set(urls))


def test_no_page_has_a_serious_accessibility_violation_nor_scrolls_sideways(browser, live_server):
    seed_demo()
    assert Provider.objects.exists()
    objects = demo_objects()
    axe = Axe()
    found = defaultdict(set)  # rule: {(role, width, url)}
    visits = 0
    roles = {EDITOR: "editor", VIEWER: "viewer"}
    widths = WIDTHS if os.environ.get("A11Y_ALL_WIDTHS", "1") == "1" else {"desktop": WIDTHS["desktop"]}
    for role, username in roles.items():
        for width, viewport in widths.items():
            context = browser.new_context(viewport=viewport, base_url=live_server.url)
            page = context.new_page()
            page.set_default_timeout(20_000)
            sign_in(page, username, f"pilotgate-{username}")
            for url in pages_for(role, objects):
                try:
                    response = page.goto(url)
                except PlaywrightError as error:  # a download (a template, a file) is not a page
                    assert "Download is starting" in str(error), error
                    continue
                if response is None or "text/html" not in response.headers.get("content-type", ""):
                    continue
                visits += 1
                if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"):
                    found["the page scrolls sideways"].add(f"{role} {width} {url}")
                for violation in axe.run(page, options=RULES).response["violations"]:
                    if violation["impact"] in BLOCKING:
                        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:3])
                        found[f"{violation['id']} ({violation['impact']})"].add(f"{role} {width} {url}: {targets}")
            context.close()
    report = "\n".join(f"{rule}: {len(where)} page visits, e.g. {sorted(where)[:3]}" for rule, where in found.items())
    print(f"{visits} page visits checked")
    assert not found, f"Accessibility violations in {sum(map(len, found.values()))} of {visits} page visits:\n{report}"
