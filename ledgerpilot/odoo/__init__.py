"""The Odoo gateway: the only way ledgerpilot talks to Odoo.

    from ledgerpilot.odoo import connect
    client = connect(settings.odoo.connection(), cache_dir=settings.cache_dir)
    lines = client.extract("account.move.line", ["move_id", "account_id", "date", "balance"],
                           [("parent_state", "=", "posted")], incremental=True)

See :mod:`ledgerpilot.odoo.client` for the calls, :mod:`ledgerpilot.odoo.errors` for what can go
wrong, :mod:`ledgerpilot.odoo.retry` for what is retried.
"""

from ledgerpilot.odoo.client import OdooClient
from ledgerpilot.odoo.connection import connect
from ledgerpilot.odoo.errors import (
    GatewayUsageError,
    MissingFieldError,
    MissingModuleError,
    OdooAccessError,
    OdooAuthenticationError,
    OdooConnectionError,
    OdooDatabaseNotFound,
    OdooEndpointNotFound,
    OdooError,
    OdooMissingRecord,
    OdooProtocolError,
    OdooRedirectWarning,
    OdooServerError,
    OdooServiceUnavailable,
    OdooSessionExpired,
    OdooUnreachable,
    OdooUserError,
    OdooValidationError,
)
from ledgerpilot.odoo.incremental import IncrementalExtractor
from ledgerpilot.odoo.retry import NO_RETRY, RetryPolicy
from ledgerpilot.odoo.schema import Capabilities, FeatureStatus

__all__ = [
    "NO_RETRY",
    "Capabilities",
    "FeatureStatus",
    "GatewayUsageError",
    "IncrementalExtractor",
    "MissingFieldError",
    "MissingModuleError",
    "OdooAccessError",
    "OdooAuthenticationError",
    "OdooClient",
    "OdooConnectionError",
    "OdooDatabaseNotFound",
    "OdooEndpointNotFound",
    "OdooError",
    "OdooMissingRecord",
    "OdooProtocolError",
    "OdooRedirectWarning",
    "OdooServerError",
    "OdooServiceUnavailable",
    "OdooSessionExpired",
    "OdooUnreachable",
    "OdooUserError",
    "OdooValidationError",
    "RetryPolicy",
    "connect",
]
