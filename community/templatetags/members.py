from django import template

from community.selectors import member_badges

register = template.Library()


@register.inclusion_tag("community/_member_name.html")
def member_name(member, link: bool = True) -> dict:
    """A member's display name with their verification badges, wherever a name appears."""
    return {"member": member, "badges": member_badges(member), "link": link}
