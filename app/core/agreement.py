"""The working agreement every participant accepts before joining, and its fingerprint.

A workshop shows its own agreement (``WorkshopState.agreement``, set with
``ConfigureWorkshop`` in ``setup.py``) or, when it has none, ``DEFAULT_AGREEMENT``. The join
form sends back the fingerprint of the text the person saw and accepted; ``AdmitParticipant``
is refused unless it matches the agreement in force, so nobody is admitted on an old or
unseen text, and the fingerprint stays on the participant as a record of what they accepted.
"""

from __future__ import annotations

import hashlib

from app.core.plan import Text
from app.core.state import WorkshopState

FINGERPRINT_CHARS = 16  # 64 bits of sha256: a record of the text, not a secret

DEFAULT_AGREEMENT = Text(
    de=(
        "Vertraulichkeit: Was im Raum gesagt wird, bleibt im Raum.\n"
        "Wir lernen auf Augenhöhe, voneinander und miteinander.\n"
        "Wir begegnen einander mit Respekt.\n"
        "Jede und jeder spricht für sich selbst."
    ),
    en=(
        "Confidentiality: what is said in the room stays in the room.\n"
        "We learn on an equal footing, from and with each other.\n"
        "We treat each other with respect.\n"
        "Everyone speaks for themselves."
    ),
)


def agreement_fingerprint(text: Text) -> str:
    """The first 16 hex digits of the sha256 of both languages of an agreement."""
    # the unit separator keeps ("ab", "c") and ("a", "bc") apart
    digest = hashlib.sha256(f"{text.de}\x1f{text.en}".encode()).hexdigest()
    return digest[:FINGERPRINT_CHARS]


def agreement_of(state: WorkshopState) -> Text:
    """The working agreement in force: the workshop's own, or the default."""
    return state.agreement if state.agreement is not None else DEFAULT_AGREEMENT
