"""Postback actions: every identifier a button sends back to us."""

from enum import StrEnum


class Action(StrEnum):
    """What a tapped button asks for; bot/postback.py encodes these on the wire."""

    HELP = "help"
    REFERRAL_SHOW = "referral.show"
    REWARDS_LIST = "rewards.list"
    SURVEY_START = "survey.start"
    SURVEY_ANSWER = "survey.answer"
    SURVEY_SKIP = "survey.skip"
    SURVEY_CANCEL = "survey.cancel"
    SURVEY_RESUME = "survey.resume"
    SURVEY_OPT_OUT = "survey.opt_out"
    SURVEY_OPT_IN = "survey.opt_in"
    BROADCAST_START = "broadcast.start"
    CASE_CLAIM = "case.claim"
    CASE_REPLY = "case.reply"
    CASE_RESOLVE = "case.resolve"
