"""Admin of feedback's conversations."""
