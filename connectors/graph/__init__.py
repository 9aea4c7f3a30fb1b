"""The ``graph`` connector: Entra ID (Microsoft Graph v1.0) as a read-only source, by delta queries.

Job file settings: ``tenantId``, ``clientId``, ``clientSecret`` (or ``certificate``), ``authority``,
``validateAuthority``, ``baseUrl``, ``objects``, ``scope`` (``all`` | ``assigned``), ``servicePrincipalId``,
``attributes``, ``caBundle``, ``timeoutSeconds`` (see ``_settings``).

Why httpx and not msgraph-sdk: the reader needs the raw delta pages -- ``@odata.nextLink`` and
``@odata.deltaLink`` kept as opaque strings for the watermark, ``@removed`` and ``members@delta`` annotations,
``Prefer: odata.maxpagesize``, one 401 retry with a fresh token and ``Retry-After`` waits whose limit the
engine decides.
msgraph-sdk's generated models hide annotations in ``additional_data``, its async Kiota pipeline would need an
event loop inside a synchronous connector, and its retry handler sleeps without bound; a plain httpx client
with msal for tokens is ~150 lines we control (``_http``), and httpx is already idsync's HTTP client.
msal and httpx are imported only inside this package.
"""

from ._connector import GraphConnector as GraphConnector

__all__ = ["GraphConnector"]
