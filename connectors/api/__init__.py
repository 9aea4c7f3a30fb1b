"""The ``api`` connector: API-driven inbound provisioning's records (``bulkUpload``) as a read-only source.

``engine.api`` stores each accepted bulk request in the job's inbox (``Inbox.append``) before it answers 202;
the job's cycles read the inbox through ``ApiConnector``. See ``_connector`` for the settings and names,
``_inbox`` for the durable store.
"""

from ._connector import ApiConnector as ApiConnector
from ._connector import flatten as flatten
from ._connector import inbox_path as inbox_path
from ._connector import rate_limit as rate_limit
from ._inbox import InboundRecord as InboundRecord
from ._inbox import Inbox as Inbox

__all__ = ["ApiConnector", "InboundRecord", "Inbox", "flatten", "inbox_path", "rate_limit"]
