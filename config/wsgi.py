import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()

from config.warmup import prepare_process  # noqa: E402 - needs the apps loaded above

prepare_process()
