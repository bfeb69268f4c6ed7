"""The LINE channel: webhook and signature, event payloads, the Messaging API client, the rich menu, group chats
and the local emulator. The conversation does not import it."""
