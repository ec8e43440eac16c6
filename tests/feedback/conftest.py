"""The API's scored world (tests/api/conftest.py) for the feedback loop's tests: a module that
says `pytestmark = pytest.mark.usefixtures("scored_module")` shares one, others build their own."""

from tests.api.conftest import _module_copy, scored, scored_module, world  # noqa: F401
