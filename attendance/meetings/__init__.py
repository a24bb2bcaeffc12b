"""Online meeting reports (Zoom, Microsoft Teams, BigBlueButton) applied to a saved session."""
