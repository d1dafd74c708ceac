"""Bounds on list parameters, shared by the routers."""

# Largest list offset accepted: far past any listing, and inside every database's integers
# (SQLite answers an offset past 64 bits with an error, not an empty page).
MAX_OFFSET = 2**31
