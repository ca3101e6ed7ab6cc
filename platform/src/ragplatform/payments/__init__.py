"""Stripe payments (API document 02): Checkout Sessions, verified webhooks, subscriptions stored in
PostgreSQL (``user_subscriptions``), and the revenue analytics reads."""
