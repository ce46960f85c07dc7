"""Console users and their browser sessions, as stored.  Policy (hashing, lock-out, expiry)
lives in ``hotline.access.users``; this module only reads and writes rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from hotline.core.errors import NotFound
from hotline.store.db import Database
from hotline.store.models import User, WebSession


class UserExists(ValueError):
    pass


class UnknownUser(NotFound):
    pass


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    role: str
    password_hash: str
    created_at: datetime
    disabled: bool
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None


@dataclass(frozen=True)
class SessionRecord:
    token_sha256: str
    user: UserRecord
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    source: str | None


def _user(row: User) -> UserRecord:
    return UserRecord(
        id=row.id,
        name=row.name,
        role=row.role,
        password_hash=row.password_hash,
        created_at=row.created_at,
        disabled=row.disabled,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        last_login_at=row.last_login_at,
    )


class UserStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, name: str, role: str, password_hash: str, at: datetime) -> UserRecord:
        try:
            async with self._db.session() as session:
                row = User(name=name, role=role, password_hash=password_hash, created_at=at)
                session.add(row)
                await session.flush()
                return _user(row)
        except IntegrityError as exc:
            raise UserExists(name) from exc

    async def get(self, name: str) -> UserRecord | None:
        async with self._db.session() as session:
            row = await session.scalar(select(User).where(User.name == name))
            return None if row is None else _user(row)

    async def all(self) -> list[UserRecord]:
        async with self._db.session() as session:
            return [_user(row) for row in await session.scalars(select(User).order_by(User.name))]

    async def update(self, name: str, **values: object) -> UserRecord:
        async with self._db.session() as session:
            row = await session.scalar(select(User).where(User.name == name))
            if row is None:
                raise UnknownUser(name)
            for key, value in values.items():
                setattr(row, key, value)
            await session.flush()
            return _user(row)

    # --- sessions -------------------------------------------------------------------------------
    async def open_session(
        self,
        user_id: int,
        token_sha256: str,
        csrf_token: str,
        at: datetime,
        expires_at: datetime,
        source: str | None,
    ) -> None:
        async with self._db.session() as session:
            session.add(
                WebSession(
                    token_sha256=token_sha256,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created_at=at,
                    last_seen_at=at,
                    expires_at=expires_at,
                    source=source,
                )
            )

    async def find_session(self, token_sha256: str) -> SessionRecord | None:
        async with self._db.session() as session:
            found = (
                await session.execute(
                    select(WebSession, User)
                    .join(User, User.id == WebSession.user_id)
                    .where(WebSession.token_sha256 == token_sha256)
                )
            ).first()
            if found is None:
                return None
            web, user = found
            return SessionRecord(
                token_sha256=web.token_sha256,
                user=_user(user),
                csrf_token=web.csrf_token,
                created_at=web.created_at,
                last_seen_at=web.last_seen_at,
                expires_at=web.expires_at,
                source=web.source,
            )

    async def touch_session(self, token_sha256: str, at: datetime) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(WebSession)
                .where(WebSession.token_sha256 == token_sha256)
                .values(last_seen_at=at)
            )

    async def close_session(self, token_sha256: str) -> None:
        async with self._db.session() as session:
            await session.execute(
                delete(WebSession).where(WebSession.token_sha256 == token_sha256)
            )

    async def close_sessions_of(self, user_id: int) -> int:
        async with self._db.session() as session:
            result = await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
            return _deleted(result)

    async def purge_sessions(self, before: datetime) -> int:
        async with self._db.session() as session:
            result = await session.execute(
                delete(WebSession).where(WebSession.expires_at < before)
            )
            return _deleted(result)

    async def count(self) -> int:
        async with self._db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(User)) or 0)


def _deleted(result: object) -> int:
    # DML statements return a CursorResult; the generic Result type hides rowcount.
    return result.rowcount if isinstance(result, CursorResult) else 0
