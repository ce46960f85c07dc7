"""The engine's and the console's credentials for Asterisk's AMI and Kannel: from the settings
or the environment, else the sandbox's generated ones; a clear error naming the setting
otherwise (secrets are never in code or in the settings file's defaults)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from hotline.settings import AmiRole, Settings
from hotline.settings.cluster import ClusterNode
from hotline.transport.ami import AmiClient, AmiError


class AmiSecretMissing(AmiError):
    pass


class SmsPasswordMissing(RuntimeError):
    pass


def resolve_sms_password(settings: Settings) -> str:
    """Kannel's sendsms password: from settings/environment, else the sandbox's generated
    one (``hotline kannel run`` or the tests' Kannel made it)."""
    configured = settings.sms.sendsms_password
    if configured is not None:
        return configured.get_secret_value()
    if settings.sandbox.enabled:
        from hotline.sandbox.kannel import kannel_passwords

        passwords = kannel_passwords(settings, create=False)
        if passwords is not None:
            return passwords.sendsms
    raise SmsPasswordMissing(
        "no Kannel sendsms password: set HOTLINE_SMS__SENDSMS_PASSWORD (or sms.sendsms_password "
        "in the settings file), or start the sandbox's Kannel with `hotline kannel run`"
    )


def resolve_ami_secret(settings: Settings, role: AmiRole = AmiRole.ENGINE) -> str:
    """``role``'s AMI secret: from settings/environment, else the sandbox's generated one."""
    configured = settings.ami.configured_secret(role)
    if configured is not None:
        return configured
    if settings.sandbox.enabled:
        from hotline.sandbox import ami_secret

        secret = ami_secret(settings, role)
        if secret:
            return secret
    key = "secret" if role is AmiRole.ENGINE else f"{role.value}_secret"
    raise AmiSecretMissing(
        f"no AMI secret for the {role.value}: set HOTLINE_AMI__{key.upper()} (or ami.{key} in "
        "the settings file), or start the sandbox with `hotline sandbox up`"
    )


def node_ami_client(settings: Settings, node: ClusterNode) -> AmiClient:
    """The engine's AMI connection to cluster ``node`` (a node this worker took over): the
    configured secret, or the one the node's own sandbox instance generated (the test bed)."""
    ami = settings.ami.model_copy(update={"host": node.ami_host, "port": node.ami_port})
    of_node = settings.model_copy(update={"ami": ami})
    if node.sandbox_instance and settings.ami.configured_secret(AmiRole.ENGINE) is None:
        sandbox = settings.sandbox.model_copy(update={"instance": node.sandbox_instance})
        of_node = of_node.model_copy(update={"sandbox": sandbox})
    return AmiClient(ami, resolve_ami_secret(of_node))


def ami_client(settings: Settings, role: AmiRole) -> AmiClient:
    """An AMI connection logged in as ``role``'s own user (its own rights in manager.conf)."""
    return AmiClient(settings.ami, resolve_ami_secret(settings, role), role=role)


class WebhookSecretMissing(Exception):
    """A webhook endpoint's secret is not in the environment (or too short)."""


# A shorter HMAC key is refused: a receiver's check would be weak.
WEBHOOK_SECRET_MIN = 16


def resolve_webhook_secrets(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> dict[str, bytes]:
    """Each webhook endpoint's HMAC secret, from the environment variable it names (issue 22
    item 4: never from the settings file)."""
    env = os.environ if environ is None else environ
    secrets: dict[str, bytes] = {}
    for endpoint in settings.webhooks.endpoints:
        value = env.get(endpoint.secret_env, "")
        if len(value) < WEBHOOK_SECRET_MIN:
            raise WebhookSecretMissing(
                f"webhook endpoint {endpoint.name}: set {endpoint.secret_env} in the "
                f"environment to its secret (at least {WEBHOOK_SECRET_MIN} characters)"
            )
        secrets[endpoint.name] = value.encode()
    return secrets
