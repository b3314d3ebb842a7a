"""The worker's entry point: ``huey_consumer worker.huey``.

The sentiment model (snownlp, ~4.5 s and ~540 MB) is loaded here, once, before the first event:
only the worker classifies text; the web process never imports it. With ``--worker-type
process`` (the Procfile's) the consumer forks its workers after this, so they share the loaded
model's memory, and each opens its own database connections.

The worker lowers its own CPU priority first (``KOUBEI_WORKER_NICE``, 10; its forked workers
inherit it): where web and worker share cores, LINE times the webhook's answer and redelivers
what it thinks was lost, while the worker only needs throughput and catches up.
"""

import logging
import os

from bot import configure_logging, create_app_or_exit
from bot.services import get_services
from bot.tasks import get_huey
from handlers import complaint_detection

configure_logging()
logging.getLogger("huey").propagate = False  # the consumer logs huey's own lines already
app = create_app_or_exit()
services = get_services(app)
if services.settings.worker_nice and hasattr(os, "nice"):  # POSIX
    os.nice(services.settings.worker_nice)
complaint_detection.warm_up(services.settings.model_cache)
huey = get_huey(app)
if hasattr(os, "register_at_fork"):  # POSIX; elsewhere Huey's workers are spawned, not forked
    os.register_at_fork(after_in_child=services.db.forget_inherited_connections)
