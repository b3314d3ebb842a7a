"""The transport edge and app assembly: the only package that talks to LINE."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

import storage
from bot import api, cli, tasks, webhook
from bot.call_pool import CallPool
from bot.config import DEFAULT_CATALOGUE, ConfigError, Settings
from bot.line_client import LineClient
from bot.services import EXTENSION_KEY, Services
from handlers import build_router
from handlers.catalogue import Catalogue, CatalogueError
from handlers.escalation.options import CaseOptions, complaint_thresholds
from handlers.options import OptionError, shop_zone

log = logging.getLogger(__name__)

# What a wrong setting raises while the app is built: each entry point prints it as one line, not a traceback
CONFIG_ERRORS = (ConfigError, OptionError)


def configure_logging() -> None:
    """Log to stderr at INFO, once per process (web and worker entry points call this)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for requests that bring no cookie.

    LINE's webhook requests never carry one; Flask would otherwise build the signer on every request.
    """

    def open_session(self, app, request):
        """An empty session when there is no cookie; Flask's own handling otherwise."""
        # no Cookie header at all (every webhook): not even werkzeug's cookie parsing
        if app.secret_key and (not request.environ.get("HTTP_COOKIE")
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)


def _catalogue(settings: Settings) -> Catalogue:
    """The shipped texts, under the business's edited copy when KOUBEI_CATALOGUE names one."""
    shipped = Catalogue.load(DEFAULT_CATALOGUE)  # a broken shipped file is our bug: it keeps its traceback
    path = settings.catalogue_path
    if path.resolve() == DEFAULT_CATALOGUE.resolve():
        return shipped
    try:
        catalogue, missing = shipped.edited_by(_edited_copy(path))
    except CatalogueError as exc:
        raise ConfigError(f"KOUBEI_CATALOGUE: {path}: {exc}") from exc
    if missing:
        # a partial copy is allowed (the README suggests copying just the texts you change)
        log.info("%s leaves out %d text(s), left out on purpose or added since it was copied; "
                 "the shipped wording is used: %s", path, len(missing), ", ".join(missing))
    return catalogue


def _edited_copy(path: Path) -> Catalogue:
    """The business's copy; one that cannot be read or parsed is a wrong setting, named as such."""
    try:
        return Catalogue.load(path)
    except OSError as exc:
        raise ConfigError(f"KOUBEI_CATALOGUE: cannot read {path}: {exc.strerror}") from exc
    except CatalogueError as exc:
        raise ConfigError(f"KOUBEI_CATALOGUE: {exc}") from exc  # the message starts with the path


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app: settings, database, LINE client, task queue, webhook and CLI."""
    settings = settings or Settings.from_env()
    settings.validate()
    shop_zone(settings.extra)  # a bad KOUBEI_TIMEZONE, KOUBEI_CASE_* or KOUBEI_BUSINESS_HOURS stops the start
    CaseOptions.from_options(settings.extra)
    complaint_thresholds(settings.extra)  # else a bad KOUBEI_COMPLAINT_* would fail every text message
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.session_interface = CookieSessions()
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, SECRET_KEY=settings.secret_key.reveal()
                      if settings.secret_key else None, KOUBEI_SETTINGS=settings)
    database = storage.init_app(app, settings.database_url)
    app.extensions[EXTENSION_KEY] = Services(
        settings=settings,
        db=database,
        line=LineClient(host=settings.line_api_base, timeout=settings.line_timeout_seconds,
                        access_token=settings.line_channel_access_token.reveal(),
                        connections=settings.event_batch_size),  # the call pool's threads
        catalogue=_catalogue(settings),
        router=build_router(),
        call_pool=CallPool(settings.event_batch_size),
    )
    tasks.init_app(app, settings)
    webhook.init_parser(app, settings.line_channel_secret.reveal())
    app.register_blueprint(webhook.bp)
    app.register_blueprint(api.bp)
    cli.init_app(app)
    return app


def create_app_or_exit() -> Flask:
    """Build the app for a process's entry point: a wrong setting ends it with one line and status 1.

    The message already names the variable; a traceback would only bury it. Any other error keeps its traceback.
    """
    try:
        return create_app()
    except CONFIG_ERRORS as exc:
        sys.exit(f"Error: {exc}")
