"""Messaging pages. Each view parses, checks permission through the selectors (strangers get 404), calls one service
and renders. Every page works without JavaScript; with it, htmx sends and the websocket delivers live."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community import selectors as member_selectors
from community.messaging import selectors, services
from community.messaging.forms import MessageForm
from community.models import Member

INBOX_PAGE_SIZE = 30


def _apply_errors(form: MessageForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _int_param(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        raise Http404 from None


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(member=request.user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "community/messages/inbox.html", {"page": page, "rows": selectors.inbox_rows(page.object_list)}
    )


def _new_conversation_target(request: HttpRequest):
    """(listing, order ref, recipient) that "Message the seller", an order's "Message the buyer/seller" or a
    profile's "Send a message" points at: ?listing=<id>, ?order=<id> or ?to=<member id>."""
    from listings.models import Listing
    from listings.services import listing_visible_to

    listing_id = _int_param(request.GET.get("listing"))
    if listing_id is not None:
        listing = Listing.objects.select_related("seller__profile").filter(pk=listing_id).first()
        if listing is None or not listing_visible_to(listing, request.user):
            raise Http404
        return listing, None, listing.seller
    order_ref = _int_param(request.GET.get("order"))
    if order_ref is not None:
        parties = selectors.order_parties(order_ref=order_ref) or ()
        others = [member_id for member_id in parties if member_id != request.user.pk]
        if request.user.pk not in parties or not others:
            raise Http404
        return None, order_ref, member_selectors.member_public_get(pk=others[0])
    member_id = _int_param(request.GET.get("to"))
    if member_id is None:
        raise Http404
    return None, None, member_selectors.member_public_get(pk=member_id)


@login_required
@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest) -> HttpResponse:
    listing, order_ref, recipient = _new_conversation_target(request)
    if recipient.pk == request.user.pk:
        messages.info(request, _("This is your own listing: buyers' messages about it arrive in your inbox."))
        return redirect("messaging:inbox")
    existing = selectors.conversation_find(
        member_id=request.user.pk,
        other_id=recipient.pk,
        listing_id=listing.pk if listing else None,
        order_ref=order_ref,
    )
    if existing is not None and request.method == "GET":
        return redirect(existing)
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            delivery = services.conversation_start(
                sender=request.user,
                recipient=recipient,
                body=form.cleaned_data["body"],
                listing=listing,
                order_ref=order_ref,
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
            status = 429 if isinstance(error, services.RateLimited) else 400
        else:
            if delivery.warning:
                messages.warning(request, delivery.warning)
            return redirect(delivery.conversation)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "community/messages/new.html",
        {"form": form, "listing": listing, "order_ref": order_ref, "recipient": recipient},
        status=status,
    )


def _conversation_context(request: HttpRequest, conversation, form: MessageForm) -> dict:
    before = _int_param(request.GET.get("before"))
    items, has_earlier = selectors.conversation_messages(conversation=conversation, before_id=before)
    other: Member = conversation.other_member(request.user.pk)
    membership = selectors.conversation_membership(conversation=conversation, member=request.user)
    return {
        "conversation": conversation,
        "other": other,
        "items": items,
        "has_earlier": has_earlier,
        "earliest_id": items[0].pk if items else None,
        "form": form,
        "membership": membership,
        "socket_path": f"/ws/messages/{conversation.pk}/",
    }


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.conversation_for_member(conversation_id=pk, member=request.user)
    if request.method == "GET":
        services.conversation_read(conversation=conversation, member=request.user)
        context = _conversation_context(request, conversation, MessageForm())
        return render(request, "community/messages/conversation.html", context)

    form = MessageForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            delivery = services.message_send(
                conversation=conversation,
                sender=request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
            status = 429 if isinstance(error, services.RateLimited) else 400
        else:
            if request.htmx:
                # The sender's page gets its message at once (the socket may be slower, or closed) and a fresh form.
                return render(
                    request,
                    "community/messages/_compose.html",
                    {
                        "conversation": conversation,
                        "form": MessageForm(),
                        "warning": delivery.warning,
                        "sent": selectors.messages_of(conversation=conversation).get(pk=delivery.message.pk),
                    },
                )
            if delivery.warning:
                messages.warning(request, delivery.warning)
            return redirect(f"{conversation.get_absolute_url()}#message-{delivery.message.pk}")
    if request.htmx:
        # htmx swaps only successful responses: errors come back as 200 with the form and its messages.
        return render(request, "community/messages/_compose.html", {"conversation": conversation, "form": form})
    context = _conversation_context(request, conversation, form)
    return render(request, "community/messages/conversation.html", context, status=status)


@login_required
@require_POST
def conversation_mute(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.conversation_for_member(conversation_id=pk, member=request.user)
    muted = request.POST.get("muted") == "1"
    services.conversation_mute_set(conversation=conversation, member=request.user, muted=muted)
    if muted:
        messages.success(request, _("Conversation muted: no notifications or emails for it."))
    else:
        messages.success(request, _("Conversation unmuted."))
    return redirect(conversation)


def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """Streams an attachment to the conversation's members; anyone else is told it does not exist."""
    attachment = selectors.attachment_for_member(attachment_id=pk, member=request.user)
    response = FileResponse(attachment.file.open("rb"), as_attachment=not attachment.is_image, filename=attachment.name)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
