"""Typed rejections of the core.

A command the state or the actor's rights do not allow is answered with a ``Rejection``
value; it changes nothing. Inside the core, handlers raise ``Rejected`` and ``decide``
turns it into the value, so no handler can half-apply a command.

    Exception
    └── Rejected(code, message)   -> Rejection(code, message), the value decide returns

Codes are stable strings that clients and the web layer map on (see docs/protocol.md):

    not_facilitator     the actor may not steer this workshop
    workshop_not_started / workshop_ended / workshop_already_started
    workshop_not_ended  anonymising a workshop that has not ended (the retention sweep)
    step_not_running    the current step is not running (paused, lobby, ended)
    not_paused          resume without a pause
    no_such_step        a step index outside the plan
    stale_step          the command names a step that is no longer the current one
    stale_expiry        an expiry for a deadline that is no longer current (already applied)
    step_in_past        a plan edit touching the current step or a step that ran (their places
                        are history); the current step's time changes with extend/shorten
    invalid_argument    a value out of range
    not_owner           only the owner may do this (the workshop's owner; a canvas's or
                        a reflection's author, never a facilitator)
    not_participant     the actor has not joined this workshop as a participant
    not_moderator       a participant chairs only their own group's queue, as its moderator
    action_not_allowed  the current step (or the actor's role in it) does not allow this
    no_such_milestone / no_such_poll
    poll_closed         the poll takes no more answers and cannot be revealed or closed again
    poll_revealed       an anonymous poll whose results are shown takes no more answers
    invalid_choice      a poll answer outside the poll's values, or several for a single choice
    already_queued / not_queued / queue_empty   the speaking queue
    stale_queue         a call of the next speaker naming someone no longer first in the queue
                        (a second press, or two chairs at once): nobody else is called
    already_done / not_done                      "I'm done" for the current step run
    no_such_item / item_exists / item_deleted   board items (a hidden or unrevealed item of
                        someone else does not exist for a participant)
    not_author          only the item's author (or, for deleting and marking, a facilitator)
    not_in_scope        the item or cluster belongs to another group and is not harvested
    no_such_group / no_such_cluster / cluster_exists / answer_exists
    board_full          the board holds its maximum of items or clusters
    vote_budget_exhausted   all dots of the step are placed
    votes_revealed      the tallies are shown; the vote takes no more dots or retractions
    no_such_vote        no dot of the voter on that item in this step
    already_revealed    nothing left to reveal (votes or private writing)
    breakouts_closed    the room is in the plenary; the command needs open breakout groups
    no_such_participant a participant id that is not (or no longer) in the workshop
    already_joined      an admission of a participant id that is in the workshop already
    joining_locked      a facilitator locked joining: nobody new is admitted
    agreement_required  an admission without the fingerprint of the working agreement in force
    already_facilitator / no_such_facilitator   inviting or removing co-facilitators
    room_full           a topic room (or every group) has reached its capacity
    step_has_no_groups  the current step works alone, all together or in rounds: no grouping
    not_met             a speed-matching rating of someone the rater never shared a group with
    unknown_command     a command type the engine does not know
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rejection:
    """The answer to a command that may not happen; nothing changed."""

    code: str
    message: str


class Rejected(Exception):
    """Raised inside the core's handlers; ``decide`` returns it as a ``Rejection``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def as_value(self) -> Rejection:
        """The rejection as a value."""
        return Rejection(self.code, self.message)
