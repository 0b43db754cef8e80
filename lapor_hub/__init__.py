"""The reference national hub: the SP4N-LAPOR! side of the exchange API.

Its own Flask app (`app.create_app`), store (`store.py`), settings
(`settings.py`) and CLI group (`cli.hub`). It receives reports (`exchange.py`),
judges status updates from either side (`updates.py`), lets the national side
act on a report (`national.py`) and serves those acts to the regions as a feed
(`feed.py`). It plays the national side in demos and is the real HTTP peer of
the integration tests. Nothing in the connector imports it.
"""
