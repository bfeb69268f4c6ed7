"""The LINE channel (``bot.line.channel.LineChannel``, a ``bot.channel.Channel``): webhook and signature, event
payloads, rendering the bot's replies as LINE messages, the Messaging API client, the rich menu, group chats and
the local emulator. The conversation does not import it; ``tsunagu`` wires it."""
