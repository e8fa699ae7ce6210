"""Small helpers that hold no Django models."""
