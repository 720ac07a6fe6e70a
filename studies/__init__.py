"""One-off studies behind figures in README.md and models/README.md: not part of the library.

Run each from the checkout's root, e.g. ``python -m studies.per_group MODEL DATA_DIR``; each
module's docstring gives its command and what it measured.
"""
