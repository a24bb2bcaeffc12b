"""Photo check: selfies at check-in matched against the student's reference photo.

- ``images``: what an upload must be (sniffed, bounded, oriented, stripped).
- ``faces``: dlib's detector and encoder through face_recognition, loaded once per process.
- ``verify``: the worker's side (the match, the result on the live record, the references).
- ``external``: the optional external verifier and its signed callback.
"""
