"""All tables, imported together so Alembic and the metadata see every one."""

from storage.base import Base
from storage.models.broadcasts import (
    BatchStatus,
    Broadcast,
    BroadcastBatch,
    BroadcastRecipient,
    BroadcastStatus,
    CustomerTag,
)
from storage.models.cases import Case, CaseMessage, CaseMessageKind, CaseSource, CaseStatus, ReplyRelay
from storage.models.customers import Customer, FollowStatus
from storage.models.events import EventStatus, WebhookEvent
from storage.models.messages import (
    ConversationMessage,
    DeliveryKind,
    Direction,
    OutboundMessage,
    OutboxStatus,
)
from storage.models.referrals import (
    FirstPurchase,
    Referral,
    ReferralAttempt,
    ReferralCampaign,
    ReferralCode,
    Reward,
)
from storage.models.staff import CodeKind, StaffCode, StaffGroup, StaffMember, StaffRole
from storage.models.surveys import (
    EntrySource,
    ResponseState,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
    SurveyVersion,
)

__all__ = [
    "Base",
    "BatchStatus",
    "Broadcast",
    "BroadcastBatch",
    "BroadcastRecipient",
    "BroadcastStatus",
    "CustomerTag",
    "ConversationMessage",
    "Customer",
    "DeliveryKind",
    "Direction",
    "EventStatus",
    "FollowStatus",
    "OutboundMessage",
    "OutboxStatus",
    "WebhookEvent",
    "FirstPurchase",
    "Referral",
    "ReferralAttempt",
    "ReferralCampaign",
    "ReferralCode",
    "Reward",
    "EntrySource",
    "ResponseState",
    "Survey",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyOptOut",
    "SurveyResponse",
    "SurveyVersion",
    "Case",
    "CaseMessage",
    "CaseMessageKind",
    "CaseSource",
    "CaseStatus",
    "ReplyRelay",
    "CodeKind",
    "StaffCode",
    "StaffGroup",
    "StaffMember",
    "StaffRole",
]
