"""Postback actions: every identifier a button sends back to us."""

from enum import StrEnum


class Action(StrEnum):
    """What a tapped button asks for; bot/postback.py encodes these on the wire."""

    HELP = "help"
    REFERRAL_SHOW = "referral.show"
    REWARDS_LIST = "rewards.list"
