# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared documentation: Azure authentication options and the attributes of the Event Hubs modules."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - How to find Azure credentials.
      - V(auto) uses a service principal when O(client_id), O(secret) and O(tenant) are all set (from options or
        environment), then O(ad_user) and O(password), else the default credential chain of C(azure-identity)
        (environment, workload identity, managed identity, Azure CLI).
      - V(env) uses only the options and their environment variables; V(cli) the logged-in Azure CLI;
        V(msi) a managed identity (O(client_id) picks a user-assigned one); V(credential_file) the INI file
        C(~/.azure/credentials) (or E(AZURE_CREDENTIAL_FILE)), section O(profile).
      - Environment fallback E(AZURE_AUTH_SOURCE), then E(ANSIBLE_AZURE_AUTH_SOURCE).
    type: str
    default: auto
    choices: [auto, env, cli, msi, credential_file]
  profile:
    description:
      - Section of the credential file to read with O(auth_source=credential_file). Defaults to C(default).
      - Environment fallback E(AZURE_PROFILE).
    type: str
  subscription_id:
    description:
      - Azure subscription that holds the resources.
      - Environment fallback E(AZURE_SUBSCRIPTION_ID) (AWX's Azure Resource Manager credential sets it).
    type: str
  client_id:
    description:
      - Application (client) id of a service principal, or of a user-assigned managed identity.
      - Environment fallback E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - Client secret of the service principal.
      - Environment fallback E(AZURE_SECRET) (the name AWX injects), then E(AZURE_CLIENT_SECRET).
    type: str
  tenant:
    description:
      - Microsoft Entra tenant id.
      - Environment fallback E(AZURE_TENANT) (the name AWX injects), then E(AZURE_TENANT_ID).
    type: str
  ad_user:
    description:
      - User name for a user/password login, as AWX injects it when no service principal is given.
      - Environment fallback E(AZURE_AD_USER), then E(AZURE_USERNAME).
    type: str
  password:
    description:
      - Password for O(ad_user).
      - Environment fallback E(AZURE_PASSWORD).
    type: str
  cloud_environment:
    description:
      - Azure cloud to talk to. A name (V(AzureCloud), V(AzureChinaCloud), V(AzureUSGovernment)) or an
        C(https://) URL of a resource manager metadata endpoint, as Azure Stack Hub and sovereign clouds publish
        (for example C(https://management.azure.com/metadata/endpoints?api-version=2022-09-01)).
      - From the metadata the modules take C(resourceManager) as the API base, C(authentication.loginEndpoint) as
        the token authority and the first of C(authentication.audiences) as the token scope. Both the
        2022-09-01 list format and the legacy single-object format are read.
      - TLS trust for a private endpoint comes from E(REQUESTS_CA_BUNDLE).
      - Environment fallback E(AZURE_CLOUD_ENVIRONMENT).
    type: str
    default: AzureCloud
requirements:
  - python >= 3.10 (azure-mgmt-eventhub 12)
  - azure-identity >= 1.27
  - azure-mgmt-eventhub >= 12.0.0
notes:
  - Throttled (HTTP 429, honouring C(Retry-After)) and transient server errors (HTTP 500, 502, 503, 504) are
    retried with exponential back-off, at most 6 times.
  - Errors are reported in C(msg) as Azure's error code (once), a colon and Azure's message, with the code also
    in C(error_code). Bad input is refused before any request, with C(error_code=InvalidParameter) and a message
    naming the option and what it allows.
  - These expected failures carry no traceback, even with E(ANSIBLE_DISPLAY_TRACEBACK=error); only an unexpected
    exception (a bug, or an answer the module does not know) is reported with its traceback in C(exception).
  - An answer that leaves out an optional field (older API versions omit C(retentionDescription), for example) makes
    that field unknown; it is not compared, so it never causes a change on its own.
  - The public discovery documents fetched before the first token (cloud metadata of a custom O(cloud_environment),
    Microsoft Entra instance and tenant discovery) are cached for a day under C(~/.cache/streamops.eventhub_connect)
    (or E(XDG_CACHE_HOME)), in files only the user can write, so later module runs start with the token request.
    Set E(STREAMOPS_AZURE_DISCOVERY_CACHE) to another directory, or to V(off) to fetch them every time. Tokens and
    keys are never written to disk.
"""

    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Reads Azure, writes nothing and predicts C(changed) and the diff.
    support: full
  diff_mode:
    description: Returns the before and after state of what it changes (or would change in check mode).
    support: full
  idempotent:
    description: A second run with the same options reports no change.
    support: full
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Runs unchanged in check mode; it only reads.
    support: full
  diff_mode:
    description: Reads only, so there is nothing to diff.
    support: N/A
  idempotent:
    description: Reads only.
    support: full
"""
