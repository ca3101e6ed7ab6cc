"""API 02's analytics: the overview's four KPIs and the trends of leads, conversations and revenue."""
