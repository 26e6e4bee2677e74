# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of eventhub: a result that carries the SAS rule's keys is hidden like eventhub_authorization_rule's."""

from __future__ import annotations

from ansible_collections.streamops.eventhub_connect.plugins.action.eventhub_authorization_rule import (
    ActionModule as RuleActionModule,
)


class ActionModule(RuleActionModule):
    """The same rule as eventhub_authorization_rule's action plugin: keys or kafka in the result hide all of it."""
