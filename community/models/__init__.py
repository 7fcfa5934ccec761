from .members import Member, MemberManager, Profile, Role, RoleGrant, SellerStage
from .notifications import Notification
from .verification import PhoneVerificationCode, Verification, VerificationKind, VerificationStatus

__all__ = [
    "Member",
    "MemberManager",
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
