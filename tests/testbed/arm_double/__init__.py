# SPDX-License-Identifier: GPL-3.0-or-later
"""A test double of Azure Resource Manager for Microsoft.EventHub: the one test double of the testbed.

Azure Resource Manager cannot run outside Azure, so the testbed answers the collection's modules
with this HTTPS server instead. It speaks the wire format of the real service (azure-identity's
client-credentials flow, ARM long-running operations, api-version 2026-01-01 JSON shapes, ARM error
bodies, Event Hubs tier quotas) closely enough that the unmodified azure-identity and
azure-mgmt-eventhub SDKs work against it. Standard library only.

Modules: `tls` (CA and server certificate), `errors` (ARM error bodies), `eventhub_rules` (tier
limits and validation), `resources` (ARM JSON shapes), `store` (state on disk, tokens, operations,
Kafka credentials file), `controls` (latency, faults, request log), `server` (HTTP routing),
`fixtures` (pytest fixture for other test suites).
"""
