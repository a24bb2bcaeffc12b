"""LTI 1.3 / LTI Advantage, the tool side: ATTN launched from an LMS (Moodle, Canvas, …).

django-lti (on pylti1p3) holds the platforms' registrations and deployments, the tool's keys and their
JWKS, and what each launch said (contexts, users, resource links). This package decides what a launch
means here:

- ``launch``: the signed launch checked (pylti1p3's checks, then the audience and the nonce once);
- ``people``: who the person is (the school number claim, the role) and their account;
- ``courses``: the LMS course linked to an ATTN course, and where the person lands;
- ``roster``: the course's members from the LMS (NRPS), on the roster import's rules;
- ``grades``: attendance as a grade column (AGS), from the course report;
- ``middleware``: the pages of a launched session may be framed by its platform, with cookies that
  survive a third-party frame.
"""
