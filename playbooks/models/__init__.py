from playbooks.models.engagement import PlaybookFeedback, TemplateUse, TemplateUseContext
from playbooks.models.lessons import LessonPlaybookLink, LessonPromotion
from playbooks.models.pages import PlaybookIndexPage, PlaybookPage, PlaybookPageTag
from playbooks.models.taxonomy import BusinessModel, BusinessModelKind, Region
from playbooks.models.welcome import WelcomeProgress, WelcomeSeries, WelcomeSeriesItem
from playbooks.models.workflow import PeerApprovalTask

__all__ = [
    "BusinessModel",
    "BusinessModelKind",
    "LessonPlaybookLink",
    "LessonPromotion",
    "PeerApprovalTask",
    "PlaybookFeedback",
    "PlaybookIndexPage",
    "PlaybookPage",
    "PlaybookPageTag",
    "Region",
    "TemplateUse",
    "TemplateUseContext",
    "WelcomeProgress",
    "WelcomeSeries",
    "WelcomeSeriesItem",
]
