#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: create, update or delete an Azure Event Hubs namespace."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eventhub_namespace
short_description: Create, update or delete an Azure Event Hubs namespace
version_added: 0.1.0
description:
  - Manages one Event Hubs namespace (a Kafka cluster, when its tier has the Kafka endpoint).
  - Waits, within O(wait_timeout), until Azure reports the namespace provisioned on create and update, and gone
    on delete.
  - Handles every provisioning state Azure reports. A namespace left V(Failed) is a failure naming the state. A
    namespace being deleted is waited for, then created again when O(state=present). Any other state in progress
    (V(Created), V(Creating), V(Updating), V(Activating), V(Canceled) ...) is waited for until V(Succeeded), within
    O(wait_timeout), and named in the message when it does not end.
  - Refuses a tier without a Kafka endpoint (Basic) unless O(require_kafka=false), and checks capacity and
    auto-inflate against the tier before any write.
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.azure
  - streamops.eventhub_connect.azure.attributes
options:
  name:
    description: Namespace name, 6-50 letters, digits and hyphens, globally unique.
    type: str
    required: true
  resource_group:
    description: Resource group of the namespace.
    type: str
    required: true
  state:
    description: Whether the namespace should exist.
    type: str
    choices: [present, absent]
    default: present
  location:
    description:
      - Azure region. Required to create; a namespace cannot move, so a different region is an error.
    type: str
  sku:
    description:
      - Pricing tier. V(Basic) has no Kafka endpoint.
      - Defaults to V(Standard) on create; unset keeps the current tier, so a run that leaves it out
        never moves an existing V(Premium) namespace.
      - Dedicated namespaces live in a cluster and are not created by this module.
    type: str
    choices: [Basic, Standard, Premium]
  require_kafka:
    description:
      - Refuse a tier without a Kafka endpoint. Set V(false) to allow V(Basic) when Kafka is not needed.
    type: bool
    default: true
  capacity:
    description:
      - Throughput units (Basic, Standard, 1-40) or processing units (Premium, 1, 2, 4, 8 or 16).
      - Defaults to 1 on create; unset keeps the current value.
    type: int
  auto_inflate:
    description:
      - Let Azure raise throughput units up to O(maximum_throughput_units) under load. Standard only.
      - Defaults to V(false) on create; unset keeps the current value.
    type: bool
  maximum_throughput_units:
    description:
      - Upper bound for auto-inflate, at least O(capacity) and at most 40.
      - Needs O(auto_inflate=true) in the same task; without it the task is refused rather than the bound dropped.
    type: int
  zone_redundant:
    description:
      - Spread the namespace over availability zones. Sent only when set, and only on create.
      - Unset lets Azure decide; in regions with availability zones Azure makes every new namespace zone
        redundant, whatever the request says.
      - Zone redundancy cannot change after creation, so it is never compared for an existing namespace; a
        value that differs from the namespace's gives a warning, not a change.
    type: bool
  minimum_tls_version:
    description:
      - Oldest TLS version clients may use. Defaults to V(1.2) on create; unset keeps the current value,
        so a run that leaves it out never lowers it.
    type: str
    choices: ['1.0', '1.1', '1.2', '1.3']
  public_network_access:
    description:
      - Whether the namespace answers on public networks. Defaults to V(Enabled) on create; unset keeps the
        current value.
    type: str
    choices: [Enabled, Disabled, SecuredByPerimeter]
  disable_local_auth:
    description:
      - Refuse SAS keys and accept only Microsoft Entra tokens. Kafka Connect with a connection string needs
        local (SAS) authentication, so keep V(false) for that.
      - Defaults to V(false) on create; unset keeps the current value.
    type: bool
  tags:
    description: Tags of the namespace; when given, they replace the current tags.
    type: dict
  wait_timeout:
    description: Seconds to wait for provisioning or deletion before failing, at least 0.
    type: int
    default: 600
  polling_interval:
    description: Seconds between status polls while waiting (greater than 0), unless Azure asks for another interval.
    type: float
    default: 5
seealso:
  - module: streamops.eventhub_connect.eventhub
  - module: streamops.eventhub_connect.eventhub_info
"""

EXAMPLES = r"""
---
- name: Create a Standard namespace with the Kafka endpoint
  streamops.eventhub_connect.eventhub_namespace:
    name: contoso-connect-ehns
    resource_group: rg-streaming
    location: westeurope
    sku: Standard
    capacity: 2
    auto_inflate: true
    maximum_throughput_units: 10
    tags:
      owner: platform

- name: A Basic namespace, knowing it has no Kafka endpoint
  streamops.eventhub_connect.eventhub_namespace:
    name: contoso-telemetry-ehns
    resource_group: rg-streaming
    location: westeurope
    sku: Basic
    require_kafka: false

- name: Delete a namespace and everything in it
  streamops.eventhub_connect.eventhub_namespace:
    name: contoso-connect-ehns
    resource_group: rg-streaming
    state: absent
"""

RETURN = r"""
namespace:
  description: The namespace after the change (predicted in check mode); empty after deletion.
  returned: always
  type: dict
  contains:
    name:
      description: Namespace name.
      type: str
      sample: contoso-connect-ehns
    id:
      description: ARM resource id (absent when predicted in check mode).
      type: str
      sample: /subscriptions/0000/resourceGroups/rg-streaming/providers/Microsoft.EventHub/namespaces/contoso-connect-ehns
    location:
      description: Azure region.
      type: str
      sample: westeurope
    sku:
      description: Pricing tier.
      type: str
      sample: Standard
    capacity:
      description: Throughput or processing units.
      type: int
      sample: 2
    auto_inflate:
      description: Whether auto-inflate is on.
      type: bool
      sample: true
    maximum_throughput_units:
      description: Auto-inflate upper bound (0 when auto-inflate is off).
      type: int
      sample: 10
    zone_redundant:
      description: Whether the namespace is zone redundant.
      type: bool
      sample: false
    minimum_tls_version:
      description: Oldest TLS version accepted.
      type: str
      sample: '1.2'
    public_network_access:
      description: Public network access.
      type: str
      sample: Enabled
    disable_local_auth:
      description: Whether SAS authentication is refused.
      type: bool
      sample: false
    tags:
      description: Tags.
      type: dict
      sample: {owner: platform}
    kafka_enabled:
      description: Whether the namespace has a Kafka endpoint.
      type: bool
      sample: true
    service_bus_endpoint:
      description:
        - The namespace's endpoint, as Azure answers it; its host with port 9093 is the Kafka bootstrap server.
        - In check mode, for a namespace that does not exist yet, the endpoint Azure will give it in the cloud that
          O(cloud_environment) names.
      type: str
      sample: https://contoso-connect-ehns.servicebus.windows.net:443/
    provisioning_state:
      description: Azure's provisioning state.
      type: str
      sample: Succeeded
    status:
      description: Azure's namespace status.
      type: str
      sample: Active
diff:
  description: Before and after state of the compared fields, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {capacity: 1}, after: {capacity: 2}}
"""

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import azure_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_namespace import (
    NAMESPACE_ARGUMENT_SPEC,
    NamespaceManager,
)


def main() -> None:
    module = azure_module(NAMESPACE_ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, NamespaceManager(module).run)


if __name__ == "__main__":
    main()
