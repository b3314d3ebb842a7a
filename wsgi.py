from bot import configure_logging, create_app_or_exit

configure_logging()
app = create_app_or_exit()
