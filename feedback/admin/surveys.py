"""Admin of feedback's surveys."""
