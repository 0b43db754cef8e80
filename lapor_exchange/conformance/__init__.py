"""The conformance kit: check a hub or reports against the published documents, and a
strict recording hub built from them for tests. Nothing here trusts any implementation:
every judgement comes from the documents."""
