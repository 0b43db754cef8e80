"""The reference national hub: the SP4N-LAPOR! side of the exchange API.

Its own Flask app (`app.create_app`), store (`store.py`), settings
(`settings.py`) and CLI group (`cli.hub`). It plays the national side in demos
and is the real HTTP peer of the integration tests. Nothing in the connector
imports it.
"""
