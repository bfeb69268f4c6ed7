"""Local LINE emulator (development only): a fake Messaging API the bot can be pointed at via LINE_API_BASE."""
