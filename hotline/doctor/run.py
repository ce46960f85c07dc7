"""All the doctor's checks, in the order an administrator fixes things."""

from __future__ import annotations

import asyncio
from datetime import date

from hotline.contact_center.recordings import recordings_root
from hotline.doctor import probes
from hotline.doctor.checks import (
    Finding,
    check_ami_logins,
    check_ami_rights,
    check_asterisk,
    check_calendar,
    check_clock,
    check_console,
    check_database,
    check_dialplan,
    check_disk,
    check_fastagi,
    check_prompts,
    check_recordings_dir,
)
from hotline.doctor.workers import check_workers, probe_workers
from hotline.settings import Settings


async def diagnose(settings: Settings, secrets: probes.Secrets) -> list[Finding]:
    timeout = settings.doctor.probe_timeout
    ami, fastagi, (database, overrides), clock = await asyncio.gather(
        probes.probe_ami(settings, secrets),
        probes.probe_tcp(settings.fastagi.host, settings.fastagi.port, timeout),
        probes.probe_database(settings),
        probes.probe_clock(timeout),
    )
    findings = [check_asterisk(ami), *check_ami_logins(ami)]
    findings += [f for f in (check_ami_rights(ami), check_dialplan(ami)) if f is not None]
    findings.append(check_fastagi(settings.fastagi.host, settings.fastagi.port, fastagi))
    findings.append(check_prompts(await asyncio.to_thread(probes.prompt_facts, settings)))
    findings.append(check_database(database))
    workers = await probe_workers(settings, not database.no_file)
    findings.append(check_workers(workers))
    findings += await asyncio.to_thread(_files, settings)
    findings.append(check_clock(clock))
    today = date.today()
    calendar = await asyncio.to_thread(probes.calendar_facts, settings, overrides, today)
    findings.append(check_calendar(calendar))
    findings.append(check_console(await asyncio.to_thread(probes.console_listen, settings)))
    return findings


def _files(settings: Settings) -> list[Finding]:
    root = recordings_root(settings)
    doctor = settings.doctor
    findings = check_recordings_dir(probes.dir_facts(root), probes.asterisk_identity(settings))
    recent = probes.recent_bytes(root, doctor.rate_window_days, probes.now())
    free = probes.free_bytes(root)
    findings.append(check_disk(free, recent, doctor.rate_window_days, doctor.disk_days, root))
    return findings
