"""The student's side of a live session: the entry points (typed code, QR link, tap, remote link), what a
check-in must prove (the rotating code, the network, the location), the browser's device cookie, and
the one enrolment rule. The decision and the write are the live store's check-in script."""
