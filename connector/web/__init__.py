"""The connector's own HTTP surface (health now; webhooks and console later) and the shared server helper."""
