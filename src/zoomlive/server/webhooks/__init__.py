"""Webhooks: event subscriptions, the durable outbox and signed delivery."""
