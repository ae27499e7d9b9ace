"""Wire protocols to Odoo behind one interface (:class:`Transport`)."""

from ledgerpilot.odoo.transports import web
from ledgerpilot.odoo.transports.base import Endpoint, Transport
from ledgerpilot.odoo.transports.json2 import Json2Transport
from ledgerpilot.odoo.transports.jsonrpc import JsonRpcTransport
from ledgerpilot.odoo.transports.xmlrpc import XmlRpcTransport

TRANSPORTS: dict[str, type[Transport]] = {
    "jsonrpc": JsonRpcTransport,
    "xmlrpc": XmlRpcTransport,
    "json2": Json2Transport,
}

__all__ = ["TRANSPORTS", "Endpoint", "Json2Transport", "JsonRpcTransport", "Transport", "XmlRpcTransport", "web"]
