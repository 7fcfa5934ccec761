from django import template

from community.selectors import member_badges

register = template.Library()


@register.inclusion_tag("community/_member_name.html")
def member_name(member, link: bool = True) -> dict:
    """A member's display name with their verification badges, wherever a name appears."""
    from community.live.selectors import member_is_ambassador

    return {
        "member": member,
        "badges": member_badges(member),
        "link": link,
        # Only during a term (a cached set of ids: no query per name).
        "ambassador": member_is_ambassador(member),
    }
