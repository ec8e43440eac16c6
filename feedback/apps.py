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
