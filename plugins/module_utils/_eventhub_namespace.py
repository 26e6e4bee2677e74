# SPDX-License-Identifier: GPL-3.0-or-later
"""The Event Hubs namespace's options and manager, shared by eventhub_namespace and the eventhub module's namespace."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    AzureApiError,
    as_json,
    azure_call,
    eventhub_client,
    get_or_none,
    module_cloud,
    wait_for_poller,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput
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
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (
    PUBLIC_SERVICE_BUS_SUFFIX,
    service_bus_endpoint,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import (
    Deadline,
    DeadlineExceeded,
    backoff_delays,
    poll_until,
)

# What a namespace takes besides its name, resource group and state (also the eventhub module's namespace option).
NAMESPACE_OPTIONS: Dict[str, Any] = {
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

NAMESPACE_ARGUMENT_SPEC: Dict[str, Any] = dict(
    NAMESPACE_OPTIONS,
    name={"type": "str", "required": True},
    resource_group={"type": "str", "required": True},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
)


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
        if changes and not self.module.check_mode:
            result["namespace"] = self.write(desired)
        elif changes:
            result["namespace"] = dict(existing or {}, **desired)
            if existing is None:
                result["namespace"]["service_bus_endpoint"] = self.predicted_endpoint()
        self.warn_zone_redundancy(result["namespace"])
        if self.module._diff:
            result["diff"] = {"before": comparable(existing, NAMESPACE_FIELDS),
                              "after": comparable(desired, NAMESPACE_FIELDS)}
        return result

    def predicted_endpoint(self) -> str:
        """The serviceBusEndpoint Azure will give the namespace, from the cloud's host suffix (check mode)."""
        cloud = module_cloud(self.params)
        suffix = cloud.service_bus_suffix
        if not suffix:
            suffix = PUBLIC_SERVICE_BUS_SUFFIX
            self.module.warn("the metadata of cloud %s names no Service Bus suffix (suffixes.serviceBus): check mode "
                             "predicts namespace '%s' under %s; a real run uses the endpoint Azure answers"
                             % (cloud.name, self.name, suffix))
        return service_bus_endpoint(self.name, suffix)

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
