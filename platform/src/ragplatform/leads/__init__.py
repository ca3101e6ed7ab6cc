"""Leads (API 02): people who leave their contact details through a form or in a chat, deduplicated
by e-mail address, qualified by ``lead_agent`` and visible to admins (and to the account each came
through). ``service.LeadService`` is the entry point; ``store.LeadStore`` keeps them in PostgreSQL.
"""
