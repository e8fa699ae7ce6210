"""Hooks that let higher apps look at each inbound message as it is filed, without inbound importing them.

A higher app registers its callback in its ``AppConfig.ready`` (meetings reads calendar replies). Callbacks run
inside the filing transaction and must not raise for a message they do not recognise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liaison.inbound.models import InboundMessage
    from liaison.inbound.parsing import ParsedMessage


@dataclass(frozen=True)
class MessageFiled:
    message: InboundMessage
    parsed: ParsedMessage


MessageFiledCallback = Callable[[MessageFiled], object]
_MESSAGE_FILED: list[MessageFiledCallback] = []


def on_message_filed(callback: MessageFiledCallback) -> MessageFiledCallback:
    if callback not in _MESSAGE_FILED:
        _MESSAGE_FILED.append(callback)
    return callback


def message_filed(event: MessageFiled) -> None:
    for callback in list(_MESSAGE_FILED):
        callback(event)
