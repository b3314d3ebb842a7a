"""The worker's entry point: ``huey_consumer worker.huey``."""

import logging

from bot import configure_logging, create_app
from bot.tasks import get_huey

configure_logging()
logging.getLogger("huey").propagate = False  # the consumer logs huey's own lines already
app = create_app()
huey = get_huey(app)
