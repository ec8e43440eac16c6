from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        # SCORING.md 2: survey answers are observations of the KPIs their questions feed.
        from assessments.panels import panel_register
        from feedback.panels import scorecard_panel
        from feedback.surveys import ANSWERS_SQL
        from kpis.observations import observation_source_register

        observation_source_register(name="survey", sql=ANSWERS_SQL)
        # the scorecard shows the plan's progress and whether a plan's KPIs moved
        panel_register(name="feedback-plans", render=scorecard_panel)
        self._alerts_ready()

    @staticmethod
    def _alerts_ready() -> None:
        """Alerts after every successful recompute (the assessments -> feedback seam), and
        the digest, the reminders and the survey requests in the beat schedule
        (`manage.py setup_schedule`)."""
        from django.conf import settings
        from django_celery_beat.models import IntervalSchedule

        from assessments.management.commands.setup_schedule import schedule_register
        from assessments.signals import scorecards_recomputed
        from feedback.tasks import on_scorecards_recomputed

        scorecards_recomputed.connect(
            on_scorecards_recomputed, dispatch_uid="feedback.alerts_after_recompute"
        )
        schedule_register(
            name="E-mail digest of alerts",
            task="feedback.tasks.send_alert_digest",
            every=lambda: settings.ALERT_DIGEST_EVERY_HOURS,
            unit=IntervalSchedule.HOURS,
        )
        schedule_register(
            name="Reminders (assessments, surveys, actions)",
            task="feedback.tasks.send_reminders",
            every=lambda: settings.REMINDERS_EVERY_HOURS,
            unit=IntervalSchedule.HOURS,
        )
        schedule_register(
            name="Ask partner users the relationship survey",
            task="feedback.tasks.survey_requests_daily",
            every=lambda: 24,
            unit=IntervalSchedule.HOURS,
        )
