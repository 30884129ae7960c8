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
from tests.factories import ProviderFactory, UserFactory
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
                if page.locator("select[multiple]").count():
                    found["a Ctrl-click list box (select multiple)"].add(f"{role} {width} {url}")
                for violation in axe.run(page, options=RULES).response["violations"]:
                    if violation["impact"] in BLOCKING:
                        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:3])
                        found[f"{violation['id']} ({violation['impact']})"].add(f"{role} {width} {url}: {targets}")
            context.close()
    report = "\n".join(f"{rule}: {len(where)} page visits, e.g. {sorted(where)[:3]}" for rule, where in found.items())
    print(f"{visits} page visits checked")
    assert not found, f"Accessibility violations in {sum(map(len, found.values()))} of {visits} page visits:\n{report}"


def test_on_a_phone_the_menu_opens_the_filters_fold_and_a_wide_list_scrolls_in_its_box(page, screenshot):
    UserFactory(username="erin", groups=["editor"])
    for number in range(30):
        ProviderFactory(name=f"Provider with a rather long name number {number:02}")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "erin")
    nav = page.locator("nav.mainnav")
    assert not nav.is_visible()
    page.click("button.menu-toggle")
    assert nav.is_visible() and page.get_attribute("button.menu-toggle", "aria-expanded") == "true"
    page.click("nav.mainnav >> text=Providers")
    page.wait_for_selector("h1:has-text('Providers')")
    assert not page.locator("form.filters").is_visible()  # folded above the table
    page.click("details.filters-fold > summary")
    assert page.locator("form.filters").is_visible()
    page.click("details.filters-fold > summary")

    last_row = page.locator(".table-card table.data tbody tr").last
    last_row.scroll_into_view_if_needed()
    box = last_row.bounding_box()
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('tr') !== null", [20, box["y"] + box["height"] / 2]
    )
    assert on_top, "something covers the last row after scrolling"
    card = page.locator(".table-card")
    assert page.evaluate("el => el.scrollWidth > el.clientWidth", card.element_handle())  # the table scrolls inside
    card.evaluate("el => el.scrollLeft = el.scrollWidth")
    first_cell = page.locator(".table-card table.data tbody tr").first.locator("td").first
    cell_box, card_box = first_cell.bounding_box(), card.bounding_box()
    assert cell_box["x"] >= card_box["x"] - 1, "the first column scrolled out of sight"
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    screenshot("phone-provider-list-scrolled")
