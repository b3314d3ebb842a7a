"""gunicorn settings for the web process (``web:`` in the Procfile and ``./run``)."""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
preload_app = True  # the app (catalogue, router) loads once; workers share it
timeout = 30
keepalive = 5
accesslog = os.environ.get("KOUBEI_ACCESS_LOG") or None


def post_fork(server, worker):
    """Connections opened before the fork must not be shared between processes."""
    from bot.services import get_services
    from bot.tasks import get_huey
    from wsgi import app

    get_services(app).db.forget_inherited_connections()
    storage = get_huey(app).storage
    if hasattr(storage, "close"):
        storage.close()
