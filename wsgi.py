from bot import configure_logging, create_app

configure_logging()
app = create_app()
