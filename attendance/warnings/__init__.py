"""Low-attendance warnings: students who cross the course's threshold are told once per crossing."""
