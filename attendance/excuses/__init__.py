"""Excuse requests: a student asks, a teacher of the course decides, the records follow."""
