import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Only the web server imports this module: the settings give its database connections a statement
# timeout that management commands (migrations, long imports) must not have. Set before Django
# loads the settings; processes this one starts inherit it, and with it the web server's limits.
os.environ["PORTAL_PROCESS"] = "web"
application = get_wsgi_application()
