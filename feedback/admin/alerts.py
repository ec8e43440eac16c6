"""Admin of feedback's alerts."""
