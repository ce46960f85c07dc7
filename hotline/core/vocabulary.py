"""The one vocabulary: the Russian label of every code a person sees (issue 18).

Codes stay codes where programs read them (the database, ``--json``, the code column of a
download); a person reads the label beside or instead of them: the console (the Jinja filter
``label``), the downloads (a label column beside each code column) and the CLI's human output.

A vocabulary is named after the enum whose values it labels (``Reason``, ``CampaignState``...);
tests/unit/test_vocab_labels.py walks every enum of the code base and fails on a value without
a label here.  Vocabularies that are not enums (Asterisk's device states, audit actions) are
named here and checked against the code that writes them.

Pure, and free of heavy imports: the CLI imports it for its output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    # --- the call log (hotline.store.enums) ---------------------------------------------------
    "CallOutcome": {
        "completed": "обслужен автоматически",
        "operator": "передан оператору",
        "fallback": "передан оператору резервным маршрутом",
        "abandoned": "абонент завершил звонок",
        "failed": "звонок не состоялся",
    },
    "CallDirection": {"inbound": "входящий", "outbound": "исходящий"},
    "CallbackStatus": {"open": "ожидает звонка", "done": "выполнен"},
    "QueueEventKind": {
        "join": "встал в очередь",
        "connect": "оператор ответил",
        "complete": "разговор завершён",
        "abandon": "не дождался ответа",
        "leave": "вышел из очереди",
        "timeout": "истёк норматив ответа",
        "callback": "заказал обратный звонок",
    },
    "EventKind": {
        "node": "пункт меню",
        "prompt": "сообщение",
        "digits": "нажатые клавиши",
        "status": "состояние звонка",
        "note": "заметка",
        "menu_version": "версия меню",
        "account": "лицевой счёт",
        "reading": "показания",
        "callback": "обратный звонок",
        "answer_target": "норматив ответа",
        "queue": "очередь операторов",
        "campaign": "обзвон",
        "recording_notice": "предупреждение о записи",
        "amd": "распознавание автоответчика",
        "outage_heard": "сообщено об отключении",
        "appeal": "обращение зарегистрировано",
        "rating": "оценка разговора с оператором",
    },
    # --- the dialplan contract (hotline.dialplan.names) ---------------------------------------
    "AmdStatus": {
        "MACHINE": "автоответчик",
        "HUMAN": "человек",
        "NOTSURE": "не распознано",
        "HANGUP": "трубку положили при распознавании",
    },
    "NoticeBy": {"ivr": "голосовое меню", "dialplan": "телефонная станция"},
    "OperatorReason": {
        "menu": "выбрал оператора",
        "no_input": "не выбрал пункт меню",
        "failure": "сбой голосового меню",
        "fallback": "голосовое меню недоступно",
        "outage": "сообщает об отключении",
        "campaign": "звонок обзвона",
        "not_identified": "лицевой счёт не определён",
        "reading_refused": "показания не приняты",
        "no_meters": "у счёта нет счётчиков",
    },
    # --- reports ------------------------------------------------------------------------------
    "IvrExit": {
        "self-served": "обслужен автоматически",
        "operator": "к оператору",
        "hung up": "завершил звонок",
        "other": "прочее",
    },
    "CallType": {
        "readings": "передача показаний",
        "general": "общий вопрос",
        "personal": "вопрос по лицевому счёту",
    },
    # A reading the operator typed, refused or to confirm (hotline.accounts.reading_rules).
    "Check": {
        "not_a_number": "показание — это только цифры",
        "too_many_digits": "цифр больше, чем на табло счётчика",
        "lower": "меньше последнего принятого показания",
        "implausible": "расход необычно большой: уточните у клиента и подтвердите",
    },
    # The customer card's earlier contacts (hotline.store.desk, issue 17).
    "ContactKind": {
        "call": "звонок",
        "campaign_call": "звонок обзвона",
        "appeal": "обращение",
        "callback": "заявка на обратный звонок",
    },
    "Bucket": {"day": "по дням", "hour": "по часам"},
    "PeriodProblem": {
        "bad-date": "это не дата",
        "out-of-range": "дата вне календаря",
        "empty": "конец периода должен быть позже начала",
    },
    # Queue KPIs (hotline.contact_center.kpi); {wait_limit} is filled by ``describe``.
    "Kpi": {
        "wait_within_limit": "Ответ оператора не позже {wait_limit} с (каждый звонок)",
        "lost_ratio_seed": "Потерянные: завершены до ответа оператора, от всех поступивших",
        "service_level": "Уровень сервиса по цели звонка (40 с, в аварийном режиме 180 с)",
        "lost_ratio_queue": "Потерянные в очереди без заявки, от поступивших в очередь",
        "lost_ratio_all_calls": "Потерянные в очереди без заявки, от всех звонков",
        "average_wait_answered": "Среднее ожидание отвеченных",
        "average_wait_all": "Среднее ожидание всех",
        "max_wait": "Максимальное ожидание",
        "handling_time_readings": "Время обслуживания: показания",
        "handling_time_general": "Время обслуживания: общие вопросы",
        "handling_time_personal": "Время обслуживания: по лицевому счёту",
        "ivr_containment": "Обслужено в IVR без оператора",
        "first_contact_resolution": "Решено оператором с первого обращения (по итогам звонков)",
        "card_lookup_time": "Поиск информации о клиенте: от ответа до карточки на экране",
        "wrapup_time": "Постобработка обращения, в среднем",
    },
    # --- people (hotline.access.users) --------------------------------------------------------
    "Role": {
        "operator": "оператор",
        "dispatcher": "диспетчер",
        "supervisor": "руководитель",
        "admin": "администратор",
    },
    "Permission": {
        "own_calls": "свои звонки",
        "all_calls": "все звонки",
        "campaigns": "обзвоны",
        "emergency": "аварийный режим",
        "outages": "отключения",
        "users": "пользователи",
        "audit": "журнал действий",
        "settings": "настройки",
        "appeals": "обращения",
        "appeals_personal": "персональные данные в обращениях",
        "appeals_trust": "обращения на телефон доверия",
        "menus": "редактор голосового меню",
    },
    "LoginOutcome": {
        "ok": "вход выполнен",
        "bad_credentials": "неверное имя или пароль",
        "locked": "вход временно заблокирован",
        "disabled": "пользователь отключён",
    },
    # --- campaigns (dialer.model) -------------------------------------------------------------
    "CampaignKind": {
        "debt": "задолженность",
        "outage": "отключение",
        "tariff": "тарифы",
        "custom": "другое",
    },
    "CampaignState": {
        "draft": "черновик",
        "approved": "утверждена",
        "running": "идёт",
        "paused": "приостановлена",
        "stopped": "остановлена",
        "finished": "завершена",
    },
    "TargetState": {"pending": "ждёт звонка", "calling": "звоним", "done": "завершён"},
    "AttemptStatus": {
        "dialing": "набор номера",
        "answered": "ответили",
        "ended": "завершена",
        "unknown": "итог неизвестен",
    },
    "Result": {"positive": "положительный", "negative": "отрицательный"},
    "Reason": {
        "delivered": "сообщение прослушано",
        "confirmed": "подтверждено клавишей 1",
        "answered": "ответили",
        "no_answer": "не ответили",
        "busy": "занято",
        "invalid_number": "неверный номер",
        "failed": "сбой вызова",
        "hung_up_early": "положили трубку до главного",
        "no_confirmation": "не подтвердили",
        "transferred": "переведён на оператора",
        "unknown": "итог потерян (перезапуск)",
        "do_not_call": "в списке «не звонить»",
        "expired": "кампания закончилась раньше",
        "render_failed": "не удалось озвучить",
        "email_sent": "отправлено письмо",
        "email_failed": "письмо не отправлено",
        "machine": "автоответчик",
        "left_on_machine": "оставлено на автоответчике",
        "sms_sent": "отправлено SMS",
        "sms_delivered": "SMS доставлено",
        "sms_failed": "SMS не доставлено",
    },
    "PositiveRule": {
        "auto": "по сценарию",
        "key_content": "прослушано главное",
        "confirmation": "подтверждено клавишей 1",
        "answered": "ответили",
    },
    "SayKind": {
        "money": "сумма",
        "date": "дата",
        "time": "время",
        "phone": "телефон",
        "number": "число",
        "text": "текст",
    },
    "ClosedOperator": {"ignore": "не предлагать", "callback": "предложить обратный звонок"},
    "MachineAction": {"hang_up": "завершить звонок", "leave_message": "оставить сообщение"},
    # Why contacts wait (dialer.model.WaitReason); {placeholders} are filled by ``describe``.
    "WaitReason": {
        "not_approved": "кампания ждёт утверждения (утверждает не автор)",
        "not_started": "кампания утверждена, но не запущена",
        "paused": "кампания приостановлена",
        "stopped": "кампания остановлена",
        "finished": "кампания завершена",
        "starts_later": "кампания начнётся позже",
        "do_not_call": "номер в списке «не звонить» (закроется при следующем проходе)",
        "retry": "повтор позже: {reason}",
        "deferred": "ждёт часов обзвона",
        "holiday": "праздник ({holiday}), часовой пояс {timezone}",
        "day_off": "выходной день, часовой пояс {timezone}",
        "outside_hours": "вне часов обзвона {hours}, часовой пояс {timezone} (там {local})",
        "same_number": "номер недавно набирали: выдерживаем перерыв между звонками",
        "campaign_cap": "заняты все линии кампании ({limit})",
        "trunk_cap": "заняты все линии оператора связи ({limit})",
        "due_now": "звонок в ближайшие секунды (ограничение звонков в секунду)",
    },
    # --- not enums ----------------------------------------------------------------------------
    # Asterisk's queue member states (hotline.contact_center.operators.DEVICE_STATES), and
    # "paused".
    "DeviceState": {
        "unknown": "неизвестно",
        "idle": "свободен",
        "in call": "разговаривает",
        "busy": "занят",
        "invalid": "устройство не найдено",
        "unavailable": "не в сети",
        "ringing": "звонит телефон",
        "ringing, in call": "звонит второй звонок",
        "on hold": "на удержании",
        "paused": "на паузе",
    },
    "OutageState": {"open": "действует", "closed": "закрыто"},
    # Where a callback request came from (hotline.store.callbacks).
    "CallbackSource": {"ivr": "голосовое меню", "queue": "из очереди", "campaign": "обзвон"},
    # Through what an audit entry was made (hotline.store.audit.Actor.channel).
    "AuditChannel": {"web": "консоль", "cli": "командная строка", "engine": "движок"},
    # Why a log-in failed or was refused (hotline.access.users, the audit entry's "why").
    "LoginRefusal": {
        "address": "слишком много попыток с этого адреса",
        "locked": "вход временно заблокирован",
        "unknown user": "неизвестный пользователь",
        "bad password": "неверный пароль",
        "disabled": "пользователь отключён",
    },
    # Keys of audit entries' details.
    "AuditDetail": {
        "role": "роль",
        "why": "причина",
        "locked": "заблокирован",
        "reason": "причина",
        "format": "формат",
        "list": "список",
        "contacts": "контактов",
        "from": "с",
        "to": "по",
        "caller": "номер",
        "account": "лицевой счёт",
        "count": "найдено",
        "calls": "звонков",
        "note": "заметка",
        "prompt": "сообщение",
        "text": "текст",
        "file": "файл",
        "call_id": "звонок",
        "retention_days": "хранить дней",
        "recordings": "записей",
    },
    # What the audit log records (hotline.store.audit): every action the code writes.
    "AuditAction": {
        "login": "вход",
        "login.failed": "неудачный вход",
        "login.refused": "вход отклонён",
        "logout": "выход",
        "user.add": "пользователь добавлен",
        "user.password": "пароль изменён",
        "user.role": "роль изменена",
        "user.disable": "пользователь отключён",
        "user.enable": "пользователь включён",
        "user.unlock": "вход разблокирован",
        "calls.view": "просмотр звонков",
        "callbacks.view": "просмотр обратных звонков",
        "callback.assign": "обратный звонок назначен",
        "callback.done": "обратный звонок выполнен",
        "callback.done.refused": "отметка обратного звонка отклонена",
        "screen_pop.view": "просмотр карточки звонка",
        "call.disposition": "итог звонка отмечен",
        "reading.operator": "показание принято оператором",
        "campaign.create": "кампания создана",
        "campaign.approve": "кампания утверждена",
        "campaign.start": "кампания запущена",
        "campaign.pause": "кампания приостановлена",
        "campaign.resume": "кампания продолжена",
        "campaign.stop": "кампания остановлена",
        "campaign.contacts": "список контактов загружен",
        "campaign.report": "отчёт кампании выгружен",
        "dialer.limits": "ограничения обзвона изменены",
        "emergency.on": "аварийный режим включён",
        "emergency.off": "аварийный режим выключен",
        "outage.add": "отключение зарегистрировано",
        "outage.close": "отключение закрыто",
        "operator.login": "оператор вошёл в очередь",
        "operator.logout": "оператор вышел из очереди",
        "operator.pause": "оператор на паузе",
        "operator.unpause": "оператор снят с паузы",
        "recordings.list": "просмотр списка записей",
        "recordings.play": "прослушивание записи",
        "recordings.download": "скачивание записи",
        "recordings.export": "выгрузка записей",
        "recordings.purge": "удаление старых записей",
        "call.transfer": "звонок передан",
        "menu.publish": "меню опубликовано",
        "menu.rollback": "меню возвращено к прежней версии",
        "appeal.register": "обращение зарегистрировано",
        "appeal.status": "статус обращения изменён",
        "appeal.view": "просмотр обращения",
        "appeal.list": "просмотр списка обращений",
    },
    # The appeal register (issue 16).
    "AppealChannel": {
        "ivr": "голосовое меню",
        "operator": "оператор",
        "voicemail": "голосовая почта",
        "callback": "обратный звонок",
        "email": "электронная почта",
        "outbound": "исходящий звонок",
    },
    "AppealStatus": {
        "registered": "зарегистрировано",
        "handed_over": "передано исполнителю",
        "in_progress": "в работе",
        "answered": "дан ответ",
        "closed": "закрыто",
        "reopened": "возобновлено",
        "not_considered": "оставлено без рассмотрения",
    },
    "ReplyChannel": {
        "phone": "по телефону",
        "sms": "в SMS-сообщении",
        "email": "по электронной почте",
        "post": "почтой",
    },
    "AppealLinkKind": {"call": "звонок", "recording": "запись"},
    "NotConsidered": {
        "offensive": "нецензурные или оскорбительные выражения",
        "illegible": "текст не поддаётся прочтению",
        "repeated": "повторное обращение без новых доводов",
        "no_contact": "нет данных для ответа",
        "secret": "ответ раскрыл бы охраняемую тайну",
        "unclear": "суть обращения не ясна",
    },
    "NoticeKind": {"registered": "о регистрации", "answered": "об ответе"},
    # SMS.
    "SmsStatus": {
        "queued": "в очереди",
        "sent": "отправлено",
        "delivered": "доставлено",
        "failed": "не доставлено",
    },
    "SmsEventKind": {
        "queued": "поставлено в очередь",
        "sent": "принято шлюзом",
        "retry": "повторная попытка",
        "dlr": "отчёт о доставке",
        "failed": "отказ",
    },
    # The menu editor (issue 23): node kinds and actions of ivr.menu.model.
    "NodeKind": {"menu": "меню", "info": "информация", "action": "действие"},
    "MenuAction": {
        "meter_readings": "передать показания",
        "account_balance": "узнать баланс",
        "operator": "соединить с оператором",
        "callback_request": "заказать обратный звонок",
        "voicemail": "оставить сообщение",
        "hangup": "попрощаться",
    },
    # hotline doctor's findings.
    "Status": {"ok": "в порядке", "warning": "предупреждение", "error": "ошибка"},
}

# Column headers of downloads (the code column keeps its name; its label column is beside it).
COLUMNS: Final[Mapping[str, str]] = {
    "state": "состояние",
    "result": "итог",
    "reason": "причина",
    "status": "статус",
    "outcome": "исход",
    "direction": "направление",
    "kind": "вид",
    "type": "тип звонка",
    "operator_reason": "почему оператор",
    "action": "действие",
    "role": "роль",
}
LABEL_SUFFIX: Final = "_label"
_ISO: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def label(vocabulary: str, code: object) -> str:
    """The Russian label of ``code`` (an enum member or its value); the code itself when the
    vocabulary has none (a value written by a newer version), '' for None."""
    if code is None:
        return ""
    text = str(code.value) if hasattr(code, "value") else str(code)
    return LABELS.get(vocabulary, {}).get(text, text)


def describe(vocabulary: str, code: object, params: Mapping[str, Any] | None = None) -> str:
    """A label with its {placeholders} filled; a parameter named after a vocabulary's code
    (``reason``) is labelled too."""
    text = label(vocabulary, code)
    if not params:
        return text
    values = {k: label("Reason", v) if k == "reason" else v for k, v in params.items()}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


def with_labels(
    row: Mapping[str, Any], columns: Mapping[str, str], *, order: Iterable[str] | None = None
) -> dict[str, Any]:
    """``row`` with a ``<column>_label`` beside every column named in ``columns`` (column ->
    vocabulary): the code stays for programs, the label is for people."""
    result: dict[str, Any] = {}
    for key in order if order is not None else row:
        result[key] = row[key]
        if key in columns:
            result[key + LABEL_SUFFIX] = label(columns[key], row[key])
    return result


def detail_text(detail: Mapping[str, Any] | None) -> str:
    """An audit entry's details for people: «ключ: значение; ...», keys and known codes
    labelled (a role reads as its label, yes/no in Russian)."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            text = "да" if value else "нет"
        elif key == "role":
            text = label("Role", value)
        elif key == "why":
            text = label("LoginRefusal", value)
        elif isinstance(value, str) and _ISO.match(value):
            text = f"{value[8:10]}.{value[5:7]}.{value[:4]} {value[11:16]}"
        elif isinstance(value, list | tuple):
            text = ", ".join(map(str, value))
        else:
            text = str(value)
        parts.append(f"{label('AuditDetail', key)}: {text}")
    return "; ".join(parts)


def header(column: str) -> str:
    """A download's column header: the Russian name of a label column, others unchanged."""
    if column.endswith(LABEL_SUFFIX):
        base = column.removesuffix(LABEL_SUFFIX)
        return COLUMNS.get(base, base)
    return column
