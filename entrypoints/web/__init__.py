"""The HTTP service: provider webhook, fan endpoints, ops endpoints, fan page."""
