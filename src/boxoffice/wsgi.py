import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boxoffice.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018  # the views and the API's schemas, loaded now

# What is loaded by now (settings, apps, models, views, schemas) lives as long as the worker.
# Frozen, the collector stops walking it on each full collection, and collections come less
# often: a request makes thousands of short-lived objects (ORM rows, template nodes), and the
# collector's pauses were part of the requests' tail.
gc.collect()
gc.freeze()
gc.set_threshold(7000, 20, 20)
