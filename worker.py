"""The worker's entry point: ``huey_consumer worker.huey``.

The sentiment model (snownlp, ~4.5 s and ~540 MB) is loaded here, once, before the first event:
only the worker classifies text; the web process never imports it.
"""

import logging

from bot import configure_logging, create_app
from bot.services import get_services
from bot.tasks import get_huey
from handlers import complaint_detection

configure_logging()
logging.getLogger("huey").propagate = False  # the consumer logs huey's own lines already
app = create_app()
complaint_detection.warm_up(get_services(app).settings.model_cache)
huey = get_huey(app)
