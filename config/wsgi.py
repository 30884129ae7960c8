import os

from django.core.wsgi import get_wsgi_application

# A server process is production unless told otherwise; manage.py defaults to development.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

from config.warmup import prepare_process  # noqa: E402 - needs the apps loaded above

prepare_process()
