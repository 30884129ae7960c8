"""Demo and benchmark data.

`seed_demo()` builds a small, realistic portfolio a new user can explore; `seed_scale()` builds
benchmark volumes with bulk inserts. Both are idempotent: rows are matched on natural keys, and a
provider's or pilot's dependent rows are only made together with it, so a second run adds nothing.
"""

import datetime
import logging
import random
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from scope.choices import Cadence, CandidateStatus, DataSensitivity, Direction, PreferredDelivery, WorkItemStatus
from scope.models import Candidate, EvaluationCriterion, SuccessMetric, WorkItem
from scope.services import DEFAULT_CRITERIA
from vendors.choices import ProviderStatus, WorkKind
from vendors.models import (
    CertificationType,
    Contact,
    DeliveryCenter,
    Industry,
    IndustryExperience,
    Language,
    PricingModel,
    Provider,
    ProviderCertification,
    ServiceLine,
)

from .choices import DecisionOutcome, MeasurementSource, PilotStatus
from .evaluation import evaluate_pilots
from .models import Decision, Measurement, Pilot, PilotMetric
from .periods import next_period, period_start
from .roles import EDITOR, VIEWER
from .rules import sensible_margin, unit_bounds

logger = logging.getLogger(__name__)

DEMO_USERS = [
    # username, password, full name, group, staff/superuser
    ("admin", "pilotgate-admin", "Alex Admin", None, True),
    ("editor", "pilotgate-editor", "Erin Editor", EDITOR, False),
    ("editor2", "pilotgate-editor2", "Evan Editor", EDITOR, False),
    ("viewer", "pilotgate-viewer", "Vic Viewer", VIEWER, False),
]

# name, HQ, description, service lines, languages, pricing, status, centres, industries, certifications
# centres: (country, city, headcount, time zone); industries: (name, years, reference clients)
# certifications: (code, days until expiry or None, verified)
PROVIDERS = [
    (
        "Northwind Shared Services",
        "GB",
        "UK-based finance and customer operations with two regional hubs.",
        ["Accounts payable", "Accounts receivable", "Customer support"],
        ["en"],
        ["per_transaction", "per_fte"],
        "approved",
        [("GB", "Leeds", 420, "Europe/London"), ("GB", "Glasgow", 180, "Europe/London")],
        [("Retail", 9, 3), ("Utilities", 5, 2)],
        [("ISO27001", 400, True), ("ISO9001", 250, True)],
    ),
    (
        "Harbourline Assist",
        "GB",
        "Onshore contact centre specialist for regulated sectors.",
        ["Customer support", "Claims processing", "Know-your-customer checks"],
        ["en", "pl"],
        ["per_fte", "per_outcome"],
        "active",
        [("GB", "Sunderland", 650, "Europe/London")],
        [("Insurance", 12, 4), ("Banking", 7, 2)],
        [("ISO27001", 45, True), ("PCI-DSS", 300, True), ("COPC", 500, True)],
    ),
    (
        "Celtic Data Partners",
        "IE",
        "Analytics and reporting team in Dublin and Cork.",
        ["Data analytics", "Financial analysis"],
        ["en", "fr"],
        ["per_fte", "fixed_fee"],
        "shortlisted",
        [("IE", "Dublin", 140, "Europe/Dublin"), ("IE", "Cork", 60, "Europe/Dublin")],
        [("Pharmaceuticals", 6, 2), ("Technology", 8, 3)],
        [("ISO27001", 700, True), ("ISO27701", 20, True)],
    ),
    (
        "Vistula Operations",
        "PL",
        "Nearshore finance and accounting operations, multilingual.",
        ["Accounts payable", "Accounts receivable", "Payroll", "Order management"],
        ["en", "de", "pl", "fr"],
        ["per_transaction", "per_fte"],
        "piloting",
        [("PL", "Kraków", 900, "Europe/Warsaw"), ("PL", "Wrocław", 350, "Europe/Warsaw")],
        [("Manufacturing", 11, 5), ("Retail", 6, 2), ("Logistics", 4, 1)],
        [("ISO27001", 380, True), ("SOC2-T2", 200, True), ("ISO9001", 90, True)],
    ),
    (
        "Tagus Customer Care",
        "PT",
        "Lisbon multilingual customer care for travel and e-commerce.",
        ["Customer support", "Content moderation"],
        ["en", "pt", "es", "fr"],
        ["per_transaction", "per_fte"],
        "prospect",
        [("PT", "Lisbon", 520, "Europe/Lisbon")],
        [("Travel & Hospitality", 10, 3), ("E-commerce", 5, 2)],
        [("ISO27001", -15, True), ("COPC", 120, False)],
    ),
    (
        "Carpathia Back Office",
        "RO",
        "Cost-effective nearshore back office in Cluj and Iași.",
        ["Data entry", "Accounts payable", "Technical helpdesk"],
        ["en", "ro", "fr", "it"],
        ["per_transaction"],
        "shortlisted",
        [("RO", "Cluj-Napoca", 610, "Europe/Bucharest"), ("RO", "Iași", 230, "Europe/Bucharest")],
        [("Telecommunications", 8, 2), ("Technology", 5, 1)],
        [("ISO27001", 30, True), ("ISO9001", 610, True)],
    ),
    (
        "Iberia Research Group",
        "ES",
        "Market and competitive research from Madrid.",
        ["Market research", "Investment research"],
        ["en", "es"],
        ["fixed_fee", "per_outcome"],
        "prospect",
        [("ES", "Madrid", 90, "Europe/Madrid")],
        [("Retail", 7, 2), ("Media & Entertainment", 4, 1)],
        [("ISO9001", 365, True)],
    ),
    (
        "Bangalore Analytics Works",
        "IN",
        "Offshore analytics and financial research at scale.",
        ["Data analytics", "Financial analysis", "Investment research"],
        ["en", "hi"],
        ["per_fte", "per_outcome"],
        "piloting",
        [("IN", "Bengaluru", 2400, "Asia/Kolkata"), ("IN", "Pune", 800, "Asia/Kolkata")],
        [("Banking", 14, 6), ("Insurance", 9, 3)],
        [("ISO27001", 500, True), ("SOC2-T2", 40, True), ("PCI-DSS", -30, True)],
    ),
    (
        "Chennai Claims Solutions",
        "IN",
        "Claims and medical coding for insurers and healthcare.",
        ["Claims processing", "Medical coding review"],
        ["en", "hi"],
        ["per_transaction"],
        "approved",
        [("IN", "Chennai", 1800, "Asia/Kolkata")],
        [("Healthcare", 15, 5), ("Insurance", 10, 4)],
        [("HIPAA", 200, True), ("ISO27001", 420, True)],
    ),
    (
        "Manila Bay Contact Centers",
        "PH",
        "Large voice and chat operation with 24/7 coverage.",
        ["Customer support", "Technical helpdesk", "Content moderation"],
        ["en", "tl", "es"],
        ["per_fte", "per_transaction"],
        "active",
        [("PH", "Manila", 3200, "Asia/Manila"), ("PH", "Cebu City", 1100, "Asia/Manila")],
        [("Telecommunications", 13, 5), ("E-commerce", 8, 3), ("Travel & Hospitality", 6, 2)],
        [("ISO27001", 300, True), ("PCI-DSS", 150, True), ("COPC", 25, True)],
    ),
    (
        "Cebu Knowledge Hub",
        "PH",
        "Research and content operations for media firms.",
        ["Market research", "Content moderation"],
        ["en", "tl"],
        ["per_fte"],
        "prospect",
        [("PH", "Cebu City", 260, "Asia/Manila")],
        [("Media & Entertainment", 5, 1)],
        [("ISO9001", 180, False)],
    ),
    (
        "Cape Legal Research",
        "ZA",
        "Legal research and contract review from Cape Town.",
        ["Legal research", "Patent research"],
        ["en"],
        ["per_outcome", "fixed_fee"],
        "shortlisted",
        [("ZA", "Cape Town", 150, "Africa/Johannesburg")],
        [("Legal Services", 11, 4), ("Professional Services", 6, 2)],
        [("ISO27001", 240, True), ("ISO27701", 300, True)],
    ),
    (
        "Johannesburg Finance Services",
        "ZA",
        "Accounts payable and receivable for mining and energy.",
        ["Accounts payable", "Accounts receivable"],
        ["en"],
        ["per_transaction", "per_fte"],
        "prospect",
        [("ZA", "Johannesburg", 400, "Africa/Johannesburg")],
        [("Energy", 9, 3), ("Manufacturing", 4, 1)],
        [("ISO9001", 150, True)],
    ),
    (
        "Monterrey Nearshore BPO",
        "MX",
        "Bilingual support for North American clients.",
        ["Customer support", "Order management"],
        ["en", "es"],
        ["per_fte"],
        "prospect",
        [("MX", "Monterrey", 700, "America/Monterrey")],
        [("Retail", 6, 2), ("Automotive", 5, 1)],
        [("ISO27001", 220, True)],
    ),
    (
        "Bogotá Digital Services",
        "CO",
        "Chat support and back office in Spanish and English.",
        ["Customer support", "Data entry"],
        ["en", "es"],
        ["per_transaction", "per_fte"],
        "prospect",
        [("CO", "Bogotá", 480, "America/Bogota"), ("CO", "Medellín", 220, "America/Bogota")],
        [("E-commerce", 4, 1)],
        [("PCI-DSS", 330, True), ("ISO27001", None, False)],
    ),
    (
        "Nile Delta Outsourcing",
        "EG",
        "Arabic, English and French customer operations.",
        ["Customer support", "Technical helpdesk"],
        ["en", "ar", "fr"],
        ["per_fte"],
        "prospect",
        [("EG", "Cairo", 1300, "Africa/Cairo")],
        [("Telecommunications", 10, 3)],
        [("ISO27001", 160, True), ("COPC", -60, True)],
    ),
    (
        "Saigon Data Factory",
        "VN",
        "High-volume data entry and document processing.",
        ["Data entry", "Know-your-customer checks"],
        ["en"],
        ["per_transaction"],
        "prospect",
        [("VN", "Ho Chi Minh City", 950, "Asia/Ho_Chi_Minh")],
        [("Banking", 3, 1), ("Logistics", 5, 2)],
        [("ISO27001", 50, True)],
    ),
    (
        "Kuala Lumpur Finance Centre",
        "MY",
        "Regional finance shared services hub.",
        ["Accounts payable", "Payroll", "Financial analysis"],
        ["en", "zh"],
        ["per_fte", "fixed_fee"],
        "approved",
        [("MY", "Kuala Lumpur", 1200, "Asia/Kuala_Lumpur")],
        [("Manufacturing", 12, 4), ("Energy", 7, 2)],
        [("ISO27001", 600, True), ("SOC2-T2", 365, True)],
    ),
    (
        "Atlas Insight Partners",
        "US",
        "US-based market and investment research boutique.",
        ["Market research", "Investment research", "Data analytics"],
        ["en"],
        ["fixed_fee", "per_outcome"],
        "prospect",
        [("US", "Boston", 120, "America/New_York")],
        [("Pharmaceuticals", 9, 3), ("Healthcare", 8, 2)],
        [("SOC2-T2", 280, True)],
    ),
    (
        "Pennine Payroll Bureau",
        "GB",
        "Specialist onshore payroll bureau.",
        ["Payroll"],
        ["en"],
        ["per_transaction"],
        "active",
        [("GB", "Manchester", 85, "Europe/London")],
        [("Public Sector", 16, 6), ("Retail", 8, 2)],
        [("ISO27001", 90, True), ("ISO9001", 400, True)],
    ),
    (
        "Thames Legal Support",
        "GB",
        "Onshore legal research and document review.",
        ["Legal research"],
        ["en"],
        ["per_outcome", "per_fte"],
        "prospect",
        [("GB", "London", 70, "Europe/London")],
        [("Legal Services", 13, 5), ("Banking", 6, 2)],
        [("ISO27001", 10, True)],
    ),
    (
        "Baltic Helpdesk Group",
        "PL",
        "Technical helpdesk for software companies.",
        ["Technical helpdesk", "Customer support"],
        ["en", "pl", "de"],
        ["per_fte"],
        "offboarded",
        [("PL", "Gdańsk", 300, "Europe/Warsaw")],
        [("Technology", 9, 3)],
        [("ISO27001", 120, True)],
    ),
    (
        "Delhi Process Partners",
        "IN",
        "Transaction processing for insurers and banks.",
        ["Claims processing", "Data entry", "Know-your-customer checks"],
        ["en", "hi"],
        ["per_transaction"],
        "blocked",
        [("IN", "Gurugram", 2100, "Asia/Kolkata")],
        [("Insurance", 8, 2), ("Banking", 6, 1)],
        [("ISO27001", -90, True)],
    ),
    (
        "Lisbon Analytics Studio",
        "PT",
        "Data science and analytics for retailers.",
        ["Data analytics", "Market research"],
        ["en", "pt"],
        ["fixed_fee", "per_fte"],
        "prospect",
        [("PT", "Porto", 75, "Europe/Lisbon")],
        [("Retail", 5, 2), ("E-commerce", 6, 2)],
        [("ISO27001", 450, True)],
    ),
    (
        "Hyderabad Healthcare Services",
        "IN",
        "Medical coding, claims and patient support.",
        ["Medical coding review", "Claims processing", "Customer support"],
        ["en", "hi"],
        ["per_transaction", "per_fte"],
        "shortlisted",
        [("IN", "Hyderabad", 1600, "Asia/Kolkata")],
        [("Healthcare", 11, 4), ("Pharmaceuticals", 5, 1)],
        [("HIPAA", 55, True), ("ISO27001", 330, True)],
    ),
    (
        "Davao Moderation Services",
        "PH",
        "Trust and safety content moderation.",
        ["Content moderation"],
        ["en", "tl"],
        ["per_transaction"],
        "prospect",
        [("PH", "Davao City", 600, "Asia/Manila")],
        [("Media & Entertainment", 6, 2), ("Technology", 4, 1)],
        [("ISO27001", 210, True)],
    ),
    (
        "Rotterdam Logistics Admin",
        "NL",
        "Order management and logistics administration.",
        ["Order management", "Data entry"],
        ["en", "nl", "de"],
        ["per_transaction"],
        "prospect",
        [("NL", "Rotterdam", 180, "Europe/Amsterdam")],
        [("Logistics", 14, 5), ("Manufacturing", 7, 2)],
        [("ISO9001", 500, True), ("ISO27001", 75, False)],
    ),
    (
        "Munich Patent Analysts",
        "DE",
        "Patent searches and landscape reports.",
        ["Patent research", "Legal research"],
        ["en", "de"],
        ["fixed_fee", "per_outcome"],
        "prospect",
        [("DE", "Munich", 45, "Europe/Berlin")],
        [("Automotive", 12, 4), ("Technology", 9, 3)],
        [("ISO27001", 260, True)],
    ),
    (
        "Lyon Compliance Services",
        "FR",
        "KYC and compliance checks for banks.",
        ["Know-your-customer checks"],
        ["en", "fr"],
        ["per_transaction", "per_outcome"],
        "prospect",
        [("FR", "Lyon", 210, "Europe/Paris")],
        [("Banking", 10, 3), ("Insurance", 4, 1)],
        [("ISO27001", 140, True), ("SOC2-T2", -5, True)],
    ),
    (
        "Pune Finance & Accounting",
        "IN",
        "End-to-end finance and accounting outsourcing.",
        ["Accounts payable", "Accounts receivable", "Payroll", "Financial analysis"],
        ["en", "hi"],
        ["per_fte", "per_transaction"],
        "prospect",
        [("IN", "Pune", 2700, "Asia/Kolkata")],
        [("Manufacturing", 10, 4), ("Retail", 9, 3), ("Technology", 7, 2)],
        [("ISO27001", 310, True), ("SOC2-T2", 190, True), ("ISO9001", 35, True)],
    ),
]

CONTACT_ROLES = ["Account director", "Delivery manager", "Solutions architect"]
FIRST_NAMES = ["Priya", "Tom", "Ana", "Marek", "Grace", "Luis", "Aoife", "Chen", "Fatima", "Jon", "Ines", "Ravi"]
LAST_NAMES = ["Sharma", "Walsh", "Costa", "Nowak", "Reyes", "García", "Byrne", "Li", "Hassan", "Evans", "Silva"]


@dataclass
class MetricSpec:
    name: str
    unit: str
    direction: str
    target: str | None
    critical: bool = False
    cadence: str = Cadence.WEEKLY


@dataclass
class WorkItemSpec:
    title: str
    kind: str
    service_line: str | None
    industry: str | None
    business_unit: str
    volume: int | None
    unit: str
    sensitivity: str
    delivery: str
    certifications: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["en"])
    metrics: list[MetricSpec] = field(default_factory=list)
    status: str = WorkItemStatus.DRAFT
    description: str = ""


def process_metrics(turnaround: str = "24", accuracy: str = "99.0", cost: str = "1.80") -> list[MetricSpec]:
    return [
        MetricSpec("Accuracy", "%", Direction.HIGHER_IS_BETTER, accuracy, critical=True),
        MetricSpec("Turnaround time", "hours", Direction.LOWER_IS_BETTER, turnaround, critical=True),
        MetricSpec("Cost per transaction", "GBP", Direction.LOWER_IS_BETTER, cost),
        MetricSpec("SLA adherence", "%", Direction.HIGHER_IS_BETTER, "95"),
    ]


def knowledge_metrics(quality: str = "4.2") -> list[MetricSpec]:
    return [
        MetricSpec("Reviewer quality score", "score 1–5", Direction.HIGHER_IS_BETTER, quality, critical=True),
        MetricSpec("Rework rate", "%", Direction.LOWER_IS_BETTER, "10", critical=True),
        MetricSpec("On-time delivery of reports", "%", Direction.HIGHER_IS_BETTER, "95"),
        MetricSpec("Cost per deliverable", "GBP", Direction.LOWER_IS_BETTER, "850", cadence=Cadence.MONTHLY),
    ]


P, K = WorkKind.PROCESS, WorkKind.KNOWLEDGE
S = DataSensitivity
D = PreferredDelivery
WORK_ITEMS = [
    WorkItemSpec(
        "Supplier invoice validation and vendor helpdesk",
        P,
        "Accounts payable",
        "Retail",
        "Finance",
        12000,
        "invoices",
        S.CONFIDENTIAL,
        D.NEARSHORE,
        ["ISO27001"],
        ["en", "de"],
        process_metrics("48", "99.5", "1.20"),
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Tier-1 chat support for online order questions",
        P,
        "Customer support",
        "E-commerce",
        "Customer Service",
        30000,
        "chats",
        S.INTERNAL,
        D.OFFSHORE,
        ["ISO27001"],
        ["en"],
        [
            MetricSpec("First contact resolution", "%", Direction.HIGHER_IS_BETTER, "75", critical=True),
            MetricSpec("Customer satisfaction (CSAT)", "%", Direction.HIGHER_IS_BETTER, "85", critical=True),
            MetricSpec("Average handle time", "minutes", Direction.LOWER_IS_BETTER, "9"),
            MetricSpec("Cost per contact", "GBP", Direction.LOWER_IS_BETTER, "2.40"),
        ],
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Motor insurance first-notice-of-loss claims intake",
        P,
        "Claims processing",
        "Insurance",
        "Claims",
        4000,
        "claims",
        S.REGULATED,
        D.ONSHORE,
        ["ISO27001", "PCI-DSS"],
        ["en"],
        process_metrics("8", "98.5", "6.50"),
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Monthly payroll processing for 3,000 hourly staff",
        P,
        "Payroll",
        "Retail",
        "People",
        3000,
        "payslips",
        S.REGULATED,
        D.ONSHORE,
        ["ISO27001"],
        ["en"],
        process_metrics("72", "99.9", "3.10"),
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Competitor pricing research for grocery categories",
        K,
        "Market research",
        "Retail",
        "Strategy",
        20,
        "reports",
        S.INTERNAL,
        D.ANY,
        [],
        ["en"],
        knowledge_metrics("4.0"),
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Credit memo drafting for mid-market loans",
        K,
        "Financial analysis",
        "Banking",
        "Credit Risk",
        60,
        "credit memos",
        S.CONFIDENTIAL,
        D.OFFSHORE,
        ["ISO27001", "SOC2-T2"],
        ["en"],
        knowledge_metrics("4.3"),
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Contract clause extraction for supplier agreements",
        K,
        "Legal research",
        "Legal Services",
        "Legal",
        400,
        "contracts",
        S.CONFIDENTIAL,
        D.ANY,
        ["ISO27001"],
        ["en"],
        knowledge_metrics("4.4"),
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Outpatient medical coding quality review",
        K,
        "Medical coding review",
        "Healthcare",
        "Revenue Cycle",
        8000,
        "charts",
        S.REGULATED,
        D.OFFSHORE,
        ["HIPAA", "ISO27001"],
        ["en"],
        knowledge_metrics("4.5"),
        WorkItemStatus.PILOTING,
    ),
    WorkItemSpec(
        "Customer account KYC refresh checks",
        P,
        "Know-your-customer checks",
        "Banking",
        "Compliance",
        5000,
        "customer files",
        S.REGULATED,
        D.NEARSHORE,
        ["ISO27001", "SOC2-T2"],
        ["en", "fr"],
        process_metrics("24", "99.5", "4.00"),
        WorkItemStatus.READY,
    ),
    WorkItemSpec(
        "Sales order entry from emailed purchase orders",
        P,
        "Order management",
        "Manufacturing",
        "Sales Ops",
        9000,
        "orders",
        S.INTERNAL,
        D.NEARSHORE,
        [],
        ["en", "de"],
        process_metrics("12", "99.0", "0.90"),
        WorkItemStatus.SOURCING,
    ),
    WorkItemSpec(
        "Weekly churn analysis of broadband subscribers",
        K,
        "Data analytics",
        "Telecommunications",
        "Marketing",
        4,
        "analyses",
        S.CONFIDENTIAL,
        D.ANY,
        ["ISO27001"],
        ["en"],
        knowledge_metrics("4.0"),
        WorkItemStatus.READY,
    ),
    # Not ready: each shows the readiness check at work.
    WorkItemSpec("Finance work", P, "Accounts receivable", "Retail", "Finance", None, "", "", D.ANY),
    WorkItemSpec("Data reports", K, "Data analytics", None, "Operations", 10, "reports", S.INTERNAL, D.ANY),
    WorkItemSpec(
        "Patient records digitisation from scanned forms",
        P,
        "Data entry",
        "Healthcare",
        "Records",
        15000,
        "forms",
        S.REGULATED,
        D.OFFSHORE,
        [],
        ["en"],
        process_metrics("48", "99.8", "0.60"),
    ),
    WorkItemSpec(
        "Patent landscape reports for battery chemistry",
        K,
        "Patent research",
        "Automotive",
        "R&D",
        2,
        "reports",
        S.CONFIDENTIAL,
        D.ANY,
        ["ISO27001"],
        ["en", "de"],
        [MetricSpec("Reviewer quality score", "score 1–5", Direction.HIGHER_IS_BETTER, None, critical=True)],
    ),
]


@dataclass
class PilotSpec:
    name: str
    provider: str
    work_items: list[str]
    status: str
    weeks_ago: int  # start, in weeks before this week's Monday
    weeks_long: int
    share: str
    budget: str
    quality: str  # "good", "misses", "gappy", "mixed"
    stage: int = 1
    parent: str | None = None
    decision: tuple[str, str] | None = None
    rule: str = "Expand when every critical metric meets its target for four consecutive weeks."


PILOTS = [
    PilotSpec(
        "Invoice validation — Vistula stage 1",
        "Vistula Operations",
        ["Supplier invoice validation and vendor helpdesk"],
        PilotStatus.EXPANDED,
        22,
        12,
        "10",
        "48000",
        "good",
        decision=(DecisionOutcome.EXPAND, "All critical targets met for 8 weeks; cost 15% under target."),
    ),
    PilotSpec(
        "Invoice validation — Vistula stage 2",
        "Vistula Operations",
        ["Supplier invoice validation and vendor helpdesk"],
        PilotStatus.RUNNING,
        10,
        14,
        "30",
        "120000",
        "good",
        stage=2,
        parent="Invoice validation — Vistula stage 1",
    ),
    PilotSpec(
        "Chat support — Manila Bay",
        "Manila Bay Contact Centers",
        ["Tier-1 chat support for online order questions"],
        PilotStatus.RUNNING,
        12,
        16,
        "15",
        "60000",
        "misses",
    ),
    PilotSpec(
        "FNOL claims intake — Harbourline",
        "Harbourline Assist",
        ["Motor insurance first-notice-of-loss claims intake"],
        PilotStatus.RUNNING,
        14,
        12,
        "20",
        "75000",
        "gappy",
    ),
    PilotSpec(
        "Grocery pricing research — Bangalore",
        "Bangalore Analytics Works",
        ["Competitor pricing research for grocery categories"],
        PilotStatus.IN_REVIEW,
        13,
        12,
        "25",
        "40000",
        "mixed",
    ),
    PilotSpec(
        "Credit memos — Bangalore",
        "Bangalore Analytics Works",
        ["Credit memo drafting for mid-market loans"],
        PilotStatus.PAUSED,
        9,
        12,
        "10",
        "55000",
        "misses",
    ),
    PilotSpec(
        "Payroll — Pennine stage 1",
        "Pennine Payroll Bureau",
        ["Monthly payroll processing for 3,000 hourly staff"],
        PilotStatus.PASSED,
        16,
        12,
        "20",
        "30000",
        "good",
        decision=(DecisionOutcome.EXPAND, "Zero payroll errors over 12 weeks; staff queries answered in SLA."),
    ),
    PilotSpec(
        "Contract extraction — Cape Legal",
        "Cape Legal Research",
        ["Contract clause extraction for supplier agreements"],
        PilotStatus.FAILED,
        15,
        10,
        "10",
        "25000",
        "misses",
        decision=(DecisionOutcome.STOP, "Rework rate stayed above 18% against a 10% target."),
    ),
    PilotSpec(
        "Medical coding QA — Chennai",
        "Chennai Claims Solutions",
        ["Outpatient medical coding quality review"],
        PilotStatus.RUNNING,
        8,
        12,
        "10",
        "45000",
        "mixed",
    ),
    PilotSpec(
        "Medical coding QA — Hyderabad",
        "Hyderabad Healthcare Services",
        ["Outpatient medical coding quality review"],
        PilotStatus.PLANNED,
        -2,
        12,
        "10",
        "42000",
        "good",
    ),
    PilotSpec(
        "AP invoice matching — Pune (closed)",
        "Pune Finance & Accounting",
        ["Supplier invoice validation and vendor helpdesk"],
        PilotStatus.CLOSED,
        30,
        8,
        "5",
        "15000",
        "mixed",
        decision=(DecisionOutcome.STOP, "Superseded by the Vistula pilot, which met every target."),
    ),
]


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# --- Users ------------------------------------------------------------------------------------


def seed_users() -> dict[str, object]:
    User = get_user_model()
    users = {}
    for username, password, full_name, group, superuser in DEMO_USERS:
        first, last = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@pilotgate.example",
                "is_staff": superuser,
                "is_superuser": superuser,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        if group:
            user.groups.add(Group.objects.get(name=group))
        users[username] = user
    return users


# --- Providers --------------------------------------------------------------------------------


def seed_providers(*, owner, rng: random.Random, today: datetime.date) -> int:
    industries = {i.name: i for i in Industry.objects.all()}
    cert_types = {c.code: c for c in CertificationType.objects.all()}
    lines = {s.name: s for s in ServiceLine.objects.all()}
    languages = {lang.code: lang for lang in Language.objects.all()}
    pricing = {p.code: p for p in PricingModel.objects.all()}
    created_count = 0
    for name, hq, description, line_names, langs, prices, status, centres, experience, certs in PROVIDERS:
        slug = name.lower().replace(" ", "").replace("&", "and")[:20]
        provider, created = Provider.objects.get_or_create(
            name=name,
            defaults={
                "headquarters_country": hq,
                "description": description,
                "status": status,
                "owner": owner,
                "website": f"https://www.{slug}.example",
                "blocked_reason": "Data breach under investigation (March)."
                if status == ProviderStatus.BLOCKED
                else "",
            },
        )
        if not created:
            continue
        created_count += 1
        provider.service_lines.set([lines[n] for n in line_names])
        provider.languages.set([languages[c] for c in langs])
        provider.pricing_models.set([pricing[c] for c in prices])
        for country, city, headcount, tz in centres:
            DeliveryCenter.objects.create(
                provider=provider, country=country, city=city, headcount=headcount, time_zone=tz
            )
        for industry, years, references in experience:
            IndustryExperience.objects.create(
                provider=provider, industry=industries[industry], years=years, reference_clients=references
            )
        for code, expires_in, verified in certs:
            expires_on = None if expires_in is None else today + datetime.timedelta(days=expires_in)
            ProviderCertification.objects.create(
                provider=provider,
                certification_type=cert_types[code],
                certificate_id=f"{code}-{provider.pk:04d}-{rng.randint(1000, 9999)}",
                issuer=rng.choice(["BSI", "Bureau Veritas", "SGS", "DNV", "Schellman", "A-LIGN"]),
                issued_on=(expires_on or today) - datetime.timedelta(days=3 * 365),
                expires_on=expires_on,
                verified_by=owner if verified else None,
                verified_at=timezone.now() - datetime.timedelta(days=rng.randint(5, 200)) if verified else None,
            )
        for role in CONTACT_ROLES[: rng.randint(1, 3)]:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            Contact.objects.create(
                provider=provider,
                name=f"{first} {last}",
                role=role,
                email=f"{first}.{last}@{slug}.example".lower().replace("í", "i"),
                phone=f"+{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            )
    return created_count


# --- Work items -------------------------------------------------------------------------------


def seed_work_items(*, owner) -> int:
    industries = {i.name: i for i in Industry.objects.all()}
    cert_types = {c.code: c for c in CertificationType.objects.all()}
    lines = {s.name: s for s in ServiceLine.objects.all()}
    languages = {lang.code: lang for lang in Language.objects.all()}
    created_count = 0
    for spec in WORK_ITEMS:
        item, created = WorkItem.objects.get_or_create(
            title=spec.title,
            defaults={
                "kind": spec.kind,
                "service_line": lines.get(spec.service_line),
                "industry": industries.get(spec.industry),
                "business_unit": spec.business_unit,
                "owner": owner,
                "monthly_volume": spec.volume,
                "volume_unit": spec.unit,
                "data_sensitivity": spec.sensitivity,
                "preferred_delivery": spec.delivery,
                "status": spec.status,
                "description": spec.description,
            },
        )
        if not created:
            continue
        created_count += 1
        item.required_certifications.set([cert_types[c] for c in spec.certifications])
        item.required_languages.set([languages[c] for c in spec.languages])
        SuccessMetric.objects.bulk_create(
            SuccessMetric(
                work_item=item,
                name=m.name,
                unit=m.unit,
                direction=m.direction,
                target=_d(m.target),
                critical=m.critical,
                cadence=m.cadence,
            )
            for m in spec.metrics
        )
        EvaluationCriterion.objects.bulk_create(
            EvaluationCriterion(work_item=item, name=name, weight=weight, basis=basis)
            for name, weight, basis in DEFAULT_CRITERIA
        )
    return created_count


def seed_candidates() -> int:
    """Providers already piloting a work item are its selected candidates; a few others are on its lists."""
    created_count = 0
    for spec in PILOTS:
        item = WorkItem.objects.get(title=spec.work_items[0])
        provider = Provider.objects.get(name=spec.provider)
        status = (
            CandidateStatus.SELECTED
            if spec.status not in {PilotStatus.FAILED, PilotStatus.CLOSED}
            else CandidateStatus.REJECTED
        )
        if status == CandidateStatus.SELECTED and item.candidates.filter(status=status).exclude(provider=provider):
            status = CandidateStatus.SHORTLISTED
        _, created = Candidate.objects.get_or_create(work_item=item, provider=provider, defaults={"status": status})
        created_count += created
    for title, names in [
        (
            "Customer account KYC refresh checks",
            ["Lyon Compliance Services", "Harbourline Assist", "Saigon Data Factory"],
        ),
        (
            "Sales order entry from emailed purchase orders",
            ["Rotterdam Logistics Admin", "Vistula Operations", "Monterrey Nearshore BPO"],
        ),
    ]:
        item = WorkItem.objects.get(title=title)
        for name in names:
            _, created = Candidate.objects.get_or_create(
                work_item=item,
                provider=Provider.objects.get(name=name),
                defaults={"status": CandidateStatus.LONG_LIST},
            )
            created_count += created
    return created_count


# --- Pilots -----------------------------------------------------------------------------------


def _value_for(metric: PilotMetric, quality: str, week: int, weeks: int, rng: random.Random) -> Decimal:
    """A plausible value near the target: good pilots beat it, poor ones miss it, mixed ones improve."""
    target = metric.target
    step = max(abs(target) * Decimal("0.04"), Decimal("0.05"))
    better = 1 if metric.direction == Direction.HIGHER_IS_BETTER else -1
    if quality == "good":
        offset = Decimal(rng.uniform(0.3, 1.5))
    elif quality == "misses":
        offset = Decimal(rng.uniform(-2.0, 0.4))
    elif quality == "mixed":
        offset = Decimal(rng.uniform(-1.5, 0.5)) + Decimal(week) / Decimal(max(weeks, 1)) * Decimal("1.5")
    else:
        offset = Decimal(rng.uniform(-0.5, 1.2))
    value = target + better * offset * step
    low, high = unit_bounds(metric.unit)
    value = max(value, low) if low is not None else value
    value = min(value, high) if high is not None else value
    return value.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def seed_pilots(*, owner, recorder, rng: random.Random, today: datetime.date) -> int:
    this_monday = period_start(today, Cadence.WEEKLY)
    created_count = 0
    for spec in PILOTS:
        starts_on = this_monday - datetime.timedelta(weeks=spec.weeks_ago)
        ends_on = starts_on + datetime.timedelta(weeks=spec.weeks_long)
        pilot, created = Pilot.objects.get_or_create(
            name=spec.name,
            defaults={
                "provider": Provider.objects.get(name=spec.provider),
                "owner": owner,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "volume_share": _d(spec.share),
                "budget": _d(spec.budget),
                "stage": spec.stage,
                "parent": Pilot.objects.filter(name=spec.parent).first() if spec.parent else None,
                "decision_rule": spec.rule,
                "status": spec.status,
                # The demo's providers were shortlisted before their pilots began.
                "provider_status_before": "" if spec.status == PilotStatus.PLANNED else ProviderStatus.SHORTLISTED,
            },
        )
        if not created:
            continue
        created_count += 1
        items = list(WorkItem.objects.filter(title__in=spec.work_items))
        pilot.work_items.set(items)
        metrics = PilotMetric.objects.bulk_create(
            PilotMetric(
                pilot=pilot,
                name=m.name,
                unit=m.unit,
                direction=m.direction,
                target=m.target,
                warning_margin=sensible_margin(target=m.target, direction=m.direction, unit=m.unit),
                critical=m.critical,
                cadence=m.cadence,
                min_samples=3 if m.cadence == Cadence.MONTHLY else 4,
            )
            for item in items
            for m in item.success_metrics.all()
        )
        if spec.status == PilotStatus.PLANNED:
            continue
        last_period = min(this_monday - datetime.timedelta(weeks=1), ends_on)
        measurements = []
        for metric in metrics:
            periods = _periods(metric.cadence, starts_on, last_period)
            for index, period in enumerate(periods):
                # Gappy pilots miss the latest weeks; pilots that are not going well miss the odd week.
                if spec.quality == "gappy" and index >= len(periods) - 2:
                    continue
                if spec.quality != "good" and rng.random() < 0.06 and index not in (0, len(periods) - 1):
                    continue
                measurements.append(
                    Measurement(
                        metric=metric,
                        period_start=period,
                        value=_value_for(metric, spec.quality, index, len(periods), rng),
                        sample_size=rng.randint(80, 600),
                        source=MeasurementSource.MANUAL,
                        recorded_by=recorder,
                    )
                )
        Measurement.objects.bulk_create(measurements)
        if spec.decision:
            outcome, rationale = spec.decision
            Decision.objects.create(pilot=pilot, outcome=outcome, rationale=rationale, decided_by=owner)
    return created_count


def _periods(cadence: str, start: datetime.date, last: datetime.date) -> list[datetime.date]:
    periods = []
    if cadence == Cadence.MONTHLY:
        period = period_start(start, Cadence.MONTHLY)
        while period <= last:
            periods.append(period)
            period = next_period(period, Cadence.MONTHLY)
        # A monthly period counts once it is complete.
        return [p for p in periods if next_period(p, Cadence.MONTHLY) <= last + datetime.timedelta(days=7)]
    period = period_start(start, Cadence.WEEKLY)
    while period <= last:
        periods.append(period)
        period += datetime.timedelta(weeks=1)
    return periods


@transaction.atomic
def seed_demo() -> dict[str, int]:
    rng = random.Random(20261121)
    today = timezone.localdate()
    users = seed_users()
    counts = {
        "providers": seed_providers(owner=users["editor"], rng=rng, today=today),
        "work items": seed_work_items(owner=users["editor"]),
    }
    counts["pilots"] = seed_pilots(owner=users["editor"], recorder=users["editor2"], rng=rng, today=today)
    counts["candidates"] = seed_candidates()
    if counts["pilots"]:
        # Flags as the hourly job would have raised them, so the demo shows them at once.
        evaluate_pilots(today=today, notify=False)
    return counts


# --- Benchmark volumes ------------------------------------------------------------------------

SCALE_PREFIX = "Scale"
PER_SCALE = {"providers": 20_000, "work_items": 2_000, "pilots": 5_000, "metrics_per_pilot": 5, "periods": 40}


def seed_scale(scale: int, *, stdout=None) -> dict[str, int]:
    """Benchmark volumes: per unit of scale 20,000 providers, 2,000 work items, 5,000 pilots with 5
    weekly metrics each, and 40 weeks of measurements per metric (1,000,000)."""
    rng = random.Random(scale)
    today = timezone.localdate()
    this_monday = period_start(today, Cadence.WEEKLY)
    log = stdout.write if stdout else logger.info
    n_providers = PER_SCALE["providers"] * scale
    n_items = PER_SCALE["work_items"] * scale
    n_pilots = PER_SCALE["pilots"] * scale
    periods = PER_SCALE["periods"]
    if Provider.objects.filter(name__startswith=f"{SCALE_PREFIX} provider ").count() >= n_providers:
        log("Benchmark data already present; nothing to do.")
        return {}
    owner = get_user_model().objects.filter(username="editor").first()
    industries = list(Industry.objects.all())
    cert_types = list(CertificationType.objects.all())
    lines = list(ServiceLine.objects.all())
    countries = ["GB", "IE", "PL", "PT", "RO", "ES", "IN", "PH", "ZA", "MX", "CO", "EG", "VN", "MY", "US"]
    zones = {
        "GB": "Europe/London",
        "IE": "Europe/Dublin",
        "PL": "Europe/Warsaw",
        "PT": "Europe/Lisbon",
        "RO": "Europe/Bucharest",
        "ES": "Europe/Madrid",
        "IN": "Asia/Kolkata",
        "PH": "Asia/Manila",
        "ZA": "Africa/Johannesburg",
        "MX": "America/Mexico_City",
        "CO": "America/Bogota",
        "EG": "Africa/Cairo",
        "VN": "Asia/Ho_Chi_Minh",
        "MY": "Asia/Kuala_Lumpur",
        "US": "America/New_York",
    }
    statuses = [ProviderStatus.PROSPECT] * 6 + [
        ProviderStatus.SHORTLISTED,
        ProviderStatus.APPROVED,
        ProviderStatus.ACTIVE,
        ProviderStatus.PILOTING,
    ]
    batch = 5000

    with transaction.atomic():
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    name=f"{SCALE_PREFIX} provider {i:06d}",
                    headquarters_country=rng.choice(countries),
                    status=ProviderStatus.BLOCKED if i % 97 == 0 else rng.choice(statuses),
                    blocked_reason="Benchmark block" if i % 97 == 0 else "",
                    owner=owner,
                )
                for i in range(n_providers)
            ],
            batch_size=batch,
        )
        log(f"  {len(providers)} providers")
        Through = Provider.service_lines.through
        Through.objects.bulk_create(
            [Through(provider_id=p.pk, serviceline_id=line.pk) for p in providers for line in rng.sample(lines, 2)],
            batch_size=batch,
        )
        centres, experience, certifications = [], [], []
        for p in providers:
            for country in {rng.choice(countries) for _ in range(rng.randint(1, 2))}:
                centres.append(
                    DeliveryCenter(
                        provider_id=p.pk,
                        country=country,
                        city=f"City {country}",
                        headcount=rng.randint(20, 3000),
                        time_zone=zones[country],
                    )
                )
            for industry in rng.sample(industries, 2):
                experience.append(
                    IndustryExperience(
                        provider_id=p.pk,
                        industry_id=industry.pk,
                        years=rng.randint(1, 20),
                        reference_clients=rng.randint(0, 6),
                    )
                )
            for cert in rng.sample(cert_types, 2):
                expires_on = today + datetime.timedelta(days=rng.randint(-120, 900))
                verified = rng.random() > 0.1
                certifications.append(
                    ProviderCertification(
                        provider_id=p.pk,
                        certification_type_id=cert.pk,
                        certificate_id=f"B-{p.pk}-{cert.pk}",
                        issued_on=expires_on - datetime.timedelta(days=1095),
                        expires_on=expires_on,
                        verified_by=owner if verified and owner else None,
                        verified_at=timezone.now() if verified and owner else None,
                    )
                )
        DeliveryCenter.objects.bulk_create(centres, batch_size=batch)
        IndustryExperience.objects.bulk_create(experience, batch_size=batch)
        ProviderCertification.objects.bulk_create(certifications, batch_size=batch)
        log(f"  {len(centres)} delivery centres, {len(certifications)} certifications")

        items = WorkItem.objects.bulk_create(
            [
                WorkItem(
                    title=f"{SCALE_PREFIX} work item {i:05d} invoice validation",
                    kind=line.kind,
                    service_line_id=line.pk,
                    industry_id=rng.choice(industries).pk,
                    monthly_volume=1000 + i,
                    volume_unit="transactions",
                    data_sensitivity=DataSensitivity.INTERNAL,
                    status=WorkItemStatus.PILOTING,
                    owner=owner,
                )
                for i, line in ((i, rng.choice(lines)) for i in range(n_items))
            ],
            batch_size=batch,
        )
        metric_specs = [
            ("Accuracy", "%", Direction.HIGHER_IS_BETTER, Decimal("98"), True),
            ("Turnaround time", "hours", Direction.LOWER_IS_BETTER, Decimal("24"), True),
            ("Cost per transaction", "GBP", Direction.LOWER_IS_BETTER, Decimal("2"), False),
            ("SLA adherence", "%", Direction.HIGHER_IS_BETTER, Decimal("95"), False),
            ("Backlog", "items", Direction.LOWER_IS_BETTER, Decimal("200"), False),
        ]
        SuccessMetric.objects.bulk_create(
            [
                SuccessMetric(
                    work_item_id=item.pk, name=name, unit=unit, direction=direction, target=target, critical=critical
                )
                for item in items
                for name, unit, direction, target, critical in metric_specs
            ],
            batch_size=batch,
        )
        log(f"  {len(items)} work items")

        eligible = [p for p in providers if p.status != ProviderStatus.BLOCKED]
        pilots = Pilot.objects.bulk_create(
            [
                Pilot(
                    name=f"{SCALE_PREFIX} pilot {i:06d}",
                    provider_id=rng.choice(eligible).pk,
                    owner=owner,
                    starts_on=this_monday - datetime.timedelta(weeks=periods + rng.randint(0, 3)),
                    ends_on=this_monday + datetime.timedelta(weeks=rng.randint(-2, 12)),
                    volume_share=Decimal(rng.choice([5, 10, 15, 20])),
                    stage=1,
                    status=PilotStatus.RUNNING if i % 10 else PilotStatus.IN_REVIEW,
                )
                for i in range(n_pilots)
            ],
            batch_size=batch,
        )
        PilotItems = Pilot.work_items.through
        PilotItems.objects.bulk_create(
            [PilotItems(pilot_id=p.pk, workitem_id=rng.choice(items).pk) for p in pilots], batch_size=batch
        )
        metrics = PilotMetric.objects.bulk_create(
            [
                PilotMetric(
                    pilot_id=p.pk,
                    name=name,
                    unit=unit,
                    direction=direction,
                    target=target,
                    warning_margin=sensible_margin(
                        target=target, direction=direction, unit=unit, share=Decimal("0.02")
                    ),
                    critical=critical,
                    min_samples=4,
                )
                for p in pilots
                for name, unit, direction, target, critical in metric_specs
            ],
            batch_size=batch,
        )
        log(f"  {len(pilots)} pilots, {len(metrics)} metrics")
    n_measurements = _bulk_measurements(metrics, periods, this_monday, rng)
    log(f"  {n_measurements} measurements")
    if connection.vendor == "postgresql":
        # Fresh statistics so the planner sees the new volumes at once.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "providers": len(providers),
        "work items": len(items),
        "pilots": len(pilots),
        "metrics": len(metrics),
        "measurements": n_measurements,
    }


def _bulk_measurements(metrics, periods: int, this_monday: datetime.date, rng: random.Random) -> int:
    """A million rows go fastest through PostgreSQL's COPY; other databases take batched inserts."""
    firsts = [this_monday - datetime.timedelta(weeks=w) for w in range(periods, 0, -1)]
    now = timezone.now()

    def rows():
        for metric in metrics:
            spread = float(metric.target) * 0.05
            for period in firsts:
                value = round(float(metric.target) + rng.uniform(-spread, spread), 2)
                yield metric.pk, period, value, rng.randint(50, 500), MeasurementSource.IMPORT, now

    total = len(metrics) * periods
    if connection.vendor == "postgresql":
        table = Measurement._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            sql = f"COPY {table} (metric_id, period_start, value, sample_size, source, recorded_at, note) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in rows():
                    copy.write_row((*row, ""))
        return total
    chunk = []
    for metric_id, period, value, samples, source, recorded_at in rows():
        chunk.append(
            Measurement(
                metric_id=metric_id,
                period_start=period,
                value=Decimal(str(value)),
                sample_size=samples,
                source=source,
                recorded_at=recorded_at,
            )
        )
        if len(chunk) >= 5000:
            Measurement.objects.bulk_create(chunk)
            chunk = []
    Measurement.objects.bulk_create(chunk)
    return total
