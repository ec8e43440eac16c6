from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        # The seam from kpis (to our left): changed inputs ask for a recompute through a
        # signal, so kpis never imports the tasks that do it.
        from assessments.tasks import on_recompute_requested
        from kpis.recompute import recompute_requested

        recompute_requested.connect(on_recompute_requested, dispatch_uid="assessments-recompute")

        from assessments.reviews import RATINGS_SQL
        from kpis.observations import observation_source_register

        observation_source_register(name="assessment", sql=RATINGS_SQL)
