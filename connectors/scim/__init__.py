"""The ``scim`` connector: a SCIM 2.0 app over HTTP (httpx), in the RFC 7644 or Entra dialect.

Job file settings: ``baseAddress``, ``secretToken``, optional ``dialect`` (``rfc7644`` | ``entra``),
``concurrency``, ``timeoutSeconds`` (see ``_settings``). httpx is imported only inside this package.
"""

from ._connector import ScimConnector as ScimConnector

__all__ = ["ScimConnector"]
