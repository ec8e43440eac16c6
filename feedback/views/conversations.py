"""Manager pages of feedback threads and meetings. Each asks partners.access (through the
selectors) for what the user may see, then calls a service; refusals come back as messages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from feedback import conversations as conv
from feedback.conversation_forms import MeetingForm, ReplyForm, ThreadForm
from feedback.models import FeedbackDirection, FeedbackStatus, FeedbackTopic
from kpis.models import Period
from partners.access import is_manager, partner_for_user

PER_PAGE = 50


def managers_only(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404("No such page.")


def problem_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or "Not allowed."
    return " ".join(
        m for msgs in getattr(exc, "message_dict", {"": exc.messages}).values() for m in msgs
    )


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() else 1


@login_required
def threads(request: HttpRequest) -> HttpResponse:
    managers_only(request)
    filters = conv.ThreadFilters(
        status=request.GET.get("status", ""),
        direction=request.GET.get("direction", ""),
        topic=request.GET.get("topic", ""),
        partner=request.GET.get("partner", ""),
    )
    qs = conv.threads_filter(conv.threads_visible(request.user), filters)
    page = Paginator(qs, PER_PAGE).get_page(page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "feedback/threads.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "statuses": FeedbackStatus.choices,
            "directions": FeedbackDirection.choices,
            "topics": FeedbackTopic.choices,
        },
    )


def thread_context(request: HttpRequest, thread, form: ReplyForm | None = None) -> dict:
    replies = conv.thread_replies(thread)
    return {
        "thread": thread,
        "partner": thread.partner,
        "replies": [(r, conv.author_side(r, thread.partner)) for r in replies],
        "form": form or ReplyForm(),
        "allowed": [
            (s, FeedbackStatus(s).label) for s in conv.allowed_statuses(thread, request.user)
        ],
        "receiver": conv.receiver_of(thread),
    }


def thread_post(request: HttpRequest, thread) -> ReplyForm | None:
    """Handles a reply or a status change; returns the reply form when it has errors."""
    try:
        if "status" in request.POST:
            conv.thread_status_set(thread=thread, user=request.user, status=request.POST["status"])
            messages.success(request, f"The thread is now {thread.get_status_display().lower()}.")
            return None
        form = ReplyForm(request.POST)
        if not form.is_valid():
            return form
        conv.thread_reply(thread=thread, user=request.user, body=form.cleaned_data["body"])
        messages.success(request, "Reply sent.")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, problem_text(exc))
    return None


@login_required
def thread(request: HttpRequest, pk: int) -> HttpResponse:
    managers_only(request)
    item = conv.thread_for_user(request.user, pk)
    if request.method == "POST":
        form = thread_post(request, item)
        if form is None:
            return redirect("feedback-thread", pk=item.pk)
        return render(
            request, "feedback/thread.html", thread_context(request, item, form), status=400
        )
    return render(request, "feedback/thread.html", thread_context(request, item))


@login_required
def thread_new(request: HttpRequest, code: str) -> HttpResponse:
    managers_only(request)
    partner = partner_for_user(request.user, code)
    form = ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = conv.thread_start(
                partner=partner,
                user=request.user,
                period=Period.objects.filter(code=request.POST.get("period", "")).first(),
                **form.cleaned_data,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, problem_text(exc))
        else:
            return redirect("feedback-thread", pk=item.pk)
    return render(
        request,
        "feedback/thread_new.html",
        {"partner": partner, "form": form, "period": request.GET.get("period", "")},
        status=400 if request.method == "POST" else 200,
    )


# -- meetings -----------------------------------------------------------------------------------


@login_required
def meetings(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    """The partner's meetings and a form: a new one, or the one `pk` names (edit)."""
    managers_only(request)
    partner = partner_for_user(request.user, code)
    meeting = conv.meeting_for_user(request.user, pk, partner=partner) if pk else None
    initial = (
        {} if meeting else {"period": Period.objects.filter(status="open").order_by("-end").first()}
    )
    form = MeetingForm(request.POST or None, instance=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        try:
            conv.meeting_save(partner=partner, user=request.user, meeting=meeting, **data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, problem_text(exc))
        else:
            messages.success(request, "Meeting saved.")
            return redirect(reverse("partner-meetings", args=[partner.code]))
    return render(
        request,
        "feedback/meetings.html",
        {
            "partner": partner,
            "meetings": conv.meetings_of(partner),
            "form": form,
            "editing": meeting,
        },
        status=400 if request.method == "POST" else 200,
    )
