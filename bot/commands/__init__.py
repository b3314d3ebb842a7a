"""Flask CLI command groups of the bot, registered by the app factory."""
