"""The support team's call review page: a small aiohttp app over the call record store."""
