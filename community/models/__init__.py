from .members import Member, MemberManager, Profile, Role, RoleGrant, SellerStage
from .messaging import Conversation, ConversationMember, LeakageAttempt, LeakageFlag, Message, MessageAttachment
from .notifications import Notification
from .verification import PhoneVerificationCode, Verification, VerificationKind, VerificationStatus

__all__ = [
    "Conversation",
    "ConversationMember",
    "LeakageAttempt",
    "LeakageFlag",
    "Member",
    "MemberManager",
    "Message",
    "MessageAttachment",
    "Notification",
    "PhoneVerificationCode",
    "Profile",
    "Role",
    "RoleGrant",
    "SellerStage",
    "Verification",
    "VerificationKind",
    "VerificationStatus",
]
