"""Inbound email: messages read from a Maildir or .eml files, filed onto cases, opened as new cases, or kept aside."""
