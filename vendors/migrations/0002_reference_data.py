"""Reference data a fresh install needs: industries, certification types, service lines of both
kinds, working languages and pricing models. Rows are matched on their natural key, so the
migration neither duplicates nor overwrites what an administrator has changed."""

from django.db import migrations
from django.utils.text import slugify

INDUSTRIES = [
    "Banking", "Insurance", "Healthcare", "Pharmaceuticals", "Retail", "E-commerce", "Telecommunications",
    "Utilities", "Manufacturing", "Logistics", "Travel & Hospitality", "Public Sector", "Technology",
    "Media & Entertainment", "Legal Services", "Professional Services", "Energy", "Automotive",
]

CERTIFICATION_TYPES = [
    ("ISO27001", "ISO/IEC 27001 Information Security Management", "security"),
    ("SOC2-T2", "SOC 2 Type II", "security"),
    ("PCI-DSS", "PCI DSS (Payment Card Industry Data Security Standard)", "security"),
    ("HIPAA", "HIPAA compliance attestation", "privacy"),
    ("ISO27701", "ISO/IEC 27701 Privacy Information Management", "privacy"),
    ("ISO9001", "ISO 9001 Quality Management", "quality"),
    ("COPC", "COPC Customer Experience Standard", "quality"),
    ("ISO22301", "ISO 22301 Business Continuity Management", "security"),
]

SERVICE_LINES = [
    ("Customer support", "process"),
    ("Technical helpdesk", "process"),
    ("Data entry", "process"),
    ("Accounts payable", "process"),
    ("Accounts receivable", "process"),
    ("Payroll", "process"),
    ("Claims processing", "process"),
    ("Order management", "process"),
    ("Content moderation", "process"),
    ("Know-your-customer checks", "process"),
    ("Market research", "knowledge"),
    ("Financial analysis", "knowledge"),
    ("Legal research", "knowledge"),
    ("Data analytics", "knowledge"),
    ("Medical coding review", "knowledge"),
    ("Patent research", "knowledge"),
    ("Investment research", "knowledge"),
]

LANGUAGES = [
    ("en", "English"), ("es", "Spanish"), ("pt", "Portuguese"), ("fr", "French"), ("de", "German"),
    ("it", "Italian"), ("nl", "Dutch"), ("pl", "Polish"), ("ro", "Romanian"), ("hi", "Hindi"),
    ("tl", "Filipino"), ("ar", "Arabic"), ("zh", "Chinese"), ("ja", "Japanese"),
]

PRICING_MODELS = [
    ("per_transaction", "Per transaction"),
    ("per_fte", "Per FTE"),
    ("per_outcome", "Per outcome"),
    ("fixed_fee", "Fixed fee"),
]


def load(apps, schema_editor):
    Industry = apps.get_model("vendors", "Industry")
    CertificationType = apps.get_model("vendors", "CertificationType")
    ServiceLine = apps.get_model("vendors", "ServiceLine")
    Language = apps.get_model("vendors", "Language")
    PricingModel = apps.get_model("vendors", "PricingModel")
    for name in INDUSTRIES:
        Industry.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    for code, name, category in CERTIFICATION_TYPES:
        CertificationType.objects.get_or_create(code=code, defaults={"name": name, "category": category})
    for name, kind in SERVICE_LINES:
        ServiceLine.objects.get_or_create(name=name, defaults={"kind": kind})
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in PRICING_MODELS:
        PricingModel.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("vendors", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
