"""The versioned REST API (/api/v1/): clients, tokens, resources, webhooks and
the provincial exchange. Wiring layer: it calls other apps' services and
selectors and scopes every resource through cms.accounts.scoping."""
