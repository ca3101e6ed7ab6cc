"""Shared pieces of the admin console's pages: the signed-in API client and how API errors show.

Pages (``console/app_pages/``) only lay out widgets and call ``ragplatform.client``; what they
share lives here so each page stays a screenful of layout.
"""
