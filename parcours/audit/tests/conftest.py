import pytest


@pytest.fixture(autouse=True)
def _no_external_copy(settings):
    """No test writes the deployment's checkpoint file or syslog (tests that check the
    external copy point it at their own temporary file)."""
    settings.AUDIT_CHECKPOINT_FILE = ""
    settings.AUDIT_CHECKPOINT_SYSLOG = ""
