"""The scorecard page's panels from apps to the right (the seam that keeps assessments from
importing them): an app registers a function `(partner, period, user) -> HTML or None` in its
AppConfig.ready, and the scorecard view renders every registered panel below the headline, in
the order registered. A panel sees the partner through the view's own access check; it must
show only what `user` may see."""

from collections.abc import Callable

from kpis.models import Period
from partners.models import Partner

Panel = Callable[[Partner, Period, object], str | None]

_PANELS: dict[str, Panel] = {}


def panel_register(*, name: str, render: Panel) -> None:
    """Registers (or replaces, by name: ready() may run twice) a panel."""
    _PANELS[name] = render


def panel_unregister(*, name: str) -> None:
    _PANELS.pop(name, None)


def panels_render(*, partner: Partner, period: Period, user) -> list[str]:
    """The HTML of every registered panel that has something to show."""
    return [html for render in _PANELS.values() if (html := render(partner, period, user))]
