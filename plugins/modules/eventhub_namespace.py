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
      description: The namespace's endpoint.
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

from typing import Any, Dict, List, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    AzureApiError,
    as_json,
    azure_call,
    azure_module,
    eventhub_client,
    get_or_none,
    wait_for_poller,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_limits import (
    namespace_name_error,
    namespace_sku_errors,
    number_error,
    resource_group_error,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_model import (
    NAMESPACE_FIELDS,
    changed_fields,
    comparable,
    merge_namespace,
    namespace_body,
    namespace_spec_from_options,
    namespace_state_from_api,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import (
    Deadline,
    DeadlineExceeded,
    backoff_delays,
    poll_until,
)

ARGUMENT_SPEC: Dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "location": {"type": "str"},
    "sku": {"type": "str", "choices": ["Basic", "Standard", "Premium"]},
    "require_kafka": {"type": "bool", "default": True},
    "capacity": {"type": "int"},
    "auto_inflate": {"type": "bool"},
    "maximum_throughput_units": {"type": "int"},
    "zone_redundant": {"type": "bool"},
    "minimum_tls_version": {"type": "str", "choices": ["1.0", "1.1", "1.2", "1.3"]},
    "public_network_access": {"type": "str", "choices": ["Enabled", "Disabled", "SecuredByPerimeter"]},
    "disable_local_auth": {"type": "bool"},
    "tags": {"type": "dict"},
    "wait_timeout": {"type": "int", "default": 600},
    "polling_interval": {"type": "float", "default": 5},
}


class NamespaceManager:
    def __init__(self, module: Any) -> None:
        self.module = module
        self.params = module.params
        self.name = self.params["name"]
        self.group = self.params["resource_group"]
        self.client: Any = None
        # one deadline for the whole call: waiting for another operation, then for this one
        self.deadline = Deadline(self.params["wait_timeout"])

    def input_errors(self) -> List[str]:
        params = self.params
        errors = [namespace_name_error(self.name), resource_group_error(self.group),
                  number_error("wait_timeout", params["wait_timeout"], 0),
                  number_error("polling_interval", params["polling_interval"], 0, exclusive=True)]
        if params["maximum_throughput_units"] is not None and params["auto_inflate"] is not True:
            errors.append("maximum_throughput_units needs auto_inflate=true in the same task")
        elif params["sku"]:
            # what the tier forbids needs no read when the tier is given
            errors.extend(namespace_sku_errors(params["sku"], params["capacity"], params["auto_inflate"],
                                               params["maximum_throughput_units"], params["require_kafka"]))
        return [error for error in errors if error]

    def run(self) -> Dict[str, Any]:
        errors = self.input_errors()
        if errors:
            raise InvalidInput("; ".join(errors), code="InvalidParameter")
        self.client = eventhub_client(self.params, polling_interval=self.params["polling_interval"])
        absent = self.params["state"] == "absent"
        existing = self.settle(self.get_existing(), failed_is_error=not absent)
        return self.absent(existing) if absent else self.present(existing)

    def get_existing(self) -> Optional[Dict[str, Any]]:
        resource = get_or_none(self.client.namespaces.get, self.group, self.name)
        return namespace_state_from_api(resource) if resource else None

    def settle(self, current: Optional[Dict[str, Any]], failed_is_error: bool = True) -> Optional[Dict[str, Any]]:
        """Wait, within wait_timeout, until no operation is in progress: Succeeded, or gone after Deleting.

        Failed is a failure (unless the namespace is to be deleted); every other state (Created, Creating,
        Updating, Activating, Canceled...) is waited for.
        """
        latest = [current]
        if _in_progress(current):
            interval = self.params["polling_interval"]
            delays = backoff_delays(interval, max(interval, 30))

            def done(_timeout: float) -> bool:
                latest[0] = self.get_existing()
                return not _in_progress(latest[0])

            try:
                poll_until(done, self.deadline, delays, request_timeout=interval)
            except DeadlineExceeded:
                now = latest[0] or {}
                raise AzureApiError("namespace '%s' is still %s (status %s) after %s seconds"
                                    % (self.name, now.get("provisioning_state"), now.get("status"),
                                       self.params["wait_timeout"]), code="Timeout")
        settled = latest[0]
        if failed_is_error and settled is not None and settled.get("provisioning_state") == "Failed":
            raise AzureApiError("namespace '%s' is in provisioning state Failed (status %s): Azure could not "
                                "provision it; delete it (state=absent) and create it again"
                                % (self.name, settled.get("status")), code="ProvisioningFailed")
        return settled

    def desired(self, existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        spec = namespace_spec_from_options(self.params)
        if existing is None and not spec["location"]:
            raise InvalidInput("location is required to create namespace '%s'" % self.name, code="InvalidParameter")
        desired = merge_namespace(self.name, existing, spec)
        if existing is not None and "location" in changed_fields(existing, desired, ("location",)):
            raise InvalidInput("namespace '%s' is in %s and cannot move to %s"
                               % (self.name, existing["location"], spec["location"]), code="InvalidParameter")
        errors = namespace_sku_errors(desired["sku"], desired["capacity"], desired["auto_inflate"],
                                      desired["maximum_throughput_units"], self.params["require_kafka"])
        if errors:
            raise InvalidInput("; ".join(errors), code="InvalidParameter")
        return desired

    def warn_zone_redundancy(self, namespace: Optional[Dict[str, Any]]) -> None:
        wanted, actual = self.params["zone_redundant"], (namespace or {}).get("zone_redundant")
        if wanted is not None and actual is not None and wanted != actual:
            self.module.warn("namespace '%s' is %szone redundant and zone redundancy cannot change after creation "
                             "(Azure makes namespaces zone redundant in regions with availability zones); "
                             "leave zone_redundant unset to silence this" % (self.name, "" if actual else "not "))

    def present(self, existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        desired = self.desired(existing)
        changes = changed_fields(existing, desired, NAMESPACE_FIELDS)
        result: Dict[str, Any] = {"changed": bool(changes), "namespace": existing or {}}
        if changes:
            result["namespace"] = self.write(desired) if not self.module.check_mode else dict(existing or {}, **desired)
        self.warn_zone_redundancy(result["namespace"])
        if self.module._diff:
            result["diff"] = {"before": comparable(existing, NAMESPACE_FIELDS),
                              "after": comparable(desired, NAMESPACE_FIELDS)}
        return result

    def write(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        poller = azure_call(self.client.namespaces.begin_create_or_update, self.group, self.name,
                            namespace_body(desired))
        resource = wait_for_poller(poller, self.deadline.remaining(), "provisioning namespace '%s'" % self.name)
        written = namespace_state_from_api(as_json(resource)) if resource else None
        return self.settle(written or self.get_existing()) or {}

    def absent(self, existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        result: Dict[str, Any] = {"changed": existing is not None, "namespace": {}}
        if existing is not None and not self.module.check_mode:
            poller = azure_call(self.client.namespaces.begin_delete, self.group, self.name)
            wait_for_poller(poller, self.deadline.remaining(), "deleting namespace '%s'" % self.name)
        if self.module._diff:
            result["diff"] = {"before": comparable(existing, NAMESPACE_FIELDS), "after": {}}
        return result


def _in_progress(namespace: Optional[Dict[str, Any]]) -> bool:
    return namespace is not None and namespace.get("provisioning_state") not in (None, "Succeeded", "Failed")


def main() -> None:
    module = azure_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, NamespaceManager(module).run)


if __name__ == "__main__":
    main()
