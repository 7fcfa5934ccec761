from allauth.account.adapter import DefaultAccountAdapter


class MemberAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        display_name = form.cleaned_data.get("display_name", "").strip()
        if commit and display_name:
            from community.services import profile_update

            profile_update(member=user, data={"display_name": display_name})
        return user
