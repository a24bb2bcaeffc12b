"""The teacher's live session: start it, watch and correct the roster, show the code on the projector,
finish it (the sweep then saves it)."""
