"""Saved sessions: audited corrections, the course's policy, reports and exports (CSV and XLSX)."""
