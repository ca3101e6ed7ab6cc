"""Text out of images, audio and video, and speech out of text, offline by default.

``MediaExtractor`` (``extract.py``) is the one entry point: it checks the limits of
``MediaSettings`` and calls the engines, each behind a Protocol of ``base.py``.
"""
